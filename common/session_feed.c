/*
 * session_feed.c: the thread that keeps the check's session cache in step
 * with the database (see session_feed.h).
 *
 * MariaDB's log of changes is ordered by an AUTO_INCREMENT seq, but
 * transactions commit in their own order: seq 10 may become visible after
 * seq 11 was read.  So the poller does not read "seq > the last one seen"
 * but "seq > floor", where every seq up to floor has been applied (or
 * given up, below); a seq skipped over is a hole, remembered with the time
 * it was first missed, and applied when its row shows up.  A hole that
 * stays empty for FEED_HOLE_WAIT_MS was a rolled-back transaction (a
 * revocation's transaction is short: its statements have the database's
 * timeouts) and is given up.  Too many holes at once empty the cache.  On
 * (re)start the poller starts FEED_BACKLOG rows below the newest one, so
 * that transactions still open then are waited for as holes.
 *
 * The cache's lease (session_cache_renew) is renewed after each good poll
 * or wait for notifications, from the moment it started, so a feed that
 * hangs stops the cache's hits within FEED_LEASE_MS (plus a poll interval)
 * of the last moment it was sure of.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "db.h"
#include "log.h"
#include "session_feed.h"

#define FEED_RETRY_MS 1000      /* after a failure, before trying again */
#define FEED_LEASE_MS 2000      /* the cache's lease past the moment all was seen */
#define FEED_WAIT_MS 250        /* one wait for PostgreSQL's notifications */
#define FEED_HOLE_WAIT_MS 60000 /* a seq missing this long is given up */
#define FEED_MAX_HOLES 256
#define FEED_BACKLOG 100
#define FEED_BATCH "10000" /* rows read by one poll at most */

struct feed_hole {
	int64_t seq;
	int64_t since_ms;
};

struct session_feed {
	struct session_cache *cache;
	char *url, *password;
	int64_t busy_ms, poll_ms;
	/* MariaDB's poller */
	int64_t floor, top;
	struct feed_hole holes[FEED_MAX_HOLES];
	size_t nholes;
};

static void
feed_sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0)
		;
}

void
session_feed_apply(struct session_cache *cache, char kind, const char *ref)
{
	char *end;
	long long id;

	/* A token's id (sql/<dialect>/0004) is the SHA-256 of another token
	 * than any session's: dropped the same way, from a cache that holds
	 * token lookups under their id. */
	if ((kind == 's' || kind == 'p') && strlen(ref) == CRYPTO_SHA256_HEX_LEN) {
		session_cache_drop_session(cache, ref);
		return;
	}
	if (kind == 'u' && ref[0] >= '0' && ref[0] <= '9') {
		id = strtoll(ref, &end, 10);
		if (*end == '\0') {
			session_cache_drop_user(cache, (int64_t)id);
			return;
		}
	}
	log_msg(
	    LOG_WARNING, "session cache: a change not understood (%c:%.70s): emptied", kind, ref);
	session_cache_clear(cache);
}

/* feed_notified applies one PostgreSQL notification, "s:...", "p:..." or
 * "u:...". */
static void
feed_notified(const char *payload, void *arg)
{
	struct session_feed *f = arg;

	session_feed_apply(f->cache, payload[0] != '\0' && payload[1] == ':' ? payload[0] : '?',
	    payload[0] != '\0' && payload[1] == ':' ? payload + 2 : payload);
}

/* feed_listen runs PostgreSQL's feed until its connection fails. */
static void
feed_listen(struct session_feed *f, struct db *db)
{
	enum gh_err e;

	if (db_exec(db, "SET application_name = 'gatehouse-check cache'") != GH_OK ||
	    db_exec(db, "LISTEN gatehouse_cache") != GH_OK)
		return;
	session_cache_set_on(f->cache, true);
	session_cache_renew(f->cache, session_cache_clock_ms() + FEED_LEASE_MS);
	log_msg(LOG_NOTICE, "session cache: on (PostgreSQL, LISTEN gatehouse_cache)");
	/* A wait that returns has heard all there was, or pinged (at least
	 * once a second, DB_LISTEN_PING_MS): the lease runs from its start.
	 * One that hangs in a ping lets the lease end meanwhile; the waits
	 * are short beside the lease, so that it never ends between two that
	 * return. */
	for (;;) {
		int64_t start = session_cache_clock_ms();

		if ((e = db_wait_notifications(db, FEED_WAIT_MS, feed_notified, f)) != GH_OK)
			break;
		session_cache_renew(f->cache, start + FEED_LEASE_MS);
	}
	session_cache_set_on(f->cache, false);
	log_msg(LOG_NOTICE, "session cache: off (the listening connection was lost: %s)",
	    gh_strerror(e));
}

/* feed_hole_find returns the index of seq among the holes, or -1. */
static long
feed_hole_find(const struct session_feed *f, int64_t seq)
{
	for (size_t i = 0; i < f->nholes; i++)
		if (f->holes[i].seq == seq)
			return (long)i;
	return -1;
}

static void
feed_hole_remove(struct session_feed *f, size_t i)
{
	f->holes[i] = f->holes[--f->nholes];
}

/* feed_row takes one row of the log: applied when it is new or fills a
 * hole; a seq skipped over becomes a hole.  false when there are too many
 * holes (the caller empties the cache and starts over). */
static bool
feed_row(struct session_feed *f, int64_t seq, const char *kind, const char *ref, int64_t now)
{
	long h;

	if (seq > f->top) {
		for (int64_t s = f->top + 1; s < seq; s++) {
			if (f->nholes == FEED_MAX_HOLES)
				return false;
			f->holes[f->nholes++] = (struct feed_hole){s, now};
		}
		f->top = seq;
	} else if ((h = feed_hole_find(f, seq)) >= 0)
		feed_hole_remove(f, (size_t)h);
	else
		return true; /* applied already */
	session_feed_apply(f->cache, kind != NULL ? kind[0] : '?', ref != NULL ? ref : "");
	return true;
}

/* feed_poll_once reads the log past floor and applies it; GH_EDB when the
 * database failed, GH_ENOMEM when there were too many holes. */
static enum gh_err
feed_poll_once(struct session_feed *f, struct db *db)
{
	struct db_stmt *st;
	int64_t now = session_cache_clock_ms(), low;
	enum gh_err e;
	bool row, ok = true;

	e = db_prepare(db,
	    "SELECT seq, kind, ref FROM cache_revocations WHERE seq > ? ORDER BY seq "
	    "LIMIT " FEED_BATCH,
	    &st);
	if (e != GH_OK)
		return e;
	e = db_bind(st, DB_INT64(f->floor));
	while (ok && e == GH_OK && (e = db_step(st, &row)) == GH_OK && row)
		ok = feed_row(
		    f, db_column_int64(st, 0), db_column_text(st, 1), db_column_text(st, 2), now);
	db_done(st);
	if (e != GH_OK)
		return e;
	if (!ok)
		return GH_ENOMEM;
	for (size_t i = 0; i < f->nholes;) {
		if (now - f->holes[i].since_ms >= FEED_HOLE_WAIT_MS)
			feed_hole_remove(f, i);
		else
			i++;
	}
	low = f->top;
	for (size_t i = 0; i < f->nholes; i++)
		if (f->holes[i].seq - 1 < low)
			low = f->holes[i].seq - 1;
	f->floor = low;
	return GH_OK;
}

/* feed_start_poll sets where the poller starts: FEED_BACKLOG rows below
 * the newest, every seq missing there a hole (the log's rows in it are
 * applied to a cache that is off: nothing to drop). */
static enum gh_err
feed_start_poll(struct session_feed *f, struct db *db, int64_t *conn_id)
{
	struct db_stmt *st;
	enum gh_err e;
	bool row = false;
	int64_t newest = 0;

	e = db_prepare(
	    db, "SELECT COALESCE(MAX(seq), 0), CONNECTION_ID() FROM cache_revocations", &st);
	if (e != GH_OK)
		return e;
	if ((e = db_step(st, &row)) == GH_OK && row) {
		newest = db_column_int64(st, 0);
		*conn_id = db_column_int64(st, 1);
	}
	db_done(st);
	if (e != GH_OK)
		return e;
	f->floor = f->top = newest > FEED_BACKLOG ? newest - FEED_BACKLOG : 0;
	f->nholes = 0;
	return feed_poll_once(f, db);
}

/* feed_poll runs MariaDB's feed until a poll fails. */
static void
feed_poll(struct session_feed *f, struct db *db)
{
	int64_t conn_id = 0;
	enum gh_err e;

	if (feed_start_poll(f, db, &conn_id) != GH_OK)
		return;
	session_cache_set_on(f->cache, true);
	session_cache_renew(f->cache, session_cache_clock_ms() + f->poll_ms + FEED_LEASE_MS);
	log_msg(LOG_NOTICE,
	    "session cache: on (MariaDB, cache_revocations polled every %lld ms on connection "
	    "%lld)",
	    (long long)f->poll_ms, (long long)conn_id);
	/* A poll that succeeds has seen every change committed before it
	 * started: the lease runs from then to past the next poll. */
	for (;;) {
		int64_t start;

		feed_sleep_ms(f->poll_ms);
		start = session_cache_clock_ms();
		if ((e = feed_poll_once(f, db)) != GH_OK)
			break;
		session_cache_renew(f->cache, start + f->poll_ms + FEED_LEASE_MS);
	}
	session_cache_set_on(f->cache, false);
	log_msg(LOG_NOTICE, "session cache: off (%s)",
	    e == GH_ENOMEM ? "too many changes missing from the log" : "the poll failed");
}

static void *
feed_main(void *arg)
{
	struct session_feed *f = arg;
	struct db *db = NULL;

	for (;;) {
		if (db == NULL && db_open(f->url, f->password, f->busy_ms, &db) != GH_OK)
			db = NULL;
		else if (db_dialect(db) == DB_POSTGRESQL)
			feed_listen(f, db);
		else
			feed_poll(f, db);
		feed_sleep_ms(FEED_RETRY_MS);
	}
	return NULL;
}

enum gh_err
session_feed_start(const struct config *cfg, struct session_cache *cache, char *err, size_t errlen)
{
	struct session_feed *f;
	sigset_t all, old;
	pthread_t t;
	int r;

	if ((f = calloc(1, sizeof(*f))) == NULL || (f->url = strdup(cfg->db_url)) == NULL ||
	    (cfg->db_password != NULL && (f->password = strdup(cfg->db_password)) == NULL)) {
		if (f != NULL)
			free(f->url);
		free(f);
		snprintf(err, errlen, "[check] cache: out of memory");
		return GH_ENOMEM;
	}
	/* f lives as long as the process: its thread runs until the end. */
	f->cache = cache;
	f->busy_ms = cfg->db_busy_timeout_ms;
	f->poll_ms = cfg->check_cache_poll_ms;
	/* The stop signals are for main's sigwait, never for this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, NULL, feed_main, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0 || pthread_detach(t) != 0) {
		snprintf(err, errlen, "[check] cache: cannot start its thread");
		return GH_EINVAL;
	}
	return GH_OK;
}
