/*
 * test_session_cache.c: the check's session cache (common/session_cache.c).
 */
#include <stdio.h>
#include <string.h>

#include "session_cache.h"
#include "test.h"

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
	session_cache_set_on(c, true);
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

	session_cache_set_on(c, true);
	epoch = session_cache_epoch(c);
	session_cache_drop_session(c, s.id); /* the revocation seen during the lookup */
	session_cache_put(c, epoch, &s, 5000);
	CHECK(!session_cache_get(c, s.id, &clk, &out));
	CHECK(session_cache_count(c) == 0);
	session_cache_free(c);
}

static void
suite(void)
{
	RUN(hit_only_when_on_fresh_and_valid);
	RUN(a_put_after_a_drop_stores_nothing);
}

int
main(void)
{
	suite();
	return test_summary();
}
