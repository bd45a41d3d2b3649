/*
 * test.h: the unit tests' tiny harness.
 *
 * TEST(name) declares a test function; RUN(name) runs it; CHECK(cond) records
 * a failed assertion with file and line and goes on; test_skip() records a
 * part not run, with the reason ("skip - what: why"); test_summary() prints
 * "N passed, N failed" (", N skipped" when some were) for the tests run and
 * returns the exit status.
 * GH_SRCDIR (set by make check) locates the source tree's sql/ and templates/.
 */
#ifndef GH_TEST_H
#define GH_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_passed, test_failed, test_cur_failed, test_skipped;

#define TEST(name) static void test_##name(void)
#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			test_cur_failed = 1;                                                     \
		}                                                                                \
	} while (0)
#define CHECK_STR(a, b)                                                                  \
	do {                                                                             \
		const char *ta_ = (a), *tb_ = (b);                                       \
		if (ta_ == NULL || tb_ == NULL || strcmp(ta_, tb_) != 0) {               \
			fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
			    ta_ ? ta_ : "(null)", tb_ ? tb_ : "(null)");                 \
			test_cur_failed = 1;                                             \
		}                                                                        \
	} while (0)
#define RUN(name)                                       \
	do {                                            \
		test_cur_failed = 0;                    \
		test_##name();                          \
		if (test_cur_failed) {                  \
			test_failed++;                  \
			printf("not ok - %s\n", #name); \
		} else {                                \
			test_passed++;                  \
			printf("ok - %s\n", #name);     \
		}                                       \
	} while (0)

/* test_xorshift64 steps the state *x (never 0) of a small deterministic
 * generator and returns it, for the randomized tests: a fixed seed gives
 * the same run everywhere. */
static inline uint64_t
test_xorshift64(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static inline const char *
test_srcdir(void)
{
	const char *d = getenv("GH_SRCDIR");
	return d ? d : ".";
}

static inline void
test_skip(const char *what, const char *why)
{
	test_skipped++;
	printf("skip - %s: %s\n", what, why);
}

static inline int
test_summary(void)
{
	if (test_skipped > 0)
		printf(
		    "%d passed, %d failed, %d skipped\n", test_passed, test_failed, test_skipped);
	else
		printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed ? 1 : 0;
}

#endif
