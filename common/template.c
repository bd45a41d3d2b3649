/*
 * template.c: the HTML template set, a small Mustache subset with automatic
 * escaping (see template.h for the syntax).
 *
 * Each template is parsed once, when it is loaded, into a flat array of
 * nodes: text runs, variables, section starts that know the index just past
 * their end (so a false section is skipped in one step), section ends,
 * partials and, in "layout" only, the {{{content}}} slot.  Every syntax
 * error is found at load and named with file and line; rendering only walks
 * the array.  A tag alone on its line (sections, comments, partials) takes
 * its line with it, as in Mustache, so templates can be indented freely.
 *
 * Limits: TEMPLATE_MAX templates of TEMPLATE_MAX_SIZE bytes, sections nested
 * TEMPLATE_MAX_DEPTH deep, partials included TEMPLATE_MAX_PARTIALS deep.  A
 * set loaded from files is checked whole at load: an unknown partial, a
 * partial that includes itself or a chain of them deeper than the renderer
 * takes is an error at start, named by the tag's file and line.  A set
 * built with template_set_add cannot be (its partials may come later): the
 * renderer fails with GH_EINVAL when it meets such a chain.
 * This file loads and parses; template_render.c renders.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "template.h"
#include "template_impl.h"

/* Writes "FILE:LINE: reason" (a truncated reason is still a useful one). */
__attribute__((format(printf, 5, 6))) static void
tmpl_error(char *err, size_t errlen, const char *file, unsigned line, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	int n;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (n < 0)
		why[0] = '\0';
	/* A message cut to errlen still names the file first: good enough. */
	if (line > 0)
		n = snprintf(err, errlen, "%s:%u: %s", file, line, why);
	else
		n = snprintf(err, errlen, "%s: %s", file, why);
	if (n < 0)
		err[0] = '\0';
}

static bool
tmpl_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

static bool
tmpl_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > TEMPLATE_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!tmpl_name_char(s[i]))
			return false;
	return true;
}

static void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	free(t->file);
	free(t->text);
	free(t->nodes);
	free(t);
}

static bool
tmpl_push(struct tmpl *t, enum tnode_type type, const char *s, size_t len, unsigned line)
{
	struct tnode *nn;
	size_t ncap;

	if (t->n == t->cap) {
		ncap = t->cap == 0 ? 32 : t->cap;
		if (ncap > SIZE_MAX / 2 / sizeof(*nn))
			return false;
		ncap *= 2;
		if ((nn = realloc(t->nodes, ncap * sizeof(*nn))) == NULL)
			return false;
		t->nodes = nn;
		t->cap = ncap;
	}
	t->nodes[t->n].type = type;
	t->nodes[t->n].s = s;
	t->nodes[t->n].len = len;
	t->nodes[t->n].end = 0;
	t->nodes[t->n].line = line;
	t->n++;
	return true;
}

static unsigned
tmpl_count_lines(const char *from, const char *to)
{
	unsigned n = 0;

	for (; from < to; from++)
		if (*from == '\n')
			n++;
	return n;
}

/*
 * tmpl_parse builds t->nodes from t->text.  On a syntax error writes
 * "FILE:LINE: reason" and returns GH_ECONFIG.
 */
static enum gh_err
tmpl_parse(struct tmpl *t, char *err, size_t errlen)
{
	const char *s = t->text, *text_start = s, *counted = s;
	const char *open, *close, *body, *body_end, *tag_end, *ls, *re;
	size_t open_idx[TEMPLATE_MAX_DEPTH];
	unsigned line = 1, tag_line, ncontent = 0, content_line = 0;
	bool is_layout = strcmp(t->name, TEMPLATE_LAYOUT) == 0;
	size_t depth = 0, top;
	char sigil;

	while ((open = strstr(text_start, "{{")) != NULL) {
		line += tmpl_count_lines(counted, open);
		counted = open;
		tag_line = line;

		if (open[2] == '{') {
			/* {{{content}}}: the layout's one unescaped slot. */
			sigil = '{';
			body = open + 3;
			if ((close = strstr(body, "}}}")) == NULL) {
				tmpl_error(err, errlen, t->file, tag_line, "unclosed tag \"{{{\"");
				return GH_ECONFIG;
			}
			tag_end = close + 3;
		} else {
			sigil = strchr("#^/>!&=", open[2]) != NULL && open[2] != '\0' ? open[2] : 0;
			body = sigil ? open + 3 : open + 2;
			if ((close = strstr(body, "}}")) == NULL) {
				tmpl_error(err, errlen, t->file, tag_line, "unclosed tag \"{{\"");
				return GH_ECONFIG;
			}
			tag_end = close + 2;
		}

		/* The name, without surrounding blanks (comments have none). */
		body_end = close;
		if (sigil != '!') {
			while (body < body_end && (*body == ' ' || *body == '\t'))
				body++;
			while (body_end > body && (body_end[-1] == ' ' || body_end[-1] == '\t'))
				body_end--;
		}
		switch (sigil) {
		case '&':
			tmpl_error(err, errlen, t->file, tag_line,
			    "unescaped output \"{{&\" is not supported");
			return GH_ECONFIG;
		case '=':
			tmpl_error(err, errlen, t->file, tag_line,
			    "changing delimiters \"{{=\" is not supported");
			return GH_ECONFIG;
		case '{':
			if (!is_layout) {
				tmpl_error(err, errlen, t->file, tag_line,
				    "unescaped output \"{{{\" is only allowed in %s.html",
				    TEMPLATE_LAYOUT);
				return GH_ECONFIG;
			}
			if ((size_t)(body_end - body) != 7 || memcmp(body, "content", 7) != 0) {
				tmpl_error(err, errlen, t->file, tag_line,
				    "only {{{content}}} may be unescaped");
				return GH_ECONFIG;
			}
			break;
		case '!':
			break;
		default:
			if (!tmpl_name_ok(body, (size_t)(body_end - body))) {
				tmpl_error(err, errlen, t->file, tag_line,
				    "invalid name \"%.*s\" in tag (letters, digits, \"_.-\")",
				    (int)((body_end - body) > 64 ? 64 : (body_end - body)), body);
				return GH_ECONFIG;
			}
			break;
		}

		/* A section, comment or partial tag alone on its line takes the line. */
		ls = open;
		re = tag_end;
		if (sigil != 0 && sigil != '{') {
			while (ls > s && (ls[-1] == ' ' || ls[-1] == '\t'))
				ls--;
			while (*re == ' ' || *re == '\t')
				re++;
			if ((ls == s || ls[-1] == '\n') &&
			    (*re == '\0' || *re == '\n' || (re[0] == '\r' && re[1] == '\n'))) {
				if (*re == '\r')
					re++;
				if (*re == '\n')
					re++;
			} else {
				ls = open;
				re = tag_end;
			}
		}
		if (ls > text_start &&
		    !tmpl_push(t, TNODE_TEXT, text_start, (size_t)(ls - text_start), 0))
			goto nomem;

		switch (sigil) {
		case '#':
		case '^':
			if (depth == TEMPLATE_MAX_DEPTH) {
				tmpl_error(err, errlen, t->file, tag_line,
				    "sections nested deeper than %d", TEMPLATE_MAX_DEPTH);
				return GH_ECONFIG;
			}
			open_idx[depth++] = t->n;
			if (!tmpl_push(t, sigil == '#' ? TNODE_SECTION : TNODE_INVERTED, body,
			        (size_t)(body_end - body), tag_line))
				goto nomem;
			break;
		case '/':
			if (depth == 0) {
				tmpl_error(err, errlen, t->file, tag_line,
				    "\"{{/%.*s}}\" closes no open section", (int)(body_end - body),
				    body);
				return GH_ECONFIG;
			}
			top = open_idx[depth - 1];
			if (t->nodes[top].len != (size_t)(body_end - body) ||
			    memcmp(t->nodes[top].s, body, t->nodes[top].len) != 0) {
				tmpl_error(err, errlen, t->file, tag_line,
				    "\"{{/%.*s}}\" closes section \"%.*s\" opened on line %u",
				    (int)(body_end - body), body, (int)t->nodes[top].len,
				    t->nodes[top].s, t->nodes[top].line);
				return GH_ECONFIG;
			}
			depth--;
			if (!tmpl_push(t, TNODE_END, body, (size_t)(body_end - body), tag_line))
				goto nomem;
			t->nodes[top].end = t->n;
			break;
		case '>':
			if (!tmpl_push(t, TNODE_PARTIAL, body, (size_t)(body_end - body), tag_line))
				goto nomem;
			break;
		case '{':
			if (ncontent++ == 0)
				content_line = tag_line;
			if (!tmpl_push(t, TNODE_CONTENT, body, 0, tag_line))
				goto nomem;
			break;
		case '!':
			break;
		default:
			if (!tmpl_push(t, TNODE_VAR, body, (size_t)(body_end - body), tag_line))
				goto nomem;
			break;
		}
		text_start = re;
	}
	if (*text_start != '\0' && !tmpl_push(t, TNODE_TEXT, text_start, strlen(text_start), 0))
		goto nomem;

	if (depth > 0) {
		top = open_idx[depth - 1];
		tmpl_error(err, errlen, t->file, t->nodes[top].line,
		    "section \"%.*s\" is not closed", (int)t->nodes[top].len, t->nodes[top].s);
		return GH_ECONFIG;
	}
	if (is_layout && ncontent != 1) {
		line += tmpl_count_lines(counted, counted + strlen(counted));
		tmpl_error(err, errlen, t->file, ncontent == 0 ? line : content_line,
		    "%s.html must hold {{{content}}} exactly once", TEMPLATE_LAYOUT);
		return GH_ECONFIG;
	}
	return GH_OK;
nomem:
	tmpl_error(err, errlen, t->file, 0, "out of memory");
	return GH_ENOMEM;
}

const struct tmpl *
template_find(const struct template_set *set, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strlen(set->t[i]->name) == len && memcmp(set->t[i]->name, name, len) == 0)
			return set->t[i];
	return NULL;
}

/* template_add_file adds a template; file names it in error messages. */
static enum gh_err
template_add_file(struct template_set *set, const char *name, const char *text, const char *file,
    char *err, size_t errlen)
{
	const struct tmpl *other;
	struct tmpl *t;
	size_t len, nlen;
	enum gh_err e;

	nlen = strlen(name);
	if (!tmpl_name_ok(name, nlen) || name[0] == '.') {
		tmpl_error(err, errlen, file, 0,
		    "invalid template name (letters, digits, \"_.-\", at most %d)",
		    TEMPLATE_NAME_MAX);
		return GH_ECONFIG;
	}
	if ((other = template_find(set, name, nlen)) != NULL) {
		tmpl_error(err, errlen, file, 0, "template \"%s\" is already defined by %s", name,
		    other->file);
		return GH_ECONFIG;
	}
	if (set->n == TEMPLATE_MAX) {
		tmpl_error(err, errlen, file, 0, "more than %d templates", TEMPLATE_MAX);
		return GH_ECONFIG;
	}
	len = strnlen(text, TEMPLATE_MAX_SIZE + 1);
	if (len > TEMPLATE_MAX_SIZE) {
		tmpl_error(err, errlen, file, 0, "larger than %d KiB", TEMPLATE_MAX_SIZE / 1024);
		return GH_ECONFIG;
	}

	if ((t = calloc(1, sizeof(*t))) == NULL || (t->file = strdup(file)) == NULL ||
	    (t->text = strndup(text, len)) == NULL) {
		tmpl_free(t);
		tmpl_error(err, errlen, file, 0, "out of memory");
		return GH_ENOMEM;
	}
	memcpy(t->name, name, nlen + 1);
	if ((e = tmpl_parse(t, err, errlen)) != GH_OK) {
		tmpl_free(t);
		return e;
	}
	set->t[set->n++] = t;
	return GH_OK;
}

struct template_set *
template_set_new(void)
{
	return calloc(1, sizeof(struct template_set));
}

void
template_set_free(struct template_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		tmpl_free(set->t[i]);
	free(set);
}

enum gh_err
template_set_add(
    struct template_set *set, const char *name, const char *text, char *err, size_t errlen)
{
	struct buf file;
	enum gh_err e;

	if (set == NULL || name == NULL || text == NULL) {
		tmpl_error(err, errlen, "template", 0, "no set, name or text");
		return GH_ECONFIG;
	}
	buf_init(&file);
	buf_printf(&file, "%s.html", name);
	if (file.err) {
		buf_cleanup(&file);
		tmpl_error(err, errlen, "template", 0, "out of memory");
		return GH_ENOMEM;
	}
	e = template_add_file(set, name, text, file.data, err, errlen);
	buf_cleanup(&file);
	return e;
}

static int
template_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* template_read_file reads a regular file of at most TEMPLATE_MAX_SIZE bytes. */
static enum gh_err
template_read_file(const char *path, char **out, char *err, size_t errlen)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	ssize_t got;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		tmpl_error(err, errlen, path, 0, "%s", strerror(errno));
		return GH_ECONFIG;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		tmpl_error(err, errlen, path, 0, "not a regular file");
		goto fail;
	}
	if (st.st_size > TEMPLATE_MAX_SIZE) {
		tmpl_error(err, errlen, path, 0, "larger than %d KiB", TEMPLATE_MAX_SIZE / 1024);
		goto fail;
	}
	/* One byte more than the limit tells a file that grew meanwhile. */
	if ((text = malloc(TEMPLATE_MAX_SIZE + 2)) == NULL) {
		tmpl_error(err, errlen, path, 0, "out of memory");
		goto fail;
	}
	while (len < TEMPLATE_MAX_SIZE + 1) {
		got = read(fd, text + len, TEMPLATE_MAX_SIZE + 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			tmpl_error(err, errlen, path, 0, "%s", strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (len > TEMPLATE_MAX_SIZE) {
		tmpl_error(err, errlen, path, 0, "larger than %d KiB", TEMPLATE_MAX_SIZE / 1024);
		goto fail;
	}
	if (memchr(text, '\0', len) != NULL) {
		tmpl_error(err, errlen, path, 0, "holds a NUL byte");
		goto fail;
	}
	text[len] = '\0';
	close(fd);
	*out = text;
	return GH_OK;
fail:
	free(text);
	close(fd);
	return GH_ECONFIG;
}

/* What template_check_partials knows of each template of a set. */
enum tmpl_walk_state { TMPL_UNSEEN, TMPL_VISITING, TMPL_DONE };

struct tmpl_walk {
	const struct template_set *set;
	enum tmpl_walk_state state[TEMPLATE_MAX];
	unsigned depth[TEMPLATE_MAX]; /* the longest chain of partials from it */
	char *err;
	size_t errlen;
};

static size_t
template_index(const struct template_set *set, const struct tmpl *t)
{
	size_t i;

	for (i = 0; i < set->n && set->t[i] != t; i++)
		;
	return i;
}

/*
 * template_walk_partials finds the longest chain of {{>name}} tags that
 * starts in set->t[i], refusing at the tag at fault an unknown partial, a
 * partial that includes itself (directly or through others) and a chain
 * longer than the renderer takes (TEMPLATE_MAX_PARTIALS): what would fail
 * every render of a page fails the start instead.  Recursion is at most
 * TEMPLATE_MAX deep: a template being walked is never walked again.
 */
static enum gh_err
template_walk_partials(struct tmpl_walk *w, size_t i)
{
	const struct tmpl *t = w->set->t[i], *p;
	const struct tnode *nd;
	size_t j, k;
	enum gh_err e;

	w->state[i] = TMPL_VISITING;
	w->depth[i] = 0;
	for (j = 0; j < t->n; j++) {
		nd = &t->nodes[j];
		if (nd->type != TNODE_PARTIAL)
			continue;
		if ((p = template_find(w->set, nd->s, nd->len)) == NULL) {
			tmpl_error(w->err, w->errlen, t->file, nd->line, "unknown partial \"%.*s\"",
			    (int)nd->len, nd->s);
			return GH_ECONFIG;
		}
		k = template_index(w->set, p);
		if (w->state[k] == TMPL_VISITING) {
			tmpl_error(w->err, w->errlen, t->file, nd->line,
			    "partial \"%s\" includes itself", p->name);
			return GH_ECONFIG;
		}
		if (w->state[k] == TMPL_UNSEEN && (e = template_walk_partials(w, k)) != GH_OK)
			return e;
		if (w->depth[k] + 1 > w->depth[i])
			w->depth[i] = w->depth[k] + 1;
		if (w->depth[i] > TEMPLATE_MAX_PARTIALS) {
			tmpl_error(w->err, w->errlen, t->file, nd->line,
			    "partials nested deeper than %d from here", TEMPLATE_MAX_PARTIALS);
			return GH_ECONFIG;
		}
	}
	w->state[i] = TMPL_DONE;
	return GH_OK;
}

/* template_check_partials: every {{>name}} of the set names a template, and
 * no chain of partials loops or goes deeper than the renderer takes. */
static enum gh_err
template_check_partials(const struct template_set *set, char *err, size_t errlen)
{
	struct tmpl_walk w;
	size_t i;
	enum gh_err e;

	memset(&w, 0, sizeof(w));
	w.set = set;
	w.err = err;
	w.errlen = errlen;
	for (i = 0; i < set->n; i++)
		if (w.state[i] == TMPL_UNSEEN && (e = template_walk_partials(&w, i)) != GH_OK)
			return e;
	return GH_OK;
}

/*
 * template_load_dir adds the *.html files of dir to set, in the order of
 * their names (so that errors come in the same order on every system).  A
 * folder that does not exist is an error when required, else nothing to add.
 */
static enum gh_err
template_load_dir(
    struct template_set *set, const char *dir, bool required, char *err, size_t errlen)
{
	char *names[TEMPLATE_MAX + 1];
	size_t nnames = 0, i, len;
	struct dirent *de;
	struct buf path;
	char *text;
	DIR *d;
	enum gh_err e = GH_ECONFIG;

	if ((d = opendir(dir)) == NULL) {
		if (!required && errno == ENOENT)
			return GH_OK;
		if (errno == ENOENT)
			tmpl_error(err, errlen, dir, 0,
			    "%s (templates_dir holds %s/ and a folder per program)",
			    strerror(errno), TEMPLATE_SHARED_DIR);
		else
			tmpl_error(err, errlen, dir, 0, "%s", strerror(errno));
		return GH_ECONFIG;
	}
	buf_init(&path);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".html") != 0)
			continue;
		if (nnames == TEMPLATE_MAX) {
			tmpl_error(err, errlen, dir, 0, "more than %d templates", TEMPLATE_MAX);
			goto done;
		}
		if ((names[nnames] = strndup(de->d_name, len - 5)) == NULL) {
			tmpl_error(err, errlen, dir, 0, "out of memory");
			goto done;
		}
		nnames++;
	}
	qsort(names, nnames, sizeof(names[0]), template_cmp_names);

	for (i = 0; i < nnames; i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%s.html", dir, names[i]);
		if (path.err) {
			tmpl_error(err, errlen, dir, 0, "out of memory");
			goto done;
		}
		if (template_read_file(path.data, &text, err, errlen) != GH_OK)
			goto done;
		e = template_add_file(set, names[i], text, path.data, err, errlen);
		free(text);
		if (e != GH_OK) {
			e = GH_ECONFIG;
			goto done;
		}
	}
	e = GH_OK;
done:
	for (i = 0; i < nnames; i++)
		free(names[i]);
	closedir(d);
	buf_cleanup(&path);
	return e;
}

enum gh_err
template_set_load(
    const char *root, const char *program, struct template_set **out, char *err, size_t errlen)
{
	struct template_set *set = NULL;
	struct buf dir;
	size_t rlen = strlen(root);
	enum gh_err e = GH_ECONFIG;

	*out = NULL;
	if (program != NULL && (!tmpl_name_ok(program, strlen(program)) || program[0] == '.' ||
	                           strcmp(program, TEMPLATE_SHARED_DIR) == 0)) {
		tmpl_error(err, errlen, root, 0, "\"%.64s\" cannot be a program's folder", program);
		return GH_ECONFIG;
	}
	/* "templates/" names its files "templates/shared/…", not "templates//…". */
	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	buf_init(&dir);
	buf_printf(&dir, "%.*s/%s", (int)rlen, root, TEMPLATE_SHARED_DIR);
	if (dir.err || (set = template_set_new()) == NULL) {
		tmpl_error(err, errlen, root, 0, "out of memory");
		goto done;
	}
	if ((e = template_load_dir(set, dir.data, true, err, errlen)) != GH_OK)
		goto done;
	if (program != NULL) {
		buf_reset(&dir);
		buf_printf(&dir, "%.*s/%s", (int)rlen, root, program);
		if (dir.err) {
			tmpl_error(err, errlen, root, 0, "out of memory");
			e = GH_ECONFIG;
			goto done;
		}
		if ((e = template_load_dir(set, dir.data, false, err, errlen)) != GH_OK)
			goto done;
	}
	if ((e = template_check_partials(set, err, errlen)) != GH_OK)
		goto done;
	*out = set;
	set = NULL;
done:
	buf_cleanup(&dir);
	template_set_free(set);
	return e;
}
