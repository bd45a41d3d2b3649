/*
 * test_db_contract.c: what every database driver must do alike, run on
 * each backend in turn (SQLite, then MariaDB and PostgreSQL on throwaway
 * servers, test_backend.h): the statement cache, binding and reading
 * values, counting changes and ids, "?" in literals, errors, foreign keys,
 * transactions and db_transact.  What only SQLite does is test_db.c's;
 * what needs a server (passwords, sockets, timeouts, lost connections) is
 * test_db_server.c's.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "test.h"
#include "test_backend.h"

#define BUSY_MS 200

TEST(prepare_same_text_returns_cached_statement)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
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
	db_close(db);
}

TEST(bind_copies_text_and_counts_changes_and_ids)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
	struct db_stmt *st;
	char name[16] = "alice";
	bool row = false;
	int64_t first;

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
	first = db_last_insert_id(db);
	CHECK(first == 1); /* a new table counts from 1 */
	CHECK(db_prepare(db, "INSERT INTO t (name, n) VALUES (?, ?)", &st) == GH_OK);
	CHECK(db_bind_text(st, 1, "bob") == GH_OK && db_bind_int64(st, 2, 8) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK);
	db_done(st);
	CHECK(db_last_insert_id(db) == first + 1);
	/* An UPDATE counts the rows it matched, changed or not. */
	CHECK(db_exec(db, "UPDATE t SET n = 8") == GH_OK);
	CHECK(db_changes(db) == 2);
	CHECK(db_prepare(db, "UPDATE t SET n = ? WHERE n = ?", &st) == GH_OK);
	CHECK(db_bind_int64(st, 1, 8) == GH_OK && db_bind_int64(st, 2, 8) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK);
	db_done(st);
	CHECK(db_changes(db) == 2);
	/* A SELECT leaves the count alone. */
	CHECK(test_table_rows(db) == 2);
	CHECK(db_changes(db) == 2);
	CHECK(db_prepare(db, "SELECT name, n FROM t WHERE id = ?", &st) == GH_OK);
	CHECK(db_bind_int64(st, 1, first) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK_STR(db_column_text(st, 0), "alice");
	CHECK(db_column_int64(st, 1) == 8);
	CHECK(db_column_text(st, 7) == NULL); /* no such column */
	CHECK(db_column_count(st) == 2);
	CHECK(db_step(st, &row) == GH_OK && !row);
	db_done(st);
	CHECK(db_prepare(db, "SELECT name FROM t WHERE id = ?", &st) == GH_OK);
	CHECK(db_bind_int64(st, 2, 1) == GH_EINVAL); /* no such parameter */
	db_done(st);
	db_close(db);
}

TEST(done_clears_bindings_and_null_reads_as_null)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
	struct db_stmt *st;
	bool row = false;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_prepare(db, "SELECT COALESCE(?, 'unbound')", &st) == GH_OK);
	CHECK(db_bind_text(st, 1, "x") == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK_STR(db_column_text(st, 0), "x");
	db_done(st);
	/* Same statement again, nothing bound: the old value must be gone. */
	CHECK(db_prepare(db, "SELECT COALESCE(?, 'unbound')", &st) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK_STR(db_column_text(st, 0), "unbound");
	db_done(st);
	CHECK(db_prepare(db, "SELECT ?", &st) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK(db_column_text(st, 0) == NULL);
	CHECK(db_column_is_null(st, 0));
	CHECK(db_column_int64(st, 0) == 0);
	db_done(st);
	CHECK(db_prepare(db, "INSERT INTO t (name, n) VALUES (?, ?)", &st) == GH_OK);
	CHECK(db_bind_text(st, 1, NULL) == GH_OK && db_bind_null(st, 2) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK);
	db_done(st);
	CHECK(db_prepare(db, "SELECT name, n FROM t", &st) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK(db_column_text(st, 0) == NULL && db_column_is_null(st, 0));
	CHECK(db_column_int64(st, 1) == 0 && db_column_is_null(st, 1));
	db_done(st);
	db_done(NULL); /* harmless */
	db_close(db);
}

TEST(bind_text_null_binds_null)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
	struct db_stmt *st;
	bool row = false;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	/* Not "? IS NULL": PostgreSQL cannot type that parameter. */
	CHECK(db_prepare(db, "SELECT ?, ?", &st) == GH_OK);
	CHECK(db_bind_text(st, 1, NULL) == GH_OK);
	CHECK(db_bind_null(st, 2) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK(db_column_is_null(st, 0) && db_column_is_null(st, 1));
	db_done(st);
	db_close(db);
}

TEST(bind_sets_every_parameter_in_order)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
	struct db_stmt *st;
	bool row = false;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_prepare(db, "SELECT ?, ?, ?, ?, ?", &st) == GH_OK);
	CHECK(db_bind(st, DB_TEXT("alice"), DB_INT64(INT64_MIN), DB_NULL, DB_TEXT(NULL),
	          DB_INT64(INT64_MAX)) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK_STR(db_column_text(st, 0), "alice");
	CHECK(db_column_int64(st, 1) == INT64_MIN);
	CHECK(db_column_is_null(st, 2) && db_column_is_null(st, 3));
	CHECK(db_column_int64(st, 4) == INT64_MAX);
	db_done(st);
	/* No parameters: an empty array. */
	CHECK(db_prepare(db, "SELECT 1", &st) == GH_OK);
	CHECK(db_bind_values(st, NULL, 0) == GH_OK);
	db_done(st);
	db_close(db);
}

TEST(bind_wrong_count_is_einval_and_binds_nothing)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
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
	/* A "?" in a literal is not a parameter. */
	CHECK(db_prepare(db, "SELECT '?', ?", &st) == GH_OK);
	CHECK(db_bind(st, DB_TEXT("a"), DB_TEXT("b")) == GH_EINVAL);
	CHECK(db_bind(st, DB_TEXT("a")) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK_STR(db_column_text(st, 0), "?");
	CHECK_STR(db_column_text(st, 1), "a");
	db_done(st);
	db_close(db);
}

TEST(run_prepares_binds_steps_and_resets)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_run(db, "INSERT INTO t (name, n) VALUES (?, ?)", DB_TEXT("a"), DB_INT64(1)) ==
	      GH_OK);
	CHECK(db_changes(db) == 1 && db_last_insert_id(db) == 1);
	CHECK(db_run(db, "INSERT INTO t (name, n) VALUES (?, ?)", DB_TEXT("a"), DB_INT64(2)) ==
	      GH_EEXISTS);
	/* Reset after a failure: the same statement runs again.  (A server
	 * may spend an id on the failed INSERT.) */
	CHECK(db_run(db, "INSERT INTO t (name, n) VALUES (?, ?)", DB_TEXT("b"), DB_INT64(2)) ==
	      GH_OK);
	CHECK(db_last_insert_id(db) == test_query_int(db, "SELECT id FROM t WHERE name = 'b'"));
	CHECK(db_last_insert_id(db) > 1);
	CHECK(db_run(db, "INSERT INTO t (name, n) VALUES (?, ?)", DB_TEXT("c"), DB_NULL) == GH_OK);
	CHECK(db_changes(db) == 1 &&
	      test_query_int(db, "SELECT count(*) FROM t WHERE n IS NULL") == 1);
	/* A value missing: nothing runs. */
	CHECK(db_run(db, "INSERT INTO t (name, n) VALUES (?, ?)", DB_TEXT("d")) == GH_EINVAL);
	CHECK(db_run(db, "UPDATE t SET n = ? WHERE name = ?", DB_INT64(9)) == GH_EINVAL);
	CHECK(db_run(db, "UPDATE t SET n = ? WHERE name = ?", DB_INT64(9), DB_TEXT("b")) == GH_OK);
	CHECK(db_changes(db) == 1);
	CHECK(test_query_int(db, "SELECT sum(n) FROM t") == 10);
	CHECK(test_table_rows(db) == 3);
	CHECK(db_run(db, "DELETE FROM no_such_table WHERE id = ?", DB_INT64(1)) == GH_EDB);
	db_close(db);
}

TEST(values_round_trip_whatever_their_size)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
	struct db_stmt *st;
	static char big[300000];
	const char *utf8 = "caf\xc3\xa9 \xf0\x9f\x94\x91 'quoted' \\ back ?";
	int64_t ints[] = {INT64_MAX, INT64_MIN, 0, -1};
	size_t i;
	int rows = 0, good = 0;
	bool row;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[12345] = 'y';
	CHECK(db_prepare(db, "INSERT INTO t (name, n, body) VALUES (?, ?, ?)", &st) == GH_OK);
	for (i = 0; i < 4; i++) {
		char name[8];
		snprintf(name, sizeof(name), "r%zu", i);
		CHECK(db_bind_text(st, 1, name) == GH_OK);
		CHECK(db_bind_int64(st, 2, ints[i]) == GH_OK);
		/* short, long, short, UTF-8: the long one grows the buffer and
		 * the rows after it still read right. */
		CHECK(db_bind_text(st, 3, i == 1 ? big : i == 3 ? utf8 : "short") == GH_OK);
		CHECK(db_step(st, &row) == GH_OK);
		db_done(st);
	}
	CHECK(db_prepare(db, "SELECT name, n, body FROM t ORDER BY name", &st) == GH_OK);
	while (db_step(st, &row) == GH_OK && row) {
		const char *body = db_column_text(st, 2);
		i = (size_t)rows++;
		if (i < 4 && db_column_int64(st, 1) == ints[i] && body != NULL &&
		    strcmp(body, i == 1   ? big
		                 : i == 3 ? utf8
		                          : "short") == 0)
			good++;
		else
			fprintf(stderr, "row %zu differs\n", i);
	}
	db_done(st);
	CHECK(rows == 4 && good == 4);
	db_close(db);
}

TEST(question_marks_in_literals_are_not_parameters)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
	struct db_stmt *st;
	bool row = false;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_prepare(db,
	          "SELECT 'it''s ?' AS \"q?\", ? /* a ? here */ -- and ? there\n"
	          ", '?'",
	          &st) == GH_OK);
	CHECK(db_bind_text(st, 1, "bound") == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK_STR(db_column_text(st, 0), "it's ?");
	CHECK_STR(db_column_text(st, 1), "bound");
	CHECK_STR(db_column_text(st, 2), "?");
	db_done(st);
	db_close(db);
}

TEST(unique_violation_is_eexists_and_statement_reusable)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
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
	CHECK(test_table_rows(db) == 2);
	CHECK(!db_lost(db));
	db_close(db);
}

TEST(bad_sql_fails_and_connection_stays)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
	struct db_stmt *st = (struct db_stmt *)1;
	enum gh_err e;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_prepare(db, "SELEKT 1", &st) == GH_EDB);
	CHECK(st == NULL);
	CHECK(db_errmsg(db) != NULL && db_errmsg(db)[0] != '\0');
	CHECK(db_prepare(db, "SELECT * FROM no_such_table", &st) == GH_EDB);
	/* Two statements in one prepare would run only the first: refused,
	 * GH_EINVAL by SQLite's driver, which sees it, an error of the server
	 * on the others. */
	e = db_prepare(db, "SELECT 1; DELETE FROM t", &st);
	CHECK(db_dialect(db) == DB_SQLITE ? e == GH_EINVAL : e != GH_OK);
	/* No statement: refused alike by every driver. */
	CHECK(db_prepare(db, "", &st) == GH_EINVAL);
	CHECK(db_prepare(db, " ;\n", &st) == GH_EINVAL);
	CHECK(st == NULL);
	CHECK(db_prepare(db, "SELECT 'unterminated", &st) != GH_OK);
	/* A trailing semicolon is fine. */
	CHECK(db_prepare(db, "SELECT 1;", &st) == GH_OK);
	db_done(st);
	CHECK(db_exec(db, "CREATE TABLE t (x INTEGER)") == GH_EDB);
	CHECK(!db_lost(db));
	CHECK(test_table_rows(db) == 0);
	db_close(db);
}

TEST(foreign_keys_enforced)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
	struct db_stmt *st;
	bool row;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_exec(db, "CREATE TABLE child (t_id BIGINT NOT NULL REFERENCES t(id))") == GH_OK);
	if (db_dialect(db) == DB_MYSQL) /* MySQL ignores a column's REFERENCES: name it as a key */
		CHECK(db_exec(db, "ALTER TABLE child ADD FOREIGN KEY (t_id) REFERENCES t(id)") ==
		      GH_OK);
	CHECK(db_prepare(db, "INSERT INTO child (t_id) VALUES (?)", &st) == GH_OK);
	CHECK(db_bind_int64(st, 1, 999) == GH_OK);
	CHECK(db_step(st, &row) == GH_EDB);
	db_done(st);
	CHECK(db_exec(db, "DROP TABLE child") == GH_OK);
	db_close(db);
}

TEST(rollback_undoes_commit_keeps)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_begin(db) == GH_OK);
	CHECK(db_exec(db, "INSERT INTO t (name) VALUES ('a')") == GH_OK);
	CHECK(test_table_rows(db) == 1);
	db_rollback(db);
	CHECK(test_table_rows(db) == 0);
	CHECK(db_begin(db) == GH_OK);
	CHECK(db_exec(db, "INSERT INTO t (name) VALUES ('b')") == GH_OK);
	CHECK(db_commit(db) == GH_OK);
	CHECK(test_table_rows(db) == 1);
	db_close(db);
}

TEST(second_connection_sees_commits_and_lock_wait_is_bounded)
{
	struct db *a = test_table_open(test_cur, BUSY_MS),
	          *b = test_backend_open(test_cur, BUSY_MS);
	int64_t t0;

	if (a == NULL || b == NULL) {
		CHECK(a != NULL && b != NULL);
		db_close(a);
		db_close(b);
		return;
	}
	CHECK(db_exec(a, "INSERT INTO t (name, n) VALUES ('a', 1)") == GH_OK);
	CHECK(test_table_rows(b) == 1);
	CHECK(db_begin(a) == GH_OK);
	CHECK(db_exec(a, "UPDATE t SET n = 2 WHERE name = 'a'") == GH_OK);
	/* b waits for a's lock (SQLite's database lock, the servers' row lock)
	 * for the busy timeout (whole seconds, at least 1, on MariaDB), then
	 * fails; it does not see a's change. */
	CHECK(test_query_int(b, "SELECT n FROM t WHERE name = 'a'") == 1);
	t0 = test_now_ms();
	CHECK(db_exec(b, "UPDATE t SET n = 3 WHERE name = 'a'") == GH_EDB);
	CHECK(test_now_ms() - t0 < 3000);
	CHECK(!db_lost(b));
	CHECK(db_commit(a) == GH_OK);
	CHECK(test_query_int(b, "SELECT n FROM t WHERE name = 'a'") == 2);
	db_close(b);
	db_close(a);
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
	struct db *a = test_table_open(test_cur, BUSY_MS),
	          *b = test_backend_open(test_cur, BUSY_MS);
	struct tx_arg arg = {
	    "INSERT INTO t (name) VALUES ('a'); INSERT INTO t (name) VALUES ('b')", GH_OK, 0};

	if (a == NULL || b == NULL) {
		CHECK(a != NULL && b != NULL);
		db_close(a);
		db_close(b);
		return;
	}
	CHECK(db_transact(a, tx_run, &arg) == GH_OK);
	CHECK(arg.calls == 1);
	CHECK(test_table_rows(b) == 2); /* committed: another connection sees it */
	CHECK(db_begin(b) == GH_OK);    /* and a holds no lock */
	CHECK(db_exec(b, "UPDATE t SET n = 1") == GH_OK);
	db_rollback(b);
	db_close(b);
	db_close(a);
}

TEST(transact_rolls_back_when_fn_fails)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
	struct tx_arg answer = {"INSERT INTO t (name) VALUES ('a')", GH_ENOTFOUND, 0};
	struct tx_arg bad_sql = {
	    "INSERT INTO t (name) VALUES ('b'); INSERT INTO nowhere VALUES (1)", GH_OK, 0};

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_transact(db, tx_run, &answer) == GH_ENOTFOUND); /* fn's own answer */
	CHECK(test_table_rows(db) == 0);
	CHECK(db_transact(db, tx_run, &bad_sql) == GH_EDB);
	CHECK(test_table_rows(db) == 0);
	/* No transaction was left open. */
	CHECK(db_begin(db) == GH_OK);
	db_rollback(db);
	db_close(db);
}

TEST(transact_rolls_back_when_commit_fails)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
	/* A deferred foreign key is checked by COMMIT, which fails and leaves
	 * the transaction open: db_transact must roll it back. */
	struct tx_arg arg = {
	    "INSERT INTO t (name) VALUES ('a'); INSERT INTO late VALUES (999)", GH_OK, 0};

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	if (db_dialect(db) == DB_MYSQL) {
		/* MariaDB has no deferred constraints: its COMMIT does not fail. */
		test_skip("transact_rolls_back_when_commit_fails", "no deferred constraints");
		db_close(db);
		return;
	}
	CHECK(db_exec(db, "CREATE TABLE late (t_id BIGINT REFERENCES t(id) "
	                  "DEFERRABLE INITIALLY DEFERRED)") == GH_OK);
	CHECK(db_transact(db, tx_run, &arg) == GH_EDB);
	CHECK(arg.calls == 1);
	CHECK(test_table_rows(db) == 0);
	CHECK(test_query_int(db, "SELECT count(*) FROM late") == 0);
	CHECK(db_begin(db) == GH_OK);
	db_rollback(db);
	CHECK(db_exec(db, "DROP TABLE late") == GH_OK);
	db_close(db);
}

static void
suite(void)
{
	RUN(prepare_same_text_returns_cached_statement);
	RUN(bind_copies_text_and_counts_changes_and_ids);
	RUN(done_clears_bindings_and_null_reads_as_null);
	RUN(bind_text_null_binds_null);
	RUN(bind_sets_every_parameter_in_order);
	RUN(bind_wrong_count_is_einval_and_binds_nothing);
	RUN(run_prepares_binds_steps_and_resets);
	RUN(values_round_trip_whatever_their_size);
	RUN(question_marks_in_literals_are_not_parameters);
	RUN(unique_violation_is_eexists_and_statement_reusable);
	RUN(bad_sql_fails_and_connection_stays);
	RUN(foreign_keys_enforced);
	RUN(rollback_undoes_commit_keeps);
	RUN(second_connection_sees_commits_and_lock_wait_is_bounded);
	RUN(transact_commits_when_fn_succeeds);
	RUN(transact_rolls_back_when_fn_fails);
	RUN(transact_rolls_back_when_commit_fails);
}

int
main(void)
{
	return test_backend_main(TEST_EVERY_BACKEND, NULL, suite, NULL);
}
