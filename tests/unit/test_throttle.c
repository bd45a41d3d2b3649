/*
 * test_throttle.c: throttle.h on every database (test_backend.h): the
 * client's key (REMOTE_ADDR, IPv6 /64, X-Forwarded-For only from trusted
 * proxies), the decaying count that blocks a client for one window, one
 * client not blocking another, and the purge of stale rows.
 */
#include <string.h>

#include "config.h"
#include "db.h"
#include "request.h"
#include "test.h"
#include "test_backend.h"
#include "throttle.h"

#define T0 1700000000 /* a fixed "now" */

static struct config cfg;
static struct db *db;

static bool
setup(struct test_backend *b)
{
	if ((db = test_backend_open_schema(b, 1000)) == NULL)
		return false;
	memset(&cfg, 0, sizeof(cfg));
	cfg.throttle_max_failures = 4;
	cfg.throttle_window = 60;
	cfg.throttle_trusted_proxies = "";
	cfg.lockout_max = 120;
	return true;
}

/* req_from fills r for a client at addr with X-Forwarded-For xff. */
static struct request *
req_from(struct request *r, const char *addr, const char *xff)
{
	memset(r, 0, sizeof(*r));
	r->remote_addr = (char *)addr;
	r->forwarded_for = (char *)xff;
	return r;
}

static const char *
key_of(const char *addr, const char *xff)
{
	static char key[THROTTLE_KEY_MAX];
	struct request r;

	throttle_client_key(&cfg, req_from(&r, addr, xff), key);
	return key;
}

static bool
blocked(const char *addr, int64_t now, int64_t *retry)
{
	struct request r;
	int64_t after;

	CHECK(throttle_check(db, &cfg, req_from(&r, addr, ""), now, &after, NULL) != GH_EDB);
	if (retry != NULL)
		*retry = after;
	return throttle_check(db, &cfg, &r, now, &after, NULL) == GH_EDENIED;
}

/* fail counts a failure of addr at now, and checks that throttle_blocks,
 * on the row as throttle_check read it before, foretold whether this
 * failure blocks the client (what the log and the audit trail record). */
static void
fail(const char *addr, int64_t now)
{
	struct request r;
	struct throttle_seen seen;
	int64_t after;
	bool was, blocks;

	was = throttle_check(db, &cfg, req_from(&r, addr, ""), now, &after, &seen) == GH_EDENIED;
	blocks = throttle_blocks(&cfg, &seen, now);
	CHECK(throttle_fail(db, &cfg, &r, now) == GH_OK);
	if (!was)
		CHECK(blocks == blocked(addr, now, NULL));
}

TEST(client_key_is_remote_addr_ipv6_its_64)
{
	CHECK_STR(key_of("192.0.2.7", ""), "ip:192.0.2.7");
	CHECK_STR(key_of("2001:db8:1:2:3:4:5:6", ""), "ip:2001:db8:1:2::/64");
	CHECK_STR(key_of("2001:db8:1:2:ffff::1", ""), "ip:2001:db8:1:2::/64");
	CHECK_STR(key_of("::ffff:192.0.2.9", ""), "ip:192.0.2.9");
	CHECK_STR(key_of("", ""), "ip:-");
	CHECK_STR(key_of("not an address", ""), "ip:-");
}

TEST(forwarded_for_ignored_unless_from_a_trusted_proxy)
{
	CHECK_STR(key_of("192.0.2.7", "198.51.100.1"), "ip:192.0.2.7");
	cfg.throttle_trusted_proxies = "10.0.0.0/8 2001:db8:ffff::1";
	CHECK_STR(key_of("192.0.2.7", "198.51.100.1"), "ip:192.0.2.7");
	CHECK_STR(key_of("10.1.2.3", "198.51.100.1"), "ip:198.51.100.1");
	/* The right-most address that is not a proxy: the left ones are the
	 * client's own to write. */
	CHECK_STR(key_of("10.1.2.3", "203.0.113.5, 198.51.100.1, 10.9.9.9"), "ip:198.51.100.1");
	CHECK_STR(key_of("2001:db8:ffff::1", "2001:db8:5:6::7"), "ip:2001:db8:5:6::/64");
	/* Nothing usable: the proxy itself. */
	CHECK_STR(key_of("10.1.2.3", ""), "ip:10.1.2.3");
	CHECK_STR(key_of("10.1.2.3", "junk"), "ip:10.1.2.3");
	CHECK_STR(key_of("10.1.2.3", "10.4.4.4"), "ip:10.4.4.4");
	cfg.throttle_trusted_proxies = "";
}

TEST(trusted_proxies_value_checked)
{
	CHECK(throttle_trusted_problem("") == NULL);
	CHECK(throttle_trusted_problem("127.0.0.1 10.0.0.0/8  ::1 2001:db8::/32") == NULL);
	CHECK(throttle_trusted_problem("10.0.0.0/33") != NULL);
	CHECK(throttle_trusted_problem("proxy.example.org") != NULL);
	CHECK(throttle_trusted_problem("10.0.0.1/") != NULL);
}

TEST(max_failures_block_for_one_window)
{
	int64_t retry;

	CHECK(!blocked("192.0.2.10", T0, NULL));
	for (int i = 0; i < 3; i++)
		fail("192.0.2.10", T0 + i);
	CHECK(!blocked("192.0.2.10", T0 + 3, NULL));
	fail("192.0.2.10", T0 + 3);
	CHECK(blocked("192.0.2.10", T0 + 3, &retry));
	CHECK(retry == 60);
	CHECK(blocked("192.0.2.10", T0 + 62, &retry) && retry == 1);
	CHECK(!blocked("192.0.2.11", T0 + 3, NULL)); /* another client */
	/* After the block the count has decayed: max_failures again. */
	CHECK(!blocked("192.0.2.10", T0 + 63, NULL));
	for (int i = 0; i < 3; i++)
		fail("192.0.2.10", T0 + 63);
	CHECK(!blocked("192.0.2.10", T0 + 63, NULL));
}

TEST(count_decays_like_a_sliding_window)
{
	/* One failure every 15 s is max_failures per window: never blocked;
	 * every 10 s is more: blocked. */
	for (int i = 0; i < 20; i++) {
		fail("192.0.2.20", T0 + 15 * i);
		CHECK(!blocked("192.0.2.20", T0 + 15 * i, NULL));
	}
	for (int i = 0; i < 6; i++)
		fail("192.0.2.21", T0 + 10 * i);
	CHECK(blocked("192.0.2.21", T0 + 50, NULL));
}

TEST(purge_deletes_only_stale_rows)
{
	int64_t n = -1;

	fail("192.0.2.30", T0);
	for (int i = 0; i < 4; i++)
		fail("192.0.2.31", T0 + 200);
	/* keep = max(window 60, lockout_max 120): .30 untouched since T0. */
	CHECK(throttle_purge(db, &cfg, T0 + 250, &n) == GH_OK);
	CHECK(n >= 1);
	CHECK(blocked("192.0.2.31", T0 + 250, NULL));
	CHECK(throttle_purge(db, &cfg, T0 + 250, &n) == GH_OK && n == 0);
	CHECK(throttle_purge(db, &cfg, T0 + 200 + 121, &n) == GH_OK && n == 1);
}

static void
suite(void)
{
	RUN(client_key_is_remote_addr_ipv6_its_64);
	RUN(forwarded_for_ignored_unless_from_a_trusted_proxy);
	RUN(trusted_proxies_value_checked);
	RUN(max_failures_block_for_one_window);
	RUN(count_decays_like_a_sliding_window);
	RUN(purge_deletes_only_stale_rows);
}

static void
tear_down(void)
{
	db_close(db);
	db = NULL;
}

int
main(void)
{
	return test_backend_main(TEST_EVERY_BACKEND, setup, suite, tear_down);
}
