/*
 * test_template_load.c: unit tests for template_set_load (common/template.c):
 * the folders a program loads (shared/ and its own), names in both refused,
 * load-time errors with file and line, the limits across both folders, and
 * the source tree's own templates.
 */
#include <ftw.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "template.h"
#include "test.h"
#include "test_template.h"

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

int
main(void)
{
	/* Render failures are logged at LOG_ERR: keep the output quiet. */
	log_init("test_template_load", LOG_CRIT, false);
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
	return test_summary();
}
