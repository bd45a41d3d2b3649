/*
 * template_impl.h: the parsed template set, shared by the loader
 * (template.c) and the renderer (template_render.c); private to the two.
 */
#ifndef GH_TEMPLATE_IMPL_H
#define GH_TEMPLATE_IMPL_H

#include <stddef.h>

#include "template.h"

#define TEMPLATE_MAX 64
#define TEMPLATE_MAX_SIZE (256 * 1024)
#define TEMPLATE_MAX_DEPTH 16
#define TEMPLATE_MAX_PARTIALS 8
#define TEMPLATE_NAME_MAX 64
#define TEMPLATE_LAYOUT "layout"

enum tnode_type {
	TNODE_TEXT,     /* s[0..len) verbatim */
	TNODE_VAR,      /* {{name}} */
	TNODE_SECTION,  /* {{#name}}; end is the index after its TNODE_END */
	TNODE_INVERTED, /* {{^name}}; likewise */
	TNODE_END,      /* {{/name}} */
	TNODE_PARTIAL,  /* {{>name}} */
	TNODE_CONTENT,  /* {{{content}}} in the layout */
};

struct tnode {
	enum tnode_type type;
	const char *s; /* text, or the name; points into the template's text */
	size_t len;
	size_t end;
	unsigned line;
};

struct tmpl {
	char name[TEMPLATE_NAME_MAX + 1];
	char *file; /* for error messages: the path, or "<name>.html" */
	char *text;
	struct tnode *nodes;
	size_t n, cap;
};

struct template_set {
	struct tmpl *t[TEMPLATE_MAX];
	size_t n;
};

/* template_find returns the template of set named name[0..len), or NULL. */
const struct tmpl *template_find(const struct template_set *set, const char *name, size_t len);

#endif
