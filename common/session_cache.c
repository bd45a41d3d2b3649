/*
 * session_cache.c: the check's cache of valid sessions (see
 * session_cache.h).
 *
 * A set-associative table: an entry's set is given by the first 64 bits of
 * its session id (hex SHA-256), and a set of SESSION_CACHE_WAYS entries
 * evicts its oldest when full, so memory is bounded without lists to keep.
 * An entry holds the numbers of a session inline and its three texts (name,
 * e-mail, roles) in one heap block, so an entry costs what its texts need.
 * The epoch counts every drop, clear and switch: a put carries the epoch
 * read before its database lookup, and a put whose epoch is stale stores
 * nothing, since what it read may predate the change just dropped.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session_cache.h"

#define SESSION_CACHE_WAYS 4

struct cache_entry {
	bool used;
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	int64_t user_id, created_at, expires_at, last_seen_at, idle_timeout;
	bool mfa;
	int64_t fetched_ms; /* when the database gave it (monotonic) */
	char *texts;        /* username, e-mail, roles: each NUL-terminated */
};

struct session_cache {
	pthread_mutex_t lock;
	struct cache_entry *entries; /* nsets * SESSION_CACHE_WAYS */
	size_t nsets;
	int64_t max_age_ms;
	uint64_t epoch;
	bool on;
	int64_t lease_until_ms; /* the feed's lease (monotonic) */
	size_t count;
};

int64_t
session_cache_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct session_cache *
session_cache_new(size_t capacity, int64_t max_age_ms)
{
	struct session_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->nsets = capacity / SESSION_CACHE_WAYS;
	if (c->nsets == 0)
		c->nsets = 1;
	c->entries = calloc(c->nsets * SESSION_CACHE_WAYS, sizeof(*c->entries));
	if (c->entries == NULL || pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->entries);
		free(c);
		return NULL;
	}
	c->max_age_ms = max_age_ms;
	return c;
}

static void
cache_entry_free(struct session_cache *c, struct cache_entry *en)
{
	if (!en->used)
		return;
	free(en->texts);
	memset(en, 0, sizeof(*en));
	c->count--;
}

/* cache_empty drops every entry; the caller holds the lock. */
static void
cache_empty(struct session_cache *c)
{
	for (size_t i = 0; i < c->nsets * SESSION_CACHE_WAYS; i++)
		cache_entry_free(c, &c->entries[i]);
}

void
session_cache_free(struct session_cache *c)
{
	if (c == NULL)
		return;
	cache_empty(c);
	pthread_mutex_destroy(&c->lock);
	free(c->entries);
	free(c);
}

/* cache_set returns the first entry of id's set.  An id that is not hex
 * (never one the table gave) still lands in some set. */
static struct cache_entry *
cache_set(struct session_cache *c, const char *id)
{
	uint64_t h = 0;

	for (int i = 0; i < 16 && id[i] != '\0'; i++) {
		char ch = id[i];
		unsigned d = ch >= '0' && ch <= '9' ? (unsigned)(ch - '0')
		                                    : (unsigned)(ch | 0x20) - 'a' + 10;
		h = h << 4 | (d & 0xf);
	}
	return &c->entries[(h % c->nsets) * SESSION_CACHE_WAYS];
}

static struct cache_entry *
cache_find(struct session_cache *c, const char *id)
{
	struct cache_entry *set = cache_set(c, id);

	for (int w = 0; w < SESSION_CACHE_WAYS; w++)
		if (set[w].used && strcmp(set[w].id, id) == 0)
			return &set[w];
	return NULL;
}

/* cache_copy copies the NUL-terminated text at *p into dst and moves *p
 * past it; false when it does not fit (it always did when stored). */
static bool
cache_copy(char *dst, size_t dstlen, const char **p)
{
	size_t n = strlen(*p);

	if (n >= dstlen)
		return false;
	memcpy(dst, *p, n + 1);
	*p += n + 1;
	return true;
}

bool
session_cache_get(struct session_cache *c, const char *id, const struct session_cache_clock *clk,
    struct session_info *out)
{
	const struct cache_entry *en;
	const char *p;
	bool hit = false;

	memset(out, 0, sizeof(*out));
	if (id == NULL || strlen(id) != CRYPTO_SHA256_HEX_LEN)
		return false;
	pthread_mutex_lock(&c->lock);
	en = c->on && clk->mono_ms < c->lease_until_ms ? cache_find(c, id) : NULL;
	if (en != NULL && clk->mono_ms >= en->fetched_ms &&
	    clk->mono_ms - en->fetched_ms < c->max_age_ms && clk->now < en->expires_at &&
	    clk->now < en->last_seen_at + en->idle_timeout &&
	    clk->now - en->last_seen_at < clk->touch_interval) {
		p = en->texts;
		hit = cache_copy(out->username, sizeof(out->username), &p) &&
		      cache_copy(out->email, sizeof(out->email), &p) &&
		      cache_copy(out->roles, sizeof(out->roles), &p);
		if (hit) {
			memcpy(out->id, en->id, sizeof(out->id));
			out->user_id = en->user_id;
			out->created_at = en->created_at;
			out->expires_at = en->expires_at;
			out->last_seen_at = en->last_seen_at;
			out->idle_timeout = en->idle_timeout;
			out->mfa = en->mfa;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (!hit)
		memset(out, 0, sizeof(*out));
	return hit;
}

uint64_t
session_cache_epoch(struct session_cache *c)
{
	uint64_t e;

	pthread_mutex_lock(&c->lock);
	e = c->epoch;
	pthread_mutex_unlock(&c->lock);
	return e;
}

/* cache_texts makes the heap block of s's texts, or NULL. */
static char *
cache_texts(const struct session_info *s)
{
	size_t a = strlen(s->username) + 1, b = strlen(s->email) + 1, r = strlen(s->roles) + 1;
	char *t = malloc(a + b + r);

	if (t == NULL)
		return NULL;
	memcpy(t, s->username, a);
	memcpy(t + a, s->email, b);
	memcpy(t + a + b, s->roles, r);
	return t;
}

void
session_cache_put(
    struct session_cache *c, uint64_t epoch, const struct session_info *s, int64_t mono_ms)
{
	struct cache_entry *set, *en;
	char *texts;

	if (strlen(s->id) != CRYPTO_SHA256_HEX_LEN || (texts = cache_texts(s)) == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	if (!c->on || epoch != c->epoch) {
		pthread_mutex_unlock(&c->lock);
		free(texts);
		return;
	}
	if ((en = cache_find(c, s->id)) == NULL) {
		set = cache_set(c, s->id);
		en = &set[0];
		for (int w = 0; w < SESSION_CACHE_WAYS; w++) {
			if (!set[w].used) {
				en = &set[w];
				break;
			}
			if (set[w].fetched_ms < en->fetched_ms)
				en = &set[w];
		}
	}
	cache_entry_free(c, en);
	en->used = true;
	memcpy(en->id, s->id, sizeof(en->id));
	en->user_id = s->user_id;
	en->created_at = s->created_at;
	en->expires_at = s->expires_at;
	en->last_seen_at = s->last_seen_at;
	en->idle_timeout = s->idle_timeout;
	en->mfa = s->mfa;
	en->fetched_ms = mono_ms;
	en->texts = texts;
	c->count++;
	pthread_mutex_unlock(&c->lock);
}

void
session_cache_drop_session(struct session_cache *c, const char *id)
{
	struct cache_entry *en;

	pthread_mutex_lock(&c->lock);
	c->epoch++;
	if (id != NULL && (en = cache_find(c, id)) != NULL)
		cache_entry_free(c, en);
	pthread_mutex_unlock(&c->lock);
}

void
session_cache_forget(struct session_cache *c, const char *id)
{
	struct cache_entry *en;

	pthread_mutex_lock(&c->lock);
	if (id != NULL && (en = cache_find(c, id)) != NULL)
		cache_entry_free(c, en);
	pthread_mutex_unlock(&c->lock);
}

void
session_cache_drop_user(struct session_cache *c, int64_t user_id)
{
	pthread_mutex_lock(&c->lock);
	c->epoch++;
	for (size_t i = 0; i < c->nsets * SESSION_CACHE_WAYS; i++)
		if (c->entries[i].used && c->entries[i].user_id == user_id)
			cache_entry_free(c, &c->entries[i]);
	pthread_mutex_unlock(&c->lock);
}

void
session_cache_clear(struct session_cache *c)
{
	pthread_mutex_lock(&c->lock);
	c->epoch++;
	cache_empty(c);
	pthread_mutex_unlock(&c->lock);
}

void
session_cache_set_on(struct session_cache *c, bool on)
{
	pthread_mutex_lock(&c->lock);
	c->epoch++;
	if (!on)
		cache_empty(c);
	c->on = on;
	c->lease_until_ms = 0;
	pthread_mutex_unlock(&c->lock);
}

void
session_cache_renew(struct session_cache *c, int64_t until_ms)
{
	pthread_mutex_lock(&c->lock);
	c->lease_until_ms = until_ms;
	pthread_mutex_unlock(&c->lock);
}

bool
session_cache_is_on(struct session_cache *c)
{
	bool on;

	pthread_mutex_lock(&c->lock);
	on = c->on;
	pthread_mutex_unlock(&c->lock);
	return on;
}

size_t
session_cache_count(struct session_cache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->count;
	pthread_mutex_unlock(&c->lock);
	return n;
}
