/*
 * config_apply.c: step 3 of loading gatehouse.conf (see config.c): the
 * text of every key's value, or its default, parsed and checked into
 * struct config by the key's type (config_keys.h); a "KEY_file" value by
 * reading the first line of the file it names (an absolute path; the line
 * at most CONFIG_LINE_MAX bytes, not empty, without a NUL byte; every copy
 * wiped); the "rule" texts by access_rule_parse; then the checks that
 * involve two keys, and the defaults derived from other keys; then the
 * partners, by the same code (config_partner.c).  A value is never copied
 * into a message.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "config_loader.h"
#include "crypto.h"
#include "log.h"
#include "url.h"

/* config_choices writes the words of CT_ENUM key k as "a, b or c". */
static const char *
config_choices(const struct config_key *k, char *out, size_t outlen)
{
	size_t i, n = 0;
	int r;

	out[0] = '\0';
	for (i = 0; k->choices[i] != NULL && n < outlen; i++) {
		r = snprintf(out + n, outlen - n, "%s%s",
		    i == 0                      ? ""
		    : k->choices[i + 1] == NULL ? " or "
		                                : ", ",
		    k->choices[i]);
		if (r < 0)
			break;
		n += (size_t)r;
	}
	return out;
}

/*
 * Parses value v of key k into its field of base (l->cfg for a key of
 * config_keys[], a struct config_partner for one of config_partner_keys[]).
 * where tells where v came from (NULL for the default), file_key whether v
 * was read from a "KEY_file".
 */
static enum gh_err
config_set(struct config_loader *l, const struct config_key *k, void *base, const char *v,
    const struct config_origin *where, bool file_key)
{
	char *field = (char *)base + k->off, words[128];
	const char *p, *why;
	long long n;
	size_t i;
	bool b;
	int level;

	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return config_fail(l, k, file_key, where, "control character in value");

	switch (k->type) {
	case CT_STRING:
	case CT_SECRET:
		if (k->check != NULL && (why = k->check(v)) != NULL)
			return config_fail(l, k, file_key, where, "%s", why);
		if ((*(char **)field = strdup(v)) == NULL)
			return config_nomem(l);
		return GH_OK;
	case CT_BOOL:
		if (!config_parse_bool(v, &b))
			return config_fail(l, k, file_key, where,
			    "not a boolean (true/false, yes/no, on/off, 1/0)");
		*(bool *)field = b;
		return GH_OK;
	case CT_ENUM:
		for (i = 0; k->choices[i] != NULL; i++)
			if (strcmp(v, k->choices[i]) == 0) {
				*(int *)field = (int)i;
				return GH_OK;
			}
		return config_fail(
		    l, k, file_key, where, "must be %s", config_choices(k, words, sizeof(words)));
	case CT_LEVEL:
		if ((level = log_level_parse(v)) < 0)
			return config_fail(
			    l, k, file_key, where, "must be error, warning, info or debug");
		*(int *)field = level;
		return GH_OK;
	case CT_INT:
	case CT_DURATION:
	case CT_DURATION_MS:
	case CT_SIZE:
		if (!config_parse_number(v, config_units(k->type), k->type == CT_INT, &n))
			return config_fail(
			    l, k, file_key, where, "not %s", config_type_name(k->type));
		if (n < k->min || n > k->max)
			return config_fail(l, k, file_key, where, "must be between %lld and %lld%s",
			    k->min, k->max, config_unit_name(k->type));
		if (k->type == CT_SIZE)
			*(size_t *)field = (size_t)n;
		else if (k->size == sizeof(int64_t))
			*(int64_t *)field = (int64_t)n;
		else
			*(int *)field = (int)n;
		return GH_OK;
	case CT_RULES:
		break;
	}
	return config_fail(l, k, file_key, where, "internal error: bad key type");
}

/*
 * Sets secret key k of base from the first line of the file named by path
 * (the "KEY_file" value that came from where).
 */
static enum gh_err
config_set_from_file(struct config_loader *l, const struct config_key *k, void *base,
    const char *path, const struct config_origin *where)
{
	char *text, *nl;
	size_t total, len;
	enum gh_err e;
	int rc;

	if (path[0] != '/')
		return config_fail(l, k, true, where, "must be an absolute path");
	/* Only the first line is kept, but it may be up to CONFIG_LINE_MAX
	 * bytes; a file any longer than a few lines is not a secret file. */
	rc = config_read_file(path, 4 * CONFIG_LINE_MAX, &text, &total);
	if (rc == ERANGE)
		return config_fail(
		    l, k, true, where, "%s: larger than %d bytes", path, 4 * CONFIG_LINE_MAX);
	if (rc == ENOMEM)
		return config_nomem(l);
	if (rc != 0)
		return config_fail(l, k, true, where, "cannot read %s: %s", path, strerror(rc));
	if ((nl = memchr(text, '\n', total)) != NULL)
		*nl = '\0';
	len = nl != NULL ? (size_t)(nl - text) : total;
	if (len > 0 && text[len - 1] == '\r')
		text[--len] = '\0';
	if (strlen(text) != len)
		e = config_fail(l, k, true, where, "%s: NUL byte in first line", path);
	else if (len > CONFIG_LINE_MAX)
		e = config_fail(l, k, true, where, "%s: first line longer than %d bytes", path,
		    CONFIG_LINE_MAX);
	else if (len == 0)
		e = config_fail(l, k, true, where, "%s: first line is empty", path);
	else
		e = config_set(l, k, base, text, where, true);
	crypto_wipe(text, total);
	free(text);
	return e;
}

/* Where the value of config_keys[i] came from, for a message; NULL: the default. */
static const struct config_origin *
config_where(struct config_loader *l, size_t i)
{
	return l->slots[i].raw != NULL ? &l->slots[i].where : NULL;
}

static size_t
config_key_index(const char *section, const char *name)
{
	bool file_key;

	return (size_t)config_key_find(section, name, &file_key);
}

static enum gh_err
config_set_rules(struct config_loader *l, const struct config_key *k)
{
	struct config *cfg = l->cfg;
	const char *why;
	enum gh_err e;
	size_t i;

	if (l->nrules == 0)
		return GH_OK;
	if ((cfg->rules = calloc(l->nrules, sizeof(*cfg->rules))) == NULL)
		return config_nomem(l);
	for (i = 0; i < l->nrules; i++) {
		e = access_rule_parse(l->rules[i].raw, &cfg->rules[i], &why);
		if (e == GH_ENOMEM)
			return config_nomem(l);
		if (e != GH_OK) {
			if (l->rules[i].where.env[0] != '\0')
				return config_fail(
				    l, k, false, &l->rules[i].where, "rule %zu: %s", i + 1, why);
			return config_fail(l, k, false, &l->rules[i].where, "%s", why);
		}
		cfg->nrules = i + 1;
	}
	return GH_OK;
}

/*
 * Refuses a hash cost below its floor (config.h, CONFIG_*_MIN) unless
 * [login] allow_weak_hashing is true.  Every key is checked whatever
 * password_scheme says: the costs also decide which stored hashes are
 * rehashed.  The defaults are at or above the floors, so a refused value
 * always came from the file or the environment.
 */
static enum gh_err
config_check_hash_costs(struct config_loader *l)
{
	static const struct {
		const char *name;
		int floor;
		size_t off;
	} costs[] = {
	    {"bcrypt_cost", CONFIG_BCRYPT_COST_MIN, offsetof(struct config, bcrypt_cost)},
	    {"argon2_memory_kib", CONFIG_ARGON2_MEMORY_KIB_MIN,
	        offsetof(struct config, argon2_memory_kib)},
	    {"argon2_time", CONFIG_ARGON2_TIME_MIN, offsetof(struct config, argon2_time)},
	};
	const struct config *cfg = l->cfg;
	size_t c, i;
	int v;

	if (cfg->allow_weak_hashing)
		return GH_OK;
	for (c = 0; c < sizeof(costs) / sizeof(costs[0]); c++) {
		memcpy(&v, (const char *)cfg + costs[c].off, sizeof(v));
		if (v >= costs[c].floor)
			continue;
		i = config_key_index("login", costs[c].name);
		return config_fail(l, &config_keys[i], false, config_where(l, i),
		    "%d is below the minimum %d (OWASP); only tests may set less, with "
		    "[login] allow_weak_hashing = true",
		    v, costs[c].floor);
	}
	return GH_OK;
}

/* The checks that involve more than one key, and derived defaults. */
static enum gh_err
config_finish(struct config_loader *l)
{
	struct config *cfg = l->cfg;
	enum gh_err e;
	size_t i, n;
	int r;

	if (cfg->login_url == NULL) {
		n = strlen(cfg->prefix) + sizeof("/login");
		if ((cfg->login_url = malloc(n)) == NULL)
			return config_nomem(l);
		r = snprintf(cfg->login_url, n, "%s/login", cfg->prefix);
		if (r < 0 || (size_t)r >= n)
			return config_nomem(l);
	}

	if (cfg->sso_public_keys_file == NULL && cfg->sso_keys_dir != NULL) {
		/* keys_dir's sibling: "/etc/gatehouse/keys/" -> "/etc/gatehouse/keys.jwks". */
		n = strlen(cfg->sso_keys_dir);
		while (n > 1 && cfg->sso_keys_dir[n - 1] == '/')
			n--;
		if ((cfg->sso_public_keys_file = malloc(n + sizeof(".jwks"))) == NULL)
			return config_nomem(l);
		memcpy(cfg->sso_public_keys_file, cfg->sso_keys_dir, n);
		memcpy(cfg->sso_public_keys_file + n, ".jwks", sizeof(".jwks"));
	}

	if ((e = config_check_hash_costs(l)) != GH_OK)
		return e;

	if (cfg->max_password_length < cfg->min_password_length) {
		i = config_key_index("login", "max_password_length");
		if (config_where(l, i) == NULL)
			i = config_key_index("login", "min_password_length");
		return config_fail(l, &config_keys[i], false, config_where(l, i),
		    "max_password_length (%d) is less than min_password_length (%d)",
		    cfg->max_password_length, cfg->min_password_length);
	}

	if (cfg->lockout_max < cfg->lockout_base) {
		i = config_key_index("login", "lockout_max");
		if (config_where(l, i) == NULL)
			i = config_key_index("login", "lockout_base");
		return config_fail(l, &config_keys[i], false, config_where(l, i),
		    "lockout_max (%lld s) is less than lockout_base (%lld s)",
		    (long long)cfg->lockout_max, (long long)cfg->lockout_base);
	}

	if (cfg->touch_interval >= cfg->idle_timeout) {
		i = config_key_index("session", "touch_interval");
		if (config_where(l, i) == NULL)
			i = config_key_index("session", "idle_timeout");
		return config_fail(l, &config_keys[i], false, config_where(l, i),
		    "touch_interval (%lld s) must be shorter than idle_timeout (%lld s)",
		    (long long)cfg->touch_interval, (long long)cfg->idle_timeout);
	}

	if (cfg->users_source == CONFIG_USERS_EXTERNAL && cfg->users_url == NULL) {
		i = config_key_index("users", "source");
		return config_fail(l, &config_keys[i], false, config_where(l, i),
		    "external needs [users] url (the database holding the users table)");
	}

	if (!url_next_is_safe(cfg->default_next, cfg->allowed_hosts)) {
		i = config_key_index("login", "default_next");
		return config_fail(l, &config_keys[i], false, config_where(l, i),
		    "not a safe redirect target (a path like /, or an http(s) URL on one of "
		    "allowed_hosts)");
	}
	return GH_OK;
}

enum gh_err
config_set_slot(
    struct config_loader *l, const struct config_key *k, void *base, const struct config_slot *slot)
{
	if (slot->raw != NULL && slot->is_file)
		return config_set_from_file(l, k, base, slot->raw, &slot->where);
	if (slot->raw != NULL)
		return config_set(l, k, base, slot->raw, &slot->where, false);
	if (k->def != NULL)
		return config_set(l, k, base, k->def, NULL, false);
	return GH_OK;
}

enum gh_err
config_apply(struct config_loader *l)
{
	enum gh_err e;
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		if (config_keys[i].type == CT_RULES)
			e = config_set_rules(l, &config_keys[i]);
		else
			e = config_set_slot(l, &config_keys[i], l->cfg, &l->slots[i]);
		if (e != GH_OK)
			return e;
	}
	if ((e = config_finish(l)) != GH_OK)
		return e;
	return config_partners_apply(l);
}
