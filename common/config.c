/*
 * config.c: reads gatehouse.conf into struct config (see config.h).
 *
 * Every known key is declared once, in the table of config_keys.c: its
 * section, name, type, place in struct config, default (as text, parsed by
 * the same code as a value from the file), limits and check.  Loading goes
 * in three steps.
 * First the file is read line by line and the text of each value is kept in
 * a slot with the line it came from; syntax errors, unknown sections and
 * keys and duplicate keys stop here.  Then each GATEHOUSE_<SECTION>_<KEY>
 * (and GATEHOUSE_<SECTION>_<KEY>_FILE for secrets) found in the environment
 * replaces the slot's text, so a value the environment overrides is never
 * looked at.  Last, every slot (or the key's default) is parsed and checked
 * into struct config, "X_file" slots by reading the first line of the file
 * they name, and the checks that involve two keys run.  Every error names
 * where the value came from: "FILE:LINE: [section] key: reason" or
 * "environment GATEHOUSE_SECTION_KEY: reason".  Secret values are never
 * copied into a message, and every copy of them (file text, slots, the
 * secret file's line) is wiped before it is freed.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "config_keys.h"
#include "crypto.h"
#include "log.h"
#include "url.h"

#define CONFIG_FILE_MAX (1024 * 1024) /* largest configuration file */
#define CONFIG_LINE_MAX 4096 /* longest line, also of a *_file */
#define CONFIG_ENV_MAX 96 /* longest environment variable name */
#define CONFIG_WHY_MAX 1024 /* longest reason for an error */

/* Where a value came from. */
struct config_origin {
	int line; /* line in the file; 0: not from the file */
	char env[CONFIG_ENV_MAX]; /* the variable's name, or "" */
};

/* The text of one key's value before it is parsed. */
struct config_slot {
	char *raw; /* NULL: not set, the default applies */
	bool is_file; /* raw names a file ("KEY_file") */
	struct config_origin where;
};

/* One "rule" value before it is parsed. */
struct config_rule_text {
	char *raw;
	struct config_origin where;
};

struct config_loader {
	struct config *cfg;
	const char *name; /* the file's name, for messages */
	char *err;
	size_t errlen;
	struct config_slot slots[CONFIG_KEYS_MAX];
	struct config_rule_text *rules;
	size_t nrules, caprules;
};

static bool
config_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static char
config_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Frees s after wiping it: any value may be a secret. */
static void
config_free_wiped(char *s)
{
	if (s != NULL) {
		crypto_wipe(s, strlen(s));
		free(s);
	}
}

/*
 * Writes the error "WHERE: reason" into l->err, WHERE being "FILE:LINE:
 * [section] key" (k may be NULL for a line that is no key; file_key adds
 * "_file" to the key's name), "environment NAME" or, for a default,
 * "FILE: [section] key".  A message cut short by errlen is still a message,
 * so truncation is accepted here.  Returns GH_ECONFIG.
 */
__attribute__((format(printf, 5, 6))) static enum gh_err
config_fail(struct config_loader *l, const struct config_key *k, bool file_key,
    const struct config_origin *where, const char *fmt, ...)
{
	char what[CONFIG_ENV_MAX + 64], why[CONFIG_WHY_MAX];
	va_list ap;
	int n;

	what[0] = '\0';
	if (k != NULL) {
		n = snprintf(what, sizeof(what), "[%s] %.64s%s: ", k->section, k->name,
		    file_key ? "_file" : "");
		if (n < 0 || (size_t)n >= sizeof(what))
			what[0] = '\0';
	}
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

static enum gh_err
config_nomem(struct config_loader *l)
{
	if (l->err != NULL && l->errlen > 0)
		(void)snprintf(l->err, l->errlen, "%s: out of memory", l->name);
	return GH_ENOMEM;
}

/* config_choices writes the words of CT_ENUM key k as "a, b or c". */
static const char *
config_choices(const struct config_key *k, char *out, size_t outlen)
{
	size_t i, n = 0;
	int r;

	out[0] = '\0';
	for (i = 0; k->choices[i] != NULL && n < outlen; i++) {
		r = snprintf(out + n, outlen - n, "%s%s",
		    i == 0 ? "" : k->choices[i + 1] == NULL ? " or " : ", ", k->choices[i]);
		if (r < 0)
			break;
		n += (size_t)r;
	}
	return out;
}

/*
 * Parses value v of key k into l->cfg.  where tells where v came from (NULL
 * for the default), file_key whether v was read from a "KEY_file".
 */
static enum gh_err
config_set(struct config_loader *l, const struct config_key *k, const char *v,
    const struct config_origin *where, bool file_key)
{
	char *field = (char *)l->cfg + k->off, words[128];
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
		return config_fail(l, k, file_key, where, "must be %s", config_choices(k, words,
		    sizeof(words)));
	case CT_LEVEL:
		if ((level = log_level_parse(v)) < 0)
			return config_fail(
			    l, k, file_key, where, "must be error, warning, info or debug");
		*(int *)field = level;
		return GH_OK;
	case CT_INT:
	case CT_DURATION:
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
	case CT_RULES: break;
	}
	return config_fail(l, k, file_key, where, "internal error: bad key type");
}

/*
 * Sets secret key k from the first line of the file named by path (the
 * "KEY_file" value that came from where).
 */
static enum gh_err
config_set_from_file(struct config_loader *l, const struct config_key *k, const char *path,
    const struct config_origin *where)
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
		e = config_set(l, k, text, where, true);
	crypto_wipe(text, total);
	free(text);
	return e;
}

/* -- Step 1: the file's lines --------------------------------------------- */

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
static long
config_key_find(const char *section, const char *name, bool *file_key)
{
	size_t i, n = strlen(name);

	*file_key = false;
	for (i = 0; i < config_nkeys; i++)
		if (strcmp(config_keys[i].section, section) == 0 && strcmp(config_keys[i].name, name) == 0)
			return (long)i;
	if (n <= 5 || strcmp(name + n - 5, "_file") != 0)
		return -1;
	for (i = 0; i < config_nkeys; i++)
		if (config_keys[i].type == CT_SECRET && strcmp(config_keys[i].section, section) == 0 &&
		    strlen(config_keys[i].name) == n - 5 && strncmp(config_keys[i].name, name, n - 5) == 0) {
			*file_key = true;
			return (long)i;
		}
	return -1;
}

static enum gh_err
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

static void
config_rules_clear(struct config_loader *l)
{
	size_t i;

	for (i = 0; i < l->nrules; i++)
		config_free_wiped(l->rules[i].raw);
	free(l->rules);
	l->rules = NULL;
	l->nrules = l->caprules = 0;
}

/* Trims spaces, tabs and CRs from both ends of s in place. */
static char *
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
		return config_fail(l, &config_keys[i], file_key, &where, "set twice (first on line %d)",
		    slot->where.line);
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

static enum gh_err
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

/* -- Step 2: the environment ---------------------------------------------- */

/* Writes GATEHOUSE_<SECTION>_<KEY><suffix> into out. */
static bool
config_env_name(const struct config_key *k, const char *suffix, char out[CONFIG_ENV_MAX])
{
	char *p;
	int n;

	n = snprintf(out, CONFIG_ENV_MAX, "GATEHOUSE_%s_%s%s", k->section, k->name, suffix);
	if (n < 0 || n >= CONFIG_ENV_MAX)
		return false;
	for (p = out; *p != '\0'; p++)
		*p = config_upper(*p);
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

static enum gh_err
config_apply_env(struct config_loader *l)
{
	struct config_origin where = {0, ""}, fwhere = {0, ""};
	struct config_slot *slot;
	const char *v, *fv;
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		if (!config_env_name(&config_keys[i], "", where.env))
			return config_fail(
			    l, &config_keys[i], false, NULL, "internal error: name too long");
		v = getenv(where.env);
		fv = NULL;
		if (config_keys[i].type == CT_SECRET) {
			if (!config_env_name(&config_keys[i], "_FILE", fwhere.env))
				return config_fail(
				    l, &config_keys[i], true, NULL, "internal error: name too long");
			fv = getenv(fwhere.env);
		}
		if (config_keys[i].type == CT_RULES) {
			if (v != NULL && config_env_rules(l, v, &where) != GH_OK)
				return GH_ENOMEM;
			continue;
		}
		if (v != NULL && fv != NULL)
			return config_fail(l, &config_keys[i], true, &fwhere,
			    "%s is also set; set one of them only", where.env);
		if (v == NULL && fv == NULL)
			continue;
		slot = &l->slots[i];
		config_free_wiped(slot->raw);
		if ((slot->raw = strdup(v != NULL ? v : fv)) == NULL)
			return config_nomem(l);
		slot->is_file = v == NULL;
		slot->where = v != NULL ? where : fwhere;
	}
	return GH_OK;
}

/* -- Step 3: values into struct config ------------------------------------ */

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

/* The checks that involve more than one key, and derived defaults. */
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

static enum gh_err
config_apply(struct config_loader *l)
{
	const struct config_slot *slot;
	enum gh_err e;
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		slot = &l->slots[i];
		if (config_keys[i].type == CT_RULES)
			e = config_set_rules(l, &config_keys[i]);
		else if (slot->raw != NULL && slot->is_file)
			e = config_set_from_file(l, &config_keys[i], slot->raw, &slot->where);
		else if (slot->raw != NULL)
			e = config_set(l, &config_keys[i], slot->raw, &slot->where, false);
		else if (config_keys[i].def != NULL)
			e = config_set(l, &config_keys[i], config_keys[i].def, NULL, false);
		else
			e = GH_OK;
		if (e != GH_OK)
			return e;
	}
	return config_finish(l);
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
	size_t i;

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
		default: break;
		}
	}
	if (cfg->rules != NULL) {
		for (i = 0; i < cfg->nrules; i++)
			access_rule_cleanup(&cfg->rules[i]);
		free(cfg->rules);
	}
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
