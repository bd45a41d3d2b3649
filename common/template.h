/*
 * template.h: HTML templates with automatic escaping.
 *
 * A program's templates are the *.html files of two folders under one root
 * ([general] templates_dir), loaded once at start: shared/, which every
 * program loads (the layout, the message page, the partials), and the
 * program's own folder (login/ for gatehouse-login).  A name is the file's
 * name without ".html", and names one template: the same name in both
 * folders is an error at start, not an override.  The syntax is a small
 * subset of Mustache:
 *   {{name}}          the variable, HTML-escaped (missing: empty)
 *   {{#name}}...{{/name}}  the block when name is set and not "" or "0";
 *                     for a list (struct template_rows), once per row
 *   {{^name}}...{{/name}}  the block when name is unset, "" or "0", or a
 *                     list without rows
 *   {{>partial}}      another template of the set, rendered in place
 *   {{! comment }}    nothing
 * There is no unescaped output for variables.  template_page() renders a
 * template, then "layout.html" with the result in place of the one tag
 * {{{content}}} (only the layout may hold it).
 *
 * No limit drops anything: more templates, bytes, nested sections or
 * partials than the limits below is an error at load naming the file (and
 * line), like a syntax error, and stops the program; a render that cannot
 * be completed (no memory, a partial nested too deep in a set built with
 * template_set_add) fails and appends nothing.
 */
#ifndef GH_TEMPLATE_H
#define GH_TEMPLATE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct template_set;

struct template_var {
	const char *name;
	const char *value;
};

/* A list for a section: nrows rows of ncols cells (row-major; a cell may be
 * NULL).  Inside {{#name}}...{{/name}}, {{col}} is the current row's cell of
 * column col; names that are no column are looked up outside, so a row can
 * use the page's variables ({{csrf}} in a form per row).  A list wins over
 * a variable of the same name.  Lists do not nest: a cell is text. */
struct template_list {
	const char *name;
	const char *const *cols;
	size_t ncols;
	const char *const *cells;
	size_t nrows;
};

/* The folder under the root that every program loads. */
#define TEMPLATE_SHARED_DIR "shared"

/* template_set_load loads the *.html files of root/shared/ and, when program
 * is not NULL, of root/<program>/ (which need not exist): at most 64
 * templates in all, 256 KiB each, sections nested 16 deep, partials 8 deep.
 * A name in both folders, a partial that names no template of the set or
 * that includes itself are errors.  Other files and subfolders are not
 * read.  On success *out is the set (template_set_free); on error *out is
 * NULL, err holds "FILE:LINE: reason" (or "FILE: reason") and the result
 * is GH_ECONFIG. */
enum gh_err template_set_load(
    const char *root, const char *program, struct template_set **out, char *err, size_t errlen);
/* template_set_add adds one template from memory (tests, fuzzer). */
enum gh_err template_set_add(
    struct template_set *set, const char *name, const char *text, char *err, size_t errlen);
struct template_set *template_set_new(void);
void template_set_free(struct template_set *set);
/* template_render appends template name rendered with vars (nvars of them)
 * to out.  GH_ENOTFOUND for an unknown name. */
enum gh_err template_render(const struct template_set *set, const char *name,
    const struct template_var *vars, size_t nvars, struct buf *out);
/* template_page renders name inside layout.html (see above). */
enum gh_err template_page(const struct template_set *set, const char *name,
    const struct template_var *vars, size_t nvars, struct buf *out);
/* template_page_lists is template_page with lists (nlists of them). */
enum gh_err template_page_lists(const struct template_set *set, const char *name,
    const struct template_var *vars, size_t nvars, const struct template_list *lists, size_t nlists,
    struct buf *out);

/*
 * A pager over a list of total rows shown per_page at a time, for the
 * partial shared/pager.html.  template_pager_init takes path, the page's own
 * path (prefix and route, e.g. "/auth/admin/users": "/" then letters,
 * digits and "/-._~", no "//", at most TEMPLATE_PAGER_PATH_MAX bytes), and
 * page, the query's "page" value as sent: NULL or "" is page 1; digits
 * only, at least 1, else GH_EINVAL (answer 400); a page beyond the last is
 * the last (rows deleted between two clicks).  The links are path plus
 * "?page=N", nothing of the request but a number, so they can point
 * nowhere else.  GH_EINVAL too for a path out of those rules or per_page 0
 * (bugs: answer 500).  The handler reads offset and limit for its query.
 */
#define TEMPLATE_PAGER_PATH_MAX 256
#define TEMPLATE_PAGER_NVARS 7

struct template_pager {
	size_t offset; /* rows before the page shown: the query's OFFSET */
	size_t limit;  /* rows on a page: the query's LIMIT (per_page) */
	size_t page;   /* the page shown, from 1 */
	size_t pages;  /* how many, at least 1 */
	/* The variables' text: page, pages, first and last row shown (from 1;
	 * "0" and "0" without rows), total. */
	char num[5][24];
	char prev[TEMPLATE_PAGER_PATH_MAX + 32]; /* "" on the first page */
	char next[TEMPLATE_PAGER_PATH_MAX + 32]; /* "" on the last page */
};

enum gh_err template_pager_init(
    struct template_pager *p, const char *path, const char *page, size_t per_page, size_t total);
/* template_pager_vars writes the pager's TEMPLATE_PAGER_NVARS variables
 * (pager_page, pager_pages, pager_first, pager_last, pager_total,
 * pager_prev, pager_next) to vars; they point into p, which must outlive
 * the render.  Returns TEMPLATE_PAGER_NVARS. */
size_t template_pager_vars(const struct template_pager *p, struct template_var *vars);

#endif
