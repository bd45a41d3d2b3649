/*
 * test_backend.h: the databases a unit test suite runs on.
 *
 * A suite that touches the database runs once per backend: SQLite on a
 * file in a temporary folder, then MariaDB and PostgreSQL as throwaway
 * servers that tests/dbserver.sh starts in a temporary folder (own data
 * directory, a free loopback port and a Unix socket, its own account with a
 * password) and that are stopped and removed when the suite is done.  A
 * backend whose driver was not built (configure found no client library)
 * is skipped with a "skip - ..." line; a server that does not start is a
 * failure, never a skip.
 */
#ifndef GH_TEST_BACKEND_H
#define GH_TEST_BACKEND_H

#include <sys/stat.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "migrate.h"
#include "test.h"

#define TEST_BACKENDS 3

struct test_backend {
	const char *name;        /* "sqlite", "mariadb", "postgresql" (dbserver.sh's names) */
	const char *dialect;     /* db_dialect_name(db_dialect()), the folder in sql/ */
	bool built;              /* the driver is compiled in */
	const char *with;        /* the configure switch that builds it */
	char tmp[PATH_MAX];      /* the temporary folder */
	char url[PATH_MAX + 64]; /* over TCP for the servers */
	char socket_url[PATH_MAX + 128]; /* over the Unix socket (servers) */
	char password[128];              /* "" for SQLite */
	bool server;                     /* a server runs in tmp/db */
};

static struct test_backend test_backends[TEST_BACKENDS] = {
    {.name = "sqlite", .dialect = "sqlite", .built = true},
    {.name = "mariadb",
        .dialect = "mysql",
        .with = "--with-mysql",
#ifdef HAVE_MYSQL
        .built = true
#endif
    },
    {.name = "postgresql",
        .dialect = "postgresql",
        .with = "--with-pgsql",
#ifdef HAVE_PGSQL
        .built = true
#endif
    },
};

/* test_chomp cuts s at its first newline. */
static inline void
test_chomp(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
}

/* test_backend_skip says why b is not tested. */
static inline void
test_backend_skip(const struct test_backend *b)
{
	char why[128];

	snprintf(
	    why, sizeof(why), "driver not built (configure %s needs its client library)", b->with);
	test_skip(b->name, why);
}

/* test_backend_start makes b's temporary folder and, for a server, starts
 * it; false (said on stderr) when that fails. */
static inline bool
test_backend_start(struct test_backend *b)
{
	char cmd[2 * PATH_MAX + 128], path[PATH_MAX + 32];
	FILE *f;
	bool ok;

	b->server = false;
	b->password[0] = '\0';
	snprintf(b->tmp, sizeof(b->tmp), "/tmp/gh-test-%s-XXXXXX", b->name);
	if (mkdtemp(b->tmp) == NULL) {
		perror("mkdtemp");
		return false;
	}
	if (strcmp(b->name, "sqlite") == 0) {
		snprintf(b->url, sizeof(b->url), "sqlite://%s/gh.db", b->tmp);
		return true;
	}
	/* The server runs as its own user when the tests run as root: that
	 * user must reach tmp/db. */
	if (chmod(b->tmp, 0755) != 0) {
		perror(b->tmp);
		return false;
	}
	snprintf(cmd, sizeof(cmd), "'%s/tests/dbserver.sh' start %s '%s/db'", test_srcdir(),
	    b->name, b->tmp);
	if ((f = popen(cmd, "r")) == NULL) {
		perror("popen");
		return false;
	}
	ok = fgets(b->url, sizeof(b->url), f) != NULL &&
	     fgets(b->socket_url, sizeof(b->socket_url), f) != NULL;
	if (pclose(f) != 0 || !ok) {
		fprintf(stderr, "%s: could not start the %s server\n", cmd, b->name);
		return false;
	}
	b->server = true;
	test_chomp(b->url);
	test_chomp(b->socket_url);
	snprintf(path, sizeof(path), "%s/db/password", b->tmp);
	if ((f = fopen(path, "r")) == NULL || fgets(b->password, sizeof(b->password), f) == NULL) {
		perror(path);
		if (f != NULL)
			fclose(f);
		return false;
	}
	fclose(f);
	test_chomp(b->password);
	return true;
}

/* test_backend_stop stops b's server and removes its temporary folder. */
static inline void
test_backend_stop(struct test_backend *b)
{
	char cmd[2 * PATH_MAX + 128];

	if (b->server) {
		snprintf(cmd, sizeof(cmd), "'%s/tests/dbserver.sh' stop %s '%s/db'", test_srcdir(),
		    b->name, b->tmp);
		if (system(cmd) != 0)
			fprintf(stderr, "%s failed\n", cmd);
		b->server = false;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->tmp);
	if (b->tmp[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", b->tmp);
}

/* test_backend_open opens a new connection to b's database (NULL, said on
 * stderr, when it fails). */
static inline struct db *
test_backend_open(const struct test_backend *b, int64_t busy_ms)
{
	struct db *db = NULL;

	if (db_open(b->url, b->password[0] != '\0' ? b->password : NULL, busy_ms, &db) != GH_OK)
		fprintf(stderr, "cannot open the %s database\n", b->name);
	return db;
}

/* test_backend_open_schema opens b's database with the real migrations of
 * sql/ applied (NULL, said on stderr, when that fails). */
static inline struct db *
test_backend_open_schema(const struct test_backend *b, int64_t busy_ms)
{
	char sqldir[PATH_MAX];
	struct db *db = test_backend_open(b, busy_ms);

	snprintf(sqldir, sizeof(sqldir), "%s/sql", test_srcdir());
	if (db != NULL && migrate_up(db, sqldir, NULL, NULL) != GH_OK) {
		fprintf(stderr, "cannot set up the %s database\n", b->name);
		db_close(db);
		db = NULL;
	}
	return db;
}

/* test_backend_reset empties b's database, as new; false when it fails. */
static inline bool
test_backend_reset(const struct test_backend *b)
{
	char path[PATH_MAX + 32];
	struct db *db;
	enum gh_err e;

	if (strcmp(b->name, "sqlite") == 0) {
		snprintf(path, sizeof(path), "%s/gh.db", b->tmp);
		unlink(path);
		snprintf(path, sizeof(path), "%s/gh.db-wal", b->tmp);
		unlink(path);
		snprintf(path, sizeof(path), "%s/gh.db-shm", b->tmp);
		unlink(path);
		return true;
	}
	if ((db = test_backend_open(b, 1000)) == NULL)
		return false;
	if (strcmp(b->name, "mariadb") == 0)
		e = db_exec(db, "DROP DATABASE gatehouse; CREATE DATABASE gatehouse "
		                "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
	else
		e = db_exec(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
	db_close(db);
	return e == GH_OK;
}

/* test_table_exists tells whether the current database has table name. */
static inline bool
test_table_exists(struct db *db, const char *name)
{
	static const char *const sql[DB_NDIALECTS] = {
	    [DB_SQLITE] = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
	    [DB_MYSQL] = "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
	                 "DATABASE() AND table_name = ?",
	    [DB_POSTGRESQL] = "SELECT count(*) FROM information_schema.tables WHERE "
	                      "table_schema = current_schema() AND table_name = ?",
	};
	struct db_stmt *st;
	bool row = false;
	int64_t n = 0;

	if (db_prepare(db, sql[db_dialect(db)], &st) != GH_OK)
		return false;
	if (db_bind_text(st, 1, name) == GH_OK && db_step(st, &row) == GH_OK && row)
		n = db_column_int64(st, 0);
	db_done(st);
	return n > 0;
}

/* test_now_ms returns a monotonic clock in milliseconds. */
static inline int64_t
test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* test_query_int returns the first column of sql's first row, -1 when it
 * fails or has no row. */
static inline int64_t
test_query_int(struct db *db, const char *sql)
{
	struct db_stmt *st;
	bool row = false;
	int64_t n = -1;

	if (db_prepare(db, sql, &st) == GH_OK && db_step(st, &row) == GH_OK && row)
		n = db_column_int64(st, 0);
	db_done(st);
	return n;
}

/*
 * test_table_open opens a new connection to b's database with an empty
 * table t: an auto-increment id that starts at 1, a unique name, an
 * integer n and a long text body.  The tables a test may have left that
 * refer to t (child, late) are dropped first.  NULL when that fails.
 */
static inline struct db *
test_table_open(const struct test_backend *b, int64_t busy_ms)
{
	static const char *const create[DB_NDIALECTS] = {
	    [DB_SQLITE] = "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, "
	                  "name VARCHAR(255) UNIQUE, n BIGINT, body TEXT)",
	    [DB_MYSQL] = "CREATE TABLE t (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
	                 "name VARCHAR(255) UNIQUE, n BIGINT, body LONGTEXT) "
	                 "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	    [DB_POSTGRESQL] = "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY "
	                      "PRIMARY KEY, name VARCHAR(255) UNIQUE, n BIGINT, body TEXT)",
	};
	struct db *db = test_backend_open(b, busy_ms);

	if (db == NULL)
		return NULL;
	if (db_exec(db, "DROP TABLE IF EXISTS late") != GH_OK ||
	    db_exec(db, "DROP TABLE IF EXISTS child") != GH_OK ||
	    db_exec(db, "DROP TABLE IF EXISTS t") != GH_OK ||
	    db_exec(db, create[db_dialect(db)]) != GH_OK) {
		fprintf(stderr, "cannot make table t on %s\n", b->name);
		db_close(db);
		return NULL;
	}
	return db;
}

/* test_table_rows counts the rows of table t (-1 when that fails). */
static inline int64_t
test_table_rows(struct db *db)
{
	return test_query_int(db, "SELECT count(*) FROM t");
}

/* test_backend_mysqld_pid returns the pid of b's MariaDB server (its one
 * process), read from its pid file, or -1. */
static inline long
test_backend_mysqld_pid(const struct test_backend *b)
{
	char path[PATH_MAX + 64], line[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/db/mysqld.pid", b->tmp);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	return atol(line);
}

/* The backend test_backend_main runs the suite on now. */
static struct test_backend *test_cur;

/* Which backends test_backend_main runs a suite on. */
enum test_backends_wanted { TEST_EVERY_BACKEND, TEST_SERVER_BACKENDS };

/*
 * test_backend_main is the main of every suite that runs on the databases:
 * for each wanted backend whose driver is built (the others get a skip
 * line) it makes it test_cur, starts it and calls set_up (may be NULL); the
 * line "backend_set_up" says whether both went well, and only then run
 * suite() (its RUN lines) and tear_down (may be NULL).  The backend is
 * stopped and removed after each.  Returns test_summary().
 */
static inline int
test_backend_main(enum test_backends_wanted wanted, bool (*set_up)(struct test_backend *b),
    void (*suite)(void), void (*tear_down)(void))
{
	for (int i = wanted == TEST_SERVER_BACKENDS ? 1 : 0; i < TEST_BACKENDS; i++) {
		struct test_backend *b = &test_backends[i];
		bool ok;

		if (!b->built) {
			test_backend_skip(b);
			continue;
		}
		printf("# %s\n", b->name);
		test_cur = b;
		ok = test_backend_start(b) && (set_up == NULL || set_up(b));
		if (ok) {
			test_passed++;
			printf("ok - backend_set_up\n");
			suite();
			if (tear_down != NULL)
				tear_down();
		} else {
			test_failed++;
			printf("not ok - backend_set_up\n");
		}
		test_backend_stop(b);
	}
	return test_summary();
}

#endif
