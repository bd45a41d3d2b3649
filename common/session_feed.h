/*
 * session_feed.h: the thread that keeps the check's session cache in step
 * with the database (see session_cache.h).
 *
 * The database says what changed, by triggers (sql/<dialect>/0003, 0004): on
 * PostgreSQL a NOTIFY on the channel gatehouse_cache, heard on a connection
 * of its own that LISTENs to it; on MariaDB/MySQL a row in the table
 * cache_revocations, polled every [check] cache_poll_interval.  Each change
 * drops what it concerns from the cache: "s:<session id>" one session,
 * "p:<token id>" one personal access token (0004; pat.h), "u:<user id>"
 * all of a user's.  The cache is on only while the feed is
 * sure to see every change: from the first LISTEN or successful poll on;
 * a lost listening connection or a failed poll turns it off (emptying it)
 * until the feed is back, which it tries about once a second.  Each switch
 * is logged ("session cache: on (...)", "session cache: off (...)").  A
 * feed that hangs without failing stops the hits by its lease
 * (session_cache_renew) within a few seconds.
 */
#ifndef GH_SESSION_FEED_H
#define GH_SESSION_FEED_H

#include <stddef.h>

#include "config.h"
#include "err.h"
#include "session_cache.h"

/* session_feed_start starts the feed of cache from the database of cfg, a
 * server database; it connects in its own thread, so the program starts
 * while the database is away (the cache stays off until it is back).
 * GH_ENOMEM or GH_EINVAL, with a message in err, when it cannot start. */
enum gh_err session_feed_start(
    const struct config *cfg, struct session_cache *cache, char *err, size_t errlen);

/* session_feed_apply applies one change as the database words it ("s:ID",
 * "p:ID" or "u:N"); anything else empties the cache (a change not understood is
 * a doubt).  For the feed, and for tests. */
void session_feed_apply(struct session_cache *cache, char kind, const char *ref);

#endif
