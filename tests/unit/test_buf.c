/*
 * test_buf.c: unit tests for common/buf.c, the growable text buffer.
 */
#include <stdint.h>

#include "buf.h"
#include "test.h"

TEST(init_gives_empty_terminated_string)
{
	struct buf b;

	buf_init(&b);
	CHECK(b.data != NULL);
	CHECK_STR(b.data, "");
	CHECK(b.len == 0);
	CHECK(!b.err);
	buf_cleanup(&b);
}

TEST(appends_concatenate_and_stay_terminated)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "abc");
	buf_putc(&b, '-');
	buf_append(&b, "xyz123", 3);
	buf_printf(&b, "/%d/%s", 42, "q");
	CHECK_STR(b.data, "abc-xyz/42/q");
	CHECK(b.len == strlen("abc-xyz/42/q"));
	CHECK(!b.err);
	buf_cleanup(&b);
}

TEST(append_of_zero_bytes_is_harmless)
{
	struct buf b;

	buf_init(&b);
	buf_append(&b, NULL, 0);
	buf_puts(&b, "");
	buf_puts(&b, NULL);
	CHECK_STR(b.data, "");
	CHECK(!b.err);
	buf_cleanup(&b);
}

TEST(grows_past_many_reallocations)
{
	struct buf b;
	size_t i;
	int ok = 1;

	buf_init(&b);
	for (i = 0; i < 100000; i++)
		buf_putc(&b, (char)('a' + i % 26));
	CHECK(b.len == 100000);
	CHECK(strlen(b.data) == 100000);
	for (i = 0; i < 100000; i++)
		if (b.data[i] != (char)('a' + i % 26))
			ok = 0;
	CHECK(ok);
	buf_cleanup(&b);
}

TEST(printf_longer_than_capacity_is_complete)
{
	struct buf b;
	char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b);
	buf_puts(&b, "start:");
	buf_printf(&b, "%s:%s", big, "end");
	CHECK(b.len == 6 + 4999 + 4);
	CHECK(strncmp(b.data, "start:xxx", 9) == 0);
	CHECK(strcmp(b.data + b.len - 4, ":end") == 0);
	buf_cleanup(&b);
}

TEST(append_over_max_sets_err_and_keeps_contents)
{
	struct buf b;

	buf_init(&b);
	b.max = 8;
	buf_puts(&b, "12345");
	buf_puts(&b, "6789");
	CHECK(b.err);
	CHECK_STR(b.data, "12345");
	CHECK(b.len == 5);
	buf_cleanup(&b);
}

TEST(append_up_to_exactly_max_succeeds)
{
	struct buf b;

	buf_init(&b);
	b.max = 8;
	buf_puts(&b, "12345678");
	CHECK(!b.err);
	CHECK_STR(b.data, "12345678");
	buf_cleanup(&b);
}

TEST(err_is_sticky_for_later_appends)
{
	struct buf b;

	buf_init(&b);
	b.max = 4;
	buf_puts(&b, "toolong");
	buf_puts(&b, "ab");
	buf_putc(&b, 'c');
	buf_printf(&b, "%d", 1);
	CHECK(b.err);
	CHECK_STR(b.data, "");
	CHECK(b.len == 0);
	buf_cleanup(&b);
}

TEST(printf_over_max_sets_err_and_restores_terminator)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "ab"); /* allocates: the printf below fits capacity, not max */
	b.max = 6;
	buf_printf(&b, "%s", "cdefgh");
	CHECK(b.err);
	CHECK_STR(b.data, "ab");
	CHECK(b.len == 2);
	buf_cleanup(&b);
}

TEST(append_with_overflowing_size_sets_err)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "abc");
	buf_append(&b, "x", SIZE_MAX - 1);
	CHECK(b.err);
	CHECK_STR(b.data, "abc");
	buf_cleanup(&b);
}

TEST(reset_empties_and_clears_err)
{
	struct buf b;

	buf_init(&b);
	b.max = 4;
	buf_puts(&b, "abc");
	buf_puts(&b, "de");
	CHECK(b.err);
	buf_reset(&b);
	CHECK(!b.err);
	CHECK_STR(b.data, "");
	CHECK(b.len == 0);
	buf_puts(&b, "wxyz");
	CHECK_STR(b.data, "wxyz");
	CHECK(!b.err);
	buf_cleanup(&b);
}

TEST(cleanup_twice_is_safe)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "secret");
	buf_cleanup(&b);
	CHECK_STR(b.data, "");
	buf_cleanup(&b);
	CHECK(b.len == 0);
}

TEST(html_escapes_the_five_special_characters)
{
	struct buf b;

	buf_init(&b);
	buf_put_html(&b, "<a href=\"x\" title='y'>&amp;</a>");
	CHECK_STR(b.data, "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
	buf_reset(&b);
	buf_put_html(&b, "plain text");
	CHECK_STR(b.data, "plain text");
	buf_put_html(&b, NULL);
	CHECK_STR(b.data, "plain text");
	buf_cleanup(&b);
}

TEST(urlenc_keeps_unreserved_and_encodes_the_rest)
{
	struct buf b;

	buf_init(&b);
	buf_put_urlenc(&b, "Az09-._~");
	CHECK_STR(b.data, "Az09-._~");
	buf_reset(&b);
	buf_put_urlenc(&b, "/a b?c=d&e+f#\r\n\xc3\xa9");
	CHECK_STR(b.data, "%2Fa%20b%3Fc%3Dd%26e%2Bf%23%0D%0A%C3%A9");
	buf_cleanup(&b);
}

TEST(steal_returns_heap_string_and_reinits)
{
	struct buf b;
	char *s;

	buf_init(&b);
	buf_puts(&b, "hello");
	s = buf_steal(&b);
	CHECK_STR(s, "hello");
	CHECK_STR(b.data, "");
	CHECK(b.len == 0);
	free(s);

	s = buf_steal(&b); /* never appended to: still a heap "" */
	CHECK_STR(s, "");
	free(s);
	buf_cleanup(&b);
}

TEST(steal_after_error_returns_null)
{
	struct buf b;

	buf_init(&b);
	b.max = 2;
	buf_puts(&b, "abc");
	CHECK(buf_steal(&b) == NULL);
	CHECK(!b.err);
	CHECK_STR(b.data, "");
	buf_cleanup(&b);
}

int
main(void)
{
	RUN(init_gives_empty_terminated_string);
	RUN(appends_concatenate_and_stay_terminated);
	RUN(append_of_zero_bytes_is_harmless);
	RUN(grows_past_many_reallocations);
	RUN(printf_longer_than_capacity_is_complete);
	RUN(append_over_max_sets_err_and_keeps_contents);
	RUN(append_up_to_exactly_max_succeeds);
	RUN(err_is_sticky_for_later_appends);
	RUN(printf_over_max_sets_err_and_restores_terminator);
	RUN(append_with_overflowing_size_sets_err);
	RUN(reset_empties_and_clears_err);
	RUN(cleanup_twice_is_safe);
	RUN(html_escapes_the_five_special_characters);
	RUN(urlenc_keeps_unreserved_and_encodes_the_rest);
	RUN(steal_returns_heap_string_and_reinits);
	RUN(steal_after_error_returns_null);
	return test_summary();
}
