/*
 * config_ini.c: step 1 of loading gatehouse.conf (see config.c): the
 * file's lines, INI style, into the loader's slots.  A line is blank, a
 * comment ("#" or ";" first), "[section]" or "key = value", at most
 * CONFIG_LINE_MAX bytes, without a NUL byte; spaces, tabs and CRs around
 * names and values do not count.  Only the sections and keys of the table
 * in config_keys.c are known, and "KEY_file" for a secret KEY; a key is set
 * once (KEY and KEY_file count as one), except "rule", which repeats and
 * keeps its order.  Values are kept as text with the line they came from;
 * they are parsed in step 3 (config_apply.c).  The line buffer is wiped:
 * any value may be a secret.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_loader.h"
#include "crypto.h"

static bool
config_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static const char *
config_section_find(const char *name)
{
	size_t i;

	for (i = 0; i < config_nkeys; i++)
		if (strcmp(config_keys[i].section, name) == 0)
			return config_keys[i].section;
	return NULL;
}

/*
 * Finds key name in section; *file_key tells whether name was "KEY_file"
 * for a secret KEY.  Returns the index in config_keys[] or -1.
 */
long
config_key_find(const char *section, const char *name, bool *file_key)
{
	size_t i, n = strlen(name);

	*file_key = false;
	for (i = 0; i < config_nkeys; i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			return (long)i;
	if (n <= 5 || strcmp(name + n - 5, "_file") != 0)
		return -1;
	for (i = 0; i < config_nkeys; i++)
		if (config_keys[i].type == CT_SECRET &&
		    strcmp(config_keys[i].section, section) == 0 &&
		    strlen(config_keys[i].name) == n - 5 &&
		    strncmp(config_keys[i].name, name, n - 5) == 0) {
			*file_key = true;
			return (long)i;
		}
	return -1;
}

/* Trims spaces, tabs and CRs from both ends of s in place. */
char *
config_trim(char *s)
{
	char *e;

	while (config_is_space(*s))
		s++;
	e = s + strlen(s);
	while (e > s && config_is_space(e[-1]))
		e--;
	*e = '\0';
	return s;
}

/* Handles the "key = value" line s (number lineno) of section. */
static enum gh_err
config_parse_assignment(struct config_loader *l, const char *section, char *s, int lineno)
{
	struct config_origin where = {lineno, ""};
	struct config_key unknown;
	struct config_slot *slot;
	char *eq, *key, *value;
	bool file_key;
	long i;

	if ((eq = strchr(s, '=')) == NULL)
		return config_fail(
		    l, NULL, false, &where, "expected \"key = value\", \"[section]\" or a comment");
	*eq = '\0';
	key = config_trim(s);
	value = config_trim(eq + 1);
	if (key[0] == '\0')
		return config_fail(l, NULL, false, &where, "missing key before '='");
	if (section == NULL)
		return config_fail(l, NULL, false, &where, "%.64s: key before any [section]", key);
	if ((i = config_key_find(section, key, &file_key)) < 0) {
		memset(&unknown, 0, sizeof(unknown));
		unknown.section = section;
		unknown.name = key;
		return config_fail(l, &unknown, false, &where, "unknown key");
	}
	if (config_keys[i].type == CT_RULES)
		return config_rule_add(l, value, &where);
	slot = &l->slots[i];
	if (slot->raw != NULL && slot->is_file == file_key)
		return config_fail(l, &config_keys[i], file_key, &where,
		    "set twice (first on line %d)", slot->where.line);
	if (slot->raw != NULL)
		return config_fail(l, &config_keys[i], file_key, &where,
		    "%s%s is already set on line %d; set one of them only", config_keys[i].name,
		    slot->is_file ? "_file" : "", slot->where.line);
	if ((slot->raw = strdup(value)) == NULL)
		return config_nomem(l);
	slot->is_file = file_key;
	slot->where = where;
	return GH_OK;
}

enum gh_err
config_parse_text(struct config_loader *l, const char *text, size_t len)
{
	char line[CONFIG_LINE_MAX + 1], *s, *name;
	const char *p = text, *end = text + len, *start, *nl, *eol;
	const char *section = NULL;
	struct config_origin where = {0, ""};
	enum gh_err e = GH_OK;
	size_t n;

	while (p < end && e == GH_OK) {
		where.line++;
		start = p;
		nl = memchr(p, '\n', (size_t)(end - p));
		eol = nl != NULL ? nl : end;
		n = (size_t)(eol - start);
		p = nl != NULL ? nl + 1 : end;
		if (n > CONFIG_LINE_MAX) {
			e = config_fail(
			    l, NULL, false, &where, "line longer than %d bytes", CONFIG_LINE_MAX);
			break;
		}
		memcpy(line, start, n);
		line[n] = '\0';
		if (strlen(line) != n) {
			e = config_fail(l, NULL, false, &where, "NUL byte in line");
			break;
		}
		s = config_trim(line);
		if (s[0] == '\0' || s[0] == '#' || s[0] == ';')
			continue;
		if (s[0] == '[') {
			n = strlen(s);
			if (s[n - 1] != ']') {
				e = config_fail(l, NULL, false, &where, "malformed section header");
				break;
			}
			s[n - 1] = '\0';
			name = config_trim(s + 1);
			if ((section = config_section_find(name)) == NULL)
				e = config_fail(
				    l, NULL, false, &where, "[%.64s]: unknown section", name);
			continue;
		}
		e = config_parse_assignment(l, section, s, where.line);
	}
	crypto_wipe(line, sizeof(line));
	return e;
}
