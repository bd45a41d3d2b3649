/*
 * test_template_pager.c: unit tests for common/template_pager.c: the
 * numbers and links of a page of rows, refused page values, links that stay
 * on the site, and templates/shared/pager.html under a table of rows.
 */
#include <ftw.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "template.h"
#include "test.h"
#include "test_template.h"

/* pager sets p up for /auth/admin/users; returns the error. */
static enum gh_err
pager(struct template_pager *p, const char *page, size_t per_page, size_t total)
{
	return template_pager_init(p, "/auth/admin/users", page, per_page, total);
}

TEST(pager_counts_pages_rows_and_links)
{
	struct template_pager p;

	CHECK(pager(&p, "2", 10, 25) == GH_OK);
	CHECK(p.offset == 10 && p.limit == 10 && p.page == 2 && p.pages == 3);
	CHECK_STR(p.num[0], "2");
	CHECK_STR(p.num[1], "3");
	CHECK_STR(p.num[2], "11");
	CHECK_STR(p.num[3], "20");
	CHECK_STR(p.num[4], "25");
	CHECK_STR(p.prev, "/auth/admin/users?page=1");
	CHECK_STR(p.next, "/auth/admin/users?page=3");

	/* The last page is short and has no next; the first has no previous. */
	CHECK(pager(&p, "3", 10, 25) == GH_OK);
	CHECK(p.offset == 20);
	CHECK_STR(p.num[2], "21");
	CHECK_STR(p.num[3], "25");
	CHECK_STR(p.next, "");
	CHECK(pager(&p, NULL, 10, 25) == GH_OK);
	CHECK(p.page == 1 && p.offset == 0);
	CHECK_STR(p.prev, "");
	CHECK(pager(&p, "", 10, 30) == GH_OK);
	CHECK(p.pages == 3);
	CHECK(pager(&p, "3", 10, 30) == GH_OK);
	CHECK_STR(p.num[3], "30");
	CHECK_STR(p.next, "");
}

TEST(pager_of_no_rows_is_one_empty_page)
{
	struct template_pager p;

	CHECK(pager(&p, "1", 10, 0) == GH_OK);
	CHECK(p.page == 1 && p.pages == 1 && p.offset == 0);
	CHECK_STR(p.num[2], "0");
	CHECK_STR(p.num[3], "0");
	CHECK_STR(p.prev, "");
	CHECK_STR(p.next, "");
}

TEST(pager_beyond_the_last_page_shows_the_last)
{
	struct template_pager p;

	CHECK(pager(&p, "7", 10, 25) == GH_OK);
	CHECK(p.page == 3 && p.offset == 20);
	CHECK_STR(p.num[0], "3");
	CHECK(pager(&p, "99999999999999999999999999", 10, 25) == GH_OK);
	CHECK(p.page == 3);
	CHECK(pager(&p, "5", SIZE_MAX, SIZE_MAX) == GH_OK);
	CHECK(p.page == 1 && p.pages == 1);
}

TEST(pager_refuses_a_page_that_is_no_plain_number)
{
	static const char *const bad[] = {
	    "0", "00", "-1", "+1", " 1", "1 ", "1x", "0x10", "1e3", "2&admin=1", "\"><script>"};
	struct template_pager p;
	size_t i;

	for (i = 0; i < NV(bad); i++)
		CHECK(pager(&p, bad[i], 10, 25) == GH_EINVAL);
	CHECK(pager(&p, "01", 10, 25) == GH_OK);
	CHECK(p.page == 1);
}

TEST(pager_links_stay_on_a_path_of_the_site)
{
	static const char *const bad[] = {"", "users", "//evil.example/x", "/a//b",
	    "https://evil.example/", "javascript:alert(1)", "/a?page=2", "/a#x", "/a\"b", "/a<b",
	    "/a b", "/a\\b", "/%2F"};
	struct template_pager p;
	char longpath[TEMPLATE_PAGER_PATH_MAX + 2];
	size_t i;

	for (i = 0; i < NV(bad); i++)
		CHECK(template_pager_init(&p, bad[i], "2", 10, 25) == GH_EINVAL);
	CHECK(template_pager_init(&p, NULL, "2", 10, 25) == GH_EINVAL);
	CHECK(template_pager_init(&p, "/a", "2", 0, 25) == GH_EINVAL);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK(template_pager_init(&p, longpath, "2", 10, 25) == GH_EINVAL);
	longpath[sizeof(longpath) - 2] = '\0'; /* exactly the limit */
	CHECK(template_pager_init(&p, longpath, "2", 10, 25) == GH_OK);
	CHECK(template_pager_init(&p, "/", "2", 10, 25) == GH_OK);
	CHECK_STR(p.next, "/?page=3");
	CHECK(template_pager_init(&p, "/a-b_c.d~e/f", "2", 10, 25) == GH_OK);
}

/* read_source reads a file of the source tree into a static buffer, or NULL
 * when the test does not run from one. */
static const char *
read_source(const char *name)
{
	static char text[8192];
	char path[1024];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", test_srcdir(), name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	n = fread(text, 1, sizeof(text) - 1, f);
	CHECK(feof(f));
	fclose(f);
	text[n] = '\0';
	return text;
}

TEST(pager_partial_renders_under_a_table_of_rows)
{
	static const char *const cols[] = {"name", "status"};
	static const char *const cells[] = {"ann", "active", "<bob>", "locked"};
	const struct template_list users = {"users", cols, 2, cells, 2};
	const char *page = "<table>\n"
	                   "{{#users}}\n"
	                   "<tr><td>{{name}}</td><td>{{status}}</td></tr>\n"
	                   "{{/users}}\n"
	                   "</table>\n"
	                   "{{>pager}}\n";
	const char *partial = read_source("templates/shared/pager.html");
	struct template_var vars[1 + TEMPLATE_PAGER_NVARS] = {{"title", "Users"}};
	struct template_set *set = template_set_new();
	struct template_pager p;
	struct buf b;

	if (partial == NULL) {
		test_skip("pager_partial_renders_under_a_table_of_rows", "no source tree");
		template_set_free(set);
		return;
	}
	CHECK(add(set, "layout", "{{{content}}}") == GH_OK);
	CHECK(add(set, "pager", partial) == GH_OK);
	CHECK(add(set, "users", page) == GH_OK);
	buf_init(&b);

	/* Rows 3-4 of 5: both links, the numbers. */
	CHECK(pager(&p, "2", 2, 5) == GH_OK);
	CHECK(template_pager_vars(&p, vars + 1) == TEMPLATE_PAGER_NVARS);
	CHECK(template_page_lists(set, "users", vars, NV(vars), &users, 1, &b) == GH_OK);
	CHECK_STR(b.data, "<table>\n"
	                  "<tr><td>ann</td><td>active</td></tr>\n"
	                  "<tr><td>&lt;bob&gt;</td><td>locked</td></tr>\n"
	                  "</table>\n"
	                  "<nav class=\"pager\" aria-label=\"Pages\">\n"
	                  "<a rel=\"prev\" href=\"/auth/admin/users?page=1\">Previous</a>\n"
	                  "<span>Rows 3–4 of 5, page 2 of 3</span>\n"
	                  "<a rel=\"next\" href=\"/auth/admin/users?page=3\">Next</a>\n"
	                  "</nav>\n");

	/* The only page: no links. */
	buf_reset(&b);
	CHECK(pager(&p, NULL, 10, 2) == GH_OK);
	template_pager_vars(&p, vars + 1);
	CHECK(template_page_lists(set, "users", vars, NV(vars), &users, 1, &b) == GH_OK);
	CHECK(strstr(b.data, "<nav class=\"pager\" aria-label=\"Pages\">\n"
	                     "<span>Rows 1–2 of 2, page 1 of 1</span>\n"
	                     "</nav>\n") != NULL);
	CHECK(strstr(b.data, "href") == NULL);

	/* No rows at all. */
	buf_reset(&b);
	CHECK(pager(&p, NULL, 10, 0) == GH_OK);
	template_pager_vars(&p, vars + 1);
	CHECK(template_page_lists(set, "users", vars, NV(vars), &users, 1, &b) == GH_OK);
	CHECK(strstr(b.data, "<span>No rows</span>\n</nav>\n") != NULL);
	buf_cleanup(&b);
	template_set_free(set);
}

int
main(void)
{
	/* Render failures are logged at LOG_ERR: keep the output quiet. */
	log_init("test_template_pager", LOG_CRIT, false);
	RUN(pager_counts_pages_rows_and_links);
	RUN(pager_of_no_rows_is_one_empty_page);
	RUN(pager_beyond_the_last_page_shows_the_last);
	RUN(pager_refuses_a_page_that_is_no_plain_number);
	RUN(pager_links_stay_on_a_path_of_the_site);
	RUN(pager_partial_renders_under_a_table_of_rows);
	return test_summary();
}
