/*
 * test_template.c: unit tests for common/template.c, template_render.c and
 * template_pager.c: escaping, sections, partials, the layout, the folders a
 * program loads, load-time errors with file and line, the limits, and the
 * pager with its partial.
 */
#include <ftw.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "template.h"
#include "test.h"

static char errmsg[512];

/* add adds one template to set; returns the error. */
static enum gh_err
add(struct template_set *set, const char *name, const char *text)
{
	errmsg[0] = '\0';
	return template_set_add(set, name, text, errmsg, sizeof(errmsg));
}

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

#define NV(v) (sizeof(v) / sizeof((v)[0]))

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

/* Files for the load tests, in a fresh temporary folder (the root). */
static char tmpdir[64];

static void
make_root(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/gh_tmpl_XXXXXX");
	CHECK(mkdtemp(tmpdir) != NULL);
}

/* write_file writes text to name under the root, making its folder. */
static void
write_file(const char *name, const char *text)
{
	char path[256], *slash;
	FILE *f;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		CHECK(!"test file name too long");
		return;
	}
	if ((slash = strrchr(path, '/')) > path + strlen(tmpdir)) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	if ((f = fopen(path, "w")) == NULL) {
		CHECK(!"cannot write test file");
		return;
	}
	fputs(text, f);
	fclose(f);
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
remove_root(void)
{
	nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* load loads the root for program; returns the error message or NULL. */
static const char *
load(const char *program, struct template_set **set)
{
	errmsg[0] = '\0';
	return template_set_load(tmpdir, program, set, errmsg, sizeof(errmsg)) == GH_OK ? NULL
	                                                                                : errmsg;
}

/* want_error checks that errmsg is the root then first, or with second:
 * root, first, root, second. */
static void
want_error(const char *first, const char *second)
{
	char want[512];

	snprintf(want, sizeof(want), "%s%s%s%s", tmpdir, first, second ? tmpdir : "",
	    second ? second : "");
	CHECK_STR(errmsg, want);
}

TEST(load_reads_shared_and_the_program_folder_only)
{
	struct template_set *set = NULL;
	struct template_var v[] = {{"title", "T"}};
	struct buf b;

	make_root();
	write_file("shared/layout.html", "<h1>{{title}}</h1>{{{content}}}");
	write_file("shared/field.html", "<input>");
	write_file("shared/notes.txt", "{{#broken");
	write_file("shared/.hidden.html", "{{#broken");
	write_file("login/login.html", "{{>field}}!");
	write_file("logout/logout.html", "{{#broken}}");
	write_file("stray.html", "{{#broken");
	CHECK(load("login", &set) == NULL);
	CHECK(set != NULL);
	buf_init(&b);
	CHECK(template_page(set, "login", v, 1, &b) == GH_OK);
	CHECK_STR(b.data, "<h1>T</h1><input>!");
	CHECK(template_render(set, "notes", NULL, 0, &b) == GH_ENOTFOUND);
	CHECK(template_render(set, "logout", NULL, 0, &b) == GH_ENOTFOUND);
	CHECK(template_render(set, "stray", NULL, 0, &b) == GH_ENOTFOUND);
	buf_cleanup(&b);
	template_set_free(set);
	/* Another program loads the same shared/ and its own folder. */
	CHECK(load("logout", &set) != NULL);
	want_error("/logout/logout.html:1: section \"broken\" is not closed", NULL);
	remove_root();
}

TEST(load_without_a_program_folder_reads_shared_only)
{
	struct template_set *set = NULL;
	struct buf b;

	make_root();
	write_file("shared/message.html", "m");
	CHECK(load("check", &set) == NULL);
	buf_init(&b);
	CHECK(template_render(set, "message", NULL, 0, &b) == GH_OK);
	CHECK_STR(b.data, "m");
	buf_cleanup(&b);
	template_set_free(set);
	set = NULL;
	CHECK(load(NULL, &set) == NULL);
	template_set_free(set);
	remove_root();
}

TEST(load_refuses_a_name_in_both_folders_naming_both_files)
{
	struct template_set *set = (struct template_set *)&set;

	make_root();
	write_file("shared/message.html", "shared");
	write_file("login/message.html", "mine");
	CHECK(load("login", &set) != NULL);
	CHECK(set == NULL);
	want_error("/login/message.html: template \"message\" is already defined by ",
	    "/shared/message.html");
	remove_root();
}

TEST(load_refuses_a_program_folder_that_is_no_plain_name)
{
	struct template_set *set = NULL;

	make_root();
	write_file("shared/message.html", "m");
	CHECK(load("shared", &set) != NULL);
	CHECK(load("../etc", &set) != NULL);
	CHECK(load(".", &set) != NULL);
	CHECK(load("", &set) != NULL);
	CHECK(set == NULL);
	remove_root();
}

TEST(load_error_names_path_and_line)
{
	struct template_set *set = (struct template_set *)&set;

	make_root();
	write_file("shared/good.html", "ok");
	write_file("shared/bad.html", "line 1\nline 2 {{#open}}\n");
	CHECK(load(NULL, &set) != NULL);
	CHECK(set == NULL);
	want_error("/shared/bad.html:2: section \"open\" is not closed", NULL);
	remove_root();
}

TEST(load_refuses_an_unknown_partial_with_its_line)
{
	struct template_set *set = NULL;

	make_root();
	write_file("shared/layout.html", "{{{content}}}");
	write_file("login/page.html", "a\nb\n{{>nosuch}}\n");
	CHECK(load("login", &set) != NULL);
	CHECK(set == NULL);
	want_error("/login/page.html:3: unknown partial \"nosuch\"", NULL);
	remove_root();
}

TEST(load_refuses_a_partial_that_includes_itself)
{
	struct template_set *set = NULL;

	make_root();
	write_file("shared/a.html", "{{#x}}\n{{>b}}\n{{/x}}\n");
	write_file("shared/b.html", "b\n{{>a}}");
	CHECK(load(NULL, &set) != NULL);
	CHECK(set == NULL);
	want_error("/shared/b.html:2: partial \"a\" includes itself", NULL);
	remove_root();

	make_root();
	write_file("shared/self.html", "{{>self}}");
	CHECK(load(NULL, &set) != NULL);
	want_error("/shared/self.html:1: partial \"self\" includes itself", NULL);
	remove_root();
}

TEST(load_refuses_partials_nested_nine_deep_not_eight)
{
	struct template_set *set = NULL;
	char name[32], text[32];
	int i;

	/* p1 includes p2 ... includes p9: eight levels, what the renderer takes. */
	make_root();
	for (i = 1; i < 9; i++) {
		snprintf(name, sizeof(name), "shared/p%d.html", i);
		snprintf(text, sizeof(text), "%d{{>p%d}}", i, i + 1);
		write_file(name, text);
	}
	write_file("shared/p9.html", "end");
	CHECK(load(NULL, &set) == NULL);
	template_set_free(set);
	set = NULL;
	/* p0 makes it nine: refused at start, not at every render of p0. */
	write_file("shared/p0.html", "x\n{{>p1}}");
	CHECK(load(NULL, &set) != NULL);
	CHECK(set == NULL);
	want_error("/shared/p0.html:2: partials nested deeper than 8 from here", NULL);
	remove_root();
}

TEST(load_counts_the_templates_of_both_folders)
{
	struct template_set *set = NULL;
	char name[32];
	int i;

	make_root();
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "shared/s%02d.html", i);
		write_file(name, "x");
	}
	for (i = 0; i < 24; i++) {
		snprintf(name, sizeof(name), "login/p%02d.html", i);
		write_file(name, "x");
	}
	CHECK(load("login", &set) == NULL); /* 64 */
	template_set_free(set);
	set = NULL;
	write_file("login/p24.html", "x");
	CHECK(load("login", &set) != NULL);
	CHECK(set == NULL);
	want_error("/login/p24.html: more than 64 templates", NULL);
	remove_root();
}

TEST(load_of_a_missing_folder_fails)
{
	struct template_set *set = NULL;

	CHECK(template_set_load("/nonexistent/gatehouse/templates/", "login", &set, errmsg,
	          sizeof(errmsg)) == GH_ECONFIG);
	CHECK(set == NULL);
	CHECK_STR(errmsg, "/nonexistent/gatehouse/templates/shared: No such file or directory "
	                  "(templates_dir holds shared/ and a folder per program)");
}

TEST(source_tree_templates_load_for_every_program)
{
	static const char *const programs[] = {"login", "logout", NULL};
	struct template_set *set = NULL;
	char dir[1024];
	struct stat st;
	size_t i;
	int n;

	n = snprintf(dir, sizeof(dir), "%s/templates", test_srcdir());
	CHECK(n > 0 && (size_t)n < sizeof(dir));
	if (stat(dir, &st) != 0)
		return; /* not run from a source tree */
	for (i = 0; i < NV(programs); i++) {
		if (template_set_load(dir, programs[i], &set, errmsg, sizeof(errmsg)) != GH_OK) {
			fprintf(stderr, "%s\n", errmsg);
			CHECK(!"templates/ does not load");
		}
		template_set_free(set);
		set = NULL;
	}
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
	RUN(load_reads_shared_and_the_program_folder_only);
	RUN(load_without_a_program_folder_reads_shared_only);
	RUN(load_refuses_a_name_in_both_folders_naming_both_files);
	RUN(load_refuses_a_program_folder_that_is_no_plain_name);
	RUN(load_error_names_path_and_line);
	RUN(load_refuses_an_unknown_partial_with_its_line);
	RUN(load_refuses_a_partial_that_includes_itself);
	RUN(load_refuses_partials_nested_nine_deep_not_eight);
	RUN(load_counts_the_templates_of_both_folders);
	RUN(load_of_a_missing_folder_fails);
	RUN(source_tree_templates_load_for_every_program);
	RUN(list_repeats_its_section_per_row_escaped);
	RUN(list_rows_see_the_page_variables_columns_first);
	RUN(empty_list_renders_its_inverted_section);
	RUN(list_wins_over_a_variable_of_its_name);
	RUN(partial_in_a_row_sees_its_columns);
	RUN(pager_counts_pages_rows_and_links);
	RUN(pager_of_no_rows_is_one_empty_page);
	RUN(pager_beyond_the_last_page_shows_the_last);
	RUN(pager_refuses_a_page_that_is_no_plain_number);
	RUN(pager_links_stay_on_a_path_of_the_site);
	RUN(pager_partial_renders_under_a_table_of_rows);
	return test_summary();
}
