/*
 * throttle.c: throttling per client address through the throttle table (see
 * throttle.h for the rule and its approximation of a sliding window).
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "throttle.h"

/* The failure's UPSERT.  K is the key column (a reserved word on MariaDB),
 * DIV integer division.  Parameters: key, now, blocked_until of a first
 * failure (NULL unless max_failures is 1); then max, now, window, max,
 * window (LEVEL, the decayed count plus this failure), max, now + window;
 * LEVEL again; now.  Only old values are read: on MariaDB, whose
 * assignments see the ones made before them, blocked_until and count go
 * first and window_start, which both read, last. */
#define THROTTLE_LEVEL(DIV)                                                              \
	"(CASE WHEN (? - throttle.window_start) * ? " DIV " ? >= throttle.count THEN 0 " \
	"ELSE throttle.count - (? - throttle.window_start) * ? " DIV " ? END + 1)"
#define THROTTLE_FAIL_SQL(K, CONFLICT, DIV)                                   \
	"INSERT INTO throttle (" K                                            \
	", window_start, count, blocked_until) VALUES (?, ?, 1, ?) " CONFLICT \
	" blocked_until = CASE WHEN " THROTTLE_LEVEL(                         \
	    DIV) " >= ? THEN ? "                                              \
	         "ELSE throttle.blocked_until END, count = " THROTTLE_LEVEL(  \
	             DIV) ", window_start = ?"

struct throttle_sql {
	const char *check;
	const char *fail;
	const char *purge;
};

#define THROTTLE_PURGE_WHERE "(blocked_until IS NULL OR blocked_until <= ?) AND window_start <= ?"
#define THROTTLE_BATCH_STR_(n) #n
#define THROTTLE_BATCH_STR(n) THROTTLE_BATCH_STR_(n)

static const struct throttle_sql throttle_sqls[DB_NDIALECTS] = {
    [DB_SQLITE] =
        {
            .check = "SELECT blocked_until, count, window_start FROM throttle WHERE key = ?",
            .fail = THROTTLE_FAIL_SQL("key", "ON CONFLICT (key) DO UPDATE SET", "/"),
            .purge = "DELETE FROM throttle WHERE key IN (SELECT key FROM throttle "
                     "WHERE " THROTTLE_PURGE_WHERE
                     " LIMIT " THROTTLE_BATCH_STR(THROTTLE_PURGE_BATCH) ")",
        },
    [DB_MYSQL] =
        {
            .check = "SELECT blocked_until, count, window_start FROM throttle WHERE `key` = ?",
            .fail = THROTTLE_FAIL_SQL("`key`", "ON DUPLICATE KEY UPDATE", "DIV"),
            .purge = "DELETE FROM throttle WHERE " THROTTLE_PURGE_WHERE
                     " LIMIT " THROTTLE_BATCH_STR(THROTTLE_PURGE_BATCH),
        },
    [DB_POSTGRESQL] =
        {
            .check = "SELECT blocked_until, count, window_start FROM throttle WHERE key = ?",
            .fail = THROTTLE_FAIL_SQL("key", "ON CONFLICT (key) DO UPDATE SET", "/"),
            .purge = "DELETE FROM throttle WHERE key IN (SELECT key FROM throttle "
                     "WHERE " THROTTLE_PURGE_WHERE
                     " LIMIT " THROTTLE_BATCH_STR(THROTTLE_PURGE_BATCH) ")",
        },
};

/* An address: its family, its 4 or 16 bytes. */
struct throttle_addr {
	int family; /* AF_INET, AF_INET6; 0: none */
	unsigned char b[16];
};

/* throttle_addr_parse parses the address text s[0..n) (IPv4, IPv6, an IPv6
 * in brackets; an IPv4-mapped IPv6 address becomes its IPv4); false when
 * it is none. */
static bool
throttle_addr_parse(const char *s, size_t n, struct throttle_addr *a)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char text[64];

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(text))
		return false;
	memcpy(text, s, n);
	text[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, a->b) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, a->b) != 1)
		return false;
	a->family = AF_INET6;
	if (memcmp(a->b, mapped, sizeof(mapped)) == 0) {
		memmove(a->b, a->b + 12, 4);
		memset(a->b + 4, 0, 12);
		a->family = AF_INET;
	}
	return true;
}

/* throttle_prefix_has tells whether a lies in the net of p's first bits. */
static bool
throttle_prefix_has(const struct throttle_addr *p, int bits, const struct throttle_addr *a)
{
	int full = bits / 8, rest = bits % 8;

	if (p->family != a->family)
		return false;
	if (memcmp(p->b, a->b, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (p->b[full] & mask) == (a->b[full] & mask);
}

/* throttle_entry parses the list entry s[0..n), "ADDR" or "ADDR/BITS";
 * false when it is malformed. */
static bool
throttle_entry(const char *s, size_t n, struct throttle_addr *p, int *bits)
{
	const char *slash = memchr(s, '/', n);
	size_t alen = slash != NULL ? (size_t)(slash - s) : n;
	int max;

	if (!throttle_addr_parse(s, alen, p))
		return false;
	max = p->family == AF_INET ? 32 : 128;
	*bits = max;
	if (slash == NULL)
		return true;
	const char *d = slash + 1;
	size_t dl = n - alen - 1;
	if (dl == 0 || dl > 3)
		return false;
	*bits = 0;
	for (size_t i = 0; i < dl; i++) {
		if (d[i] < '0' || d[i] > '9')
			return false;
		*bits = *bits * 10 + (d[i] - '0');
	}
	return *bits <= max;
}

const char *
throttle_trusted_problem(const char *list)
{
	struct throttle_addr p;
	const char *s = list;
	int bits;

	while (*s != '\0') {
		size_t n = strcspn(s, " \t");
		if (n > 0 && !throttle_entry(s, n, &p, &bits))
			return "must be IPv4 or IPv6 addresses, each with an optional /prefix "
			       "length, separated by spaces";
		s += n;
		s += strspn(s, " \t");
	}
	return NULL;
}

/* throttle_trusted tells whether a is in the trusted proxies list. */
static bool
throttle_trusted(const char *list, const struct throttle_addr *a)
{
	struct throttle_addr p;
	const char *s = list != NULL ? list : "";
	int bits;

	while (*s != '\0') {
		size_t n = strcspn(s, " \t");
		if (n > 0 && throttle_entry(s, n, &p, &bits) && throttle_prefix_has(&p, bits, a))
			return true;
		s += n;
		s += strspn(s, " \t");
	}
	return false;
}

/* throttle_client finds the client's address: REMOTE_ADDR, or behind
 * trusted proxies the right-most address of X-Forwarded-For that is not one
 * of them (an entry that is no address stops the walk: the last proxy's
 * address is used).  false when REMOTE_ADDR is no address. */
static bool
throttle_client(const struct config *cfg, const struct request *req, struct throttle_addr *out)
{
	const char *xff = req->forwarded_for != NULL ? req->forwarded_for : "";
	size_t pos = strlen(xff), start;
	bool more = pos > 0;
	struct throttle_addr a;

	if (!throttle_addr_parse(req->remote_addr, strlen(req->remote_addr), out))
		return false;
	while (more && throttle_trusted(cfg->throttle_trusted_proxies, out)) {
		for (start = pos; start > 0 && xff[start - 1] != ','; start--)
			;
		if (!throttle_addr_parse(xff + start, pos - start, &a))
			break;
		*out = a;
		more = start > 0;
		pos = more ? start - 1 : 0;
	}
	return true;
}

void
throttle_client_key(const struct config *cfg, const struct request *req, char key[THROTTLE_KEY_MAX])
{
	struct throttle_addr a;
	char text[INET6_ADDRSTRLEN];

	if (!throttle_client(cfg, req, &a)) {
		snprintf(key, THROTTLE_KEY_MAX, "ip:-");
		return;
	}
	if (a.family == AF_INET6)
		memset(a.b + 8, 0, 8); /* its /64 */
	if (inet_ntop(a.family, a.b, text, sizeof(text)) == NULL) {
		snprintf(key, THROTTLE_KEY_MAX, "ip:-");
		return;
	}
	/* Fits: THROTTLE_KEY_MAX holds the longest text. */
	snprintf(key, THROTTLE_KEY_MAX, "ip:%s%s", text, a.family == AF_INET6 ? "/64" : "");
}

enum gh_err
throttle_check(struct db *db, const struct config *cfg, const struct request *req, int64_t now,
    int64_t *retry_after, struct throttle_seen *seen)
{
	char key[THROTTLE_KEY_MAX];
	struct db_stmt *st;
	enum gh_err e;
	bool row = false;

	*retry_after = 0;
	if (seen != NULL)
		memset(seen, 0, sizeof(*seen));
	throttle_client_key(cfg, req, key);
	if ((e = db_prepare(db, throttle_sqls[db_dialect(db)].check, &st)) != GH_OK)
		return e;
	if ((e = db_bind(st, DB_TEXT(key))) == GH_OK && (e = db_step(st, &row)) == GH_OK && row) {
		if (!db_column_is_null(st, 0) && db_column_int64(st, 0) > now) {
			*retry_after = db_column_int64(st, 0) - now;
			e = GH_EDENIED;
		}
		if (seen != NULL) {
			seen->row = true;
			seen->count = db_column_int64(st, 1);
			seen->window_start = db_column_int64(st, 2);
		}
	}
	db_done(st);
	return e;
}

bool
throttle_blocks(const struct config *cfg, const struct throttle_seen *seen, int64_t now)
{
	const int64_t max = cfg->throttle_max_failures, window = cfg->throttle_window;
	int64_t level = 1;

	/* THROTTLE_LEVEL's arithmetic, on the values the check read. */
	if (seen->row) {
		int64_t decay = (now - seen->window_start) * max / window;
		level += decay >= seen->count ? 0 : seen->count - decay;
	}
	return level >= max;
}

enum gh_err
throttle_fail(struct db *db, const struct config *cfg, const struct request *req, int64_t now)
{
	const int64_t max = cfg->throttle_max_failures, window = cfg->throttle_window;
	const int64_t until = now + window;
	char key[THROTTLE_KEY_MAX];
	enum gh_err e;

	throttle_client_key(cfg, req, key);
	e = db_run(db, throttle_sqls[db_dialect(db)].fail, DB_TEXT(key), DB_INT64(now),
	    max <= 1 ? DB_INT64(until) : DB_NULL, DB_INT64(now), DB_INT64(max), DB_INT64(window),
	    DB_INT64(now), DB_INT64(max), DB_INT64(window), DB_INT64(max), DB_INT64(until),
	    DB_INT64(now), DB_INT64(max), DB_INT64(window), DB_INT64(now), DB_INT64(max),
	    DB_INT64(window), DB_INT64(now));
	if (e != GH_OK)
		log_msg(LOG_ERR, "throttle: counting a failure of %s: %s", key, gh_strerror(e));
	return e;
}

enum gh_err
throttle_purge(struct db *db, const struct config *cfg, int64_t now, int64_t *deleted)
{
	int64_t keep =
	    cfg->throttle_window > cfg->lockout_max ? cfg->throttle_window : cfg->lockout_max;

	return db_run_batches(
	    db, deleted, throttle_sqls[db_dialect(db)].purge, DB_INT64(now), DB_INT64(now - keep));
}
