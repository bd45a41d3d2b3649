/*
 * test_config_db_url.c: unit tests for the database URLs of gatehouse.conf
 * ([database] url, [users] url): no password in them, and the transport
 * rule (db_url_problem, each driver's reading of its URLs) for a server on
 * another host.  The URLs of a driver that was not built are not tried.
 * Every variable a test sets is unset after it.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* setenv */
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "test.h"
#include "test_config.h"

TEST(password_in_database_url_refused)
{
	CHECK(refused("[database]\nurl = postgresql://gh:s3cret@db.example/gh\n",
	    "t.conf:2: [database] url: must not hold a password: use password_file"));
	CHECK(refused("[users]\nsource = external\nurl = mysql://app:pw@127.0.0.1/app\n",
	    "t.conf:3: [users] url: must not hold a password: use password_file"));
	struct config cfg;
	CHECK(
	    load(&cfg, "[database]\nurl = postgresql://gh@db.example/gh?host=/run/pg\n") == GH_OK);
	config_cleanup(&cfg);
}

TEST(password_in_database_url_query_refused)
{
	const char *why = "t.conf:2: [database] url: must not hold a password: use password_file";
	struct config cfg;

	/* libpq takes any connection parameter from the query. */
	CHECK(refused("[database]\nurl = postgresql://gh@db.example/gh?password=s3cret\n", why));
	CHECK(refused(
	    "[database]\nurl = postgres://gh@db.example/gh?sslmode=require&password=x\n", why));
	CHECK(refused("[database]\nurl = postgresql://gh@db/gh?sslpassword=x\n", why));
	CHECK(refused("[database]\nurl = postgresql://gh@db/gh?password\n", why));
	/* libpq decodes the keys too; case is ignored here. */
	CHECK(refused("[database]\nurl = postgresql://gh@db/gh?pass%77ord=x\n", why));
	CHECK(refused("[database]\nurl = postgresql://gh@db/gh?PASSWORD=x\n", why));
	CHECK(refused("[database]\nurl = mysql://gh@db/gh?socket=/s&password=x\n", why));
	CHECK(refused("[users]\nsource = external\nurl = postgresql://app@db/app?password=x\n",
	    "t.conf:3: [users] url: must not hold a password: use password_file"));
	/* libpq looks for user:password@ up to the path, past a '?'. */
	CHECK(refused("[database]\nurl = postgresql://db?x=gh:pw@db/gh\n", why));
	/* The same through the environment. */
	setenv("GATEHOUSE_DATABASE_URL", "postgresql://gh@db/gh?password=s3cret", 1);
	CHECK(refused("", "environment GATEHOUSE_DATABASE_URL: must not hold a password: use "
	                  "password_file"));
	unsetenv("GATEHOUSE_DATABASE_URL");
	/* Files are fine, and so are keys that only contain the word. */
	CHECK(load(&cfg, "[database]\nurl = postgresql://gh@db/gh?passfile=/etc/gh/pgpass&"
	                 "service=gh&sslmode=verify-full&application_name=password\n") == GH_OK);
	config_cleanup(&cfg);
	/* Keys that only contain the word are not taken for a password (libpq
	 * refuses them for what they are). */
	CHECK(refused("[database]\nurl = postgresql://gh@db/gh?x_password=1&passwords=2\n",
	    "t.conf:2: [database] url: must be a URL libpq takes"));
}

/* A server database on another host is reached over TLS, or the URL says
 * explicitly that it is not; on this machine anything goes.  The rule of
 * each driver is checked where it is built. */
TEST(database_on_another_host_needs_tls)
{
	const char *remote = "t.conf:2: [database] url: names a database on another host: add "
	                     "sslmode=verify-full and sslrootcert=/path/to/ca.pem (sslmode=disable "
	                     "to send passwords and sessions in clear)";
	const char *fallback = "t.conf:2: [database] url: names a database on another host with "
	                       "an sslmode that falls back to no TLS: use verify-full (or disable, "
	                       "said explicitly)";
	const char *const accepted[] = {
#ifdef HAVE_MYSQL
	    "mysql://gh@db.example/gh?sslmode=verify-full&sslrootcert=/etc/ssl/ca.pem",
	    "mysql://gh@db.example/gh?sslmode=verify-ca&sslrootcert=/etc/ssl/ca.pem",
	    "mysql://gh@192.0.2.1:3306/gh?sslmode=require",
	    "mysql://gh@db.example/gh?sslmode=disable",
	    "mysql://gh@127.0.0.1/gh",
	    "mysql://gh@127.9.8.7:3306/gh",
	    "mysql://gh@[::1]:3306/gh",
	    "mysql://gh@localhost/gh?socket=/run/mysqld/mysqld.sock",
	    "mysql://gh@LOCALHOST/gh",
#endif
#ifdef HAVE_PGSQL
	    "postgresql://gh@db.example/gh?sslmode=verify-full",
	    "postgresql://gh@db.example/gh?sslmode=require",
	    "postgresql://gh@db.example/gh?sslmode=disable",
	    "postgresql://gh@127.0.0.1:5432/gh",
	    "postgresql://gh@[::1]/gh?sslmode=prefer",
	    "postgresql://gh@/gh?host=/run/postgresql",
	    "postgresql://gh@/gh",
	    "postgresql://gh@localhost,127.0.0.2/gh",
	    "postgres://gh@db.example/gh?hostaddr=127.0.0.1&sslmode=verify-full",
#endif
	    NULL,
	};
	const char *const remote_refused[] = {
#ifdef HAVE_MYSQL
	    "mysql://gh@db.example/gh",
	    "mysql://gh@192.0.2.1:3306/gh",
	    "mysql://gh@127.1/gh", /* a name to the client library: not resolved here */
	    "mysql://gh@[::ffff:192.0.2.1]/gh",
	    "mysql://gh@db.example/gh?socket=/run/mysqld/mysqld.sock",
#endif
#ifdef HAVE_PGSQL
	    "postgresql://gh@db.example/gh",
	    "postgresql://gh@127.0.0.1,db.example/gh",
	    "postgresql://gh@/gh?host=/run/postgresql,db.example",
	    "postgresql://gh@localhost/gh?hostaddr=192.0.2.1",
	    "postgresql://gh@/gh?service=gatehouse", /* its host is in a file */
#endif
	    NULL,
	};
	struct config cfg;
	char text[256];
	size_t i;

	for (i = 0; accepted[i] != NULL; i++) {
		snprintf(text, sizeof(text), "[database]\nurl = %s\n", accepted[i]);
		if (load(&cfg, text) != GH_OK) {
			fprintf(stderr, "refused: %s: %s\n", accepted[i], errbuf);
			CHECK(false);
			continue;
		}
		config_cleanup(&cfg);
	}
	for (i = 0; remote_refused[i] != NULL; i++) {
		snprintf(text, sizeof(text), "[database]\nurl = %s\n", remote_refused[i]);
		CHECK(refused(text, remote));
	}
#ifdef HAVE_PGSQL
	CHECK(
	    refused("[database]\nurl = postgresql://gh@db.example/gh?sslmode=prefer\n", fallback));
	CHECK(refused("[database]\nurl = postgresql://gh@db.example/gh?sslmode=allow\n", fallback));
	CHECK(refused("[database]\nurl = postgresql://gh@db.example/gh?sslmode=verify\n",
	    "t.conf:2: [database] url: must have sslmode disable, require, verify-ca or "
	    "verify-full"));
	/* What libpq takes from the environment when the URL says nothing. */
	setenv("PGHOST", "db.example", 1);
	CHECK(refused("[database]\nurl = postgresql://gh@/gh\n", remote));
	setenv("PGSSLMODE", "verify-full", 1);
	CHECK(load(&cfg, "[database]\nurl = postgresql://gh@/gh\n") == GH_OK);
	config_cleanup(&cfg);
	unsetenv("PGSSLMODE");
	unsetenv("PGHOST");
	/* The external users' table too. */
	CHECK(refused("[users]\nsource = external\nurl = postgresql://app@db.example/app\n",
	    "t.conf:3: [users] url: names a database on another host: add sslmode=verify-full "
	    "and sslrootcert=/path/to/ca.pem (sslmode=disable to send passwords and sessions in "
	    "clear)"));
#endif
#ifdef HAVE_MYSQL
	/* MariaDB's client has no CA store to fall back on, and no "prefer". */
	CHECK(refused("[database]\nurl = mysql://gh@db.example/gh?sslmode=verify-full\n",
	    "t.conf:2: [database] url: must name the CA with sslrootcert=/path/to/ca.pem for "
	    "sslmode verify-ca or verify-full"));
	CHECK(refused("[database]\nurl = mysql://gh@127.0.0.1/gh?sslmode=prefer\n",
	    "t.conf:2: [database] url: must have sslmode disable, require, verify-ca or "
	    "verify-full"));
	CHECK(refused("[database]\nurl = mysql://gh@127.0.0.1/gh?sslrootcert=/etc/ssl/ca.pem\n",
	    "t.conf:2: [database] url: has sslrootcert without an sslmode that uses it "
	    "(verify-full, verify-ca)"));
	CHECK(refused("[database]\nurl = mysql://gh@127.0.0.1/gh?ssl=1\n",
	    "t.conf:2: [database] url: must have no options but socket, sslmode and "
	    "sslrootcert"));
#endif
	(void)remote;
	(void)fallback;
}

int
main(void)
{
	clear_gatehouse_env();
	RUN(password_in_database_url_refused);
	RUN(password_in_database_url_query_refused);
	RUN(database_on_another_host_needs_tls);
	return test_summary();
}
