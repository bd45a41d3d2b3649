/*
 * config_ini.c: step 1 of loading gatehouse.conf (see config.c): the
 * file's lines, INI style, into the loader's slots.  A line is blank, a
 * comment ("#" or ";" first), "[section]" or "key = value", at most
 * CONFIG_LINE_MAX bytes, without a NUL byte; spaces, tabs and CRs around
 * names and values do not count.  Only the sections and keys of the table
 * in config_keys.c are known, and "KEY_file" for a secret KEY; a key is set
 * once (KEY and KEY_file count as one), except "rule", which repeats and
 * keeps its order.  "[partner NAME]" (one space; NAME as
 * config_partner_name_is_valid says) starts a partner, whose keys are
 * those of config_partner_keys[], set once per partner, into slots of its
 * own; a NAME is declared once, and at most CONFIG_PARTNERS_MAX of them.
 * Values are kept as text with the line they came from; they are parsed in
 * step 3 (config_apply.c).  The line buffer is wiped: any value may be a
 * secret.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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
 * Finds key name of section in keys[0..nkeys); *file_key tells whether
 * name was "KEY_file" for a secret KEY.  Returns the index or -1.
 */
static long
config_key_lookup(const struct config_key *keys, size_t nkeys, const char *section,
    const char *name, bool *file_key)
{
	size_t i, n = strlen(name);

	*file_key = false;
	for (i = 0; i < nkeys; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			return (long)i;
	if (n <= 5 || strcmp(name + n - 5, "_file") != 0)
		return -1;
	for (i = 0; i < nkeys; i++)
		if (keys[i].type == CT_SECRET && strcmp(keys[i].section, section) == 0 &&
		    strlen(keys[i].name) == n - 5 && strncmp(keys[i].name, name, n - 5) == 0) {
			*file_key = true;
			return (long)i;
		}
	return -1;
}

long
config_key_find(const char *section, const char *name, bool *file_key)
{
	return config_key_lookup(config_keys, config_nkeys, section, name, file_key);
}

long
config_partner_key_find(const char *name, bool *file_key)
{
	return config_key_lookup(
	    config_partner_keys, config_partner_nkeys, "partner", name, file_key);
}

/* A partner's NAME: [a-z0-9][a-z0-9_-]*, at most CONFIG_PARTNER_NAME_MAX
 * bytes. */
static bool
config_partner_name_is_valid(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= CONFIG_PARTNER_NAME_MAX && name[0] != '_' && name[0] != '-' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/*
 * Starts the partner of the header "[partner<rest>]" on line lineno: its
 * index in l->partners goes into *partner.
 */
static enum gh_err
config_partner_begin(struct config_loader *l, const char *rest, int lineno, long *partner)
{
	struct config_origin where = {lineno, ""};
	struct config_key header = {.section = "partner", .name = ""};
	struct config_partner_text *t;
	const char *name = rest + 1;
	size_t i, cap;
	int n;

	if (rest[0] != ' ' || !config_partner_name_is_valid(name))
		return config_fail(l, NULL, false, &where,
		    "expected [partner NAME], NAME 1 to %d bytes of a-z, 0-9, '_' and '-', "
		    "starting with a letter or a digit",
		    CONFIG_PARTNER_NAME_MAX);
	for (i = 0; i < l->npartners; i++)
		if (strcmp(l->partners[i].name, name) == 0) {
			header.section = l->partners[i].section;
			return config_fail(l, &header, false, &where,
			    "declared again (first on line %d)", l->partners[i].line);
		}
	if (l->npartners == CONFIG_PARTNERS_MAX)
		return config_fail(l, NULL, false, &where, "more than %d [partner NAME] sections",
		    CONFIG_PARTNERS_MAX);
	if (l->npartners == l->cappartners) {
		cap = l->cappartners ? 2 * l->cappartners : 4;
		if ((t = realloc(l->partners, cap * sizeof(*t))) == NULL)
			return config_nomem(l);
		l->partners = t;
		l->cappartners = cap;
	}
	t = &l->partners[l->npartners];
	memset(t, 0, sizeof(*t));
	memcpy(t->name, name, strlen(name) + 1);
	n = snprintf(t->section, sizeof(t->section), "partner %s", name);
	if (n < 0 || (size_t)n >= sizeof(t->section))
		return config_fail(l, NULL, false, &where, "internal error: name too long");
	t->line = lineno;
	*partner = (long)l->npartners++;
	return GH_OK;
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

/*
 * Handles the "key = value" line s (number lineno) of section, or of the
 * partner l->partners[partner] when partner is not -1.
 */
static enum gh_err
config_parse_assignment(
    struct config_loader *l, const char *section, long partner, char *s, int lineno)
{
	struct config_origin where = {lineno, ""};
	struct config_key unknown, k;
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
	if (section == NULL && partner < 0)
		return config_fail(l, NULL, false, &where, "%.64s: key before any [section]", key);
	if (partner >= 0)
		i = config_partner_key_find(key, &file_key);
	else
		i = config_key_find(section, key, &file_key);
	if (i < 0) {
		memset(&unknown, 0, sizeof(unknown));
		unknown.section = partner >= 0 ? l->partners[partner].section : section;
		unknown.name = key;
		return config_fail(l, &unknown, false, &where, "unknown key");
	}
	if (partner >= 0) {
		k = config_partner_key(&l->partners[partner], (size_t)i);
		slot = &l->partners[partner].slots[i];
	} else {
		k = config_keys[i];
		slot = &l->slots[i];
	}
	if (k.type == CT_RULES)
		return config_rule_add(l, value, &where);
	if (slot->raw != NULL && slot->is_file == file_key)
		return config_fail(
		    l, &k, file_key, &where, "set twice (first on line %d)", slot->where.line);
	if (slot->raw != NULL)
		return config_fail(l, &k, file_key, &where,
		    "%s%s is already set on line %d; set one of them only", k.name,
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
	long partner = -1;
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
			section = NULL;
			partner = -1;
			if (strncmp(name, "partner", 7) == 0 &&
			    (name[7] == '\0' || name[7] == ' ' || name[7] == '\t'))
				e = config_partner_begin(l, name + 7, where.line, &partner);
			else if ((section = config_section_find(name)) == NULL)
				e = config_fail(
				    l, NULL, false, &where, "[%.64s]: unknown section", name);
			continue;
		}
		e = config_parse_assignment(l, section, partner, s, where.line);
	}
	crypto_wipe(line, sizeof(line));
	return e;
}
