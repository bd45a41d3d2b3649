/*
 * db_sqlite.c: the SQLite driver of the database layer (db.h, db_driver.h).
 *
 * URLs: "sqlite:///abs/path.db" (an absolute path) or "sqlite:rel/path.db"
 * (relative to the working directory).  The file is created when missing;
 * its folder must exist.  Each connection belongs to one thread, so it is
 * opened with SQLITE_OPEN_NOMUTEX; WAL mode lets the check read while a
 * login writes, foreign keys are enforced, synchronous=NORMAL is durable
 * enough under WAL, and a busy timeout makes writers wait for each other
 * (in short naps: sqlite_busy).
 * A failure is logged here, once, with the statement's SQL text (never its
 * values); a unique-key violation is an answer, GH_EEXISTS, and not logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "db_driver.h"
#include "log.h"

static enum gh_err
sqlite_err(sqlite3 *conn, int rc, const char *what, const char *sql)
{
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return GH_EEXISTS;
	if (rc == SQLITE_NOMEM) {
		log_msg(LOG_ERR, "sqlite: %s: out of memory", what);
		return GH_ENOMEM;
	}
	log_msg(LOG_ERR, "sqlite: %s%s%s%s: %s", what, sql ? " \"" : "", sql ? sql : "",
	    sql ? "\"" : "", conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc));
	return GH_EDB;
}

/* sqlite_path returns the file name in url, or NULL when url is malformed. */
static const char *
sqlite_path(const char *url)
{
	if (strncmp(url, "sqlite:", 7) != 0)
		return NULL;
	url += 7;
	if (strncmp(url, "//", 2) == 0) {
		url += 2;
		/* "sqlite:///abs": no host part is allowed. */
		if (url[0] != '/')
			return NULL;
	}
	if (url[0] == '\0')
		return NULL;
	return url;
}

/*
 * sqlite_busy is the busy handler: a connection that finds the database
 * locked by another writer tries again after 1, 2, then 4 ms at a time,
 * until the busy timeout (arg, in milliseconds) is spent.  SQLite's own
 * (sqlite3_busy_timeout) naps up to 100 ms at a time once a wait grows
 * long: under a burst of writers (logins, refresh grants: transactions of
 * a millisecond or two) one of them could lose the lock to the others nap
 * after nap, for hundreds of milliseconds, while it was free most of that
 * time.  The time slept is counted from count, as SQLite's own does.
 */
#define SQLITE_NAP_MAX_MS 4
static int
sqlite_busy(void *arg, int count)
{
	int64_t timeout = (int64_t)(intptr_t)arg;
	int64_t slept = count < 2 ? count : 3 + (int64_t)(count - 2) * SQLITE_NAP_MAX_MS;
	int64_t nap = count < 2 ? count + 1 : SQLITE_NAP_MAX_MS;

	if (slept >= timeout)
		return 0;
	if (nap > timeout - slept)
		nap = timeout - slept;
	sqlite3_sleep((int)nap);
	return 1;
}

static void
sqlite_close(void *conn)
{
	if (conn != NULL)
		sqlite3_close_v2(conn);
}

static enum gh_err
sqlite_open(const char *url, const char *password, int64_t busy_ms, void **out)
{
	const char *path;
	sqlite3 *conn = NULL;
	char *msg = NULL;
	int rc;

	*out = NULL;
	if ((path = sqlite_path(url)) == NULL) {
		log_msg(LOG_ERR,
		    "sqlite: malformed URL \"%s\" (sqlite:///abs/path.db or "
		    "sqlite:rel/path.db)",
		    url);
		return GH_ECONFIG;
	}
	rc = sqlite3_open_v2(
	    path, &conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERR, "sqlite: cannot open %s: %s", path,
		    conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc));
		sqlite_close(conn);
		return GH_EDB;
	}
	sqlite3_extended_result_codes(conn, 1);
	if (busy_ms < 0)
		busy_ms = 0;
	if (busy_ms > INT_MAX)
		busy_ms = INT_MAX;
	sqlite3_busy_handler(conn, sqlite_busy, (void *)(intptr_t)busy_ms);

	/* journal_mode=WAL answers with a row, which sqlite3_exec discards; on a
	 * file that cannot change mode (read-only) it keeps the old one. */
	rc = sqlite3_exec(conn,
	    "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", NULL,
	    NULL, &msg);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERR, "sqlite: %s: %s", path, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		sqlite_close(conn);
		return GH_EDB;
	}
	*out = conn;
	return GH_OK;
}

static enum gh_err
sqlite_exec(void *conn, const char *sql)
{
	char *msg = NULL;
	int rc;
	enum gh_err e = GH_OK;

	rc = sqlite3_exec(conn, sql, NULL, NULL, &msg);
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		e = GH_EEXISTS;
	} else if (rc != SQLITE_OK) {
		log_msg(LOG_ERR, "sqlite: exec: %s", msg ? msg : sqlite3_errstr(rc));
		e = rc == SQLITE_NOMEM ? GH_ENOMEM : GH_EDB;
	}
	sqlite3_free(msg);
	return e;
}

static enum gh_err
sqlite_prepare(void *conn, const char *sql, void **out)
{
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	int rc;

	*out = NULL;
	rc = sqlite3_prepare_v3(conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail);
	if (rc != SQLITE_OK)
		return sqlite_err(conn, rc, "prepare", sql);
	if (st == NULL) {
		log_msg(LOG_ERR, "sqlite: prepare \"%s\": no statement", sql);
		return GH_EINVAL;
	}
	if (tail != NULL && tail[strspn(tail, " \t\r\n;")] != '\0') {
		/* One statement per db_prepare: more would be silently ignored. */
		log_msg(LOG_ERR, "sqlite: prepare \"%s\": more than one statement", sql);
		sqlite3_finalize(st);
		return GH_EINVAL;
	}
	*out = st;
	return GH_OK;
}

static void
sqlite_finalize(void *st)
{
	sqlite3_finalize(st);
}

static enum gh_err
sqlite_bind_rc(void *st, int rc)
{
	enum gh_err e;

	if (rc == SQLITE_OK)
		return GH_OK;
	e = sqlite_err(sqlite3_db_handle(st), rc, "bind", sqlite3_sql(st));
	/* No such parameter: the caller's mistake, as the other drivers say. */
	return rc == SQLITE_RANGE ? GH_EINVAL : e;
}

static enum gh_err
sqlite_bind_text(void *st, int idx, const char *s)
{
	return sqlite_bind_rc(st, sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT));
}

static enum gh_err
sqlite_bind_int64(void *st, int idx, int64_t v)
{
	return sqlite_bind_rc(st, sqlite3_bind_int64(st, idx, v));
}

static enum gh_err
sqlite_bind_null(void *st, int idx)
{
	return sqlite_bind_rc(st, sqlite3_bind_null(st, idx));
}

static enum gh_err
sqlite_step(void *st, bool *row)
{
	int rc = sqlite3_step(st);

	*row = false;
	if (rc == SQLITE_ROW) {
		*row = true;
		return GH_OK;
	}
	if (rc == SQLITE_DONE)
		return GH_OK;
	return sqlite_err(sqlite3_db_handle(st), rc, "step", sqlite3_sql(st));
}

static const char *
sqlite_column_text(void *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

static int64_t
sqlite_column_int64(void *st, int col)
{
	return sqlite3_column_int64(st, col);
}

static bool
sqlite_column_is_null(void *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL;
}

/*
 * Copies the database page by page with the online backup API: other
 * connections keep reading and writing, and the copy is one consistent
 * snapshot (a step that meets a writer's lock waits and goes on).
 */
static enum gh_err
sqlite_backup(void *conn, const char *path)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	enum gh_err e = GH_EDB;
	int rc;

	/* O_EXCL: never overwrite an earlier backup (or anything else). */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return GH_EEXISTS;
		log_msg(LOG_ERR, "sqlite: backup: cannot create %s: %s", path, strerror(errno));
		return GH_EIO;
	}
	close(fd);
	rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		log_msg(LOG_ERR, "sqlite: backup: cannot create %s: %s", path, sqlite3_errmsg(dst));
		goto out;
	}
	if ((b = sqlite3_backup_init(dst, "main", conn, "main")) == NULL) {
		log_msg(LOG_ERR, "sqlite: backup: %s", sqlite3_errmsg(dst));
		goto out;
	}
	do {
		rc = sqlite3_backup_step(b, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	if (sqlite3_backup_finish(b) == SQLITE_OK && rc == SQLITE_DONE)
		e = GH_OK;
	else
		log_msg(LOG_ERR, "sqlite: backup to %s failed: %s", path, sqlite3_errmsg(dst));
out:
	sqlite3_close(dst);
	if (e != GH_OK)
		unlink(path);
	return e;
}

static int
sqlite_param_count(void *st)
{
	return sqlite3_bind_parameter_count(st);
}

static int
sqlite_column_count(void *st)
{
	return sqlite3_column_count(st);
}

static void
sqlite_reset(void *st)
{
	/* sqlite3_reset repeats the last step's error: it was logged there. */
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
}

static int64_t
sqlite_changes(void *conn)
{
	return sqlite3_changes64(conn);
}

static int64_t
sqlite_last_insert_id(void *conn)
{
	return sqlite3_last_insert_rowid(conn);
}

static const char *
sqlite_errmsg(void *conn)
{
	return sqlite3_errmsg(conn);
}

const struct db_driver db_sqlite_driver = {
    .scheme = "sqlite",
    .dialect = DB_SQLITE,
    /* Take the write lock now, so that a transaction never fails half-way
     * when another connection wrote first (SQLITE_BUSY on upgrade is not
     * covered by the busy timeout). */
    .begin = "BEGIN IMMEDIATE",
    .open = sqlite_open,
    .close = sqlite_close,
    .exec = sqlite_exec,
    .prepare = sqlite_prepare,
    .finalize = sqlite_finalize,
    .bind_text = sqlite_bind_text,
    .bind_int64 = sqlite_bind_int64,
    .bind_null = sqlite_bind_null,
    .param_count = sqlite_param_count,
    .step = sqlite_step,
    .column_text = sqlite_column_text,
    .column_int64 = sqlite_column_int64,
    .column_is_null = sqlite_column_is_null,
    .column_count = sqlite_column_count,
    .backup = sqlite_backup,
    .reset = sqlite_reset,
    .changes = sqlite_changes,
    .last_insert_id = sqlite_last_insert_id,
    .errmsg = sqlite_errmsg,
};
