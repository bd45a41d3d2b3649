/*
 * db.h: the database layer, one connection per worker thread.
 *
 * A driver (db_sqlite.c now; MariaDB and PostgreSQL later) fills struct
 * db_driver; the URL scheme selects it.  SQL is written once with "?"
 * placeholders (drivers that number them rewrite the text).  Statements come
 * from db_prepare(), which caches them per connection by SQL text, so the hot
 * path prepares once per thread; db_done() resets a statement for reuse.  All
 * values are bound as parameters: there is no string-built SQL anywhere.
 */
#ifndef GH_DB_H
#define GH_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct db;
struct db_stmt;

/* db_open connects to url ("sqlite:///abs/path.db" or "sqlite:relative.db").
 * password is for server databases (may be NULL).  busy_timeout_ms bounds the
 * time a statement waits for a lock. */
enum gh_err db_open(const char *url, const char *password, int64_t busy_timeout_ms,
    struct db **out);
void db_close(struct db *db);
/* db_dialect returns "sqlite", "mysql" or "postgresql". */
const char *db_dialect(const struct db *db);
/* db_exec runs a script of statements without parameters (migrations). */
enum gh_err db_exec(struct db *db, const char *sql);
/* db_prepare returns the connection's statement for sql (prepared on first
 * use).  The statement belongs to db: never free it, call db_done. */
enum gh_err db_prepare(struct db *db, const char *sql, struct db_stmt **out);
/* Parameters are numbered from 1; the text is copied. */
enum gh_err db_bind_text(struct db_stmt *st, int idx, const char *s);
enum gh_err db_bind_int64(struct db_stmt *st, int idx, int64_t v);
enum gh_err db_bind_null(struct db_stmt *st, int idx);
/* db_step runs the statement or moves to the next row: *row is true when a
 * row is available. */
enum gh_err db_step(struct db_stmt *st, bool *row);
/* Columns are numbered from 0; text is valid until the next step or done.
 * NULL is returned as NULL text and 0. */
const char *db_column_text(struct db_stmt *st, int col);
int64_t db_column_int64(struct db_stmt *st, int col);
bool db_column_is_null(struct db_stmt *st, int col);
/* db_done resets st and clears its bindings for the next use. */
void db_done(struct db_stmt *st);
/* db_changes returns the rows changed by the last statement. */
int64_t db_changes(struct db *db);
int64_t db_last_insert_id(struct db *db);
enum gh_err db_begin(struct db *db);
enum gh_err db_commit(struct db *db);
void db_rollback(struct db *db);
/* db_errmsg returns the driver's last error message (for logs). */
const char *db_errmsg(struct db *db);

/* The function table a driver provides (see db_sqlite.c). */
struct db_driver {
	const char *scheme; /* URL scheme, e.g. "sqlite" */
	const char *dialect;
	enum gh_err (*open)(const char *url, const char *password, int64_t busy_ms, void **conn);
	void (*close)(void *conn);
	enum gh_err (*exec)(void *conn, const char *sql);
	enum gh_err (*prepare)(void *conn, const char *sql, void **stmt);
	void (*finalize)(void *stmt);
	enum gh_err (*bind_text)(void *stmt, int idx, const char *s);
	enum gh_err (*bind_int64)(void *stmt, int idx, int64_t v);
	enum gh_err (*bind_null)(void *stmt, int idx);
	enum gh_err (*step)(void *stmt, bool *row);
	const char *(*column_text)(void *stmt, int col);
	int64_t (*column_int64)(void *stmt, int col);
	bool (*column_is_null)(void *stmt, int col);
	void (*reset)(void *stmt);
	int64_t (*changes)(void *conn);
	int64_t (*last_insert_id)(void *conn);
	const char *(*errmsg)(void *conn);
};

extern const struct db_driver db_sqlite_driver;

#endif
