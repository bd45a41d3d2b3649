/*
 * test_db_server.c: the database layer over its server drivers, MariaDB
 * (db_mysql.c) and PostgreSQL (db_pgsql.c), on throwaway servers started by
 * tests/dbserver.sh (test_backend.h): what needs a server, namely URLs and
 * passwords, the Unix socket, timeouts, and the reconnect after a killed
 * connection, a server restart and a hung server (at once, before any
 * statement, for a connection the server closed while it sat idle), and a
 * transaction lost with its connection.  What every driver does alike is
 * test_db_contract.c's; the SQLite driver's own is test_db.c's.
 */
#include <sys/types.h>

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "test.h"
#include "test_backend.h"

#define BUSY_MS 200

static bool
is_mysql(void)
{
	return strcmp(test_cur->dialect, "mysql") == 0;
}

/* kill_conn ends db's connection on the server, from another connection. */
static bool
kill_conn(struct db *db)
{
	struct db *admin = test_backend_open(test_cur, BUSY_MS);
	struct db_stmt *st;
	char sql[64];
	int64_t id;
	bool row, ok = false;

	if (admin == NULL)
		return false;
	id = test_query_int(db, is_mysql() ? "SELECT CONNECTION_ID()" : "SELECT pg_backend_pid()");
	if (id > 0 && is_mysql()) {
		/* KILL takes no parameter; the id is a number read above. */
		snprintf(sql, sizeof(sql), "KILL CONNECTION %lld", (long long)id);
		ok = db_exec(admin, sql) == GH_OK;
	} else if (id > 0 && db_prepare(admin, "SELECT pg_terminate_backend(?)", &st) == GH_OK) {
		ok = db_bind_int64(st, 1, id) == GH_OK && db_step(st, &row) == GH_OK && row &&
		     db_column_int64(st, 0) == 1;
		db_done(st);
	}
	db_close(admin);
	usleep(200 * 1000); /* the server ends it asynchronously */
	return ok;
}

/* server_pid returns the process serving db: MariaDB's one process (read
 * from its pid file), or PostgreSQL's backend for this connection. */
static pid_t
server_pid(struct db *db)
{
	if (!is_mysql())
		return (pid_t)test_query_int(db, "SELECT pg_backend_pid()");
	return (pid_t)test_backend_mysqld_pid(test_cur);
}

/* wait_stopped waits until every thread of process pid is stopped (a
 * stop signal reaches a busy process's threads one by one). */
static bool
wait_stopped(pid_t pid)
{
	char path[64], cmd[128];
	int i;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	/* Done when no thread is in a state other than T (stopped). */
	snprintf(
	    cmd, sizeof(cmd), "! awk '{ print $3 }' %s/*/stat 2>/dev/null | grep -qv '^T$'", path);
	for (i = 0; i < 50; i++) {
		if (system(cmd) == 0)
			return true;
		usleep(20 * 1000);
	}
	return false;
}

static bool
server_ctl(const char *what)
{
	char cmd[2 * PATH_MAX + 128], url[sizeof(test_cur->url)];
	FILE *f;
	bool ok;

	snprintf(cmd, sizeof(cmd), "'%s/tests/dbserver.sh' %s %s '%s/db'", test_srcdir(), what,
	    test_cur->name, test_cur->tmp);
	if ((f = popen(cmd, "r")) == NULL)
		return false;
	while (fgets(url, sizeof(url), f) != NULL)
		;
	ok = pclose(f) == 0;
	return ok;
}

TEST(open_bad_url_or_password_refused)
{
	char url[sizeof(test_cur->url) + 16];
	struct db *db = (struct db *)1;

	CHECK(db_open(test_cur->url, "wrong password", BUSY_MS, &db) == GH_EDB);
	CHECK(db == NULL);
	if (is_mysql()) {
		CHECK(db_open("mysql://gatehouse:secret@127.0.0.1/gatehouse", NULL, 0, &db) ==
		      GH_ECONFIG);
		CHECK(db_open("mysql://gatehouse@127.0.0.1", NULL, 0, &db) == GH_ECONFIG);
		CHECK(db_open("mysql://gatehouse@127.0.0.1/", NULL, 0, &db) == GH_ECONFIG);
		CHECK(db_open("mysql://gatehouse@127.0.0.1:99999/gatehouse", NULL, 0, &db) ==
		      GH_ECONFIG);
		CHECK(
		    db_open("mysql://gatehouse@127.0.0.1:x/gatehouse", NULL, 0, &db) == GH_ECONFIG);
		CHECK(db_open("mysql://gatehouse@localhost/gatehouse?sock=/x", NULL, 0, &db) ==
		      GH_ECONFIG);
		CHECK(db_open("mysql://gatehouse@localhost/gate%2", NULL, 0, &db) == GH_ECONFIG);
	}
	/* Nothing listens on port 1. */
	snprintf(url, sizeof(url), "%s://gatehouse@127.0.0.1:1/gatehouse",
	    is_mysql() ? "mysql" : "postgresql");
	CHECK(db_open(url, test_cur->password, BUSY_MS, &db) == GH_EDB);
	CHECK(db == NULL);
}

TEST(open_over_unix_socket)
{
	struct db *db = NULL;

	CHECK(db_open(test_cur->socket_url, test_cur->password, BUSY_MS, &db) == GH_OK);
	if (db == NULL)
		return;
	CHECK_STR(db_dialect_name(db_dialect(db)), test_cur->dialect);
	CHECK(db_dialect(db) == (is_mysql() ? DB_MYSQL : DB_POSTGRESQL));
	CHECK(test_query_int(db, "SELECT 41 + 1") == 42);
	db_close(db);
	if (!is_mysql()) {
		/* libpq's other scheme. */
		char url[sizeof(test_cur->url)];
		snprintf(
		    url, sizeof(url), "postgres://%s", test_cur->url + strlen("postgresql://"));
		db = NULL;
		CHECK(db_open(url, test_cur->password, BUSY_MS, &db) == GH_OK);
		CHECK(db != NULL && test_query_int(db, "SELECT 1") == 1);
		db_close(db);
	}
}

TEST(session_has_statement_and_lock_timeouts)
{
	struct db *db = test_backend_open(test_cur, BUSY_MS);
	struct db_stmt *st;
	bool row = false;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	/* Read back rather than waited for: the server stops a statement after
	 * busy + DB_STATEMENT_EXTRA_MS and a lock wait after busy. */
	CHECK(db_prepare(db,
	          is_mysql() ? "SELECT @@SESSION.max_statement_time * 1000, "
	                       "@@SESSION.innodb_lock_wait_timeout, @@SESSION.time_zone"
	                     : "SELECT current_setting('statement_timeout'), "
	                       "current_setting('lock_timeout'), current_setting('TimeZone')",
	          &st) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	if (is_mysql()) {
		CHECK(db_column_int64(st, 0) == BUSY_MS + DB_STATEMENT_EXTRA_MS);
		CHECK(db_column_int64(st, 1) == 1); /* whole seconds, at least 1 */
		CHECK_STR(db_column_text(st, 2), "+00:00");
	} else {
		CHECK(db_column_int64(st, 0) == BUSY_MS + DB_STATEMENT_EXTRA_MS); /* "10200ms" */
		CHECK(db_column_int64(st, 1) == BUSY_MS);
		CHECK_STR(db_column_text(st, 2), "UTC");
	}
	db_done(st);
	db_close(db);
}

TEST(killed_connection_fails_then_reconnects)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
	struct db_stmt *held, *st;
	int64_t t0;
	bool row;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_exec(db, "INSERT INTO t (name, n) VALUES ('kept', 5)") == GH_OK);
	CHECK(db_prepare(db, "SELECT n FROM t WHERE name = 'kept'", &held) == GH_OK);
	CHECK(kill_conn(db));
	/* The call that finds out fails, closed. */
	CHECK(db_step(held, &row) == GH_EDB && !row);
	CHECK(db_lost(db));
	db_done(held);
	/* The next prepare reconnects at once (no attempt in the last second). */
	CHECK(test_query_int(db, "SELECT n FROM t WHERE name = 'kept'") == 5);
	CHECK(!db_lost(db));
	/* A statement held across the reconnect reads nothing until prepared
	 * again; then it is the same statement, working. */
	CHECK(db_prepare(db, "SELECT count(*) FROM t", &st) == GH_OK);
	CHECK(kill_conn(db));
	CHECK(db_step(st, &row) == GH_EDB);
	db_done(st);
	/* Reconnected less than a second ago: not again yet. */
	t0 = test_now_ms();
	CHECK(db_prepare(db, "SELECT 1", &st) == GH_EDB);
	CHECK(test_now_ms() - t0 < 100);
	CHECK(db_lost(db));
	usleep((DB_RECONNECT_INTERVAL_MS + 100) * 1000);
	CHECK(db_prepare(db, "SELECT 1", &st) == GH_OK);
	db_done(st);
	CHECK(db_step(held, &row) == GH_EDB); /* dropped by the reconnect */
	CHECK(db_column_text(held, 0) == NULL && db_column_int64(held, 0) == 0);
	db_done(held);
	CHECK(db_prepare(db, "SELECT n FROM t WHERE name = 'kept'", &st) == GH_OK);
	CHECK(st == held);
	CHECK(db_step(st, &row) == GH_OK && row && db_column_int64(st, 0) == 5);
	db_done(st);
	db_close(db);
}

TEST(transaction_lost_with_connection_is_not_finished_elsewhere)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_begin(db) == GH_OK);
	CHECK(db_exec(db, "INSERT INTO t (name) VALUES ('first')") == GH_OK);
	CHECK(kill_conn(db));
	CHECK(db_exec(db, "INSERT INTO t (name) VALUES ('second')") == GH_EDB);
	usleep((DB_RECONNECT_INTERVAL_MS + 100) * 1000);
	/* Still inside the caller's transaction: no reconnect, so the rest of
	 * it cannot run on its own. */
	CHECK(db_exec(db, "INSERT INTO t (name) VALUES ('third')") == GH_EDB);
	CHECK(db_commit(db) == GH_EDB);
	db_rollback(db);
	CHECK(test_table_rows(db) == 0);
	CHECK(!db_lost(db));
	db_close(db);
}

/* insert_and_kill is db_transact's fn below: it inserts a row, kills the
 * connection, and inserts another. */
static enum gh_err
insert_and_kill(struct db *db, void *arg)
{
	enum gh_err e;

	(void)arg;
	if ((e = db_exec(db, "INSERT INTO t (name) VALUES ('lost')")) != GH_OK)
		return e;
	CHECK(kill_conn(db));
	return db_exec(db, "INSERT INTO t (name) VALUES ('after')");
}

TEST(transact_is_lost_with_its_connection)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_exec(db, "INSERT INTO t (name) VALUES ('kept')") == GH_OK);
	CHECK(db_transact(db, insert_and_kill, NULL) == GH_EDB);
	CHECK(db_lost(db));
	/* Rolled back with the connection; the next statement reconnects. */
	CHECK(test_table_rows(db) == 1 && !db_lost(db));
	db_close(db);
}

TEST(server_restart_fails_closed_then_recovers_with_data)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
	int64_t t0, n = -1;
	int tries = 0;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_exec(db, "INSERT INTO t (name, n) VALUES ('before', 1)") == GH_OK);
	CHECK(server_ctl("stop"));
	CHECK(test_query_int(db, "SELECT count(*) FROM t") == -1);
	CHECK(db_lost(db));
	/* While the server is down, every call fails, quickly. */
	t0 = test_now_ms();
	while (test_now_ms() - t0 < 2500) {
		CHECK(test_query_int(db, "SELECT count(*) FROM t") == -1);
		tries++;
		usleep(50 * 1000);
	}
	CHECK(tries > 10);
	CHECK(server_ctl("start"));
	t0 = test_now_ms();
	while (test_now_ms() - t0 < 5000 && (n = test_table_rows(db)) == -1)
		usleep(100 * 1000);
	CHECK(n == 1);
	CHECK(test_now_ms() - t0 <= DB_RECONNECT_INTERVAL_MS + 1000);
	CHECK(test_query_int(db, "SELECT n FROM t WHERE name = 'before'") == 1);
	db_close(db);
}

/* conn_id returns the server's id of db's connection. */
static int64_t
conn_id(struct db *db)
{
	return test_query_int(
	    db, is_mysql() ? "SELECT CONNECTION_ID()" : "SELECT pg_backend_pid()");
}

TEST(idle_connection_survives_a_restart_without_a_failure)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_exec(db, "INSERT INTO t (name, n) VALUES ('before', 1)") == GH_OK);
	CHECK(server_ctl("stop"));
	CHECK(server_ctl("start"));
	/* The first statement after the restart finds the old connection
	 * closed before it sends anything, reconnects, and succeeds. */
	CHECK(test_query_int(db, "SELECT n FROM t WHERE name = 'before'") == 1);
	CHECK(!db_lost(db));
	db_close(db);
}

TEST(idle_connection_killed_is_reopened_before_use)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
	struct db_stmt *st;
	int64_t id;
	bool row;

	if (db == NULL) {
		CHECK(db != NULL);
		return;
	}
	CHECK(db_exec(db, "INSERT INTO t (name, n) VALUES ('kept', 5)") == GH_OK);
	CHECK(db_prepare(db, "SELECT n FROM t WHERE name = 'kept'", &st) == GH_OK);
	db_done(st);
	id = conn_id(db);
	CHECK(kill_conn(db));
	/* A cached statement, a new one, and a transaction all work at once. */
	CHECK(test_query_int(db, "SELECT n FROM t WHERE name = 'kept'") == 5);
	CHECK(!db_lost(db));
	CHECK(conn_id(db) != id);
	usleep((DB_RECONNECT_INTERVAL_MS + 100) * 1000);
	CHECK(kill_conn(db));
	CHECK(db_begin(db) == GH_OK);
	CHECK(db_exec(db, "UPDATE t SET n = n + 1 WHERE name = 'kept'") == GH_OK);
	CHECK(db_commit(db) == GH_OK);
	CHECK(test_query_int(db, "SELECT n FROM t WHERE name = 'kept'") == 6);
	/* A killed connection inside a transaction is still not reopened. */
	usleep((DB_RECONNECT_INTERVAL_MS + 100) * 1000);
	CHECK(db_begin(db) == GH_OK);
	CHECK(kill_conn(db));
	CHECK(db_prepare(db, "SELECT n FROM t WHERE name = 'kept'", &st) != GH_OK ||
	      db_step(st, &row) != GH_OK);
	db_done(st);
	CHECK(db_commit(db) == GH_EDB);
	db_rollback(db);
	CHECK(test_query_int(db, "SELECT n FROM t WHERE name = 'kept'") == 6);
	db_close(db);
}

TEST(healthy_connection_is_kept)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
	struct db *other = test_backend_open(test_cur, BUSY_MS);
	int64_t id;
	int i;

	if (db == NULL || other == NULL) {
		CHECK(db != NULL && other != NULL);
		db_close(db);
		db_close(other);
		return;
	}
	id = conn_id(db);
	for (i = 0; i < 50; i++)
		CHECK(test_query_int(db, "SELECT count(*) FROM t") == 0);
	CHECK(conn_id(db) == id);
	/* PostgreSQL may send a notification unasked: the connection is
	 * asked (pinged) and kept. */
	if (!is_mysql()) {
		CHECK(db_exec(db, "LISTEN gh_test") == GH_OK);
		CHECK(db_exec(other, "NOTIFY gh_test") == GH_OK);
		usleep(200 * 1000);
		CHECK(test_query_int(db, "SELECT count(*) FROM t") == 0);
		CHECK(conn_id(db) == id);
		CHECK(!db_lost(db));
	}
	db_close(other);
	db_close(db);
}

TEST(hung_server_does_not_hang_the_caller)
{
	struct db *db = test_table_open(test_cur, BUSY_MS);
	pid_t pid = db != NULL ? server_pid(db) : -1;
	int64_t t0, took;

	if (db == NULL || pid <= 0) {
		CHECK(db != NULL && pid > 0);
		db_close(db);
		return;
	}
	CHECK(test_query_int(db, "SELECT 1") == 1);
	CHECK(kill(pid, SIGSTOP) == 0);
	CHECK(wait_stopped(pid));
	t0 = test_now_ms();
	CHECK(test_query_int(db, "SELECT count(*) FROM t") == -1);
	took = test_now_ms() - t0;
	CHECK(kill(pid, SIGCONT) == 0);
	/* Given up after the statement timeout and the grace (MariaDB counts
	 * whole seconds). */
	CHECK(took >= BUSY_MS + DB_STATEMENT_EXTRA_MS + DB_CLIENT_GRACE_MS - 500);
	CHECK(took < BUSY_MS + DB_STATEMENT_EXTRA_MS + DB_CLIENT_GRACE_MS + 3000);
	CHECK(db_lost(db));
	usleep((DB_RECONNECT_INTERVAL_MS + 100) * 1000);
	CHECK(test_query_int(db, "SELECT 1") == 1);
	db_close(db);
}

static void
suite(void)
{
	RUN(open_bad_url_or_password_refused);
	RUN(open_over_unix_socket);
	RUN(session_has_statement_and_lock_timeouts);
	RUN(killed_connection_fails_then_reconnects);
	RUN(transaction_lost_with_connection_is_not_finished_elsewhere);
	RUN(transact_is_lost_with_its_connection);
	RUN(server_restart_fails_closed_then_recovers_with_data);
	RUN(idle_connection_survives_a_restart_without_a_failure);
	RUN(idle_connection_killed_is_reopened_before_use);
	RUN(healthy_connection_is_kept);
	RUN(hung_server_does_not_hang_the_caller);
}

int
main(void)
{
	return test_backend_main(TEST_SERVER_BACKENDS, NULL, suite, NULL);
}
