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
enum gh_err template_set_load(const char *root, const char *program,
    struct template_set **out, char *err, size_t errlen);
/* template_set_add adds one template from memory (tests, fuzzer). */
enum gh_err template_set_add(struct template_set *set, const char *name, const char *text,
    char *err, size_t errlen);
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
    const struct template_var *vars, size_t nvars, const struct template_list *lists,
    size_t nlists, struct buf *out);

#endif
