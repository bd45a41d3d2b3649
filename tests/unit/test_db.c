/*
 * test_db.c: what only the SQLite driver does, on a temporary file: its
 * URLs, its pragmas, its statement cache growing, its write lock (waited
 * for in naps up to the busy timeout) and its online backup.  What every driver does alike is
 * test_db_contract.c's.
 */
#include <sys/stat.h>

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "test.h"

static char tmpdir[PATH_MAX];

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
tmp_make(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/gh-test-db-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
}

static void
tmp_remove(const char *name)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
}

/* open_db_busy opens (creating) tmpdir/name with a small table t and a
 * busy timeout of busy_ms; open_db with 200 ms. */
static struct db *
open_db_busy(const char *name, int64_t busy_ms)
{
	char url[PATH_MAX + 64];
	struct db *db = NULL;

	snprintf(url, sizeof(url), "sqlite://%s/%s", tmpdir, name);
	if (db_open(url, NULL, busy_ms, &db) != GH_OK)
		return NULL;
	if (db_exec(db, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, "
	                "name TEXT UNIQUE, n INTEGER)") != GH_OK) {
		db_close(db);
		return NULL;
	}
	return db;
}

static struct db *
open_db(const char *name)
{
	return open_db_busy(name, 200);
}

static void
close_db(struct db *db, const char *name)
{
	char n[128];

	db_close(db);
	tmp_remove(name);
	snprintf(n, sizeof(n), "%s-wal", name);
	tmp_remove(n);
	snprintf(n, sizeof(n), "%s-shm", name);
	tmp_remove(n);
}

TEST(open_unknown_scheme_refused)
{
	struct db *db = (struct db *)1;

	CHECK(db_open("oracle://x/y", NULL, 0, &db) == GH_ECONFIG);
	CHECK(db == NULL);
	CHECK(db_open("sqlitex:///tmp/x.db", NULL, 0, &db) == GH_ECONFIG);
	CHECK(db_open("", NULL, 0, &db) == GH_ECONFIG);
}

TEST(open_sqlite_url_with_host_refused)
{
	struct db *db = NULL;

	CHECK(db_open("sqlite://somehost/x.db", NULL, 0, &db) == GH_ECONFIG);
	CHECK(db_open("sqlite:", NULL, 0, &db) == GH_ECONFIG);
	CHECK(db == NULL);
}

TEST(open_missing_folder_fails)
{
	char url[PATH_MAX + 64];
	struct db *db = NULL;

	snprintf(url, sizeof(url), "sqlite://%s/no/such/dir/x.db", tmpdir);
	CHECK(db_open(url, NULL, 0, &db) == GH_EDB);
	CHECK(db == NULL);
}

TEST(open_relative_url_creates_file)
{
	char cwd[PATH_MAX], path[PATH_MAX + 64];
	struct db *db = NULL;
	struct stat sb;

	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(tmpdir) != 0) {
		CHECK(!"chdir");
		return;
	}
	CHECK(db_open("sqlite:rel.db", NULL, 0, &db) == GH_OK);
	CHECK(chdir(cwd) == 0);
	snprintf(path, sizeof(path), "%s/rel.db", tmpdir);
	CHECK(stat(path, &sb) == 0);
	CHECK(db != NULL && db_dialect(db) == DB_SQLITE);
	CHECK_STR(db_dialect_name(DB_SQLITE), "sqlite");
	CHECK_STR(db_dialect_name(DB_MYSQL), "mysql");
	CHECK_STR(db_dialect_name(DB_POSTGRESQL), "postgresql");
	CHECK_STR(db_dialect_name((enum db_dialect)DB_NDIALECTS), "unknown");
	close_db(db, "rel.db");
}

TEST(open_sets_wal_and_foreign_keys)
{
	struct db *db = open_db("p.db");
	struct db_stmt *st;
	bool row = false;

	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK(db_prepare(db, "PRAGMA journal_mode", &st) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK_STR(db_column_text(st, 0), "wal");
	db_done(st);
	CHECK(db_prepare(db, "PRAGMA foreign_keys", &st) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK(db_column_int64(st, 0) == 1);
	db_done(st);
	CHECK(db_prepare(db, "PRAGMA synchronous", &st) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK(db_column_int64(st, 0) == 1); /* NORMAL */
	db_done(st);
	close_db(db, "p.db");
}

TEST(cache_keeps_statements_while_growing)
{
	struct db *db = open_db("g.db");
	struct db_stmt *first[200], *again;
	char sql[64];
	int i, same = 0;
	bool row;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	for (i = 0; i < 200; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		CHECK(db_prepare(db, sql, &first[i]) == GH_OK);
	}
	for (i = 0; i < 200; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		if (db_prepare(db, sql, &again) == GH_OK && again == first[i] &&
		    db_step(again, &row) == GH_OK && row && db_column_int64(again, 0) == i)
			same++;
		db_done(again);
	}
	CHECK(same == 200);
	close_db(db, "g.db");
}

static int64_t
count_rows(struct db *db)
{
	struct db_stmt *st;
	bool row = false;
	int64_t n = -1;

	if (db_prepare(db, "SELECT count(*) FROM t", &st) == GH_OK && db_step(st, &row) == GH_OK &&
	    row)
		n = db_column_int64(st, 0);
	db_done(st);
	return n;
}

TEST(begin_takes_the_write_lock)
{
	struct db *a = open_db("two.db"), *b = open_db("two.db");
	int64_t t0, waited;

	if (a == NULL || b == NULL) {
		CHECK(a != NULL && b != NULL);
		db_close(a);
		db_close(b);
		return;
	}
	/* SQLite's BEGIN IMMEDIATE takes the database's write lock: while a
	 * holds it, b's BEGIN waits its busy timeout and fails (a server's
	 * BEGIN locks nothing). */
	CHECK(db_begin(a) == GH_OK);
	t0 = now_ms();
	CHECK(db_begin(b) == GH_EDB);
	waited = now_ms() - t0;
	/* The whole busy timeout (200 ms), not much more: sqlite_busy's naps. */
	CHECK(waited >= 195 && waited < 2000);
	db_rollback(a);
	CHECK(db_begin(b) == GH_OK);
	db_rollback(b);
	db_close(b);
	close_db(a, "two.db");
}

/* release_later rolls back the transaction of the db at arg after 100 ms. */
static void *
release_later(void *arg)
{
	struct timespec ts = {0, 100 * 1000 * 1000};

	nanosleep(&ts, NULL);
	db_rollback(arg);
	return NULL;
}

TEST(begin_waits_for_a_lock_released_within_the_timeout)
{
	struct db *a = open_db("wait.db"), *b = open_db_busy("wait.db", 5000);
	pthread_t th;
	int64_t t0, waited;

	if (a == NULL || b == NULL) {
		CHECK(a != NULL && b != NULL);
		db_close(a);
		db_close(b);
		return;
	}
	CHECK(db_begin(a) == GH_OK);
	CHECK(pthread_create(&th, NULL, release_later, a) == 0);
	t0 = now_ms();
	CHECK(db_begin(b) == GH_OK);
	waited = now_ms() - t0;
	pthread_join(th, NULL);
	CHECK(waited >= 90);
	db_rollback(b);
	db_close(b);
	close_db(a, "wait.db");
}

/* insert_a is db_transact's fn below: it counts its calls in *arg. */
static enum gh_err
insert_a(struct db *db, void *arg)
{
	(*(int *)arg)++;
	return db_exec(db, "INSERT INTO t (name) VALUES ('a')");
}

TEST(transact_failed_begin_does_not_run_fn)
{
	struct db *a = open_db("tb.db"), *b = open_db("tb.db");
	int calls = 0;

	if (a == NULL || b == NULL) {
		CHECK(a != NULL && b != NULL);
		db_close(a);
		db_close(b);
		return;
	}
	CHECK(db_begin(a) == GH_OK); /* a holds the write lock */
	CHECK(db_transact(b, insert_a, &calls) == GH_EDB);
	CHECK(calls == 0);
	db_rollback(a);
	CHECK(db_transact(b, insert_a, &calls) == GH_OK);
	CHECK(calls == 1 && count_rows(a) == 1);
	db_close(b);
	close_db(a, "tb.db");
}

TEST(backup_copies_a_consistent_snapshot_and_never_overwrites)
{
	struct db *a = open_db("live.db"), *copy = NULL;
	char path[PATH_MAX + 64], url[PATH_MAX + 80];

	if (a == NULL) {
		CHECK(a != NULL);
		return;
	}
	for (int i = 0; i < 500; i++)
		CHECK(db_exec(a, "INSERT INTO t (n) VALUES (1)") == GH_OK);
	snprintf(path, sizeof(path), "%s/backup.db", tmpdir);
	CHECK(db_backup(a, path) == GH_OK);
	CHECK(db_backup(a, path) == GH_EEXISTS);
	snprintf(url, sizeof(url), "sqlite://%s", path);
	CHECK(db_open(url, NULL, 200, &copy) == GH_OK);
	if (copy != NULL)
		CHECK(count_rows(copy) == 500);
	db_close(copy);
	tmp_remove("backup.db");
	close_db(a, "live.db");
}

int
main(void)
{
	tmp_make();
	RUN(open_unknown_scheme_refused);
	RUN(open_sqlite_url_with_host_refused);
	RUN(open_missing_folder_fails);
	RUN(open_relative_url_creates_file);
	RUN(open_sets_wal_and_foreign_keys);
	RUN(cache_keeps_statements_while_growing);
	RUN(begin_takes_the_write_lock);
	RUN(begin_waits_for_a_lock_released_within_the_timeout);
	RUN(transact_failed_begin_does_not_run_fn);
	RUN(backup_copies_a_consistent_snapshot_and_never_overwrites);
	rmdir(tmpdir);
	return test_summary();
}
