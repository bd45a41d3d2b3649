/*
 * db.c: the generic database layer (see db.h) over a struct db_driver.
 *
 * db_open picks the driver from the URL scheme.  Each connection keeps a
 * cache of its prepared statements keyed by SQL text: an open-addressing hash
 * table of pointers to struct db_stmt, grown by doubling while the program
 * warms up.  After every statement of the program has been prepared once,
 * db_prepare is a hash and a string comparison, and nothing is allocated.
 * A connection belongs to one thread; nothing here locks.  A statement is in
 * use from db_prepare to db_done: code that holds one open must not prepare
 * the same SQL text again before db_done (it would get the same statement).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

#define DB_CACHE_INITIAL 32 /* slots; a power of two */

struct db_stmt {
	struct db *db;
	void *stmt; /* the driver's statement */
	char *sql; /* the key, owned */
	uint32_t hash;
};

struct db {
	const struct db_driver *drv;
	void *conn;
	struct db_stmt **slots; /* open addressing, linear probing */
	size_t nslots; /* a power of two */
	size_t nused;
};

static const struct db_driver *const db_drivers[] = {
    &db_sqlite_driver,
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

static const struct db_driver *
db_driver_for(const char *url)
{
	size_t i, n;

	for (i = 0; i < sizeof(db_drivers) / sizeof(db_drivers[0]); i++) {
		n = strlen(db_drivers[i]->scheme);
		if (strncmp(url, db_drivers[i]->scheme, n) == 0 && url[n] == ':')
			return db_drivers[i];
	}
	return NULL;
}

enum gh_err
db_open(const char *url, const char *password, int64_t busy_timeout_ms, struct db **out)
{
	const struct db_driver *drv;
	struct db *db;
	enum gh_err e;

	*out = NULL;
	if (url == NULL || (drv = db_driver_for(url)) == NULL) {
		/* Only the scheme is logged: a URL might carry a password. */
		log_msg(LOG_ERR, "database: unsupported URL scheme \"%.*s\"",
		    url ? (int)strcspn(url, ":/@") : 0, url ? url : "");
		return GH_ECONFIG;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		log_msg(LOG_ERR, "database: out of memory");
		return GH_ENOMEM;
	}
	db->drv = drv;
	db->nslots = DB_CACHE_INITIAL;
	if ((db->slots = calloc(db->nslots, sizeof(*db->slots))) == NULL) {
		free(db);
		log_msg(LOG_ERR, "database: out of memory");
		return GH_ENOMEM;
	}
	if ((e = drv->open(url, password, busy_timeout_ms, &db->conn)) != GH_OK) {
		free(db->slots);
		free(db);
		return e;
	}
	*out = db;
	return GH_OK;
}

void
db_close(struct db *db)
{
	size_t i;
	struct db_stmt *st;

	if (db == NULL)
		return;
	for (i = 0; i < db->nslots; i++) {
		if ((st = db->slots[i]) == NULL)
			continue;
		db->drv->finalize(st->stmt);
		free(st->sql);
		free(st);
	}
	free(db->slots);
	db->drv->close(db->conn);
	free(db);
}

const char *
db_dialect(const struct db *db)
{
	return db->drv->dialect;
}

enum gh_err
db_exec(struct db *db, const char *sql)
{
	return db->drv->exec(db->conn, sql);
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
	for (i = h & mask; (st = db->slots[i]) != NULL; i = (i + 1) & mask) {
		if (st->hash == h && (st->sql == sql || strcmp(st->sql, sql) == 0)) {
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
	if ((e = db->drv->prepare(db->conn, sql, &st->stmt)) != GH_OK) {
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

enum gh_err
db_bind_text(struct db_stmt *st, int idx, const char *s)
{
	if (s == NULL)
		return st->db->drv->bind_null(st->stmt, idx);
	return st->db->drv->bind_text(st->stmt, idx, s);
}

enum gh_err
db_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
	return st->db->drv->bind_int64(st->stmt, idx, v);
}

enum gh_err
db_bind_null(struct db_stmt *st, int idx)
{
	return st->db->drv->bind_null(st->stmt, idx);
}

enum gh_err
db_step(struct db_stmt *st, bool *row)
{
	return st->db->drv->step(st->stmt, row);
}

const char *
db_column_text(struct db_stmt *st, int col)
{
	return st->db->drv->column_text(st->stmt, col);
}

int64_t
db_column_int64(struct db_stmt *st, int col)
{
	return st->db->drv->column_int64(st->stmt, col);
}

bool
db_column_is_null(struct db_stmt *st, int col)
{
	return st->db->drv->column_is_null(st->stmt, col);
}

void
db_done(struct db_stmt *st)
{
	if (st != NULL)
		st->db->drv->reset(st->stmt);
}

int64_t
db_changes(struct db *db)
{
	return db->drv->changes(db->conn);
}

int64_t
db_last_insert_id(struct db *db)
{
	return db->drv->last_insert_id(db->conn);
}

/* db_simple runs a cached statement without parameters or rows. */
static enum gh_err
db_simple(struct db *db, const char *sql)
{
	struct db_stmt *st;
	enum gh_err e;
	bool row;

	if ((e = db_prepare(db, sql, &st)) != GH_OK)
		return e;
	e = db_step(st, &row);
	db_done(st);
	return e;
}

enum gh_err
db_begin(struct db *db)
{
	/* SQLite: take the write lock now, so that a transaction never fails
	 * half-way when another connection wrote first (SQLITE_BUSY on upgrade
	 * is not covered by the busy timeout). */
	if (strcmp(db->drv->dialect, "sqlite") == 0)
		return db_simple(db, "BEGIN IMMEDIATE");
	return db_simple(db, "BEGIN");
}

enum gh_err
db_commit(struct db *db)
{
	return db_simple(db, "COMMIT");
}

void
db_rollback(struct db *db)
{
	(void)db_simple(db, "ROLLBACK");
}

const char *
db_errmsg(struct db *db)
{
	return db->drv->errmsg(db->conn);
}
