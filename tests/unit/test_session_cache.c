/*
 * test_session_cache.c: the check's session cache (common/session_cache.c).
 *
 * The focused tests check one behaviour each: a hit only when on, fresh
 * and valid; a put that raced a drop storing nothing; the bound on memory
 * and which entry a full set evicts; drop_user, clear and set_on(false);
 * ids that are not a stored id's shape; texts of the largest size; and
 * threads doing everything at once.
 *
 * The property test, the cache against a model of the check and its
 * feed, is test_session_cache_model.c's.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session_cache.h"
#include "test.h"

/* turn_on turns c on as the feed does, with a lease that never ends (the
 * lease has its own test, lease_bounds_the_hits). */
static void
turn_on(struct session_cache *c)
{
	session_cache_set_on(c, true);
	session_cache_renew(c, INT64_MAX);
}

static struct session_info
sample(const char *id_char, int64_t user_id)
{
	struct session_info s;

	memset(&s, 0, sizeof(s));
	memset(s.id, id_char[0], CRYPTO_SHA256_HEX_LEN);
	s.user_id = user_id;
	snprintf(s.username, sizeof(s.username), "user%lld", (long long)user_id);
	snprintf(s.email, sizeof(s.email), "u%lld@example.org", (long long)user_id);
	snprintf(s.roles, sizeof(s.roles), "admin,editor");
	s.created_at = 1000;
	s.expires_at = 2000;
	s.last_seen_at = 1000;
	s.idle_timeout = 600;
	return s;
}

TEST(hit_only_when_on_fresh_and_valid)
{
	struct session_cache *c = session_cache_new(64, 30000);
	struct session_info s = sample("a", 7), out;
	struct session_cache_clock clk = {.now = 1010, .mono_ms = 5000, .touch_interval = 60};

	CHECK(c != NULL);
	session_cache_put(c, session_cache_epoch(c), &s, 5000);
	CHECK(!session_cache_get(c, s.id, &clk, &out)); /* off: nothing stored */
	turn_on(c);
	session_cache_put(c, session_cache_epoch(c), &s, 5000);
	CHECK(session_cache_get(c, s.id, &clk, &out));
	CHECK_STR(out.username, "user7");
	CHECK_STR(out.roles, "admin,editor");
	CHECK(out.user_id == 7 && out.idle_timeout == 600);
	clk.mono_ms = 5000 + 30000; /* max_age reached */
	CHECK(!session_cache_get(c, s.id, &clk, &out));
	clk.mono_ms = 6000;
	clk.now = 1060; /* touch due */
	CHECK(!session_cache_get(c, s.id, &clk, &out));
	session_cache_free(c);
}

TEST(a_put_after_a_drop_stores_nothing)
{
	struct session_cache *c = session_cache_new(64, 30000);
	struct session_info s = sample("b", 8), out;
	struct session_cache_clock clk = {.now = 1010, .mono_ms = 5000, .touch_interval = 60};
	uint64_t epoch;

	turn_on(c);
	epoch = session_cache_epoch(c);
	session_cache_drop_session(c, s.id); /* the revocation seen during the lookup */
	session_cache_put(c, epoch, &s, 5000);
	CHECK(!session_cache_get(c, s.id, &clk, &out));
	CHECK(session_cache_count(c) == 0);
	session_cache_free(c);
}

/*
 * The focused tests.  Their sessions are valid at test_clock and read
 * before it by a cache whose max_age is far away, so only what a test does
 * decides a hit.
 */
static const struct session_cache_clock test_clock = {
    .now = 1010, .mono_ms = 1000, .touch_interval = 60};

/* session_with makes a valid session whose id is 16 hex digits of head
 * (which choose its set: head modulo the number of sets) and 48 of tail. */
static struct session_info
session_with(uint64_t head, uint64_t tail, int64_t user_id)
{
	struct session_info s = sample("0", user_id);
	int n = snprintf(s.id, sizeof(s.id), "%016" PRIx64 "%048" PRIx64, head, tail);

	CHECK(n == CRYPTO_SHA256_HEX_LEN);
	return s;
}

static struct session_cache *
cache_on(size_t capacity)
{
	struct session_cache *c = session_cache_new(capacity, 1000000);

	CHECK(c != NULL);
	turn_on(c);
	return c;
}

static void
put_at(struct session_cache *c, const struct session_info *s, int64_t mono_ms)
{
	session_cache_put(c, session_cache_epoch(c), s, mono_ms);
}

static bool
has(struct session_cache *c, const struct session_info *s)
{
	struct session_info out;

	return session_cache_get(c, s->id, &test_clock, &out) && strcmp(out.id, s->id) == 0 &&
	       out.user_id == s->user_id;
}

TEST(capacity_holds_whole_sets_of_four_at_least_one)
{
	static const size_t capacities[] = {0, 1, 3, 4, 5, 10, 16, 17, 100};

	for (size_t i = 0; i < sizeof(capacities) / sizeof(capacities[0]); i++) {
		size_t cap = capacities[i], held = cap / 4 * 4 < 4 ? 4 : cap / 4 * 4;
		struct session_cache *c = cache_on(cap);

		/* 400 sessions, spread evenly over the sets: every set fills. */
		for (uint64_t k = 0; k < 400; k++) {
			struct session_info s = session_with(k, k, 1);

			put_at(c, &s, 100);
			CHECK(session_cache_count(c) <= held);
		}
		CHECK(session_cache_count(c) == held);
		session_cache_free(c);
	}
}

TEST(a_full_set_evicts_its_oldest_read)
{
	struct session_cache *c = cache_on(16); /* 4 sets */
	/* a[0..5] all in set 0 (head a multiple of 4), b in set 1 */
	struct session_info a[6], b = session_with(1, 99, 2);

	for (int i = 0; i < 6; i++)
		a[i] = session_with((uint64_t)i * 4, (uint64_t)i, 1);
	put_at(c, &b, 50);
	put_at(c, &a[0], 300);
	put_at(c, &a[1], 100);
	put_at(c, &a[2], 400);
	put_at(c, &a[3], 200);
	CHECK(session_cache_count(c) == 5);
	put_at(c, &a[4], 500); /* set 0 is full: a[1] (read at 100) goes */
	CHECK(session_cache_count(c) == 5);
	CHECK(!has(c, &a[1]));
	CHECK(has(c, &a[0]) && has(c, &a[2]) && has(c, &a[3]) && has(c, &a[4]));
	CHECK(has(c, &b));     /* older than all, but in another set */
	put_at(c, &a[3], 600); /* read again: replaced in place, now the newest */
	CHECK(session_cache_count(c) == 5);
	put_at(c, &a[5], 700); /* the oldest read is now a[0] (300) */
	CHECK(!has(c, &a[0]));
	CHECK(has(c, &a[2]) && has(c, &a[3]) && has(c, &a[4]) && has(c, &a[5]) && has(c, &b));
	session_cache_free(c);
}

TEST(drop_user_drops_every_session_of_that_user_only)
{
	struct session_cache *c = cache_on(64);
	struct session_info s[9];
	uint64_t epoch;

	for (int i = 0; i < 9; i++) {
		s[i] = session_with((uint64_t)i, (uint64_t)i, 1 + i % 3); /* users 1, 2, 3 */
		put_at(c, &s[i], 100);
	}
	CHECK(session_cache_count(c) == 9);
	epoch = session_cache_epoch(c);
	session_cache_drop_user(c, 2);
	CHECK(session_cache_epoch(c) != epoch);
	CHECK(session_cache_count(c) == 6);
	for (int i = 0; i < 9; i++)
		CHECK(has(c, &s[i]) == (s[i].user_id != 2));
	session_cache_drop_user(c, 42); /* nobody's: drops nothing */
	CHECK(session_cache_count(c) == 6);
	session_cache_free(c);
}

TEST(drop_session_drops_that_session_only)
{
	struct session_cache *c = cache_on(64);
	struct session_info a = session_with(1, 1, 1), b = session_with(1, 2, 1);
	uint64_t epoch;

	put_at(c, &a, 100);
	put_at(c, &b, 100);
	epoch = session_cache_epoch(c);
	session_cache_drop_session(c, a.id);
	CHECK(session_cache_epoch(c) != epoch);
	CHECK(!has(c, &a) && has(c, &b));
	session_cache_drop_session(c, NULL); /* harmless */
	CHECK(session_cache_count(c) == 1);
	session_cache_free(c);
}

TEST(clear_and_off_empty_the_cache_and_refuse_older_puts)
{
	struct session_cache *c = cache_on(64);
	struct session_info a = session_with(1, 1, 1), b = session_with(2, 2, 2);
	uint64_t before;

	put_at(c, &a, 100);
	put_at(c, &b, 100);
	before = session_cache_epoch(c);
	session_cache_clear(c);
	CHECK(session_cache_count(c) == 0 && !has(c, &a) && !has(c, &b));
	CHECK(session_cache_epoch(c) != before);
	session_cache_put(c, before, &a, 100); /* read before the clear */
	CHECK(session_cache_count(c) == 0);
	CHECK(session_cache_is_on(c));

	put_at(c, &a, 100);
	before = session_cache_epoch(c);
	session_cache_set_on(c, false);
	CHECK(!session_cache_is_on(c));
	CHECK(session_cache_count(c) == 0 && !has(c, &a));
	CHECK(session_cache_epoch(c) != before);
	before = session_cache_epoch(c);
	put_at(c, &a, 100); /* off: nothing is stored */
	CHECK(session_cache_count(c) == 0);
	turn_on(c);
	CHECK(session_cache_epoch(c) != before);
	session_cache_put(c, before, &a, 100); /* read while it was off */
	CHECK(session_cache_count(c) == 0 && !has(c, &a));
	session_cache_free(c);
}

TEST(an_id_not_of_64_characters_is_never_stored_nor_found)
{
	struct session_cache *c = cache_on(64);
	struct session_info s = session_with(5, 5, 1), out;

	s.id[CRYPTO_SHA256_HEX_LEN - 1] = '\0'; /* 63 characters */
	put_at(c, &s, 100);
	s.id[0] = '\0';
	put_at(c, &s, 100);
	CHECK(session_cache_count(c) == 0);

	s = session_with(5, 5, 1);
	put_at(c, &s, 100);
	CHECK(session_cache_count(c) == 1);
	s.id[CRYPTO_SHA256_HEX_LEN - 1] = '\0'; /* a prefix of a stored id */
	CHECK(!session_cache_get(c, s.id, &test_clock, &out));
	CHECK(out.id[0] == '\0' && out.user_id == 0); /* a miss leaves out zeroed */
	CHECK(!session_cache_get(c, "", &test_clock, &out));
	CHECK(!session_cache_get(c, NULL, &test_clock, &out));
	session_cache_free(c);
}

TEST(an_id_answers_only_for_itself)
{
	struct session_cache *c = cache_on(64);
	struct session_info lower = session_with(0xabcdef, 0xabcdef, 1);
	struct session_info upper = lower, digits = lower, letters, out;

	/* The set is chosen from the first 16 characters loosely (case folded,
	 * a letter past f taken as some digit); the id is compared exactly. */
	for (int i = 0; i < CRYPTO_SHA256_HEX_LEN; i++)
		if (upper.id[i] >= 'a' && upper.id[i] <= 'f')
			upper.id[i] = (char)(upper.id[i] - 'a' + 'A');
	put_at(c, &lower, 100);
	CHECK(!session_cache_get(c, upper.id, &test_clock, &out));
	memset(digits.id, '3', CRYPTO_SHA256_HEX_LEN); /* 'z' is taken as 3: the same set */
	digits.user_id = 2;
	letters = digits;
	memset(letters.id, 'z', CRYPTO_SHA256_HEX_LEN);
	letters.user_id = 3;
	put_at(c, &digits, 100);
	CHECK(!session_cache_get(c, letters.id, &test_clock, &out));
	put_at(c, &letters, 100);
	CHECK(session_cache_get(c, digits.id, &test_clock, &out) && out.user_id == 2);
	if (session_cache_get(c, letters.id, &test_clock, &out))
		CHECK(out.user_id == 3 && strcmp(out.id, letters.id) == 0);
	session_cache_free(c);
}

TEST(texts_of_the_largest_size_come_back_whole)
{
	struct session_cache *c = cache_on(64);
	struct session_info a = session_with(1, 1, 1), b, other = session_with(1, 2, 2), out;

	memset(a.username, 'n', sizeof(a.username) - 1); /* 255 bytes */
	memset(a.email, 'e', sizeof(a.email) - 1);
	memset(a.roles, 'r', sizeof(a.roles) - 1);
	a.username[0] = 'A';
	b = a;
	memcpy(b.id, other.id, sizeof(b.id));
	b.user_id = 2;
	b.username[0] = 'B';
	b.roles[sizeof(b.roles) - 2] = 'B';
	put_at(c, &a, 100);
	put_at(c, &b, 100);
	CHECK(session_cache_get(c, a.id, &test_clock, &out));
	CHECK(strlen(out.username) == 255 && strlen(out.email) == 255 && strlen(out.roles) == 1023);
	CHECK_STR(out.username, a.username);
	CHECK_STR(out.email, a.email);
	CHECK_STR(out.roles, a.roles);
	CHECK(session_cache_get(c, b.id, &test_clock, &out));
	CHECK_STR(out.username, b.username);
	CHECK_STR(out.roles, b.roles);
	CHECK(out.user_id == 2);
	session_cache_free(c);
}

/*
 * Threads: four threads get, put, drop, clear and switch one cache for a
 * while.  Each session's user and name follow from its number, so a hit
 * that returned another session's data would show.
 */
#define SMOKE_THREADS 4
#define SMOKE_SESSIONS 48
#define SMOKE_CAPACITY 16
#define SMOKE_MS 300

struct smoke {
	struct session_cache *c;
	uint64_t rng;
	long ops, hits;
	bool bad;
};

static struct session_info
smoke_session(int k)
{
	struct session_info s = session_with((uint64_t)k * 0x9e3779b97f4a7c15u, (uint64_t)k, k % 5);

	snprintf(s.username, sizeof(s.username), "user-%d", k);
	return s;
}

static void *
smoke_run(void *arg)
{
	struct smoke *sm = arg;
	int64_t end = session_cache_clock_ms() + SMOKE_MS;
	struct session_cache_clock clk = test_clock;
	struct session_info s, out;
	char name[32];
	int k, r;

	while ((clk.mono_ms = session_cache_clock_ms()) < end) {
		k = (int)(test_xorshift64(&sm->rng) % SMOKE_SESSIONS);
		s = smoke_session(k);
		r = (int)(test_xorshift64(&sm->rng) % 100);
		if (r < 50) {
			if (session_cache_get(sm->c, s.id, &clk, &out)) {
				snprintf(name, sizeof(name), "user-%d", k);
				sm->bad |= strcmp(out.id, s.id) != 0 || out.user_id != k % 5 ||
				           strcmp(out.username, name) != 0;
				sm->hits++;
			}
		} else if (r < 85)
			session_cache_put(sm->c, session_cache_epoch(sm->c), &s, clk.mono_ms);
		else if (r < 92)
			session_cache_drop_session(sm->c, s.id);
		else if (r < 95)
			session_cache_drop_user(sm->c, k % 5);
		else if (r < 96)
			session_cache_clear(sm->c);
		else if (r < 97)
			session_cache_set_on(sm->c, false);
		else if (r < 99)
			turn_on(sm->c);
		else
			sm->bad |= session_cache_count(sm->c) > SMOKE_CAPACITY;
		sm->ops++;
	}
	return NULL;
}

TEST(threads_share_one_cache)
{
	struct session_cache *c = cache_on(SMOKE_CAPACITY);
	struct smoke sm[SMOKE_THREADS];
	pthread_t th[SMOKE_THREADS];
	long hits = 0;

	for (int i = 0; i < SMOKE_THREADS; i++) {
		sm[i] = (struct smoke){.c = c, .rng = 0x2545f4914f6cdd1du * (uint64_t)(i + 1)};
		CHECK(pthread_create(&th[i], NULL, smoke_run, &sm[i]) == 0);
	}
	for (int i = 0; i < SMOKE_THREADS; i++) {
		CHECK(pthread_join(th[i], NULL) == 0);
		CHECK(!sm[i].bad);
		CHECK(sm[i].ops > 0);
		hits += sm[i].hits;
	}
	CHECK(hits > 0);
	CHECK(session_cache_count(c) <= SMOKE_CAPACITY);
	session_cache_free(c);
}

TEST(lease_bounds_the_hits)
{
	struct session_cache *c = session_cache_new(64, 30000);
	struct session_info s = sample("c", 9), out;
	struct session_cache_clock clk = {.now = 1010, .mono_ms = 5000, .touch_interval = 60};

	session_cache_set_on(c, true);
	session_cache_put(c, session_cache_epoch(c), &s, 5000);
	CHECK(!session_cache_get(c, s.id, &clk, &out)); /* on, but no lease yet */
	session_cache_renew(c, 6000);
	CHECK(session_cache_get(c, s.id, &clk, &out));
	clk.mono_ms = 6000; /* the lease ended: the feed did not renew it */
	CHECK(!session_cache_get(c, s.id, &clk, &out));
	session_cache_renew(c, 7000);
	CHECK(session_cache_get(c, s.id, &clk, &out));
	session_cache_set_on(c, false);
	session_cache_set_on(c, true); /* a new start: no lease again */
	session_cache_put(c, session_cache_epoch(c), &s, 6000);
	CHECK(!session_cache_get(c, s.id, &clk, &out));
	session_cache_free(c);
}

static void
suite(void)
{
	RUN(hit_only_when_on_fresh_and_valid);
	RUN(lease_bounds_the_hits);
	RUN(a_put_after_a_drop_stores_nothing);
	RUN(capacity_holds_whole_sets_of_four_at_least_one);
	RUN(a_full_set_evicts_its_oldest_read);
	RUN(drop_user_drops_every_session_of_that_user_only);
	RUN(drop_session_drops_that_session_only);
	RUN(clear_and_off_empty_the_cache_and_refuse_older_puts);
	RUN(an_id_not_of_64_characters_is_never_stored_nor_found);
	RUN(an_id_answers_only_for_itself);
	RUN(texts_of_the_largest_size_come_back_whole);
	RUN(threads_share_one_cache);
}

int
main(void)
{
	suite();
	return test_summary();
}
