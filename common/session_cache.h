/*
 * session_cache.h: the check's per-process cache of valid sessions, for the
 * server databases (MariaDB/MySQL, PostgreSQL).
 *
 * Its one rule: the cache may only say yes, and only within its bound; any
 * doubt goes to the database.  A lookup is a hit only when the cache is on,
 * the session is there, it was read from the database less than max_age
 * ago, and by what was read it is still within its absolute expiry and its
 * idle timeout and not yet due for a last_seen_at touch.  Anything else is
 * a miss, and the caller asks the database as it would without a cache.
 *
 * The database tells what changed (session_feed.c: PostgreSQL's NOTIFY, a
 * polled revocation sequence on MariaDB): each change drops the entries it
 * concerns, by session or by user.  A lookup that raced with a change must
 * not store what it read before it: the caller reads session_cache_epoch
 * before it asks the database and passes it to session_cache_put, which
 * stores nothing when any drop, clear or switch happened in between.  While
 * the feed is not sure to see every change (not yet connected, a lost
 * connection, a failed poll) the cache is off: every lookup misses, nothing
 * is stored, and turning it off empties it.  And the feed holds a lease:
 * each time it has made sure that it saw every change up to a moment (a
 * poll, an answered ping on the listening connection), it renews the
 * lease; a lookup after the lease's end misses.  So a feed that hangs (a
 * connection dead without a word, a database that stopped answering) stops
 * the hits within its lease even before it can tell that it failed.
 *
 * Memory is bounded: capacity entries at most, in sets of a few ways
 * chosen by the session id (itself a SHA-256, which no client can steer);
 * a full set evicts its oldest entry.  Every function is safe to call from
 * any thread (one mutex; the hot path holds it for a copy).  Times are
 * given by the caller (now: seconds of the wall clock, as the sessions
 * table holds them, and a monotonic clock in milliseconds for max_age), so
 * tests can drive them.
 */
#ifndef GH_SESSION_CACHE_H
#define GH_SESSION_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session.h"

struct session_cache;

/* The times of a lookup: now (wall clock, seconds), mono_ms (a monotonic
 * clock, milliseconds) and the [session] touch_interval in seconds. */
struct session_cache_clock {
	int64_t now;
	int64_t mono_ms;
	int64_t touch_interval;
};

/* session_cache_clock_ms is the monotonic clock, in milliseconds, of
 * mono_ms, put's mono_ms and renew's until_ms: one clock for the lookups
 * and the feed, so that the lease and max_age compare like with like. */
int64_t session_cache_clock_ms(void);

/* session_cache_new makes an empty cache, off, of at most capacity entries
 * (at least one set), whose entries are trusted for max_age_ms; NULL when
 * out of memory. */
struct session_cache *session_cache_new(size_t capacity, int64_t max_age_ms);
void session_cache_free(struct session_cache *c);

/* session_cache_get copies the session whose stored id is id into out and
 * returns true on a hit (see above); false leaves out zeroed. */
bool session_cache_get(struct session_cache *c, const char *id,
    const struct session_cache_clock *clk, struct session_info *out);
/* session_cache_epoch returns the value to give session_cache_put for a
 * lookup about to ask the database. */
uint64_t session_cache_epoch(struct session_cache *c);
/* session_cache_put stores s, as the database gave it at mono_ms, unless
 * the cache is off or anything was dropped since epoch. */
void session_cache_put(
    struct session_cache *c, uint64_t epoch, const struct session_info *s, int64_t mono_ms);

/* session_cache_forget removes the entry of id, if any, without voiding
 * the puts under way: for a lookup that found in the database that the
 * session is no longer valid (a change no trigger told, within max_age). */
void session_cache_forget(struct session_cache *c, const char *id);

/* The feed's side: drop one session (by stored id), every session of a
 * user, or everything; switch the cache on or off (off empties it). */
void session_cache_drop_session(struct session_cache *c, const char *id);
void session_cache_drop_user(struct session_cache *c, int64_t user_id);
void session_cache_clear(struct session_cache *c);
void session_cache_set_on(struct session_cache *c, bool on);
/* session_cache_renew sets the end of the feed's lease: hits only before
 * until_ms (monotonic).  Turning the cache on leaves no lease: nothing
 * hits until the feed renews it. */
void session_cache_renew(struct session_cache *c, int64_t until_ms);
/* session_cache_is_on tells whether the cache is on. */
bool session_cache_is_on(struct session_cache *c);

/* For tests and the log: the number of entries held. */
size_t session_cache_count(struct session_cache *c);

#endif
