/*
 * template_render.c: rendering a parsed template (see template.h for the
 * syntax, template.c for the parsing): it walks the node array, escaping
 * every value, repeating a section per row of a list, and includes partials
 * TEMPLATE_MAX_PARTIALS deep at most.
 */
#include <string.h>

#include "log.h"
#include "template.h"
#include "template_impl.h"

/* What a render sees: the page's variables, the layout's content, and the
 * rows of the lists it is in (innermost first). */
struct tmpl_scope {
	const struct template_list *rows;
	size_t row;
	const struct tmpl_scope *up;
};

struct tmpl_ctx {
	const struct template_set *set;
	const struct template_var *vars;
	size_t nvars;
	const struct template_list *lists;
	size_t nlists;
	const struct buf *content;
};

static const struct template_list *
tmpl_list(const struct tmpl_ctx *c, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < c->nlists; i++)
		if (strncmp(c->lists[i].name, name, len) == 0 && c->lists[i].name[len] == '\0')
			return &c->lists[i];
	return NULL;
}

static const struct template_var *
tmpl_var(const struct tmpl_ctx *c, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < c->nvars; i++)
		if (c->vars[i].name != NULL && strncmp(c->vars[i].name, name, len) == 0 &&
		    c->vars[i].name[len] == '\0')
			return &c->vars[i];
	return NULL;
}

/* tmpl_cell finds name among the columns of the lists the render is in:
 * true with *value (may be NULL) when one has it. */
static bool
tmpl_cell(const struct tmpl_scope *sc, const char *name, size_t len, const char **value)
{
	size_t i;

	for (; sc != NULL; sc = sc->up)
		for (i = 0; i < sc->rows->ncols; i++)
			if (strncmp(sc->rows->cols[i], name, len) == 0 &&
			    sc->rows->cols[i][len] == '\0') {
				*value = sc->rows->cells[sc->row * sc->rows->ncols + i];
				return true;
			}
	return false;
}

static const char *
tmpl_value(const struct tmpl_ctx *c, const struct tmpl_scope *sc, const char *name, size_t len)
{
	const struct template_var *v;
	const char *cell;

	if (tmpl_cell(sc, name, len, &cell))
		return cell;
	v = tmpl_var(c, name, len);
	return v != NULL ? v->value : NULL;
}

static bool
tmpl_truthy(const char *v)
{
	return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

static enum gh_err tmpl_render(const struct tmpl_ctx *c, const struct tmpl *t, size_t from,
    size_t to, const struct tmpl_scope *sc, unsigned pdepth, struct buf *out);

/* tmpl_section renders the section or inverted section at nodes[i]. */
static enum gh_err
tmpl_section(const struct tmpl_ctx *c, const struct tmpl *t, size_t i, const struct tmpl_scope *sc,
    unsigned pdepth, struct buf *out)
{
	const struct tnode *nd = &t->nodes[i];
	const struct template_list *list = NULL;
	const char *value;
	struct tmpl_scope row;
	enum gh_err e;

	if (!tmpl_cell(sc, nd->s, nd->len, &value) && (list = tmpl_list(c, nd->s, nd->len)) == NULL)
		value = tmpl_value(c, NULL, nd->s, nd->len);
	if (list == NULL) {
		if (tmpl_truthy(value) != (nd->type == TNODE_SECTION))
			return GH_OK;
		return tmpl_render(c, t, i + 1, nd->end - 1, sc, pdepth, out);
	}
	if (nd->type == TNODE_INVERTED)
		return list->nrows == 0 ? tmpl_render(c, t, i + 1, nd->end - 1, sc, pdepth, out)
		                        : GH_OK;
	row = (struct tmpl_scope){list, 0, sc};
	for (; row.row < list->nrows; row.row++)
		if ((e = tmpl_render(c, t, i + 1, nd->end - 1, &row, pdepth, out)) != GH_OK)
			return e;
	return GH_OK;
}

/* tmpl_render renders t's nodes [from, to). */
static enum gh_err
tmpl_render(const struct tmpl_ctx *c, const struct tmpl *t, size_t from, size_t to,
    const struct tmpl_scope *sc, unsigned pdepth, struct buf *out)
{
	const struct tnode *nd;
	const struct tmpl *p;
	size_t i = from;
	enum gh_err e;

	while (i < to) {
		nd = &t->nodes[i];
		switch (nd->type) {
		case TNODE_TEXT:
			buf_append(out, nd->s, nd->len);
			i++;
			break;
		case TNODE_VAR:
			buf_put_html(out, tmpl_value(c, sc, nd->s, nd->len));
			i++;
			break;
		case TNODE_SECTION:
		case TNODE_INVERTED:
			if ((e = tmpl_section(c, t, i, sc, pdepth, out)) != GH_OK)
				return e;
			i = nd->end;
			break;
		case TNODE_END:
			i++;
			break;
		case TNODE_PARTIAL:
			if (pdepth >= TEMPLATE_MAX_PARTIALS) {
				log_msg(LOG_ERR, "template: %s:%u: partials nested deeper than %d",
				    t->file, nd->line, TEMPLATE_MAX_PARTIALS);
				return GH_EINVAL;
			}
			if ((p = template_find(c->set, nd->s, nd->len)) == NULL) {
				log_msg(LOG_ERR, "template: %s:%u: unknown partial \"%.*s\"",
				    t->file, nd->line, (int)nd->len, nd->s);
				return GH_ENOTFOUND;
			}
			if ((e = tmpl_render(c, p, 0, p->n, sc, pdepth + 1, out)) != GH_OK)
				return e;
			i++;
			break;
		case TNODE_CONTENT:
			if (c->content != NULL)
				buf_append(out, c->content->data, c->content->len);
			i++;
			break;
		}
	}
	return out->err ? GH_ENOMEM : GH_OK;
}

/* template_undo drops what a failed render appended to out. */
static void
template_undo(struct buf *out, size_t start)
{
	if (out->cap > 0 && out->len > start) {
		out->len = start;
		out->data[start] = '\0';
	}
}

static const struct tmpl *
template_lookup(const struct template_set *set, const char *name)
{
	const struct tmpl *t;

	if (set == NULL || name == NULL)
		return NULL;
	if ((t = template_find(set, name, strlen(name))) == NULL)
		log_msg(LOG_ERR, "template: no template \"%s\"", name);
	return t;
}

enum gh_err
template_render(const struct template_set *set, const char *name, const struct template_var *vars,
    size_t nvars, struct buf *out)
{
	const struct tmpl *t;
	size_t start = out->len;
	enum gh_err e;

	struct tmpl_ctx c = {set, vars, nvars, NULL, 0, NULL};

	if ((t = template_lookup(set, name)) == NULL)
		return GH_ENOTFOUND;
	if ((e = tmpl_render(&c, t, 0, t->n, NULL, 0, out)) != GH_OK)
		template_undo(out, start);
	return e;
}

enum gh_err
template_page(const struct template_set *set, const char *name, const struct template_var *vars,
    size_t nvars, struct buf *out)
{
	return template_page_lists(set, name, vars, nvars, NULL, 0, out);
}

enum gh_err
template_page_lists(const struct template_set *set, const char *name,
    const struct template_var *vars, size_t nvars, const struct template_list *lists, size_t nlists,
    struct buf *out)
{
	const struct tmpl *t, *layout;
	struct buf content;
	size_t start = out->len;
	enum gh_err e;

	if ((layout = template_lookup(set, TEMPLATE_LAYOUT)) == NULL ||
	    (t = template_lookup(set, name)) == NULL)
		return GH_ENOTFOUND;
	struct tmpl_ctx c = {set, vars, nvars, lists, nlists, NULL};

	buf_init(&content);
	content.max = out->max;
	if ((e = tmpl_render(&c, t, 0, t->n, NULL, 0, &content)) == GH_OK) {
		c.content = &content;
		if ((e = tmpl_render(&c, layout, 0, layout->n, NULL, 0, out)) != GH_OK)
			template_undo(out, start);
	}
	buf_cleanup(&content);
	return e;
}
