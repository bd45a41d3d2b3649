/*
 * test_template.c: unit tests for common/template.c and template_render.c
 * on sets built in memory: escaping, sections, partials, the layout, lists,
 * load-time errors with file and line, and the limits.  The folders a
 * program loads are tested in test_template_load.c, the pager in
 * test_template_pager.c.
 */
#include <ftw.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "template.h"
#include "test.h"
#include "test_template.h"

/* render1 renders text as a one-template set; NULL on any error. */
static const char *
render1(const char *text, const struct template_var *vars, size_t nvars)
{
	static char out[4096];
	struct template_set *set = template_set_new();
	struct buf b;
	const char *res = NULL;

	buf_init(&b);
	if (add(set, "t", text) == GH_OK && template_render(set, "t", vars, nvars, &b) == GH_OK &&
	    !b.err && b.len < sizeof(out)) {
		memcpy(out, b.data, b.len + 1);
		res = out;
	}
	buf_cleanup(&b);
	template_set_free(set);
	return res;
}

/* load_error returns the load error of text as template name, or NULL. */
static const char *
load_error(const char *name, const char *text)
{
	struct template_set *set = template_set_new();
	enum gh_err e = add(set, name, text);

	template_set_free(set);
	return e == GH_OK ? NULL : errmsg;
}

/* render_lists renders text with lists, inside a layout that is only its
 * content; NULL on any error. */
static const char *
render_lists(const char *text, const struct template_var *vars, size_t nvars,
    const struct template_list *lists, size_t nlists, const char *partial)
{
	static char out[4096];
	struct template_set *set = template_set_new();
	struct buf b;
	const char *res = NULL;

	buf_init(&b);
	if (add(set, "layout", "{{{content}}}") == GH_OK && add(set, "t", text) == GH_OK &&
	    (partial == NULL || add(set, "row", partial) == GH_OK) &&
	    template_page_lists(set, "t", vars, nvars, lists, nlists, &b) == GH_OK && !b.err &&
	    b.len < sizeof(out)) {
		memcpy(out, b.data, b.len + 1);
		res = out;
	}
	buf_cleanup(&b);
	template_set_free(set);
	return res;
}

TEST(variable_is_html_escaped)
{
	struct template_var v[] = {{"name", "<script>alert('x')</script> & \"q\""}};

	CHECK_STR(render1("<p title=\"{{name}}\">{{name}}</p>", v, NV(v)),
	    "<p title=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;\">"
	    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</p>");
}

TEST(missing_variable_renders_empty)
{
	CHECK_STR(render1("[{{nothing}}]", NULL, 0), "[]");
}

TEST(blanks_inside_tags_are_ignored)
{
	struct template_var v[] = {{"a", "1"}};

	CHECK_STR(render1("{{ a }}{{\ta\t}}{{# a }}y{{/ a }}", v, NV(v)), "11y");
}

TEST(first_variable_of_a_name_wins)
{
	struct template_var v[] = {{"a", "first"}, {"a", "second"}, {"ab", "x"}};

	CHECK_STR(render1("{{a}}", v, NV(v)), "first");
}

TEST(section_shows_for_set_values_only)
{
	const char *t = "{{#x}}yes{{/x}}{{^x}}no{{/x}}";
	struct template_var one[] = {{"x", "1"}}, word[] = {{"x", "on"}};
	struct template_var empty[] = {{"x", ""}}, zero[] = {{"x", "0"}};
	struct template_var null[] = {{"x", NULL}};

	CHECK_STR(render1(t, one, 1), "yes");
	CHECK_STR(render1(t, word, 1), "yes");
	CHECK_STR(render1(t, empty, 1), "no");
	CHECK_STR(render1(t, zero, 1), "no");
	CHECK_STR(render1(t, null, 1), "no");
	CHECK_STR(render1(t, NULL, 0), "no");
}

TEST(nested_sections_skip_their_whole_content)
{
	const char *t = "a{{#x}}b{{#y}}c{{/y}}d{{^y}}e{{/y}}{{/x}}f";
	struct template_var xy[] = {{"x", "1"}, {"y", "1"}};
	struct template_var x[] = {{"x", "1"}};
	struct template_var y[] = {{"y", "1"}};

	CHECK_STR(render1(t, xy, 2), "abcdf");
	CHECK_STR(render1(t, x, 1), "abdef");
	CHECK_STR(render1(t, y, 1), "af");
}

TEST(comments_render_nothing)
{
	CHECK_STR(render1("a{{! a comment with {braces} and\nlines }}b", NULL, 0), "ab");
}

TEST(tag_alone_on_its_line_takes_the_line)
{
	const char *t = "<ul>\n  {{#x}}\n  <li>{{x}}</li>\n  {{/x}}\n  {{! note }}\n</ul>\n";
	struct template_var x[] = {{"x", "1"}};

	CHECK_STR(render1(t, x, 1), "<ul>\n  <li>1</li>\n</ul>\n");
	CHECK_STR(render1(t, NULL, 0), "<ul>\n</ul>\n");
	/* A variable keeps its line; a section tag next to text keeps it too. */
	CHECK_STR(render1("a\n{{x}}\nb\n", x, 1), "a\n1\nb\n");
	CHECK_STR(render1("a {{#x}}b{{/x}}\n", x, 1), "a b\n");
	CHECK_STR(render1("{{#x}}\r\nb\r\n{{/x}}\r\n", x, 1), "b\r\n");
}

TEST(braces_that_are_not_tags_stay_text)
{
	CHECK_STR(render1("a { b } c }} d", NULL, 0), "a { b } c }} d");
}

TEST(partial_renders_with_the_same_variables)
{
	struct template_set *set = template_set_new();
	struct template_var v[] = {{"user", "<b>"}};
	struct buf b;

	buf_init(&b);
	CHECK(add(set, "page", "[{{>greeting}}]") == GH_OK);
	CHECK(add(set, "greeting", "hello {{user}}") == GH_OK);
	CHECK(template_render(set, "page", v, 1, &b) == GH_OK);
	CHECK_STR(b.data, "[hello &lt;b&gt;]");
	buf_cleanup(&b);
	template_set_free(set);
}

TEST(unknown_template_is_not_found)
{
	struct template_set *set = template_set_new();
	struct buf b;

	buf_init(&b);
	CHECK(template_render(set, "nope", NULL, 0, &b) == GH_ENOTFOUND);
	CHECK(template_page(set, "nope", NULL, 0, &b) == GH_ENOTFOUND);
	CHECK_STR(b.data, "");
	buf_cleanup(&b);
	template_set_free(set);
}

TEST(unknown_partial_fails_the_render_and_appends_nothing)
{
	struct template_set *set = template_set_new();
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "before:");
	CHECK(add(set, "page", "text {{>missing}} more") == GH_OK);
	CHECK(template_render(set, "page", NULL, 0, &b) == GH_ENOTFOUND);
	CHECK_STR(b.data, "before:");
	buf_cleanup(&b);
	template_set_free(set);
}

TEST(self_including_partial_fails_with_einval)
{
	struct template_set *set = template_set_new();
	struct buf b;

	buf_init(&b);
	CHECK(add(set, "loop", "x{{>loop}}") == GH_OK);
	CHECK(template_render(set, "loop", NULL, 0, &b) == GH_EINVAL);
	CHECK_STR(b.data, "");
	buf_cleanup(&b);
	template_set_free(set);
}

TEST(partials_nest_eight_deep_not_nine)
{
	struct template_set *set = template_set_new();
	char name[16], text[32];
	struct buf b;
	int i;

	/* p0 includes p1 ... includes p8: eight levels of partials. */
	for (i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		snprintf(text, sizeof(text), "%d{{>p%d}}", i, i + 1);
		CHECK(add(set, name, text) == GH_OK);
	}
	CHECK(add(set, "p9", "end") == GH_OK);
	buf_init(&b);
	CHECK(template_render(set, "p1", NULL, 0, &b) == GH_OK);
	CHECK_STR(b.data, "12345678end");
	buf_reset(&b);
	CHECK(template_render(set, "p0", NULL, 0, &b) == GH_EINVAL);
	buf_cleanup(&b);
	template_set_free(set);
}

TEST(page_puts_the_template_inside_the_layout)
{
	struct template_set *set = template_set_new();
	struct template_var v[] = {{"title", "Log <in>"}, {"user", "a&b"}};
	struct buf b;

	CHECK(
	    add(set, "layout", "<title>{{title}}</title>\n<main>{{{content}}}</main>\n") == GH_OK);
	CHECK(add(set, "login", "<p>{{user}}</p>") == GH_OK);
	buf_init(&b);
	CHECK(template_page(set, "login", v, NV(v), &b) == GH_OK);
	CHECK_STR(b.data, "<title>Log &lt;in&gt;</title>\n<main><p>a&amp;b</p></main>\n");
	buf_reset(&b);
	/* Rendered alone, the layout leaves the slot empty. */
	CHECK(template_render(set, "layout", v, NV(v), &b) == GH_OK);
	CHECK_STR(b.data, "<title>Log &lt;in&gt;</title>\n<main></main>\n");
	buf_cleanup(&b);
	template_set_free(set);
}

TEST(page_without_layout_is_not_found)
{
	struct template_set *set = template_set_new();
	struct buf b;

	CHECK(add(set, "login", "x") == GH_OK);
	buf_init(&b);
	CHECK(template_page(set, "login", NULL, 0, &b) == GH_ENOTFOUND);
	buf_cleanup(&b);
	template_set_free(set);
}

TEST(page_failure_appends_nothing)
{
	struct template_set *set = template_set_new();
	struct buf b;

	CHECK(add(set, "layout", "L{{{content}}}{{>missing}}") == GH_OK);
	CHECK(add(set, "login", "x") == GH_OK);
	buf_init(&b);
	buf_puts(&b, "keep");
	CHECK(template_page(set, "login", NULL, 0, &b) == GH_ENOTFOUND);
	CHECK_STR(b.data, "keep");
	buf_cleanup(&b);
	template_set_free(set);
}

TEST(triple_braces_outside_the_layout_are_a_load_error)
{
	CHECK_STR(load_error("login", "a\n{{{content}}}"),
	    "login.html:2: unescaped output \"{{{\" is only allowed in layout.html");
	CHECK(load_error("login", "{{{user}}}") != NULL);
}

TEST(layout_holds_content_exactly_once)
{
	CHECK(load_error("layout", "<main>{{{content}}}</main>") == NULL);
	CHECK_STR(load_error("layout", "<main>\n</main>\n"),
	    "layout.html:3: layout.html must hold {{{content}}} exactly once");
	CHECK_STR(load_error("layout", "{{{content}}}\n{{{content}}}"),
	    "layout.html:1: layout.html must hold {{{content}}} exactly once");
	CHECK_STR(load_error("layout", "{{{content}}}{{{user}}}"),
	    "layout.html:1: only {{{content}}} may be unescaped");
	CHECK_STR(load_error("layout", "{{{content}}"), "layout.html:1: unclosed tag \"{{{\"");
}

TEST(unescaped_and_delimiter_tags_are_load_errors)
{
	CHECK_STR(
	    load_error("t", "{{&user}}"), "t.html:1: unescaped output \"{{&\" is not supported");
	CHECK_STR(load_error("t", "x\n\n{{=<% %>=}}"),
	    "t.html:3: changing delimiters \"{{=\" is not supported");
}

TEST(unclosed_section_is_reported_with_its_line)
{
	CHECK_STR(load_error("form", "<form>\n{{#error}}\n<p>{{error}}</p>\n</form>\n"),
	    "form.html:2: section \"error\" is not closed");
	CHECK_STR(load_error("form", "{{#a}}\n{{^b}}\n{{/b}}\n"),
	    "form.html:1: section \"a\" is not closed");
}

TEST(wrong_or_stray_closing_tag_is_reported)
{
	CHECK_STR(load_error("t", "{{#a}}\n{{#b}}\n{{/a}}\n{{/b}}"),
	    "t.html:3: \"{{/a}}\" closes section \"b\" opened on line 2");
	CHECK_STR(load_error("t", "x\n{{/a}}"), "t.html:2: \"{{/a}}\" closes no open section");
}

TEST(unclosed_tag_and_bad_names_are_reported)
{
	CHECK_STR(load_error("t", "a\nb {{name\n"), "t.html:2: unclosed tag \"{{\"");
	CHECK_STR(load_error("t", "{{!never closed"), "t.html:1: unclosed tag \"{{\"");
	CHECK(load_error("t", "{{}}") != NULL);
	CHECK(load_error("t", "{{ }}") != NULL);
	CHECK(load_error("t", "{{a b}}") != NULL);
	CHECK(load_error("t", "{{#}}{{/}}") != NULL);
	CHECK(load_error("t", "{{>}}") != NULL);
	CHECK(load_error("t", "{{a<b}}") != NULL);
	CHECK(load_error("t", "{{user.name-2_x}}") == NULL);
}

TEST(sections_nest_sixteen_deep_not_seventeen)
{
	struct buf t;
	int i;

	buf_init(&t);
	for (i = 0; i < 16; i++)
		buf_printf(&t, "{{#s%d}}", i);
	buf_puts(&t, "x");
	for (i = 15; i >= 0; i--)
		buf_printf(&t, "{{/s%d}}", i);
	CHECK(load_error("t", t.data) == NULL);

	buf_reset(&t);
	for (i = 0; i < 17; i++)
		buf_printf(&t, "{{#s%d}}\n", i);
	for (i = 16; i >= 0; i--)
		buf_printf(&t, "{{/s%d}}\n", i);
	CHECK_STR(load_error("t", t.data), "t.html:17: sections nested deeper than 16");
	buf_cleanup(&t);
}

TEST(template_over_256_kib_is_refused)
{
	static char big[256 * 1024 + 2];

	memset(big, 'x', sizeof(big) - 2);
	CHECK(load_error("big", big) == NULL); /* exactly 256 KiB */
	big[sizeof(big) - 2] = 'x';
	CHECK(load_error("big", big) != NULL);
	CHECK(strstr(errmsg, "larger than 256 KiB") != NULL);
}

TEST(at_most_64_templates)
{
	struct template_set *set = template_set_new();
	char name[16];
	int i;

	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		CHECK(add(set, name, "x") == GH_OK);
	}
	CHECK(add(set, "one_more", "x") == GH_ECONFIG);
	CHECK(strstr(errmsg, "more than 64 templates") != NULL);
	template_set_free(set);
}

TEST(duplicate_and_invalid_names_are_refused)
{
	struct template_set *set = template_set_new();

	CHECK(add(set, "a", "x") == GH_OK);
	CHECK(add(set, "a", "y") == GH_ECONFIG);
	CHECK(add(set, "", "y") == GH_ECONFIG);
	CHECK(add(set, "../etc", "y") == GH_ECONFIG);
	CHECK(add(set, "a b", "y") == GH_ECONFIG);
	CHECK(add(set, ".hidden", "y") == GH_ECONFIG);
	template_set_free(set);
	template_set_free(NULL);
}

static const char *const user_cols[] = {"name", "status"};
static const char *const user_cells[] = {"ann", "active", "<bob>", NULL, "cid", "inactive"};

TEST(list_repeats_its_section_per_row_escaped)
{
	const struct template_list users = {"users", user_cols, 2, user_cells, 3};

	CHECK_STR(
	    render_lists("{{#users}}[{{name}}:{{status}}]{{/users}}", NULL, 0, &users, 1, NULL),
	    "[ann:active][&lt;bob&gt;:][cid:inactive]");
}

TEST(list_rows_see_the_page_variables_columns_first)
{
	const struct template_list users = {"users", user_cols, 2, user_cells, 1};
	const struct template_var v[] = {{"csrf", "tok"}, {"name", "outer"}};

	CHECK_STR(render_lists(
	              "{{#users}}{{name}}/{{csrf}}{{/users}} {{name}}", v, NV(v), &users, 1, NULL),
	    "ann/tok outer");
}

TEST(empty_list_renders_its_inverted_section)
{
	const struct template_list none = {"users", user_cols, 2, user_cells, 0};
	const struct template_list some = {"users", user_cols, 2, user_cells, 1};
	const char *text = "{{#users}}row{{/users}}{{^users}}no users{{/users}}";

	CHECK_STR(render_lists(text, NULL, 0, &none, 1, NULL), "no users");
	CHECK_STR(render_lists(text, NULL, 0, &some, 1, NULL), "row");
}

TEST(list_wins_over_a_variable_of_its_name)
{
	const struct template_list users = {"users", user_cols, 2, user_cells, 2};
	const struct template_var v[] = {{"users", "0"}};

	CHECK_STR(render_lists("{{#users}}{{name}},{{/users}}", v, NV(v), &users, 1, NULL),
	    "ann,&lt;bob&gt;,");
}

TEST(partial_in_a_row_sees_its_columns)
{
	const struct template_list users = {"users", user_cols, 2, user_cells, 2};

	CHECK_STR(
	    render_lists("{{#users}}{{>row}}{{/users}}", NULL, 0, &users, 1, "<td>{{name}}</td>"),
	    "<td>ann</td><td>&lt;bob&gt;</td>");
}

int
main(void)
{
	/* Render failures are logged at LOG_ERR: keep the output quiet. */
	log_init("test_template", LOG_CRIT, false);
	RUN(variable_is_html_escaped);
	RUN(missing_variable_renders_empty);
	RUN(blanks_inside_tags_are_ignored);
	RUN(first_variable_of_a_name_wins);
	RUN(section_shows_for_set_values_only);
	RUN(nested_sections_skip_their_whole_content);
	RUN(comments_render_nothing);
	RUN(tag_alone_on_its_line_takes_the_line);
	RUN(braces_that_are_not_tags_stay_text);
	RUN(partial_renders_with_the_same_variables);
	RUN(unknown_template_is_not_found);
	RUN(unknown_partial_fails_the_render_and_appends_nothing);
	RUN(self_including_partial_fails_with_einval);
	RUN(partials_nest_eight_deep_not_nine);
	RUN(page_puts_the_template_inside_the_layout);
	RUN(page_without_layout_is_not_found);
	RUN(page_failure_appends_nothing);
	RUN(triple_braces_outside_the_layout_are_a_load_error);
	RUN(layout_holds_content_exactly_once);
	RUN(unescaped_and_delimiter_tags_are_load_errors);
	RUN(unclosed_section_is_reported_with_its_line);
	RUN(wrong_or_stray_closing_tag_is_reported);
	RUN(unclosed_tag_and_bad_names_are_reported);
	RUN(sections_nest_sixteen_deep_not_seventeen);
	RUN(template_over_256_kib_is_refused);
	RUN(at_most_64_templates);
	RUN(duplicate_and_invalid_names_are_refused);
	RUN(list_repeats_its_section_per_row_escaped);
	RUN(list_rows_see_the_page_variables_columns_first);
	RUN(empty_list_renders_its_inverted_section);
	RUN(list_wins_over_a_variable_of_its_name);
	RUN(partial_in_a_row_sees_its_columns);
	return test_summary();
}
