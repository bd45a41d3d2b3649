/*
 * test_server.c: server_page and server_page_lists (common/server.c), the
 * one way a handler renders a page: every value it gives shows, or the
 * answer is a 500; never a page with a value silently left out.  The
 * FastCGI loop itself is tried through the real responders
 * (tests/integration/).
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "server.h"
#include "test.h"

static struct config cfg;
static struct template_set *set;
static struct server_ctx ctx;
static struct response res;

/* page_set makes the templates: a layout and a page that shows v0..v29 and
 * the list "rows". */
static void
page_set(void)
{
	struct buf page;
	char err[256];
	int i;

	cfg.site_name = (char *)"Site";
	cfg.prefix = (char *)"/auth";
	set = template_set_new();
	buf_init(&page);
	for (i = 0; i < SERVER_MAX_VARS - 2; i++)
		buf_printf(&page, "{{v%d}},", i);
	buf_puts(&page, "{{#rows}}[{{cell}}]{{/rows}}");
	CHECK(!page.err);
	CHECK(template_set_add(set, "layout", "{{site_name}} {{prefix}}|{{{content}}}", err,
	          sizeof(err)) == GH_OK);
	CHECK(template_set_add(set, "page", page.data, err, sizeof(err)) == GH_OK);
	buf_cleanup(&page);
	ctx.cfg = &cfg;
	ctx.templates = set;
	response_init(&res);
}

static void
page_set_free(void)
{
	response_cleanup(&res);
	template_set_free(set);
	set = NULL;
}

/* vars fills n variables v0=0, v1=1, ... (names and values in names). */
static struct template_var vars[SERVER_MAX_VARS + 1];
static char names[SERVER_MAX_VARS + 1][2][8];

static size_t
fill(size_t n)
{
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i][0], sizeof(names[i][0]), "v%zu", i);
		snprintf(names[i][1], sizeof(names[i][1]), "%zu", i);
		vars[i] = (struct template_var){names[i][0], names[i][1]};
	}
	return n;
}

static const char *const cols[] = {"cell"};
static const char *const cells[] = {"a", "<b>"};

TEST(page_shows_thirty_variables_and_the_lists)
{
	const struct template_list rows = {"rows", cols, 1, cells, 2};

	page_set();
	server_page_lists(&ctx, &res, 200, "page", vars, fill(SERVER_MAX_VARS - 2), &rows, 1);
	CHECK(res.status == 200);
	CHECK_STR(res.body.data, "Site /auth|0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,"
	                         "20,21,22,23,24,25,26,27,28,29,[a][&lt;b&gt;]");
	CHECK(strstr(res.headers.data, "Content-Type: text/html; charset=utf-8\r\n") != NULL);
	page_set_free();
}

TEST(page_with_more_than_thirty_variables_is_a_500)
{
	page_set();
	server_page(&ctx, &res, 200, "page", vars, fill(SERVER_MAX_VARS - 1));
	CHECK(res.status == 500);
	CHECK(strstr(res.body.data, "v29") == NULL && strstr(res.body.data, "29,") == NULL);
	page_set_free();
}

TEST(page_with_a_variable_given_twice_is_a_500)
{
	page_set();
	fill(3);
	vars[2].name = "v0"; /* the second v0 would never show */
	server_page(&ctx, &res, 200, "page", vars, 3);
	CHECK(res.status == 500);
	page_set_free();

	/* site_name and prefix are the server's: a handler's would not show. */
	page_set();
	fill(1);
	vars[0].name = "prefix";
	server_page(&ctx, &res, 200, "page", vars, 1);
	CHECK(res.status == 500);
	page_set_free();
}

TEST(page_with_a_list_named_like_a_variable_or_list_is_a_500)
{
	const struct template_list rows[] = {
	    {"rows", cols, 1, cells, 2}, {"rows", cols, 1, cells, 1}};
	const struct template_list v0 = {"v0", cols, 1, cells, 2};

	page_set();
	server_page_lists(&ctx, &res, 200, "page", vars, fill(1), &v0, 1);
	CHECK(res.status == 500);
	page_set_free();

	page_set();
	server_page_lists(&ctx, &res, 200, "page", NULL, 0, rows, 2);
	CHECK(res.status == 500);
	page_set_free();
}

TEST(page_that_fails_to_render_is_a_500_without_half_a_page)
{
	page_set();
	server_page(&ctx, &res, 200, "nosuch", NULL, 0);
	CHECK(res.status == 500);
	CHECK(strstr(res.body.data, "Site") == NULL);
	page_set_free();
}

int
main(void)
{
	/* Refusals are logged at LOG_ERR: keep the output quiet. */
	log_init("test_server", LOG_CRIT, false);
	RUN(page_shows_thirty_variables_and_the_lists);
	RUN(page_with_more_than_thirty_variables_is_a_500);
	RUN(page_with_a_variable_given_twice_is_a_500);
	RUN(page_with_a_list_named_like_a_variable_or_list_is_a_500);
	RUN(page_that_fails_to_render_is_a_500_without_half_a_page);
	return test_summary();
}
