/*
 * db.h: the database layer, one connection per worker thread.
 *
 * A driver (db_sqlite.c, db_mysql.c, db_pgsql.c) fills struct db_driver,
 * declared in db_driver.h, which only the layer itself includes; the URL
 * scheme selects it.  SQL is written once with "?" placeholders
 * (drivers that number them rewrite the text).  Statements come from
 * db_prepare(), which caches them per connection by SQL text, so the hot
 * path prepares once per thread; db_done() resets a statement for reuse.  All
 * values are bound as parameters: there is no string-built SQL anywhere.
 * db_bind binds all of a statement's values in one call, db_run prepares,
 * binds and runs a statement in one, and db_transact runs a function in a
 * transaction, committed or rolled back.
 *
 * Server databases go away (a restart, a network cut, a killed connection,
 * a hung server past its timeouts).  The call that finds out fails with
 * GH_EDB and the connection is marked lost: its statements are dropped and
 * the next db_prepare or db_exec reconnects, at most once a second, failing
 * with GH_EDB while the server stays away (the responders answer 503).  A
 * transaction that was open on the lost connection is gone with it: until
 * the caller calls db_rollback (db_transact does), nothing reconnects, so
 * the rest of that transaction can never run on its own on a new
 * connection.
 *
 * A worker that sat idle while the server went away must not fail its next
 * request for it.  So, outside a transaction, db_prepare and db_exec first
 * look at the connection's socket with poll(2), without waiting and without
 * a round trip: when the server closed it meanwhile (a restart, a killed
 * connection, MySQL's wait_timeout, PostgreSQL's idle_session_timeout) the
 * connection is reopened at once and the statement runs on the new one;
 * when the server sent something unasked, a ping decides.  That is before
 * anything is sent, so nothing runs twice, and never inside a transaction
 * (its BEGIN is checked like any statement).  A connection left unused for
 * DB_IDLE_CHECK_MS is also pinged, for what a socket does not show (a
 * firewall that dropped the connection silently).  A worker whose reconnect
 * failed while the server was away tries again DB_RECONNECT_INTERVAL_MS
 * after that attempt at the latest.  SQLite connections are never lost.
 */
#ifndef GH_DB_H
#define GH_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct db;
struct db_stmt;

/* Server databases only (see db_open and above). */
#define DB_STATEMENT_EXTRA_MS 10000   /* server's statement timeout past the busy timeout */
#define DB_CLIENT_GRACE_MS 5000       /* client's wait for an answer past that */
#define DB_CONNECT_TIMEOUT_S 5        /* connecting */
#define DB_RECONNECT_INTERVAL_MS 1000 /* at most one reconnect attempt per interval */
#define DB_IDLE_CHECK_MS 10000        /* a connection unused this long is pinged before use */

/* db_open connects to url: "sqlite:///abs/path.db" or "sqlite:relative.db";
 * "mysql://user@host[:port]/db" or "mysql://user@localhost/db?socket=/path"
 * (when built with MariaDB); "postgresql://..." (or "postgres://") as libpq
 * takes it (when built with PostgreSQL).  password is for server databases
 * (may be NULL; it is kept, for reconnecting, until db_close wipes it).  busy_timeout_ms bounds
 * the time a statement waits for a lock; on server databases a statement is
 * also cancelled by the server after busy_timeout_ms + DB_STATEMENT_EXTRA_MS
 * and given up by the client DB_CLIENT_GRACE_MS after that, and connecting
 * gives up after DB_CONNECT_TIMEOUT_S.  A failure is logged (never the
 * password); *out is NULL then. */
enum gh_err db_open(
    const char *url, const char *password, int64_t busy_timeout_ms, struct db **out);
/*
 * db_url_problem checks url without connecting: NULL when its driver takes
 * it, else why not, as a phrase for a config error ("must ...").  Beyond
 * its form, it holds the transport rule: a server database that is not on
 * this machine (a host other than "localhost", 127.0.0.0/8, ::1 or a Unix
 * socket; names are not resolved) must be reached over TLS, sslmode=require,
 * verify-ca or verify-full, unless the URL says sslmode=disable.  db_open
 * refuses what it refuses (GH_ECONFIG, logged); a URL of a driver that is
 * not built is left to db_open.
 */
const char *db_url_problem(const char *url);
void db_close(struct db *db);
/* db_url_is_server tells whether url is of a server database's driver
 * (MariaDB/MySQL, PostgreSQL) that is built, not SQLite's. */
bool db_url_is_server(const char *url);
/*
 * The SQL dialects, one per driver.  Most SQL is one text for all of them;
 * where a statement differs, its module keeps one set of texts per dialect,
 * an array indexed by enum db_dialect, and picks the set once per call.
 */
enum db_dialect {
	DB_SQLITE,
	DB_MYSQL, /* MariaDB or MySQL */
	DB_POSTGRESQL,
};
#define DB_NDIALECTS (DB_POSTGRESQL + 1) /* the size of an array indexed by dialect */
/*
 * db_wait_notifications (PostgreSQL only, else GH_EINVAL) waits up to
 * timeout_ms for notifications on the channels db LISTENs to (db_exec
 * "LISTEN name") and calls fn with each payload.  It never reconnects: a
 * reconnected connection would listen to nothing, and its caller must
 * know.  So a lost connection is GH_EDB here, always, until the caller
 * runs db_exec again (which reconnects, as above) and LISTENs anew.  A
 * connection that sends nothing for DB_LISTEN_PING_MS is pinged, so that
 * one that stopped answering is found out too.
 */
#define DB_LISTEN_PING_MS 1000
enum gh_err db_wait_notifications(
    struct db *db, int timeout_ms, void (*fn)(const char *payload, void *arg), void *arg);
/* db_dialect returns the dialect of db's driver. */
enum db_dialect db_dialect(const struct db *db);
/* db_dialect_name returns "sqlite", "mysql" or "postgresql" (the folder of
 * sql/ that holds the dialect's migrations), "unknown" for another value. */
const char *db_dialect_name(enum db_dialect d);
/* db_exec runs a script of statements without parameters (migrations).
 * Like db_prepare, it reconnects a lost connection first. */
enum gh_err db_exec(struct db *db, const char *sql);
/* db_prepare returns the connection's statement for sql (prepared on first
 * use).  The statement belongs to db: never free it, call db_done.  After
 * the connection was lost it reconnects first (see above); a statement
 * still held across that reconnect answers GH_EDB, NULL and 0 until its
 * db_done, and is prepared again by its next db_prepare.  sql is one
 * statement: none (only blanks and ";") is GH_EINVAL on every driver, two
 * are refused (GH_EINVAL on SQLite, the server's GH_EDB on the others). */
enum gh_err db_prepare(struct db *db, const char *sql, struct db_stmt **out);
/* Parameters are numbered from 1; the text is copied (NULL binds NULL). */
enum gh_err db_bind_text(struct db_stmt *st, int idx, const char *s);
enum gh_err db_bind_int64(struct db_stmt *st, int idx, int64_t v);
enum gh_err db_bind_null(struct db_stmt *st, int idx);
/*
 * All of a statement's parameters at once:
 *
 *	e = db_bind(st, DB_TEXT(name), DB_INT64(now), DB_NULL);
 *
 * binds parameters 1, 2 and 3, as db_bind_text, db_bind_int64 and
 * db_bind_null would.  The values are not C varargs but an array that the
 * compiler builds and counts: a value of the wrong C type is a compiler
 * diagnostic (DB_TEXT takes a const char *, DB_INT64 an integer) and a
 * missing one cannot be read past.  Their number must be the statement's
 * number of parameters, else nothing is bound and the answer is GH_EINVAL
 * (logged, with the SQL text).  Each argument is evaluated once.  Give at
 * least one value; db_bind_values and db_run_values take an array (NULL
 * and 0 for none).
 */
enum db_value_type { DB_VALUE_NULL, DB_VALUE_TEXT, DB_VALUE_INT64 };
struct db_value {
	enum db_value_type type;
	union {
		const char *text; /* NULL binds NULL */
		int64_t int64;
	} u;
};
#define DB_TEXT(s) ((struct db_value){.type = DB_VALUE_TEXT, .u.text = (s)})
#define DB_INT64(v) ((struct db_value){.type = DB_VALUE_INT64, .u.int64 = (v)})
#define DB_NULL ((struct db_value){.type = DB_VALUE_NULL})
/* DB_VALUES(...) is an array of the values and its length, two arguments. */
#define DB_VALUES(...)                          \
	(const struct db_value[]){__VA_ARGS__}, \
	    sizeof((const struct db_value[]){__VA_ARGS__}) / sizeof(struct db_value)
#define db_bind(st, ...) db_bind_values((st), DB_VALUES(__VA_ARGS__))
/* db_bind_values binds v[0], ..., v[n - 1] to parameters 1 to n (db_bind). */
enum gh_err db_bind_values(struct db_stmt *st, const struct db_value *v, size_t n);
/*
 * db_run runs a statement that returns no rows (INSERT, UPDATE, DELETE) in
 * one call: db_prepare, db_bind with the values, one db_step and db_done.
 * db_changes and db_last_insert_id tell the rest.
 *
 *	e = db_run(db, "UPDATE t SET n = ? WHERE id = ?", DB_INT64(n), DB_INT64(id));
 */
#define db_run(db, sql, ...) db_run_values((db), (sql), DB_VALUES(__VA_ARGS__))
enum gh_err db_run_values(struct db *db, const char *sql, const struct db_value *v, size_t n);
/*
 * db_run_batches runs sql, a DELETE of one batch (its LIMIT), with the
 * values again and again until it deletes nothing: each batch is its own
 * statement, so a purge of a million rows never holds its locks for long.
 * *changed (may be NULL) gets the rows deleted, also after an error.
 */
#define db_run_batches(db, changed, sql, ...) \
	db_run_batches_values((db), (changed), (sql), DB_VALUES(__VA_ARGS__))
enum gh_err db_run_batches_values(
    struct db *db, int64_t *changed, const char *sql, const struct db_value *v, size_t n);
/* db_step runs the statement or moves to the next row: *row is true when a
 * row is available. */
enum gh_err db_step(struct db_stmt *st, bool *row);
/* Columns are numbered from 0; text is valid until the next step or done.
 * NULL is returned as NULL text and 0. */
const char *db_column_text(struct db_stmt *st, int col);
int64_t db_column_int64(struct db_stmt *st, int col);
bool db_column_is_null(struct db_stmt *st, int col);
/* db_column_count returns the number of columns of st's result (after a
 * step), or -1 when unknown. */
int db_column_count(struct db_stmt *st);
/* db_done resets st and clears its bindings for the next use. */
void db_done(struct db_stmt *st);
/* db_changes returns the rows changed (matched, for an UPDATE) by the last
 * INSERT, UPDATE or DELETE; 0 while the connection is lost. */
int64_t db_changes(struct db *db);
/* db_last_insert_id returns the id the last INSERT into a table with an
 * auto-increment / identity id generated on this connection (0: none). */
int64_t db_last_insert_id(struct db *db);
/*
 * db_transact runs fn(db, arg) in a transaction: db_begin, then fn, then
 * db_commit when fn returned GH_OK; db_rollback when fn or the commit
 * failed.  Returns the first failure of the three (fn's own error as it
 * is), or GH_OK once committed.  fn runs its statements on db and neither
 * begins, commits nor rolls back: transactions do not nest (MariaDB's
 * BEGIN would commit the open one).  A connection lost inside fn is not
 * reconnected until the rollback (above): fn's later statements fail with
 * GH_EDB, and nothing of the transaction runs on a new connection.
 */
enum gh_err db_transact(struct db *db, enum gh_err (*fn)(struct db *db, void *arg), void *arg);
/* The steps of db_transact, for a transaction that does not fit one
 * function: use these, not db_exec("BEGIN"), so that a connection lost
 * inside one is not reconnected before db_rollback.  db_commit failing
 * leaves the transaction to the caller's db_rollback. */
enum gh_err db_begin(struct db *db);
enum gh_err db_commit(struct db *db);
void db_rollback(struct db *db);
/* db_backup writes a consistent copy of the database to the new file path
 * while others keep using it (SQLite's online backup).  GH_EINVAL for a
 * server database: use mysqldump or pg_dump there.  GH_EEXISTS when path
 * exists. */
enum gh_err db_backup(struct db *db, const char *path);
/* db_errmsg returns the driver's last error message (for logs). */
const char *db_errmsg(struct db *db);
/* db_lost tells whether the connection is marked lost (waiting for its
 * reconnect); for tests and health checks. */
bool db_lost(const struct db *db);

#endif
