/*
 * config.c: reads gatehouse.conf into struct config (see config.h).
 *
 * Every known key is declared once, in the table of config_keys.c: its
 * section, name, type, place in struct config, default (as text, parsed by
 * the same code as a value from the file), limits and check.  Loading goes
 * in three steps.
 * First the file is read line by line and the text of each value is kept in
 * a slot with the line it came from; syntax errors, unknown sections and
 * keys and duplicate keys stop here; each "[partner NAME]" section gets
 * slots of its own, for the keys of config_partner_keys[].  Then each
 * GATEHOUSE_<SECTION>_<KEY> (and GATEHOUSE_<SECTION>_<KEY>_FILE for
 * secrets; SECTION is PARTNER_<NAME> for a partner the file declares)
 * found in the environment replaces the slot's text, so a value the
 * environment overrides is never looked at.  A variable that two partners'
 * keys would both read ("x" default_redirect and "x_default" redirect) is
 * an error.  Last, every slot (or the key's default) is parsed and checked
 * into struct config, "X_file" slots by reading the first line of the file
 * they name, and the checks that involve two keys run.  Every error names
 * where the value came from: "FILE:LINE: [section] key: reason" or
 * "environment GATEHOUSE_SECTION_KEY: reason".  Secret values are never
 * copied into a message, and every copy of them (file text, slots, the
 * secret file's line) is wiped before it is freed.
 *
 * This file runs a load and holds step 2 and the loader's messages; step 1
 * is config_ini.c, step 3 config_apply.c (config_partner.c for partners),
 * their shared state is config_loader.h and the values' syntax
 * config_value.c.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "config.h"
#include "config_loader.h"
#include "crypto.h"

#define CONFIG_FILE_MAX (1024 * 1024) /* largest configuration file */
#define CONFIG_WHY_MAX 1024           /* longest reason for an error */

/* -- The loader's state and messages --------------------------------------- */

static char
config_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Frees s after wiping it: any value may be a secret. */
void
config_free_wiped(char *s)
{
	if (s != NULL) {
		crypto_wipe(s, strlen(s));
		free(s);
	}
}

/*
 * Writes the error "WHERE: reason" into l->err (see config_loader.h).  A
 * message cut short by errlen is still a message, so truncation is
 * accepted here.
 */
__attribute__((format(printf, 5, 6))) enum gh_err
config_fail(struct config_loader *l, const struct config_key *k, bool file_key,
    const struct config_origin *where, const char *fmt, ...)
{
	char what[CONFIG_ENV_MAX + 64], why[CONFIG_WHY_MAX];
	va_list ap;
	int n;

	n = 0;
	if (k != NULL && k->name[0] == '\0')
		n = snprintf(what, sizeof(what), "[%s]: ", k->section);
	else if (k != NULL)
		n = snprintf(what, sizeof(what), "[%s] %.64s%s: ", k->section, k->name,
		    file_key ? "_file" : "");
	if (k == NULL || n < 0 || (size_t)n >= sizeof(what))
		what[0] = '\0';
	va_start(ap, fmt);
	n = vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (n < 0)
		why[0] = '\0';
	if (l->err == NULL || l->errlen == 0)
		return GH_ECONFIG;
	if (where != NULL && where->env[0] != '\0')
		(void)snprintf(l->err, l->errlen, "environment %s: %s", where->env, why);
	else if (where != NULL && where->line > 0)
		(void)snprintf(l->err, l->errlen, "%s:%d: %s%s", l->name, where->line, what, why);
	else
		(void)snprintf(l->err, l->errlen, "%s: %s%s", l->name, what, why);
	return GH_ECONFIG;
}

enum gh_err
config_nomem(struct config_loader *l)
{
	if (l->err != NULL && l->errlen > 0)
		(void)snprintf(l->err, l->errlen, "%s: out of memory", l->name);
	return GH_ENOMEM;
}

enum gh_err
config_rule_add(struct config_loader *l, const char *raw, const struct config_origin *where)
{
	struct config_rule_text *nr;
	size_t cap;

	if (l->nrules == l->caprules) {
		cap = l->caprules ? 2 * l->caprules : 8;
		if (cap > SIZE_MAX / sizeof(*nr) ||
		    (nr = realloc(l->rules, cap * sizeof(*nr))) == NULL)
			return config_nomem(l);
		l->rules = nr;
		l->caprules = cap;
	}
	if ((l->rules[l->nrules].raw = strdup(raw)) == NULL)
		return config_nomem(l);
	l->rules[l->nrules].where = *where;
	l->nrules++;
	return GH_OK;
}

void
config_rules_clear(struct config_loader *l)
{
	size_t i;

	for (i = 0; i < l->nrules; i++)
		config_free_wiped(l->rules[i].raw);
	free(l->rules);
	l->rules = NULL;
	l->nrules = l->caprules = 0;
}

/* -- Step 2: the environment ---------------------------------------------- */

/* Writes GATEHOUSE_<SECTION>_<KEY><suffix> into out, in upper case, a ' '
 * or '-' as '_' (section "partner NAME": GATEHOUSE_PARTNER_NAME_KEY). */
static bool
config_env_name(const struct config_key *k, const char *suffix, char out[CONFIG_ENV_MAX])
{
	char *p;
	int n;

	n = snprintf(out, CONFIG_ENV_MAX, "GATEHOUSE_%s_%s%s", k->section, k->name, suffix);
	if (n < 0 || n >= CONFIG_ENV_MAX)
		return false;
	for (p = out; *p != '\0'; p++)
		*p = *p == ' ' || *p == '-' ? '_' : config_upper(*p);
	return true;
}

/* Replaces the "rule" list with the rules in v, separated by newlines or ';'. */
static enum gh_err
config_env_rules(struct config_loader *l, const char *v, const struct config_origin *where)
{
	char *copy, *s, *tok, *save = NULL;
	enum gh_err e = GH_OK;

	config_rules_clear(l);
	if ((copy = strdup(v)) == NULL)
		return config_nomem(l);
	for (s = copy; (tok = strtok_r(s, "\n;", &save)) != NULL && e == GH_OK; s = NULL) {
		tok = config_trim(tok);
		if (tok[0] != '\0')
			e = config_rule_add(l, tok, where);
	}
	crypto_wipe(copy, strlen(v));
	free(copy);
	return e;
}

/*
 * Refuses the variable where->env, which sets key k of partner
 * l->partners[p], when another partner's key would read it too (with
 * names like "x" and "x_default", or "a-b" and "a_b").
 */
static enum gh_err
config_env_partner_unique(struct config_loader *l, size_t p, const struct config_key *k,
    const struct config_origin *where)
{
	char name[CONFIG_ENV_MAX];
	struct config_key other;
	size_t q, i;

	for (q = 0; q < l->npartners; q++) {
		if (q == p)
			continue;
		for (i = 0; i < config_partner_nkeys; i++) {
			other = config_partner_key(&l->partners[q], i);
			if ((config_env_name(&other, "", name) && strcmp(name, where->env) == 0) ||
			    (other.type == CT_SECRET && config_env_name(&other, "_FILE", name) &&
			        strcmp(name, where->env) == 0))
				return config_fail(l, NULL, false, where,
				    "read by both [%s] %s and [%s] %s; rename one of the partners",
				    k->section, k->name, other.section, other.name);
		}
	}
	return GH_OK;
}

/*
 * Step 2 for key k (not "rule"), whose text is in slot: GATEHOUSE_..._KEY,
 * or GATEHOUSE_..._KEY_FILE for a secret, replaces it.  partner is the
 * index in l->partners of the partner k belongs to, or -1.
 */
static enum gh_err
config_env_key(
    struct config_loader *l, const struct config_key *k, struct config_slot *slot, long partner)
{
	struct config_origin where = {0, ""}, fwhere = {0, ""};
	const char *v, *fv = NULL;
	enum gh_err e;

	if (!config_env_name(k, "", where.env) ||
	    (k->type == CT_SECRET && !config_env_name(k, "_FILE", fwhere.env)))
		return config_fail(l, k, false, NULL, "internal error: name too long");
	v = getenv(where.env);
	if (k->type == CT_SECRET)
		fv = getenv(fwhere.env);
	if (v != NULL && fv != NULL)
		return config_fail(
		    l, k, true, &fwhere, "%s is also set; set one of them only", where.env);
	if (v == NULL && fv == NULL)
		return GH_OK;
	if (partner >= 0 && (e = config_env_partner_unique(
	                         l, (size_t)partner, k, v != NULL ? &where : &fwhere)) != GH_OK)
		return e;
	config_free_wiped(slot->raw);
	if ((slot->raw = strdup(v != NULL ? v : fv)) == NULL)
		return config_nomem(l);
	slot->is_file = v == NULL;
	slot->where = v != NULL ? where : fwhere;
	return GH_OK;
}

static enum gh_err
config_apply_env(struct config_loader *l)
{
	struct config_origin where = {0, ""};
	struct config_key k;
	enum gh_err e;
	size_t i, p;

	for (i = 0; i < config_nkeys; i++) {
		if (config_keys[i].type != CT_RULES) {
			if ((e = config_env_key(l, &config_keys[i], &l->slots[i], -1)) != GH_OK)
				return e;
			continue;
		}
		if (!config_env_name(&config_keys[i], "", where.env))
			return config_fail(
			    l, &config_keys[i], false, NULL, "internal error: name too long");
		if (getenv(where.env) != NULL &&
		    (e = config_env_rules(l, getenv(where.env), &where)) != GH_OK)
			return e;
	}
	for (p = 0; p < l->npartners; p++)
		for (i = 0; i < config_partner_nkeys; i++) {
			k = config_partner_key(&l->partners[p], i);
			e = config_env_key(l, &k, &l->partners[p].slots[i], (long)p);
			if (e != GH_OK)
				return e;
		}
	return GH_OK;
}

/* -- Public functions ------------------------------------------------------ */

bool
config_hashing_is_weak(const struct config *cfg)
{
	return cfg->bcrypt_cost < CONFIG_BCRYPT_COST_MIN ||
	       cfg->argon2_memory_kib < CONFIG_ARGON2_MEMORY_KIB_MIN ||
	       cfg->argon2_time < CONFIG_ARGON2_TIME_MIN;
}

/* Loads text[0..len) (the contents of the file name) into cfg. */
static enum gh_err
config_load_text(
    struct config *cfg, const char *name, const char *text, size_t len, char *err, size_t errlen)
{
	struct config_loader *l;
	enum gh_err e;
	size_t i, p;

	memset(cfg, 0, sizeof(*cfg));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		if (err != NULL && errlen > 0)
			(void)snprintf(err, errlen, "%s: out of memory", name);
		return GH_ENOMEM;
	}
	l->cfg = cfg;
	l->name = name;
	l->err = err;
	l->errlen = errlen;

	if ((cfg->path = strdup(name)) == NULL)
		e = config_nomem(l);
	else if ((e = config_parse_text(l, text, len)) == GH_OK &&
	         (e = config_apply_env(l)) == GH_OK)
		e = config_apply(l);

	for (i = 0; i < config_nkeys; i++)
		config_free_wiped(l->slots[i].raw);
	config_rules_clear(l);
	for (p = 0; p < l->npartners; p++)
		for (i = 0; i < config_partner_nkeys; i++)
			config_free_wiped(l->partners[p].slots[i].raw);
	free(l->partners);
	free(l);
	if (e != GH_OK)
		config_cleanup(cfg);
	return e;
}

enum gh_err
config_load_string(struct config *cfg, const char *name, const char *text, char *err, size_t errlen)
{
	if (name == NULL)
		name = "(string)";
	return config_load_text(
	    cfg, name, text != NULL ? text : "", text != NULL ? strlen(text) : 0, err, errlen);
}

enum gh_err
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	char *text;
	size_t len;
	enum gh_err e;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (path == NULL)
		path = config_default_path();
	rc = config_read_file(path, CONFIG_FILE_MAX, &text, &len);
	if (rc != 0) {
		if (err != NULL && errlen > 0) {
			if (rc == ERANGE)
				(void)snprintf(err, errlen, "%s: larger than 1 MiB", path);
			else
				(void)snprintf(
				    err, errlen, "%s: cannot read: %s", path, strerror(rc));
		}
		return rc == ENOMEM ? GH_ENOMEM : GH_ECONFIG;
	}
	e = config_load_text(cfg, path, text, len, err, errlen);
	crypto_wipe(text, len);
	free(text);
	return e;
}

void
config_cleanup(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < config_nkeys; i++) {
		char **field = (char **)((char *)cfg + config_keys[i].off);

		switch (config_keys[i].type) {
		case CT_SECRET:
			config_free_wiped(*field);
			*field = NULL;
			break;
		case CT_STRING:
			free(*field);
			*field = NULL;
			break;
		default:
			break;
		}
	}
	if (cfg->rules != NULL) {
		for (i = 0; i < cfg->nrules; i++)
			access_rule_cleanup(&cfg->rules[i]);
		free(cfg->rules);
	}
	config_partners_free(cfg);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

const char *
config_default_path(void)
{
	const char *p = getenv("GATEHOUSE_CONFIG");

	if (p != NULL && p[0] != '\0')
		return p;
	return SYSCONFDIR "/gatehouse/gatehouse.conf";
}
