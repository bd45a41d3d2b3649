/*
 * throttle.h: throttling per client, before any secret is checked.
 *
 * Every route that checks a secret (the login form; later the token API's
 * password grant, the MFA step, reset requests) calls throttle_check first
 * and, when it refuses the secret, throttle_fail (both through server.h's
 * server_throttle and server_throttle_fail): a client that failed
 * [throttle] max_failures times within [throttle] window is answered 429
 * with Retry-After, before any password hash is computed, until the block
 * ends.  The counters live in the database (the throttle table), so that
 * every process and every web server on a shared database sees them.
 *
 * The client is the address the web server saw (REMOTE_ADDR), an IPv6
 * address taken as its /64 (one host usually holds a whole /64).  Only
 * when REMOTE_ADDR is one of [throttle] trusted_proxies (empty by default)
 * is X-Forwarded-For read: the right-most address in it that is not itself
 * a trusted proxy.  The row's key is "ip:" and that address ("ip:192.0.2.1",
 * "ip:2001:db8:1:2::/64", "ip:-" when there is none).
 *
 * The window is sliding, approximated with the table's columns as a
 * decaying count (a leaky bucket): count is the failures still in the
 * window, window_start when it was last brought up to date.  Each failure
 * first takes away max_failures for every window that passed since then
 * (one per window / max_failures seconds, rounded down at each update, so
 * never more lenient than an exact sliding window's long-run rate), then
 * adds one.  The failure that brings it to max_failures blocks the client
 * for one window (blocked_until); by then the count has decayed to 0.
 * throttle_check is one indexed read, throttle_fail one atomic UPSERT (one
 * text per dialect: ON CONFLICT / ON DUPLICATE KEY UPDATE).
 */
#ifndef GH_THROTTLE_H
#define GH_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "err.h"
#include "request.h"

/* "ip:" + the longest address text (INET6_ADDRSTRLEN) + "/64". */
#define THROTTLE_KEY_MAX 72

/* throttle_client_key writes the key of req's client into key (see above). */
void throttle_client_key(
    const struct config *cfg, const struct request *req, char key[THROTTLE_KEY_MAX]);
/* What throttle_check read of the client's row (row false: none). */
struct throttle_seen {
	bool row;
	int64_t count, window_start;
};

/* throttle_check tells whether req's client may try a secret at now (Unix
 * seconds): GH_OK when it may, GH_EDENIED when it is blocked (then
 * *retry_after is the seconds left, at least 1), GH_EDB when the database
 * failed (the caller answers 503: it fails closed).  *seen (may be NULL)
 * gets the row as read, for throttle_blocks. */
enum gh_err throttle_check(struct db *db, const struct config *cfg, const struct request *req,
    int64_t now, int64_t *retry_after, struct throttle_seen *seen);
/* throttle_blocks tells whether a failure at now, counted on the row as
 * throttle_check saw it, is the one that blocks the client (the same
 * arithmetic as throttle_fail's statement): for the log and the audit
 * trail, which record a block once, when it starts.  Failures of one client
 * at the same moment in two processes may both say so, or neither. */
bool throttle_blocks(const struct config *cfg, const struct throttle_seen *seen, int64_t now);
/* throttle_fail counts a refused secret of req's client at now, in one
 * statement.  A database failure is logged and returned (the caller still
 * answers its refusal). */
enum gh_err throttle_fail(
    struct db *db, const struct config *cfg, const struct request *req, int64_t now);
/* throttle_purge deletes the rows that hold nothing any more: not blocked
 * at now and untouched for the longer of [throttle] window and [login]
 * lockout_max (a count decayed to nothing; an unknown name's lockout
 * count, lockout.h, kept as long as a known user's back-off could last),
 * in batches of THROTTLE_PURGE_BATCH, each its own statement.  *deleted
 * (may be NULL) gets their number. */
#define THROTTLE_PURGE_BATCH 2000
enum gh_err throttle_purge(struct db *db, const struct config *cfg, int64_t now, int64_t *deleted);
/* throttle_trusted_problem checks a [throttle] trusted_proxies value: NULL
 * when it is a space-separated list of IPv4 or IPv6 addresses, each with an
 * optional /prefix length, else why not. */
const char *throttle_trusted_problem(const char *list);

#endif
