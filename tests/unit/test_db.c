/*
 * test_db.c: the database layer and its SQLite driver, on a temporary file.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "test.h"

static char tmpdir[PATH_MAX];

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

/* open_db opens (creating) tmpdir/name with a small table t. */
static struct db *
open_db(const char *name)
{
	char url[PATH_MAX + 64];
	struct db *db = NULL;

	snprintf(url, sizeof(url), "sqlite://%s/%s", tmpdir, name);
	if (db_open(url, NULL, 200, &db) != GH_OK)
		return NULL;
	if (db_exec(db, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, "
	                "name TEXT UNIQUE, n INTEGER)") != GH_OK) {
		db_close(db);
		return NULL;
	}
	return db;
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

TEST(prepare_same_text_returns_cached_statement)
{
	struct db *db = open_db("c.db");
	struct db_stmt *a = NULL, *b = NULL, *c = NULL;
	char sql[64];

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	snprintf(sql, sizeof(sql), "SELECT name FROM t WHERE id = ?");
	CHECK(db_prepare(db, "SELECT name FROM t WHERE id = ?", &a) == GH_OK);
	CHECK(db_prepare(db, sql, &b) == GH_OK); /* same text, another pointer */
	CHECK(db_prepare(db, "SELECT n FROM t WHERE id = ?", &c) == GH_OK);
	CHECK(a != NULL && a == b);
	CHECK(c != NULL && c != a);
	close_db(db, "c.db");
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

TEST(bind_text_is_copied)
{
	struct db *db = open_db("b.db");
	struct db_stmt *st;
	char name[16] = "alice";
	bool row = false;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_prepare(db, "INSERT INTO t (name, n) VALUES (?, ?)", &st) == GH_OK);
	CHECK(db_bind_text(st, 1, name) == GH_OK);
	memcpy(name, "mallory", 8);
	CHECK(db_bind_int64(st, 2, 7) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && !row);
	db_done(st);
	CHECK(db_changes(db) == 1);
	CHECK(db_last_insert_id(db) == 1);
	CHECK(db_prepare(db, "SELECT name, n FROM t WHERE id = ?", &st) == GH_OK);
	CHECK(db_bind_int64(st, 1, 1) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK_STR(db_column_text(st, 0), "alice");
	CHECK(db_column_int64(st, 1) == 7);
	CHECK(db_step(st, &row) == GH_OK && !row);
	db_done(st);
	close_db(db, "b.db");
}

TEST(done_clears_bindings)
{
	struct db *db = open_db("d.db");
	struct db_stmt *st;
	bool row = false;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_prepare(db, "SELECT ?", &st) == GH_OK);
	CHECK(db_bind_text(st, 1, "x") == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK_STR(db_column_text(st, 0), "x");
	db_done(st);
	/* Same statement again, nothing bound: the old value must be gone. */
	CHECK(db_prepare(db, "SELECT ?", &st) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK(db_column_text(st, 0) == NULL);
	CHECK(db_column_is_null(st, 0));
	CHECK(db_column_int64(st, 0) == 0);
	db_done(st);
	db_done(NULL); /* harmless */
	close_db(db, "d.db");
}

TEST(bind_text_null_binds_null)
{
	struct db *db = open_db("n.db");
	struct db_stmt *st;
	bool row = false;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_prepare(db, "SELECT ? IS NULL, ? IS NULL", &st) == GH_OK);
	CHECK(db_bind_text(st, 1, NULL) == GH_OK);
	CHECK(db_bind_null(st, 2) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK(db_column_int64(st, 0) == 1 && db_column_int64(st, 1) == 1);
	db_done(st);
	close_db(db, "n.db");
}

TEST(bind_sets_every_parameter_in_order)
{
	struct db *db = open_db("ba.db");
	struct db_stmt *st;
	bool row = false;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_prepare(db, "SELECT ?, ?, ? IS NULL, ? IS NULL, ?", &st) == GH_OK);
	CHECK(db_bind(st, DB_TEXT("alice"), DB_INT64(INT64_MIN), DB_NULL, DB_TEXT(NULL),
	          DB_INT64(INT64_MAX)) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK_STR(db_column_text(st, 0), "alice");
	CHECK(db_column_int64(st, 1) == INT64_MIN);
	CHECK(db_column_int64(st, 2) == 1 && db_column_int64(st, 3) == 1);
	CHECK(db_column_int64(st, 4) == INT64_MAX);
	db_done(st);
	/* No parameters: an empty array. */
	CHECK(db_prepare(db, "SELECT 1", &st) == GH_OK);
	CHECK(db_bind_values(st, NULL, 0) == GH_OK);
	db_done(st);
	close_db(db, "ba.db");
}

TEST(bind_wrong_count_is_einval_and_binds_nothing)
{
	struct db *db = open_db("bw.db");
	struct db_stmt *st;
	struct db_value bad = {.type = (enum db_value_type)99};
	bool row = false;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_prepare(db, "SELECT ?, ?", &st) == GH_OK);
	CHECK(db_bind(st, DB_TEXT("a")) == GH_EINVAL);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK(db_column_is_null(st, 0) && db_column_is_null(st, 1));
	db_done(st);
	CHECK(db_prepare(db, "SELECT ?, ?", &st) == GH_OK);
	CHECK(db_bind(st, DB_TEXT("a"), DB_TEXT("b"), DB_TEXT("c")) == GH_EINVAL);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK(db_column_is_null(st, 0) && db_column_is_null(st, 1));
	db_done(st);
	CHECK(db_prepare(db, "SELECT ?, ?", &st) == GH_OK);
	CHECK(db_bind_values(st, NULL, 0) == GH_EINVAL);
	/* A value whose type is none of the three. */
	CHECK(db_bind(st, DB_TEXT("a"), bad) == GH_EINVAL);
	db_done(st);
	CHECK(db_prepare(db, "SELECT 1", &st) == GH_OK);
	CHECK(db_bind(st, DB_INT64(1)) == GH_EINVAL);
	db_done(st);
	close_db(db, "bw.db");
}

TEST(run_prepares_binds_steps_and_resets)
{
	struct db *db = open_db("r.db");
	struct db_stmt *st;
	bool row = false;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_run(db, "INSERT INTO t (name, n) VALUES (?, ?)", DB_TEXT("a"), DB_INT64(1)) ==
	      GH_OK);
	CHECK(db_changes(db) == 1 && db_last_insert_id(db) == 1);
	CHECK(db_run(db, "INSERT INTO t (name, n) VALUES (?, ?)", DB_TEXT("a"), DB_INT64(2)) ==
	      GH_EEXISTS);
	/* Reset after a failure: the same statement runs again. */
	CHECK(db_run(db, "INSERT INTO t (name, n) VALUES (?, ?)", DB_TEXT("b"), DB_INT64(2)) ==
	      GH_OK);
	CHECK(db_last_insert_id(db) == 2);
	/* A value missing: nothing runs. */
	CHECK(db_run(db, "UPDATE t SET n = ? WHERE name = ?", DB_INT64(9)) == GH_EINVAL);
	CHECK(db_run(db, "UPDATE t SET n = ? WHERE name = ?", DB_INT64(9), DB_TEXT("b")) == GH_OK);
	CHECK(db_changes(db) == 1);
	CHECK(db_prepare(db, "SELECT sum(n) FROM t", &st) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row && db_column_int64(st, 0) == 10);
	db_done(st);
	CHECK(db_run(db, "DELETE FROM no_such_table WHERE id = ?", DB_INT64(1)) == GH_EDB);
	close_db(db, "r.db");
}

TEST(unique_violation_is_eexists)
{
	struct db *db = open_db("u.db");
	struct db_stmt *st;
	bool row;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_prepare(db, "INSERT INTO t (name) VALUES (?)", &st) == GH_OK);
	CHECK(db_bind_text(st, 1, "bob") == GH_OK);
	CHECK(db_step(st, &row) == GH_OK);
	db_done(st);
	CHECK(db_prepare(db, "INSERT INTO t (name) VALUES (?)", &st) == GH_OK);
	CHECK(db_bind_text(st, 1, "bob") == GH_OK);
	CHECK(db_step(st, &row) == GH_EEXISTS);
	db_done(st);
	/* The statement is usable again after the failure. */
	CHECK(db_prepare(db, "INSERT INTO t (name) VALUES (?)", &st) == GH_OK);
	CHECK(db_bind_text(st, 1, "carol") == GH_OK);
	CHECK(db_step(st, &row) == GH_OK);
	db_done(st);
	CHECK(db_exec(db, "INSERT INTO t (name) VALUES ('carol')") == GH_EEXISTS);
	close_db(db, "u.db");
}

TEST(prepare_bad_sql_fails)
{
	struct db *db = open_db("e.db");
	struct db_stmt *st = (struct db_stmt *)1;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_prepare(db, "SELEKT 1", &st) == GH_EDB);
	CHECK(st == NULL);
	CHECK(db_errmsg(db) != NULL && db_errmsg(db)[0] != '\0');
	CHECK(db_prepare(db, "SELECT * FROM no_such_table", &st) == GH_EDB);
	/* Two statements in one prepare would run only the first: refused. */
	CHECK(db_prepare(db, "SELECT 1; DELETE FROM t", &st) == GH_EINVAL);
	CHECK(db_prepare(db, "", &st) == GH_EINVAL);
	/* A trailing semicolon is fine. */
	CHECK(db_prepare(db, "SELECT 1;", &st) == GH_OK);
	CHECK(db_exec(db, "CREATE TABLE t (x)") == GH_EDB);
	close_db(db, "e.db");
}

TEST(foreign_keys_enforced)
{
	struct db *db = open_db("f.db");
	struct db_stmt *st;
	bool row;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_exec(db, "CREATE TABLE child (t_id INTEGER NOT NULL REFERENCES t(id))") == GH_OK);
	CHECK(db_prepare(db, "INSERT INTO child (t_id) VALUES (?)", &st) == GH_OK);
	CHECK(db_bind_int64(st, 1, 999) == GH_OK);
	CHECK(db_step(st, &row) == GH_EDB);
	db_done(st);
	close_db(db, "f.db");
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

TEST(rollback_undoes_commit_keeps)
{
	struct db *db = open_db("x.db");

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_begin(db) == GH_OK);
	CHECK(db_exec(db, "INSERT INTO t (name) VALUES ('a')") == GH_OK);
	CHECK(count_rows(db) == 1);
	db_rollback(db);
	CHECK(count_rows(db) == 0);
	CHECK(db_begin(db) == GH_OK);
	CHECK(db_exec(db, "INSERT INTO t (name) VALUES ('b')") == GH_OK);
	CHECK(db_commit(db) == GH_OK);
	CHECK(count_rows(db) == 1);
	close_db(db, "x.db");
}

TEST(second_connection_sees_commits)
{
	struct db *a = open_db("two.db"), *b = open_db("two.db");

	if (a == NULL || b == NULL) {
		CHECK(a != NULL && b != NULL);
		db_close(a);
		db_close(b);
		return;
	}
	CHECK(db_exec(a, "INSERT INTO t (name) VALUES ('a')") == GH_OK);
	CHECK(count_rows(b) == 1);
	/* While a holds the write lock, b's write waits its busy timeout and fails. */
	CHECK(db_begin(a) == GH_OK);
	CHECK(db_begin(b) == GH_EDB);
	db_rollback(a);
	CHECK(db_begin(b) == GH_OK);
	db_rollback(b);
	db_close(b);
	close_db(a, "two.db");
}

/* tx_run is db_transact's fn for the tests below: it runs a->sql, then
 * answers a->answer. */
struct tx_arg {
	const char *sql;
	enum gh_err answer;
	int calls;
};

static enum gh_err
tx_run(struct db *db, void *arg)
{
	struct tx_arg *a = arg;
	enum gh_err e;

	a->calls++;
	if ((e = db_exec(db, a->sql)) != GH_OK)
		return e;
	return a->answer;
}

TEST(transact_commits_when_fn_succeeds)
{
	struct db *a = open_db("tc.db"), *b = open_db("tc.db");
	struct tx_arg arg = {"INSERT INTO t (name) VALUES ('a'); INSERT INTO t (name) VALUES ('b')",
	    GH_OK, 0};

	if (a == NULL || b == NULL) {
		CHECK(a != NULL && b != NULL);
		db_close(a);
		db_close(b);
		return;
	}
	CHECK(db_transact(a, tx_run, &arg) == GH_OK);
	CHECK(arg.calls == 1);
	CHECK(count_rows(b) == 2); /* committed: another connection sees it */
	CHECK(db_begin(b) == GH_OK); /* and a holds no lock */
	db_rollback(b);
	db_close(b);
	close_db(a, "tc.db");
}

TEST(transact_rolls_back_when_fn_fails)
{
	struct db *db = open_db("tf.db");
	struct tx_arg answer = {"INSERT INTO t (name) VALUES ('a')", GH_ENOTFOUND, 0};
	struct tx_arg bad_sql = {
	    "INSERT INTO t (name) VALUES ('b'); INSERT INTO nowhere VALUES (1)", GH_OK, 0};

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_transact(db, tx_run, &answer) == GH_ENOTFOUND); /* fn's own answer */
	CHECK(count_rows(db) == 0);
	CHECK(db_transact(db, tx_run, &bad_sql) == GH_EDB);
	CHECK(count_rows(db) == 0);
	/* No transaction was left open. */
	CHECK(db_begin(db) == GH_OK);
	db_rollback(db);
	close_db(db, "tf.db");
}

TEST(transact_rolls_back_when_commit_fails)
{
	struct db *db = open_db("tk.db");
	/* A deferred foreign key is checked by COMMIT, which fails and leaves
	 * the transaction open: db_transact must roll it back. */
	struct tx_arg arg = {"INSERT INTO t (name) VALUES ('a'); INSERT INTO late VALUES (999)",
	    GH_OK, 0};

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_exec(db, "CREATE TABLE late (t_id INTEGER REFERENCES t(id) "
	                  "DEFERRABLE INITIALLY DEFERRED)") == GH_OK);
	CHECK(db_transact(db, tx_run, &arg) == GH_EDB);
	CHECK(arg.calls == 1);
	CHECK(count_rows(db) == 0);
	CHECK(db_begin(db) == GH_OK);
	db_rollback(db);
	close_db(db, "tk.db");
}

TEST(transact_failed_begin_does_not_run_fn)
{
	struct db *a = open_db("tb.db"), *b = open_db("tb.db");
	struct tx_arg arg = {"INSERT INTO t (name) VALUES ('a')", GH_OK, 0};

	if (a == NULL || b == NULL) {
		CHECK(a != NULL && b != NULL);
		db_close(a);
		db_close(b);
		return;
	}
	CHECK(db_begin(a) == GH_OK); /* a holds the write lock */
	CHECK(db_transact(b, tx_run, &arg) == GH_EDB);
	CHECK(arg.calls == 0);
	db_rollback(a);
	CHECK(db_transact(b, tx_run, &arg) == GH_OK);
	CHECK(arg.calls == 1 && count_rows(a) == 1);
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
	RUN(prepare_same_text_returns_cached_statement);
	RUN(cache_keeps_statements_while_growing);
	RUN(bind_text_is_copied);
	RUN(done_clears_bindings);
	RUN(bind_text_null_binds_null);
	RUN(bind_sets_every_parameter_in_order);
	RUN(bind_wrong_count_is_einval_and_binds_nothing);
	RUN(run_prepares_binds_steps_and_resets);
	RUN(unique_violation_is_eexists);
	RUN(prepare_bad_sql_fails);
	RUN(foreign_keys_enforced);
	RUN(rollback_undoes_commit_keeps);
	RUN(second_connection_sees_commits);
	RUN(transact_commits_when_fn_succeeds);
	RUN(transact_rolls_back_when_fn_fails);
	RUN(transact_rolls_back_when_commit_fails);
	RUN(transact_failed_begin_does_not_run_fn);
	RUN(backup_copies_a_consistent_snapshot_and_never_overwrites);
	rmdir(tmpdir);
	return test_summary();
}
