/*
 * template_pager.c: the numbers and links of a pager (template.h), for the
 * partial shared/pager.html under a list page's table.
 *
 * The page comes from the request and is the only thing of it in a link,
 * as a number this file printed; the path comes from the program (its
 * prefix and route) and is checked anyway, so that a link can only point
 * to a path of the same site.  The renderer escapes the links like any
 * value.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "template.h"

/* pager_path_ok: "/" then letters, digits and "/-._~", no "//". */
static bool
pager_path_ok(const char *path)
{
	const char *s;

	if (path == NULL || path[0] != '/' || strlen(path) > TEMPLATE_PAGER_PATH_MAX)
		return false;
	for (s = path; *s != '\0'; s++) {
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		        (*s >= '0' && *s <= '9') || strchr("/-._~", *s) != NULL))
			return false;
		if (s[0] == '/' && s[1] == '/')
			return false;
	}
	return true;
}

/* pager_page_parse: NULL or "" is 1; digits only, at least 1 (a number too
 * large for size_t is SIZE_MAX, beyond any last page). */
static bool
pager_page_parse(const char *s, size_t *page)
{
	size_t n = 0;

	if (s == NULL || *s == '\0') {
		*page = 1;
		return true;
	}
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		n = n > (SIZE_MAX - 9) / 10 ? SIZE_MAX : n * 10 + (size_t)(*s - '0');
	}
	*page = n;
	return n >= 1;
}

static bool
pager_link(char *out, size_t outlen, const char *path, size_t page)
{
	int n = snprintf(out, outlen, "%s?page=%zu", path, page);

	return n > 0 && (size_t)n < outlen;
}

enum gh_err
template_pager_init(
    struct template_pager *p, const char *path, const char *page, size_t per_page, size_t total)
{
	size_t shown, i, vals[5];
	int n;

	memset(p, 0, sizeof(*p));
	if (per_page == 0 || !pager_path_ok(path) || !pager_page_parse(page, &p->page))
		return GH_EINVAL;
	p->limit = per_page;
	p->pages = total / per_page + (total % per_page != 0);
	if (p->pages == 0)
		p->pages = 1;
	if (p->page > p->pages)
		p->page = p->pages;
	p->offset = (p->page - 1) * per_page; /* at most total: no overflow */
	shown = total - p->offset < per_page ? total - p->offset : per_page;

	vals[0] = p->page;
	vals[1] = p->pages;
	vals[2] = shown > 0 ? p->offset + 1 : 0;
	vals[3] = p->offset + shown;
	vals[4] = total;
	for (i = 0; i < 5; i++) {
		n = snprintf(p->num[i], sizeof(p->num[i]), "%zu", vals[i]);
		if (n < 0 || (size_t)n >= sizeof(p->num[i]))
			return GH_EINVAL;
	}
	if ((p->page > 1 && !pager_link(p->prev, sizeof(p->prev), path, p->page - 1)) ||
	    (p->page < p->pages && !pager_link(p->next, sizeof(p->next), path, p->page + 1)))
		return GH_EINVAL;
	return GH_OK;
}

size_t
template_pager_vars(const struct template_pager *p, struct template_var *vars)
{
	vars[0] = (struct template_var){"pager_page", p->num[0]};
	vars[1] = (struct template_var){"pager_pages", p->num[1]};
	vars[2] = (struct template_var){"pager_first", p->num[2]};
	vars[3] = (struct template_var){"pager_last", p->num[3]};
	vars[4] = (struct template_var){"pager_total", p->num[4]};
	vars[5] = (struct template_var){"pager_prev", p->prev};
	vars[6] = (struct template_var){"pager_next", p->next};
	return TEMPLATE_PAGER_NVARS;
}
