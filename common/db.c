/*
 * db.c: the generic database layer (see db.h) over a struct db_driver
 * (db_driver.h).
 *
 * db_open picks the driver from the URL scheme.  Each connection keeps a
 * cache of its prepared statements keyed by SQL text: an open-addressing hash
 * table of pointers to struct db_stmt, grown by doubling while the program
 * warms up.  After every statement of the program has been prepared once,
 * db_prepare is a hash and a string comparison, and nothing is allocated.
 * A connection belongs to one thread; nothing here locks.  A statement is in
 * use from db_prepare to db_done: code that holds one open must not prepare
 * the same SQL text again before db_done (it would get the same statement).
 *
 * A lost connection (the driver's gone() after a failure) is reopened by
 * the next db_prepare or db_exec, no sooner than DB_RECONNECT_INTERVAL_MS
 * after the last attempt: the driver's statements are finalized first and
 * the cache entries kept with no statement (st->stmt NULL), so that a
 * struct db_stmt a caller still holds stays valid memory; each is prepared
 * again on its next db_prepare.  The URL and password are kept for that and
 * wiped by db_close.  Before a statement outside a transaction the
 * driver's socket is polled, without waiting (db_socket_closed): readable
 * means the server closed the connection or sent something while it sat
 * idle, which a healthy connection between two statements never has to
 * read.  A connection unused for DB_IDLE_CHECK_MS is pinged as well.  On
 * SQLite none of this runs: db->lost is never set and the driver has no
 * ping.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* POLLRDHUP */
#endif

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db_driver.h"
#include "log.h"

#define DB_CACHE_INITIAL 32 /* slots; a power of two */

struct db_stmt {
	struct db *db;
	void *stmt; /* the driver's statement */
	char *sql;  /* the key, owned */
	uint32_t hash;
};

struct db {
	const struct db_driver *drv;
	void *conn;             /* NULL after a failed reconnect */
	struct db_stmt **slots; /* open addressing, linear probing */
	size_t nslots;          /* a power of two */
	size_t nused;
	/* For reconnecting (server databases only). */
	char *url;
	char *password;
	int64_t busy_ms;
	bool lost;           /* reconnect before the next statement */
	bool in_tx;          /* between db_begin and db_commit/db_rollback */
	int64_t next_try_ms; /* monotonic time of the earliest reconnect */
	int64_t used_ms;     /* monotonic time of the last db_prepare or db_exec */
};

static const struct db_driver *const db_drivers[] = {
    &db_sqlite_driver,
#ifdef HAVE_MYSQL
    &db_mysql_driver,
#endif
#ifdef HAVE_PGSQL
    &db_pgsql_driver,
#endif
};

/* FNV-1a over the SQL text. */
static uint32_t
db_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* db_scheme_is tells whether url starts with scheme and a colon. */
static bool
db_scheme_is(const char *url, const char *scheme)
{
	size_t n;

	if (scheme == NULL)
		return false;
	n = strlen(scheme);
	return strncmp(url, scheme, n) == 0 && url[n] == ':';
}

static const struct db_driver *
db_driver_for(const char *url)
{
	size_t i;

	for (i = 0; i < sizeof(db_drivers) / sizeof(db_drivers[0]); i++)
		if (db_scheme_is(url, db_drivers[i]->scheme) ||
		    db_scheme_is(url, db_drivers[i]->alias))
			return db_drivers[i];
	return NULL;
}

const char *
db_url_problem(const char *url)
{
	const struct db_driver *drv = url != NULL ? db_driver_for(url) : NULL;

	return drv != NULL && drv->url_problem != NULL ? drv->url_problem(url) : NULL;
}

enum gh_err
db_open(const char *url, const char *password, int64_t busy_timeout_ms, struct db **out)
{
	const struct db_driver *drv;
	const char *why;
	struct db *db;
	enum gh_err e;

	*out = NULL;
	if (url == NULL || (drv = db_driver_for(url)) == NULL) {
		/* Only the scheme is logged: a URL might carry a password. */
		if (url != NULL && db_scheme_is(url, "mysql"))
			log_msg(LOG_ERR, "database: built without the MariaDB/MySQL driver "
			                 "(configure --with-mysql, with libmariadb's headers)");
		else if (url != NULL &&
		         (db_scheme_is(url, "postgresql") || db_scheme_is(url, "postgres")))
			log_msg(LOG_ERR, "database: built without the PostgreSQL driver "
			                 "(configure --with-pgsql, with libpq's headers)");
		else
			log_msg(LOG_ERR, "database: unsupported URL scheme \"%.*s\"",
			    url ? (int)strcspn(url, ":/@") : 0, url ? url : "");
		return GH_ECONFIG;
	}
	if (drv->url_problem != NULL && (why = drv->url_problem(url)) != NULL) {
		log_msg(LOG_ERR, "database: the URL %s", why);
		return GH_ECONFIG;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		log_msg(LOG_ERR, "database: out of memory");
		return GH_ENOMEM;
	}
	db->drv = drv;
	db->busy_ms = busy_timeout_ms;
	db->nslots = DB_CACHE_INITIAL;
	e = GH_ENOMEM;
	if ((db->slots = calloc(db->nslots, sizeof(*db->slots))) == NULL ||
	    (drv->gone != NULL &&
	        ((db->url = strdup(url)) == NULL ||
	            (password != NULL && (db->password = strdup(password)) == NULL)))) {
		log_msg(LOG_ERR, "database: out of memory");
		goto fail;
	}
	if ((e = drv->open(url, password, busy_timeout_ms, &db->conn)) != GH_OK)
		goto fail;
	db->used_ms = db_now_ms();
	*out = db;
	return GH_OK;
fail:
	db_close(db);
	return e;
}

/* db_drop_statements finalizes the driver's statements and keeps the cache
 * entries, empty, for the callers that may still hold them. */
static void
db_drop_statements(struct db *db)
{
	size_t i;
	struct db_stmt *st;

	for (i = 0; i < db->nslots; i++) {
		if ((st = db->slots[i]) == NULL || st->stmt == NULL)
			continue;
		db->drv->finalize(st->stmt);
		st->stmt = NULL;
	}
}

void
db_close(struct db *db)
{
	size_t i;

	if (db == NULL)
		return;
	if (db->slots != NULL) {
		db_drop_statements(db);
		for (i = 0; i < db->nslots; i++) {
			if (db->slots[i] == NULL)
				continue;
			free(db->slots[i]->sql);
			free(db->slots[i]);
		}
	}
	free(db->slots);
	if (db->conn != NULL)
		db->drv->close(db->conn);
	if (db->password != NULL)
		crypto_wipe(db->password, strlen(db->password));
	free(db->password);
	free(db->url);
	free(db);
}

/* db_failed marks the connection lost when the driver says the failure e
 * left it unusable; returns e. */
static enum gh_err
db_failed(struct db *db, enum gh_err e)
{
	if (e == GH_OK || e == GH_EEXISTS || db->lost || db->drv->gone == NULL)
		return e;
	if (db->conn == NULL || db->drv->gone(db->conn)) {
		db->lost = true;
		log_msg(
		    LOG_WARNING, "database: connection lost; reconnecting at the next statement");
	}
	return e;
}

/* db_reconnect reopens a lost connection, at most once per interval and
 * never inside a transaction (see db.h). */
static enum gh_err
db_reconnect(struct db *db)
{
	int64_t now = db_now_ms();
	enum gh_err e;

	if (db->in_tx || now < db->next_try_ms)
		return GH_EDB;
	db->next_try_ms = now + DB_RECONNECT_INTERVAL_MS;
	db_drop_statements(db);
	if (db->conn != NULL)
		db->drv->close(db->conn);
	db->conn = NULL;
	/* The driver logs why it could not connect. */
	if ((e = db->drv->open(db->url, db->password, db->busy_ms, &db->conn)) != GH_OK)
		return e == GH_ENOMEM ? e : GH_EDB;
	db->lost = false;
	log_msg(LOG_NOTICE, "database: reconnected");
	return GH_OK;
}

/* db_socket_closed tells, from a poll(2) of the connection's socket that
 * does not wait, whether the server closed the connection: a hang-up or an
 * error, or data to read (its last words, or the end of the stream) that a
 * ping then finds unusable.  Nothing to read, the healthy case, costs this
 * one system call. */
static bool
db_socket_closed(struct db *db)
{
	struct pollfd pfd;
	int n;

	if (db->drv->socket == NULL)
		return false;
	if ((pfd.fd = db->drv->socket(db->conn)) < 0)
		return true;
	pfd.events = POLLIN;
#ifdef POLLRDHUP
	pfd.events |= POLLRDHUP;
#endif
	pfd.revents = 0;
	while ((n = poll(&pfd, 1, 0)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return false; /* nothing happened (or poll failed: the statement tells) */
#ifdef POLLRDHUP
	if (pfd.revents & POLLRDHUP)
		return true;
#endif
	if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
		return true;
	/* Something unasked, such as PostgreSQL's notifications: ask. */
	return db->drv->ping(db->conn) != GH_OK;
}

/* db_check_idle runs before a statement outside a transaction: it marks the
 * connection lost when the server closed it since the last statement
 * (db_socket_closed) or, unused for DB_IDLE_CHECK_MS, it does not answer a
 * ping. */
static void
db_check_idle(struct db *db)
{
	int64_t now = db_now_ms();

	if (!db->lost && !db->in_tx && db->conn != NULL &&
	    (db_socket_closed(db) ||
	        (now - db->used_ms >= DB_IDLE_CHECK_MS && db->drv->ping(db->conn) != GH_OK))) {
		db->lost = true;
		log_msg(LOG_WARNING, "database: connection lost while idle; reconnecting");
	}
	db->used_ms = now;
}

bool
db_url_is_server(const char *url)
{
	const struct db_driver *drv = url != NULL ? db_driver_for(url) : NULL;

	return drv != NULL && drv->dialect != DB_SQLITE;
}

enum gh_err
db_wait_notifications(
    struct db *db, int timeout_ms, void (*fn)(const char *payload, void *arg), void *arg)
{
	enum gh_err e;
	int64_t now;

	if (db->drv->notifications == NULL)
		return GH_EINVAL;
	if (db->lost || db->conn == NULL)
		return GH_EDB;
	e = db->drv->notifications(db->conn, timeout_ms, fn, arg);
	now = db_now_ms();
	if (e == GH_OK && now - db->used_ms >= DB_LISTEN_PING_MS) {
		e = db->drv->ping(db->conn);
		db->used_ms = now;
	}
	if (e != GH_OK) {
		db->lost = true;
		log_msg(LOG_WARNING, "database: the listening connection was lost");
	}
	return e;
}

bool
db_lost(const struct db *db)
{
	return db->lost;
}

enum db_dialect
db_dialect(const struct db *db)
{
	return db->drv->dialect;
}

const char *
db_dialect_name(enum db_dialect d)
{
	static const char *const names[DB_NDIALECTS] = {
	    [DB_SQLITE] = "sqlite",
	    [DB_MYSQL] = "mysql",
	    [DB_POSTGRESQL] = "postgresql",
	};

	return (unsigned int)d < DB_NDIALECTS ? names[d] : "unknown";
}

enum gh_err
db_exec(struct db *db, const char *sql)
{
	enum gh_err e;

	if (db->drv->ping != NULL)
		db_check_idle(db);
	if (db->lost && (e = db_reconnect(db)) != GH_OK)
		return e;
	return db_failed(db, db->drv->exec(db->conn, sql));
}

/* db_cache_grow doubles the table; GH_ENOMEM leaves it as it was. */
static enum gh_err
db_cache_grow(struct db *db)
{
	struct db_stmt **slots;
	size_t i, j, n = db->nslots * 2;

	if (n < db->nslots || n > SIZE_MAX / sizeof(*slots))
		return GH_ENOMEM;
	if ((slots = calloc(n, sizeof(*slots))) == NULL)
		return GH_ENOMEM;
	for (i = 0; i < db->nslots; i++) {
		if (db->slots[i] == NULL)
			continue;
		for (j = db->slots[i]->hash & (n - 1); slots[j] != NULL; j = (j + 1) & (n - 1))
			;
		slots[j] = db->slots[i];
	}
	free(db->slots);
	db->slots = slots;
	db->nslots = n;
	return GH_OK;
}

enum gh_err
db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	struct db_stmt *st;
	uint32_t h = db_hash(sql);
	size_t i, mask = db->nslots - 1;
	enum gh_err e;

	*out = NULL;
	if (sql[strspn(sql, " \t\r\n;")] == '\0') {
		/* The drivers differ here (MariaDB fails, PostgreSQL prepares an
		 * empty query): refused alike, before any of them sees it. */
		log_msg(LOG_ERR, "database: prepare: no statement");
		return GH_EINVAL;
	}
	if (db->drv->ping != NULL)
		db_check_idle(db);
	if (db->lost && (e = db_reconnect(db)) != GH_OK)
		return e;
	for (i = h & mask; (st = db->slots[i]) != NULL; i = (i + 1) & mask) {
		if (st->hash == h && (st->sql == sql || strcmp(st->sql, sql) == 0)) {
			/* Dropped by a reconnect: prepare it on the new connection. */
			if (st->stmt == NULL && (e = db_failed(db, db->drv->prepare(db->conn, sql,
			                                               &st->stmt))) != GH_OK)
				return e;
			*out = st;
			return GH_OK;
		}
	}

	/* First use on this connection: prepare and remember it. */
	if ((db->nused + 1) * 4 > db->nslots * 3) {
		if (db_cache_grow(db) != GH_OK) {
			log_msg(LOG_ERR, "database: out of memory");
			return GH_ENOMEM;
		}
		mask = db->nslots - 1;
		for (i = h & mask; db->slots[i] != NULL; i = (i + 1) & mask)
			;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL || (st->sql = strdup(sql)) == NULL) {
		free(st);
		log_msg(LOG_ERR, "database: out of memory");
		return GH_ENOMEM;
	}
	if ((e = db_failed(db, db->drv->prepare(db->conn, sql, &st->stmt))) != GH_OK) {
		free(st->sql);
		free(st);
		return e;
	}
	st->db = db;
	st->hash = h;
	db->slots[i] = st;
	db->nused++;
	*out = st;
	return GH_OK;
}

/* A statement whose driver statement was dropped by a reconnect (stmt NULL)
 * fails, reads as NULL and resets as a no-op until its next db_prepare. */

enum gh_err
db_bind_text(struct db_stmt *st, int idx, const char *s)
{
	if (st->stmt == NULL)
		return GH_EDB;
	if (s == NULL)
		return st->db->drv->bind_null(st->stmt, idx);
	return st->db->drv->bind_text(st->stmt, idx, s);
}

enum gh_err
db_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
	if (st->stmt == NULL)
		return GH_EDB;
	return st->db->drv->bind_int64(st->stmt, idx, v);
}

enum gh_err
db_bind_null(struct db_stmt *st, int idx)
{
	if (st->stmt == NULL)
		return GH_EDB;
	return st->db->drv->bind_null(st->stmt, idx);
}

enum gh_err
db_bind_values(struct db_stmt *st, const struct db_value *v, size_t n)
{
	enum gh_err e = GH_OK;
	int want;
	size_t i;

	if (st->stmt == NULL)
		return GH_EDB;
	if ((want = st->db->drv->param_count(st->stmt)) < 0 || (size_t)want != n) {
		log_msg(LOG_ERR, "database: \"%s\": %d parameter(s), %zu value(s) given", st->sql,
		    want, n);
		return GH_EINVAL;
	}
	for (i = 0; i < n && e == GH_OK; i++) {
		switch (v[i].type) {
		case DB_VALUE_NULL:
			e = db_bind_null(st, (int)i + 1);
			break;
		case DB_VALUE_TEXT:
			e = db_bind_text(st, (int)i + 1, v[i].u.text);
			break;
		case DB_VALUE_INT64:
			e = db_bind_int64(st, (int)i + 1, v[i].u.int64);
			break;
		default:
			log_msg(LOG_ERR, "database: \"%s\": value %zu has no type", st->sql, i + 1);
			e = GH_EINVAL;
		}
	}
	return e;
}

enum gh_err
db_run_values(struct db *db, const char *sql, const struct db_value *v, size_t n)
{
	struct db_stmt *st;
	enum gh_err e;
	bool row;

	if ((e = db_prepare(db, sql, &st)) != GH_OK)
		return e;
	if ((e = db_bind_values(st, v, n)) == GH_OK)
		e = db_step(st, &row);
	db_done(st);
	return e;
}

enum gh_err
db_run_batches_values(
    struct db *db, int64_t *changed, const char *sql, const struct db_value *v, size_t n)
{
	int64_t batch;
	enum gh_err e;

	if (changed != NULL)
		*changed = 0;
	do {
		e = db_run_values(db, sql, v, n);
		batch = e == GH_OK ? db_changes(db) : 0;
		if (changed != NULL)
			*changed += batch;
	} while (e == GH_OK && batch > 0);
	return e;
}

enum gh_err
db_step(struct db_stmt *st, bool *row)
{
	*row = false;
	if (st->stmt == NULL)
		return GH_EDB;
	return db_failed(st->db, st->db->drv->step(st->stmt, row));
}

const char *
db_column_text(struct db_stmt *st, int col)
{
	if (st->stmt == NULL)
		return NULL;
	return st->db->drv->column_text(st->stmt, col);
}

int64_t
db_column_int64(struct db_stmt *st, int col)
{
	if (st->stmt == NULL)
		return 0;
	return st->db->drv->column_int64(st->stmt, col);
}

int
db_column_count(struct db_stmt *st)
{
	if (st->stmt == NULL || st->db->drv->column_count == NULL)
		return -1;
	return st->db->drv->column_count(st->stmt);
}

bool
db_column_is_null(struct db_stmt *st, int col)
{
	if (st->stmt == NULL)
		return true;
	return st->db->drv->column_is_null(st->stmt, col);
}

void
db_done(struct db_stmt *st)
{
	if (st != NULL && st->stmt != NULL)
		st->db->drv->reset(st->stmt);
}

int64_t
db_changes(struct db *db)
{
	if (db->conn == NULL)
		return 0;
	return db->drv->changes(db->conn);
}

int64_t
db_last_insert_id(struct db *db)
{
	if (db->conn == NULL)
		return 0;
	return db->drv->last_insert_id(db->conn);
}

enum gh_err
db_begin(struct db *db)
{
	enum gh_err e;

	/* The driver's BEGIN: SQLite's takes the write lock at once. */
	if ((e = db_run_values(db, db->drv->begin, NULL, 0)) == GH_OK)
		db->in_tx = true;
	return e;
}

enum gh_err
db_commit(struct db *db)
{
	enum gh_err e;

	/* A transaction on a lost connection was lost with it. */
	if (db->lost)
		return GH_EDB;
	if ((e = db_run_values(db, "COMMIT", NULL, 0)) == GH_OK)
		db->in_tx = false;
	return e;
}

void
db_rollback(struct db *db)
{
	db->in_tx = false;
	/* The server rolled back the lost connection's transaction itself. */
	if (!db->lost)
		(void)db_run_values(db, "ROLLBACK", NULL, 0);
}

enum gh_err
db_transact(struct db *db, enum gh_err (*fn)(struct db *db, void *arg), void *arg)
{
	enum gh_err e;

	if ((e = db_begin(db)) != GH_OK)
		return e;
	if ((e = fn(db, arg)) == GH_OK && (e = db_commit(db)) == GH_OK)
		return GH_OK;
	db_rollback(db);
	return e;
}

enum gh_err
db_backup(struct db *db, const char *path)
{
	if (db->drv->backup == NULL)
		return GH_EINVAL;
	if (db->conn == NULL)
		return GH_EDB;
	return db->drv->backup(db->conn, path);
}

const char *
db_errmsg(struct db *db)
{
	if (db->conn == NULL)
		return "not connected";
	return db->drv->errmsg(db->conn);
}
