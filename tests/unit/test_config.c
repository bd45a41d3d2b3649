/*
 * test_config.c: unit tests for common/config.c: defaults, every value type
 * with its errors and their "FILE:LINE: [section] key: reason" messages,
 * environment overrides, *_file secrets, the rule list and the checks that
 * involve two keys.  Files the tests need are made in $TMPDIR (or /tmp) and
 * removed again; every GATEHOUSE_* variable a test sets is unset after it.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* setenv, mkstemp, fdopen */
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "test.h"

#define SECRET40 "0123456789abcdef0123456789abcdef01234567"

static char errbuf[1024];

/* Loads text as "t.conf"; returns the error (message in errbuf). */
static enum gh_err
load(struct config *cfg, const char *text)
{
	errbuf[0] = '\0';
	return config_load_string(cfg, "t.conf", text, errbuf, sizeof(errbuf));
}

/* Tells whether text is refused with exactly the message want. */
static bool
refused(const char *text, const char *want)
{
	struct config cfg;
	enum gh_err e = load(&cfg, text);

	if (e == GH_OK) {
		fprintf(stderr, "accepted, wanted \"%s\"\n", want);
		config_cleanup(&cfg);
		return false;
	}
	if (e != GH_ECONFIG || strcmp(errbuf, want) != 0) {
		fprintf(stderr, "got %d \"%s\"\nwanted \"%s\"\n", (int)e, errbuf, want);
		return false;
	}
	/* A failed load leaves cfg cleaned up. */
	return cfg.prefix == NULL && cfg.rules == NULL && cfg.path == NULL;
}

/* Tells whether s ends with suffix (the install directories vary). */
static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return s != NULL && n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Writes content to a fresh temporary file; its name goes into path. */
static bool
write_temp(char *path, size_t pathlen, const char *content, size_t len)
{
	const char *dir = getenv("TMPDIR");
	FILE *f;
	int fd, n;

	n = snprintf(path, pathlen, "%s/gh_test_config.XXXXXX", dir && *dir ? dir : "/tmp");
	if (n < 0 || (size_t)n >= pathlen)
		return false;
	if ((fd = mkstemp(path)) < 0)
		return false;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return false;
	}
	if (fwrite(content, 1, len, f) != len) {
		fclose(f);
		return false;
	}
	return fclose(f) == 0;
}

TEST(empty_file_gives_documented_defaults)
{
	struct config cfg;

	CHECK(load(&cfg, "") == GH_OK);
	CHECK_STR(errbuf, "");
	CHECK_STR(cfg.prefix, "/auth");
	CHECK(ends_with(cfg.templates_dir, "/share/gatehouse/templates"));
	CHECK(ends_with(cfg.sql_dir, "/share/gatehouse/sql"));
	CHECK(cfg.secret == NULL);
	CHECK(cfg.threads == 4);
	CHECK(cfg.log_level == LOG_INFO);
	CHECK(cfg.log_syslog == false);
	CHECK_STR(cfg.site_name, "Gatehouse");
	CHECK(strncmp(cfg.db_url, "sqlite:///", 10) == 0);
	CHECK(ends_with(cfg.db_url, "/var/lib/gatehouse/gatehouse.db"));
	CHECK(cfg.db_password == NULL);
	CHECK(cfg.db_busy_timeout_ms == 5000);
	CHECK_STR(cfg.cookie_name, "gatehouse");
	CHECK(cfg.insecure_cookies == false);
	CHECK(cfg.idle_timeout == 1800);
	CHECK(cfg.absolute_timeout == 43200);
	CHECK(cfg.remember_timeout == 2592000);
	CHECK(cfg.touch_interval == 60);
	CHECK_STR(cfg.default_next, "/");
	CHECK_STR(cfg.allowed_hosts, "");
	CHECK(cfg.max_body == 8192);
	CHECK(cfg.password_scheme == CONFIG_ARGON2ID);
	CHECK(cfg.bcrypt_cost == 12);
	CHECK(cfg.argon2_memory_kib == 19456);
	CHECK(cfg.argon2_time == 2);
	CHECK(cfg.argon2_parallelism == 1);
	CHECK(cfg.allow_weak_hashing == false);
	CHECK(!config_hashing_is_weak(&cfg));
	CHECK(cfg.min_password_length == 12);
	CHECK(cfg.max_password_length == 128);
	CHECK_STR(cfg.login_url, "/auth/login");
	CHECK(cfg.rules == NULL && cfg.nrules == 0);
	CHECK_STR(cfg.path, "t.conf");
	config_cleanup(&cfg);
	CHECK(cfg.prefix == NULL && cfg.path == NULL);
	config_cleanup(&cfg); /* twice is harmless */
}

TEST(values_of_every_type_parsed)
{
	struct config cfg;

	CHECK(load(&cfg, "# a comment\n"
	                 "; another\n"
	                 "\n"
	                 "[general]\n"
	                 "  prefix = /gate  \r\n"
	                 "threads=16\n"
	                 "log_level = debug\n"
	                 "log_syslog = Yes\n"
	                 "site_name = Example & Co\n"
	                 "secret = " SECRET40 "\n"
	                 "[ session ]\n"
	                 "insecure_cookies = on\n"
	                 "idle_timeout = 15m\n"
	                 "absolute_timeout = 2h\n"
	                 "remember_timeout = 7d\n"
	                 "touch_interval = 30s\n"
	                 "[login]\n"
	                 "max_body = 16KiB\n"
	                 "password_scheme = bcrypt\n"
	                 "bcrypt_cost = 10\n"
	                 "[database]\n"
	                 "url = mysql://gh@db.example.org/gatehouse?sslmode=verify-full&"
	                 "sslrootcert=/etc/ssl/db-ca.pem\n"
	                 "busy_timeout_ms = 0\n") == GH_OK);
	CHECK_STR(errbuf, "");
	CHECK_STR(cfg.prefix, "/gate");
	CHECK(cfg.threads == 16);
	CHECK(cfg.log_level == LOG_DEBUG);
	CHECK(cfg.log_syslog == true);
	CHECK_STR(cfg.site_name, "Example & Co");
	CHECK_STR(cfg.secret, SECRET40);
	CHECK(cfg.insecure_cookies == true);
	CHECK(cfg.idle_timeout == 900);
	CHECK(cfg.absolute_timeout == 7200);
	CHECK(cfg.remember_timeout == 7 * 86400);
	CHECK(cfg.touch_interval == 30);
	CHECK(cfg.max_body == 16384);
	CHECK(cfg.password_scheme == CONFIG_BCRYPT);
	CHECK(cfg.bcrypt_cost == 10);
	CHECK_STR(cfg.db_url,
	    "mysql://gh@db.example.org/gatehouse?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem");
	CHECK(cfg.db_busy_timeout_ms == 0);
	CHECK_STR(cfg.login_url, "/gate/login"); /* follows prefix */
	config_cleanup(&cfg);
}

TEST(unknown_key_error_names_file_line_and_key)
{
	CHECK(refused(
	    "[general]\nthreads = 2\ncolour = blue\n", "t.conf:3: [general] colour: unknown key"));
	/* A key of another section is unknown here. */
	CHECK(refused("[session]\nthreads = 2\n", "t.conf:2: [session] threads: unknown key"));
	/* "_file" exists only for secrets. */
	CHECK(refused(
	    "[general]\nthreads_file = /x\n", "t.conf:2: [general] threads_file: unknown key"));
}

TEST(unknown_section_and_malformed_lines_refused)
{
	CHECK(refused("[general]\n[nosuch]\nx = 1\n", "t.conf:2: [nosuch]: unknown section"));
	CHECK(refused("[general\n", "t.conf:1: malformed section header"));
	CHECK(refused("[general]\nthreads\n",
	    "t.conf:2: expected \"key = value\", \"[section]\" or a comment"));
	CHECK(refused("[general]\n = 4\n", "t.conf:2: missing key before '='"));
	CHECK(refused("threads = 4\n", "t.conf:1: threads: key before any [section]"));
	CHECK(refused("[General]\n", "t.conf:1: [General]: unknown section"));
}

TEST(duplicate_key_refused_but_rule_repeats)
{
	struct config cfg;

	CHECK(refused("[general]\nthreads = 2\n\nthreads = 3\n",
	    "t.conf:4: [general] threads: set twice (first on line 2)"));
	/* Sections may be reopened, but keys still count once. */
	CHECK(refused("[general]\nthreads = 2\n[login]\n[general]\nthreads = 3\n",
	    "t.conf:5: [general] threads: set twice (first on line 2)"));
	CHECK(load(&cfg, "[check]\nrule = bypass\nrule = bypass\n") == GH_OK);
	CHECK(cfg.nrules == 2);
	config_cleanup(&cfg);
}

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
	CHECK(refused("[database]\nurl = postgresql://gh@db.example/gh?sslmode=prefer\n", fallback));
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

TEST(bad_int_refused)
{
	CHECK(
	    refused("[general]\nthreads = four\n", "t.conf:2: [general] threads: not an integer"));
	CHECK(refused("[general]\nthreads = 4x\n", "t.conf:2: [general] threads: not an integer"));
	CHECK(
	    refused("[general]\nthreads = 0x10\n", "t.conf:2: [general] threads: not an integer"));
	CHECK(refused("[general]\nthreads =\n", "t.conf:2: [general] threads: not an integer"));
	CHECK(refused("[general]\nthreads = 99999999999999999999999\n",
	    "t.conf:2: [general] threads: not an integer"));
	CHECK(refused(
	    "[general]\nthreads = 65\n", "t.conf:2: [general] threads: must be between 1 and 64"));
	CHECK(refused(
	    "[general]\nthreads = -1\n", "t.conf:2: [general] threads: must be between 1 and 64"));
	CHECK(refused("[login]\nbcrypt_cost = 3\n",
	    "t.conf:2: [login] bcrypt_cost: must be between 4 and 31"));
	CHECK(refused("[login]\nmin_password_length = 7\n",
	    "t.conf:2: [login] min_password_length: must be between 8 and 1024"));
}

TEST(weak_hash_costs_refused_with_file_line_and_key)
{
	CHECK(refused("[login]\nbcrypt_cost = 9\n",
	    "t.conf:2: [login] bcrypt_cost: 9 is below the minimum 10 (OWASP); only tests may "
	    "set less, with [login] allow_weak_hashing = true"));
	CHECK(refused("[login]\npassword_scheme = bcrypt\n\nbcrypt_cost = 4\n",
	    "t.conf:4: [login] bcrypt_cost: 4 is below the minimum 10 (OWASP); only tests may "
	    "set less, with [login] allow_weak_hashing = true"));
	CHECK(refused("[login]\nargon2_memory_kib = 19455\n",
	    "t.conf:2: [login] argon2_memory_kib: 19455 is below the minimum 19456 (OWASP); "
	    "only tests may set less, with [login] allow_weak_hashing = true"));
	CHECK(refused("[login]\nargon2_time = 1\n",
	    "t.conf:2: [login] argon2_time: 1 is below the minimum 2 (OWASP); only tests may "
	    "set less, with [login] allow_weak_hashing = true"));
	CHECK(refused("[login]\nallow_weak_hashing = false\nargon2_memory_kib = 1024\n",
	    "t.conf:3: [login] argon2_memory_kib: 1024 is below the minimum 19456 (OWASP); "
	    "only tests may set less, with [login] allow_weak_hashing = true"));
	/* An environment override is named as such. */
	setenv("GATEHOUSE_LOGIN_ARGON2_TIME", "1", 1);
	CHECK(refused("", "environment GATEHOUSE_LOGIN_ARGON2_TIME: 1 is below the minimum 2 "
	                  "(OWASP); only tests may set less, with [login] allow_weak_hashing = "
	                  "true"));
	unsetenv("GATEHOUSE_LOGIN_ARGON2_TIME");
}

TEST(weak_hash_costs_accepted_at_floor_or_when_allowed)
{
	struct config cfg;

	CHECK(load(&cfg, "[login]\nbcrypt_cost = 10\nargon2_memory_kib = 19456\n"
	                 "argon2_time = 2\n") == GH_OK);
	CHECK(!cfg.allow_weak_hashing && !config_hashing_is_weak(&cfg));
	config_cleanup(&cfg);
	CHECK(load(&cfg, "[login]\nallow_weak_hashing = true\nbcrypt_cost = 4\n"
	                 "argon2_memory_kib = 1024\nargon2_time = 1\n") == GH_OK);
	CHECK_STR(errbuf, "");
	CHECK(cfg.allow_weak_hashing && config_hashing_is_weak(&cfg));
	CHECK(cfg.bcrypt_cost == 4 && cfg.argon2_memory_kib == 1024 && cfg.argon2_time == 1);
	config_cleanup(&cfg);
	setenv("GATEHOUSE_LOGIN_ALLOW_WEAK_HASHING", "yes", 1);
	CHECK(load(&cfg, "[login]\nargon2_time = 1\n") == GH_OK);
	CHECK(cfg.argon2_time == 1);
	config_cleanup(&cfg);
	unsetenv("GATEHOUSE_LOGIN_ALLOW_WEAK_HASHING");
}

TEST(bad_duration_refused)
{
	CHECK(refused("[session]\nidle_timeout = 10 minutes\n",
	    "t.conf:2: [session] idle_timeout: not a duration (seconds, or a number with s, m, "
	    "h or d)"));
	CHECK(refused("[session]\nidle_timeout = 1w\n",
	    "t.conf:2: [session] idle_timeout: not a duration (seconds, or a number with s, m, "
	    "h or d)"));
	CHECK(refused("[session]\nidle_timeout = -5m\n",
	    "t.conf:2: [session] idle_timeout: not a duration (seconds, or a number with s, m, "
	    "h or d)"));
	CHECK(refused("[session]\nidle_timeout = 0\n",
	    "t.conf:2: [session] idle_timeout: must be between 1 and 31536000 seconds"));
	CHECK(refused("[session]\nabsolute_timeout = 9999999999999999999d\n",
	    "t.conf:2: [session] absolute_timeout: not a duration (seconds, or a number with "
	    "s, m, h or d)"));
}

TEST(bad_bool_size_and_choice_refused)
{
	CHECK(refused("[session]\ninsecure_cookies = maybe\n",
	    "t.conf:2: [session] insecure_cookies: not a boolean (true/false, yes/no, on/off, "
	    "1/0)"));
	CHECK(refused("[login]\nmax_body = 2M\n",
	    "t.conf:2: [login] max_body: must be between 1024 and 1048576 bytes"));
	CHECK(refused("[login]\nmax_body = 512\n",
	    "t.conf:2: [login] max_body: must be between 1024 and 1048576 bytes"));
	CHECK(refused("[login]\npassword_scheme = md5\n",
	    "t.conf:2: [login] password_scheme: must be argon2id or bcrypt"));
	CHECK(refused("[general]\nlog_level = loud\n",
	    "t.conf:2: [general] log_level: must be error, warning, info or debug"));
	CHECK(refused("[database]\nurl = /var/lib/gatehouse.db\n",
	    "t.conf:2: [database] url: must start with sqlite://, mysql:// or postgresql://"));
	CHECK(refused("[general]\nprefix = /auth/\n",
	    "t.conf:2: [general] prefix: must be empty or a path like /auth, without a trailing "
	    "'/'"));
}

TEST(size_suffixes_accepted)
{
	struct config cfg;

	CHECK(load(&cfg, "[login]\nmax_body = 1M\n") == GH_OK);
	CHECK(cfg.max_body == 1048576);
	config_cleanup(&cfg);
	CHECK(load(&cfg, "[login]\nmax_body = 4k\n") == GH_OK);
	CHECK(cfg.max_body == 4096);
	config_cleanup(&cfg);
}

TEST(cookie_name_must_be_token)
{
	struct config cfg;

	CHECK(refused("[session]\ncookie_name = my cookie\n",
	    "t.conf:2: [session] cookie_name: may hold only letters, digits and "
	    "!#$%&'*+-.^_`|~"));
	CHECK(refused("[session]\ncookie_name = a;b\n",
	    "t.conf:2: [session] cookie_name: may hold only letters, digits and "
	    "!#$%&'*+-.^_`|~"));
	CHECK(refused("[session]\ncookie_name =\n",
	    "t.conf:2: [session] cookie_name: must be 1 to 64 characters long"));
	CHECK(refused("[session]\ncookie_name = __Host-x\n",
	    "t.conf:2: [session] cookie_name: must not start with __Host- or __Secure- (added "
	    "over HTTPS)"));
	CHECK(load(&cfg, "[session]\ncookie_name = gh_sid-2\n") == GH_OK);
	CHECK_STR(cfg.cookie_name, "gh_sid-2");
	config_cleanup(&cfg);
}

TEST(line_over_4096_bytes_refused)
{
	char *text = malloc(5000);

	CHECK(text != NULL);
	if (text == NULL)
		return;
	memcpy(text, "[general]\nsite_name = ", 22);
	memset(text + 22, 'x', 4200);
	memcpy(text + 22 + 4200, "\n", 2);
	CHECK(refused(text, "t.conf:2: line longer than 4096 bytes"));
	free(text);
}

TEST(env_override_wins)
{
	struct config cfg;

	setenv("GATEHOUSE_SESSION_IDLE_TIMEOUT", "5m", 1);
	setenv("GATEHOUSE_GENERAL_SITE_NAME", "From Env", 1);
	CHECK(load(&cfg, "[session]\nidle_timeout = 1h\n") == GH_OK);
	CHECK(cfg.idle_timeout == 300);
	CHECK_STR(cfg.site_name, "From Env");
	config_cleanup(&cfg);
	unsetenv("GATEHOUSE_SESSION_IDLE_TIMEOUT");
	unsetenv("GATEHOUSE_GENERAL_SITE_NAME");
}

TEST(env_override_replaces_bad_file_value)
{
	struct config cfg;

	/* The overridden value is never parsed. */
	setenv("GATEHOUSE_GENERAL_THREADS", "8", 1);
	CHECK(load(&cfg, "[general]\nthreads = many\n") == GH_OK);
	CHECK(cfg.threads == 8);
	config_cleanup(&cfg);
	unsetenv("GATEHOUSE_GENERAL_THREADS");
}

TEST(bad_env_value_names_variable)
{
	setenv("GATEHOUSE_SESSION_IDLE_TIMEOUT", "soon", 1);
	CHECK(refused("", "environment GATEHOUSE_SESSION_IDLE_TIMEOUT: not a duration "
	                  "(seconds, or a number with s, m, h or d)"));
	setenv("GATEHOUSE_SESSION_IDLE_TIMEOUT", "1m\n", 1);
	CHECK(
	    refused("", "environment GATEHOUSE_SESSION_IDLE_TIMEOUT: control character in value"));
	unsetenv("GATEHOUSE_SESSION_IDLE_TIMEOUT");
}

TEST(secret_file_first_line_read)
{
	struct config cfg;
	char path[256], text[512];
	int n;

	CHECK(write_temp(path, sizeof(path), SECRET40 "\r\nsecond line\n",
	    strlen(SECRET40 "\r\nsecond line\n")));
	n = snprintf(text, sizeof(text),
	    "[general]\nsecret_file = %s\n[database]\n"
	    "password_file = %s\n",
	    path, path);
	CHECK(n > 0 && (size_t)n < sizeof(text));
	CHECK(load(&cfg, text) == GH_OK);
	CHECK_STR(errbuf, "");
	CHECK_STR(cfg.secret, SECRET40);
	CHECK_STR(cfg.db_password, SECRET40);
	config_cleanup(&cfg);
	CHECK(cfg.secret == NULL && cfg.db_password == NULL);

	/* Through the environment as well. */
	setenv("GATEHOUSE_GENERAL_SECRET_FILE", path, 1);
	CHECK(load(&cfg, "[general]\nsecret = too short\n") == GH_OK);
	CHECK_STR(cfg.secret, SECRET40);
	config_cleanup(&cfg);
	unsetenv("GATEHOUSE_GENERAL_SECRET_FILE");
	unlink(path);
}

TEST(secret_and_secret_file_both_set_refused)
{
	CHECK(refused("[general]\nsecret = " SECRET40 "\nsecret_file = /etc/gh/secret\n",
	    "t.conf:3: [general] secret_file: secret is already set on line 2; set one of them "
	    "only"));
	CHECK(refused("[database]\npassword_file = /a\npassword = b\n",
	    "t.conf:3: [database] password: password_file is already set on line 2; set one of "
	    "them only"));
	setenv("GATEHOUSE_GENERAL_SECRET", SECRET40, 1);
	setenv("GATEHOUSE_GENERAL_SECRET_FILE", "/etc/gh/secret", 1);
	CHECK(refused("", "environment GATEHOUSE_GENERAL_SECRET_FILE: GATEHOUSE_GENERAL_SECRET "
	                  "is also set; set one of them only"));
	unsetenv("GATEHOUSE_GENERAL_SECRET");
	unsetenv("GATEHOUSE_GENERAL_SECRET_FILE");
}

TEST(missing_secret_file_error_names_file_and_cause)
{
	CHECK(refused("[general]\n\nsecret_file = /nonexistent/gh/secret\n",
	    "t.conf:3: [general] secret_file: cannot read /nonexistent/gh/secret: No such file "
	    "or directory"));
	CHECK(refused("[general]\nsecret_file = secret.txt\n",
	    "t.conf:2: [general] secret_file: must be an absolute path"));
	setenv("GATEHOUSE_DATABASE_PASSWORD_FILE", "/nonexistent/pw", 1);
	CHECK(refused("", "environment GATEHOUSE_DATABASE_PASSWORD_FILE: cannot read "
	                  "/nonexistent/pw: No such file or directory"));
	unsetenv("GATEHOUSE_DATABASE_PASSWORD_FILE");
}

TEST(empty_or_nul_secret_file_refused)
{
	char path[256], text[512], want[512];
	int n;

	CHECK(write_temp(
	    path, sizeof(path), "\nsecret on line two\n", strlen("\nsecret on line two\n")));
	n = snprintf(text, sizeof(text), "[general]\nsecret_file = %s\n", path);
	CHECK(n > 0 && (size_t)n < sizeof(text));
	n = snprintf(want, sizeof(want),
	    "t.conf:2: [general] secret_file: %s: first line is "
	    "empty",
	    path);
	CHECK(n > 0 && (size_t)n < sizeof(want));
	CHECK(refused(text, want));
	unlink(path);

	/* A NUL byte would cut the secret short without a word. */
	CHECK(write_temp(path, sizeof(path), SECRET40 "\0" SECRET40 "\n", 82));
	n = snprintf(text, sizeof(text), "[general]\nsecret_file = %s\n", path);
	CHECK(n > 0 && (size_t)n < sizeof(text));
	n = snprintf(want, sizeof(want),
	    "t.conf:2: [general] secret_file: %s: NUL byte in first "
	    "line",
	    path);
	CHECK(n > 0 && (size_t)n < sizeof(want));
	CHECK(refused(text, want));
	unlink(path);
}

TEST(short_secret_refused_without_echo)
{
	CHECK(refused("[general]\nsecret = hunter2\n",
	    "t.conf:2: [general] secret: must be at least 32 bytes long"));
	CHECK(strstr(errbuf, "hunter2") == NULL);
}

TEST(rule_list_keeps_file_order)
{
	struct config cfg;

	CHECK(load(&cfg, "[check]\n"
	                 "rule = path:/public/* bypass\n"
	                 "rule = path:/admin/* require:role:admin\n"
	                 "login_url = https://login.example.org/auth/login\n"
	                 "rule = path:/* require:login\n") == GH_OK);
	CHECK(cfg.nrules == 3);
	if (cfg.nrules == 3) {
		CHECK_STR(cfg.rules[0].path, "/public/**");
		CHECK(cfg.rules[0].action == ACCESS_BYPASS);
		CHECK_STR(cfg.rules[1].path, "/admin/**");
		CHECK(cfg.rules[1].action == ACCESS_ROLE);
		CHECK_STR(cfg.rules[1].role, "admin");
		CHECK_STR(cfg.rules[2].path, "/**");
		CHECK(cfg.rules[2].action == ACCESS_LOGIN);
	}
	CHECK_STR(cfg.login_url, "https://login.example.org/auth/login");
	config_cleanup(&cfg);
}

TEST(bad_rule_names_its_line)
{
	CHECK(refused("[check]\nrule = bypass\nrule = path:/x\n",
	    "t.conf:3: [check] rule: no action (use bypass, require:login or "
	    "require:role:NAME)"));
	CHECK(refused("[check]\nrule = path:/admin/* require:role:\n",
	    "t.conf:2: [check] rule: empty role name in require:role:"));
}

TEST(env_rule_override_replaces_whole_list)
{
	struct config cfg;

	setenv("GATEHOUSE_CHECK_RULE",
	    "host:a.example.org bypass\n path:/x/* require:role:x ; require:login;", 1);
	CHECK(load(&cfg, "[check]\nrule = path:/file/* bypass\n") == GH_OK);
	CHECK(cfg.nrules == 3);
	if (cfg.nrules == 3) {
		CHECK_STR(cfg.rules[0].host, "a.example.org");
		CHECK(cfg.rules[0].action == ACCESS_BYPASS);
		CHECK_STR(cfg.rules[1].role, "x");
		CHECK(cfg.rules[2].action == ACCESS_LOGIN && cfg.rules[2].path == NULL);
	}
	config_cleanup(&cfg);

	/* An empty override leaves no rule: everything is denied. */
	setenv("GATEHOUSE_CHECK_RULE", "", 1);
	CHECK(load(&cfg, "[check]\nrule = bypass\n") == GH_OK);
	CHECK(cfg.nrules == 0 && cfg.rules == NULL);
	config_cleanup(&cfg);

	setenv("GATEHOUSE_CHECK_RULE", "bypass;path:/x bypass bypass", 1);
	CHECK(refused("", "environment GATEHOUSE_CHECK_RULE: rule 2: more than one action"));
	unsetenv("GATEHOUSE_CHECK_RULE");
}

TEST(unsafe_default_next_refused)
{
	struct config cfg;
	static const char want[] = "not a safe redirect target (a path like /, or an http(s) "
	                           "URL on one of allowed_hosts)";
	char msg[256];

	snprintf(msg, sizeof(msg), "t.conf:2: [login] default_next: %s", want);
	CHECK(refused("[login]\ndefault_next = //evil.example/\n", msg));
	CHECK(refused("[login]\ndefault_next = javascript:alert(1)\n", msg));
	CHECK(refused("[login]\ndefault_next = https://evil.example/\n", msg));
	/* An absolute URL is fine once its host is allowed. */
	CHECK(load(&cfg, "[login]\ndefault_next = https://app.example.org/home\n"
	                 "allowed_hosts = app.example.org  www.example.org\n") == GH_OK);
	CHECK_STR(cfg.default_next, "https://app.example.org/home");
	config_cleanup(&cfg);
	CHECK(refused("[login]\nallowed_hosts = *.example.org\n",
	    "t.conf:2: [login] allowed_hosts: must be exact host names separated by spaces (no "
	    "wildcards)"));
}

TEST(password_length_limits_checked_together)
{
	struct config cfg;

	CHECK(refused("[login]\nmin_password_length = 100\nmax_password_length = 64\n",
	    "t.conf:3: [login] max_password_length: max_password_length (64) is less than "
	    "min_password_length (100)"));
	CHECK(refused("[login]\nmin_password_length = 200\n",
	    "t.conf:2: [login] min_password_length: max_password_length (128) is less than "
	    "min_password_length (200)"));
	CHECK(refused("[login]\nmax_password_length = 5000\n",
	    "t.conf:2: [login] max_password_length: must be between 64 and 4096"));
	CHECK(load(&cfg, "[login]\nmin_password_length = 64\nmax_password_length = 64\n") == GH_OK);
	config_cleanup(&cfg);
}

TEST(touch_interval_must_be_below_idle_timeout)
{
	CHECK(refused("[session]\nidle_timeout = 30s\n",
	    "t.conf:2: [session] idle_timeout: touch_interval (60 s) must be shorter than "
	    "idle_timeout (30 s)"));
}

TEST(load_reads_file_and_reports_missing_one)
{
	struct config cfg;
	char path[256], want[512];
	int n;

	CHECK(write_temp(
	    path, sizeof(path), "[general]\nthreads = 7\n", strlen("[general]\nthreads = 7\n")));
	CHECK(config_load(&cfg, path, errbuf, sizeof(errbuf)) == GH_OK);
	CHECK(cfg.threads == 7);
	CHECK_STR(cfg.path, path);
	config_cleanup(&cfg);

	/* NULL finds the file through $GATEHOUSE_CONFIG. */
	setenv("GATEHOUSE_CONFIG", path, 1);
	CHECK_STR(config_default_path(), path);
	CHECK(config_load(&cfg, NULL, errbuf, sizeof(errbuf)) == GH_OK);
	CHECK(cfg.threads == 7);
	config_cleanup(&cfg);
	unsetenv("GATEHOUSE_CONFIG");
	CHECK(config_default_path()[0] == '/');
	CHECK(ends_with(config_default_path(), "/etc/gatehouse/gatehouse.conf"));
	unlink(path);

	CHECK(
	    config_load(&cfg, "/nonexistent/gatehouse.conf", errbuf, sizeof(errbuf)) == GH_ECONFIG);
	CHECK_STR(errbuf, "/nonexistent/gatehouse.conf: cannot read: No such file or directory");
	CHECK(cfg.path == NULL);

	/* Errors name the real file. */
	CHECK(write_temp(
	    path, sizeof(path), "[general]\nbogus = 1\n", strlen("[general]\nbogus = 1\n")));
	CHECK(config_load(&cfg, path, errbuf, sizeof(errbuf)) == GH_ECONFIG);
	n = snprintf(want, sizeof(want), "%s:2: [general] bogus: unknown key", path);
	CHECK(n > 0 && (size_t)n < sizeof(want));
	CHECK_STR(errbuf, want);
	unlink(path);
}

TEST(file_over_1_mib_or_with_nul_refused)
{
	struct config cfg;
	char path[256], want[512];
	size_t big = 1024 * 1024 + 1;
	char *text = malloc(big);

	CHECK(text != NULL);
	if (text == NULL)
		return;
	memset(text, '\n', big);
	CHECK(write_temp(path, sizeof(path), text, big));
	CHECK(config_load(&cfg, path, errbuf, sizeof(errbuf)) == GH_ECONFIG);
	snprintf(want, sizeof(want), "%s: larger than 1 MiB", path);
	CHECK_STR(errbuf, want);
	unlink(path);
	/* Exactly 1 MiB is fine. */
	CHECK(write_temp(path, sizeof(path), text, big - 1));
	CHECK(config_load(&cfg, path, errbuf, sizeof(errbuf)) == GH_OK);
	config_cleanup(&cfg);
	unlink(path);
	free(text);

	CHECK(write_temp(path, sizeof(path), "[general]\nsite_name = a\0b\n",
	    sizeof("[general]\nsite_name = a\0b\n") - 1));
	CHECK(config_load(&cfg, path, errbuf, sizeof(errbuf)) == GH_ECONFIG);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
	CHECK_STR(errbuf, want);
	unlink(path);
}

TEST(small_error_buffer_is_safe)
{
	struct config cfg;
	char small[8];

	CHECK(config_load_string(&cfg, "t.conf", "[x]\n", small, sizeof(small)) == GH_ECONFIG);
	CHECK_STR(small, "t.conf:");
	CHECK(config_load_string(&cfg, "t.conf", "[x]\n", NULL, 0) == GH_ECONFIG);
}

/* Unsets every GATEHOUSE_* variable, so none leaks in from outside. */
static void
clear_gatehouse_env(void)
{
	extern char **environ;
	char name[256];
	size_t i, n;
	int found;

	do {
		found = 0;
		for (i = 0; environ != NULL && environ[i] != NULL; i++) {
			if (strncmp(environ[i], "GATEHOUSE_", 10) != 0)
				continue;
			n = strcspn(environ[i], "=");
			if (n >= sizeof(name))
				continue;
			memcpy(name, environ[i], n);
			name[n] = '\0';
			unsetenv(name);
			found = 1;
			break;
		}
	} while (found);
}

/* Every key the configuration knows has its entry in gatehouse.conf(5):
 * ".TP" (or ".TQ") then ".BR name \" (" within the page's ".SS [section]". */
TEST(every_key_documented_in_its_section)
{
	char path[4096], want[160];
	const char *section, *name;
	FILE *f;
	static char page[256 * 1024];
	size_t n;

	snprintf(path, sizeof(path), "%s/doc/gatehouse.conf.5", test_srcdir());
	CHECK((f = fopen(path, "r")) != NULL);
	if (f == NULL)
		return;
	n = fread(page, 1, sizeof(page) - 1, f);
	fclose(f);
	page[n] = '\0';
	CHECK(n > 0 && n < sizeof(page) - 1);
	for (size_t i = 0; config_key_at(i, &section, &name); i++) {
		const char *start, *end, *hit;

		snprintf(want, sizeof(want), "\n.SS [%s]\n", section);
		start = strstr(page, want);
		end = start != NULL ? strstr(start + 1, "\n.S") : NULL;
		/* A paragraph of its own (.TP), or one shared with the key
		 * before it (.TQ). */
		snprintf(want, sizeof(want), "\n.TP\n.BR %s \" (", name);
		hit = start != NULL ? strstr(start, want) : NULL;
		if (hit == NULL || (end != NULL && hit > end)) {
			want[3] = 'Q'; /* \n.TQ */
			hit = start != NULL ? strstr(start, want) : NULL;
		}
		if (start == NULL || hit == NULL || (end != NULL && hit > end)) {
			fprintf(stderr, "[%s] %s: not in gatehouse.conf(5)\n", section, name);
			CHECK(false);
		}
	}
}

int
main(void)
{
	clear_gatehouse_env();
	RUN(empty_file_gives_documented_defaults);
	RUN(values_of_every_type_parsed);
	RUN(unknown_key_error_names_file_line_and_key);
	RUN(unknown_section_and_malformed_lines_refused);
	RUN(duplicate_key_refused_but_rule_repeats);
	RUN(password_in_database_url_refused);
	RUN(password_in_database_url_query_refused);
	RUN(database_on_another_host_needs_tls);
	RUN(every_key_documented_in_its_section);
	RUN(bad_int_refused);
	RUN(weak_hash_costs_refused_with_file_line_and_key);
	RUN(weak_hash_costs_accepted_at_floor_or_when_allowed);
	RUN(bad_duration_refused);
	RUN(bad_bool_size_and_choice_refused);
	RUN(size_suffixes_accepted);
	RUN(cookie_name_must_be_token);
	RUN(line_over_4096_bytes_refused);
	RUN(env_override_wins);
	RUN(env_override_replaces_bad_file_value);
	RUN(bad_env_value_names_variable);
	RUN(secret_file_first_line_read);
	RUN(secret_and_secret_file_both_set_refused);
	RUN(missing_secret_file_error_names_file_and_cause);
	RUN(empty_or_nul_secret_file_refused);
	RUN(short_secret_refused_without_echo);
	RUN(rule_list_keeps_file_order);
	RUN(bad_rule_names_its_line);
	RUN(env_rule_override_replaces_whole_list);
	RUN(unsafe_default_next_refused);
	RUN(password_length_limits_checked_together);
	RUN(touch_interval_must_be_below_idle_timeout);
	RUN(load_reads_file_and_reports_missing_one);
	RUN(file_over_1_mib_or_with_nul_refused);
	RUN(small_error_buffer_is_safe);
	return test_summary();
}
