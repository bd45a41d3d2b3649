/*
 * config.c: reads gatehouse.conf into struct config (see config.h).
 *
 * Every known key is declared once, in the table keys[] below: its section,
 * name, type, place in struct config, default (as text, parsed by the same
 * code as a value from the file) and limits.  Loading goes in three steps.
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
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "url.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/usr/local/etc"
#endif
#ifndef DATADIR
#define DATADIR "/usr/local/share"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/usr/local/var"
#endif

#define CONFIG_FILE_MAX (1024 * 1024) /* largest configuration file */
#define CONFIG_LINE_MAX 4096 /* longest line, also of a *_file */
#define CONFIG_SECRET_MIN 32 /* shortest [general] secret */
#define GH_STR_(x) #x
#define GH_STR(x) GH_STR_(x)
#define CONFIG_ENV_MAX 96 /* longest environment variable name */
#define CONFIG_WHY_MAX 1024 /* longest reason for an error */

#define DAY (24 * 60 * 60)

enum config_type {
	CT_STRING, /* char *, any text without control characters */
	CT_SECRET, /* char *, also settable as "KEY_file", wiped at cleanup */
	CT_BOOL, /* bool: true/false, yes/no, on/off, 1/0 */
	CT_INT, /* int or int64_t (by size): decimal, within min..max */
	CT_LEVEL, /* int: a log level name, see log_level_parse */
	CT_DURATION, /* int64_t seconds: N, Ns, Nm, Nh or Nd, within min..max */
	CT_SIZE, /* size_t bytes: N, NK, NKiB, NM, NMiB, within min..max */
	CT_RULES, /* struct access_rule *: repeatable, order kept */
};

/* A check on a string value beyond its type: NULL if fine, else a reason. */
typedef const char *config_check_fn(const char *value);

struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	size_t off; /* offset of the field in struct config */
	size_t size; /* size of that field */
	const char *def; /* default, parsed like a value; NULL: none */
	long long min, max;
	config_check_fn *check;
};

static config_check_fn config_check_prefix, config_check_nonempty, config_check_secret,
    config_check_db_url, config_check_cookie_name, config_check_hosts, config_check_scheme,
    config_check_login_url, config_check_users_source, config_check_lookup_query,
    config_check_sync_query, config_check_update_query;

#define FIELD(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)

/* The known keys.  config_finish() holds the checks that involve two keys. */
static const struct config_key keys[] = {
    {"general", "prefix", CT_STRING, FIELD(prefix), "/auth", 0, 0, config_check_prefix},
    {"general", "templates_dir", CT_STRING, FIELD(templates_dir), DATADIR "/gatehouse/templates", 0,
        0, config_check_nonempty},
    {"general", "sql_dir", CT_STRING, FIELD(sql_dir), DATADIR "/gatehouse/sql", 0, 0,
        config_check_nonempty},
    {"general", "secret", CT_SECRET, FIELD(secret), NULL, 0, 0, config_check_secret},
    {"general", "threads", CT_INT, FIELD(threads), "4", 1, 64, NULL},
    {"general", "log_level", CT_LEVEL, FIELD(log_level), "info", 0, 0, NULL},
    {"general", "log_syslog", CT_BOOL, FIELD(log_syslog), "false", 0, 0, NULL},
    {"general", "site_name", CT_STRING, FIELD(site_name), "Gatehouse", 0, 0, NULL},

    {"database", "url", CT_STRING, FIELD(db_url),
        "sqlite://" LOCALSTATEDIR "/lib/gatehouse/gatehouse.db", 0, 0, config_check_db_url},
    {"database", "password", CT_SECRET, FIELD(db_password), NULL, 0, 0, NULL},
    {"database", "busy_timeout_ms", CT_INT, FIELD(db_busy_timeout_ms), "5000", 0, 600000, NULL},

    {"session", "cookie_name", CT_STRING, FIELD(cookie_name), "gatehouse", 0, 0,
        config_check_cookie_name},
    {"session", "insecure_cookies", CT_BOOL, FIELD(insecure_cookies), "false", 0, 0, NULL},
    {"session", "idle_timeout", CT_DURATION, FIELD(idle_timeout), "30m", 1, 365 * DAY, NULL},
    {"session", "absolute_timeout", CT_DURATION, FIELD(absolute_timeout), "12h", 1, 365 * DAY,
        NULL},
    {"session", "remember_timeout", CT_DURATION, FIELD(remember_timeout), "30d", 1, 365 * DAY,
        NULL},
    {"session", "touch_interval", CT_DURATION, FIELD(touch_interval), "60", 0, DAY, NULL},

    {"login", "default_next", CT_STRING, FIELD(default_next), "/", 0, 0, NULL},
    {"login", "allowed_hosts", CT_STRING, FIELD(allowed_hosts), "", 0, 0, config_check_hosts},
    {"login", "max_body", CT_SIZE, FIELD(max_body), "8192", 1024, 1024 * 1024, NULL},
    {"login", "password_scheme", CT_STRING, FIELD(password_scheme), "argon2id", 0, 0,
        config_check_scheme},
    {"login", "bcrypt_cost", CT_INT, FIELD(bcrypt_cost), "12", 4, 31, NULL},
    {"login", "argon2_memory_kib", CT_INT, FIELD(argon2_memory_kib), "19456", 1024, 4194304, NULL},
    {"login", "argon2_time", CT_INT, FIELD(argon2_time), "2", 1, 100, NULL},
    {"login", "argon2_parallelism", CT_INT, FIELD(argon2_parallelism), "1", 1, 16, NULL},
    {"login", "allow_weak_hashing", CT_BOOL, FIELD(allow_weak_hashing), "false", 0, 0, NULL},
    {"login", "min_password_length", CT_INT, FIELD(min_password_length), "12", 8, 1024, NULL},
    {"login", "max_password_length", CT_INT, FIELD(max_password_length), "128", 64, 4096, NULL},

    {"users", "source", CT_STRING, FIELD(users_source), "local", 0, 0, config_check_users_source},
    {"users", "url", CT_STRING, FIELD(users_url), NULL, 0, 0, config_check_db_url},
    {"users", "password", CT_SECRET, FIELD(users_password), NULL, 0, 0, NULL},
    {"users", "lookup_query", CT_STRING, FIELD(users_lookup_query),
        "SELECT user_id, username, email, password_hash, is_active FROM users "
        "WHERE (username = ? OR email = ?) LIMIT 1",
        0, 0, config_check_lookup_query},
    {"users", "sync_query", CT_STRING, FIELD(users_sync_query), NULL, 0, 0,
        config_check_sync_query},
    {"users", "update_last_login", CT_STRING, FIELD(users_update_last_login), NULL, 0, 0,
        config_check_update_query},
    {"users", "password_scheme", CT_STRING, FIELD(users_password_scheme), "bcrypt", 0, 0,
        config_check_scheme},
    {"users", "bcrypt_cost", CT_INT, FIELD(users_bcrypt_cost), "10", 4, 31, NULL},

    /* login_url: no default here, config_finish() derives it from prefix. */
    {"check", "login_url", CT_STRING, FIELD(login_url), NULL, 0, 0, config_check_login_url},
    {"check", "rule", CT_RULES, FIELD(rules), NULL, 0, 0, NULL},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

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
	struct config_slot slots[NKEYS];
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

static bool
config_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
config_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
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

/* -- Checks on string values beyond their type ---------------------------- */

static const char *
config_check_prefix(const char *v)
{
	const char *p;

	if (v[0] == '\0')
		return NULL;
	if (v[0] != '/' || v[strlen(v) - 1] == '/' || strstr(v, "//") != NULL)
		return "must be empty or a path like /auth, without a trailing '/'";
	for (p = v; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || config_is_digit(*p) ||
		        strchr("/-._~", *p) != NULL))
			return "may hold only letters, digits and / - . _ ~";
	if (strstr(v, "/./") != NULL || strstr(v, "/../") != NULL || config_has_suffix(v, "/.") ||
	    config_has_suffix(v, "/.."))
		return "must not hold . or .. segments";
	return NULL;
}

static const char *
config_check_nonempty(const char *v)
{
	return v[0] == '\0' ? "must not be empty" : NULL;
}

static const char *
config_check_secret(const char *v)
{
	static const char why[] = "must be at least " GH_STR(CONFIG_SECRET_MIN) " bytes long";

	return strlen(v) < CONFIG_SECRET_MIN ? why : NULL;
}

static const char *
config_check_users_source(const char *v)
{
	return strcmp(v, "local") == 0 || strcmp(v, "external") == 0 ? NULL
	                                                             : "must be local or external";
}

/* The external lookup: a SELECT with at least one "?" (the login name). */
static const char *
config_check_lookup_query(const char *v)
{
	if (strncasecmp(v, "SELECT ", 7) != 0)
		return "must be a SELECT statement";
	if (strchr(v, '?') == NULL)
		return "must have a ? placeholder for the login name";
	if (strchr(v, ';') != NULL)
		return "must be one statement (no ;)";
	return NULL;
}

/* The optional sync lookup: a SELECT with at least one "?" (the external id). */
static const char *
config_check_sync_query(const char *v)
{
	if (strncasecmp(v, "SELECT ", 7) != 0)
		return "must be a SELECT statement";
	if (strchr(v, '?') == NULL)
		return "must have a ? placeholder for the external user id";
	if (strchr(v, ';') != NULL)
		return "must be one statement (no ;)";
	return NULL;
}

/* The optional write-back: an UPDATE with exactly one "?" (the user's id). */
static const char *
config_check_update_query(const char *v)
{
	const char *q = strchr(v, '?');

	if (strncasecmp(v, "UPDATE ", 7) != 0)
		return "must be an UPDATE statement";
	if (q == NULL || strchr(q + 1, '?') != NULL)
		return "must have exactly one ? placeholder for the external user id";
	if (strchr(v, ';') != NULL)
		return "must be one statement (no ;)";
	return NULL;
}

/* config_url_key_is tells whether the URL query key k[0..n), percent-decoded
 * as libpq decodes it, is name (ASCII case ignored). */
static bool
config_url_key_is(const char *k, size_t n, const char *name)
{
	char key[64];
	long len;

	/* A key decodes to at most n bytes, and to none when it is malformed
	 * (which libpq refuses anyway). */
	if (n >= sizeof(key) || (len = url_decode(k, n, key, false)) < 0)
		return false;
	return (size_t)len == strlen(name) && strcasecmp(key, name) == 0;
}

/* A password in a database URL would show in ps, in logs and in the web
 * server's environment.  Refused: one in the userinfo ("user:pw@host") and
 * the query parameters libpq takes one from ("?password=", and
 * "sslpassword" for the client key).  libpq's passfile and service name
 * files, as password_file does, and are accepted.  Then the driver's own
 * reading of the URL (db_url_problem), with the rule that a database on
 * another host is reached over TLS. */
static const char *
config_check_db_url(const char *v)
{
	static const char *const schemes[] = {
	    "sqlite://", "mysql://", "postgresql://", "postgres://"};
	static const char *const secret_keys[] = {"password", "sslpassword"};
	const char *auth, *at, *p, *q, *eq;
	size_t i, j, n;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		auth = v + strlen(schemes[i]);
		if (strncmp(v, schemes[i], strlen(schemes[i])) != 0 || *auth == '\0')
			continue;
		/* user:password@host.  libpq takes the first '@' before the
		 * path, even past a '?'; MariaDB's parser the last one before
		 * a '/' or '?': a ':' before any '@' up to the path is refused. */
		at = NULL;
		for (p = auth; *p != '\0' && *p != '/'; p++)
			if (*p == '@')
				at = p;
		if (at != NULL && memchr(auth, ':', (size_t)(at - auth)) != NULL)
			return "must not hold a password: use password_file";
		/* ?key=value&key=value..., the keys percent-decoded. */
		for (p = strchr(v, '?'); p != NULL; p = *q == '&' ? q : NULL) {
			p++; /* past the '?' or '&' */
			q = p + strcspn(p, "&");
			eq = memchr(p, '=', (size_t)(q - p));
			n = (size_t)((eq != NULL ? eq : q) - p);
			for (j = 0; j < sizeof(secret_keys) / sizeof(secret_keys[0]); j++)
				if (config_url_key_is(p, n, secret_keys[j]))
					return "must not hold a password: use password_file";
		}
		/* Its form as the driver reads it, and TLS to another host. */
		return db_url_problem(v);
	}
	return "must start with sqlite://, mysql:// or postgresql://";
}

static const char *
config_check_cookie_name(const char *v)
{
	const char *p;
	size_t n = strlen(v);

	if (n < 1 || n > 64)
		return "must be 1 to 64 characters long";
	for (p = v; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || config_is_digit(*p) ||
		        strchr("!#$%&'*+-.^_`|~", *p) != NULL))
			return "may hold only letters, digits and !#$%&'*+-.^_`|~";
	if (strncasecmp(v, "__Host-", 7) == 0 || strncasecmp(v, "__Secure-", 9) == 0)
		return "must not start with __Host- or __Secure- (added over HTTPS)";
	return NULL;
}

static const char *
config_check_hosts(const char *v)
{
	const char *p;

	for (p = v; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || config_is_digit(*p) ||
		        strchr(" .-:[]", *p) != NULL))
			return "must be exact host names separated by spaces (no wildcards)";
	return NULL;
}

static const char *
config_check_scheme(const char *v)
{
	if (strcmp(v, "argon2id") == 0 || strcmp(v, "bcrypt") == 0)
		return NULL;
	return "must be argon2id or bcrypt";
}

static const char *
config_check_login_url(const char *v)
{
	const char *host = NULL;

	if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	if (host != NULL) {
		if (*host == '\0' || *host == '/' || strpbrk(v, " \\") != NULL)
			return "must be a path like /auth/login or an http(s) URL";
		return NULL;
	}
	if (!url_next_is_safe(v, NULL))
		return "must be a path like /auth/login or an http(s) URL";
	return NULL;
}

/* -- Parsing one value ------------------------------------------------------ */

/* A suffix of a number and what it multiplies by ("m": 60 for durations). */
struct config_unit {
	const char *suffix;
	long long mult;
};

/*
 * Parses a decimal integer (negative only when allow_neg) with an optional
 * suffix from units (NULL-terminated, compared ignoring case; no suffix
 * means 1; units NULL allows none) into *out.  Returns false for anything
 * else, or when the value overflows.
 */

static bool
config_parse_number(const char *s, const struct config_unit *units, bool allow_neg, long long *out)
{
	const char *p = s;
	bool neg = false;
	long long v = 0, mult = 1;
	int d;

	if (allow_neg && *p == '-') {
		neg = true;
		p++;
	}
	if (!config_is_digit(*p))
		return false;
	for (; config_is_digit(*p); p++) {
		d = *p - '0';
		if (v > (LLONG_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (*p != '\0') {
		if (units == NULL)
			return false;
		for (; units->suffix != NULL; units++)
			if (strcasecmp(p, units->suffix) == 0)
				break;
		if (units->suffix == NULL)
			return false;
		mult = units->mult;
	}
	if (v > LLONG_MAX / mult)
		return false;
	v *= mult;
	*out = neg ? -v : v;
	return true;
}

static const struct config_unit config_duration_units[] = {
    {"s", 1},
    {"m", 60},
    {"h", 60 * 60},
    {"d", DAY},
    {NULL, 0},
};

static const struct config_unit config_size_units[] = {
    {"k", 1024},
    {"kib", 1024},
    {"m", 1024 * 1024},
    {"mib", 1024 * 1024},
    {NULL, 0},
};

static bool
config_parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* The suffixes a number of type t may carry, or NULL. */
static const struct config_unit *
config_units(enum config_type t)
{
	switch (t) {
	case CT_DURATION: return config_duration_units;
	case CT_SIZE: return config_size_units;
	default: return NULL;
	}
}

static const char *
config_type_name(enum config_type t)
{
	switch (t) {
	case CT_INT: return "an integer";
	case CT_DURATION: return "a duration (seconds, or a number with s, m, h or d)";
	case CT_SIZE: return "a size (bytes, or a number with K, KiB, M or MiB)";
	default: return "a value";
	}
}

static const char *
config_unit_name(enum config_type t)
{
	switch (t) {
	case CT_DURATION: return " seconds";
	case CT_SIZE: return " bytes";
	default: return "";
	}
}

/*
 * Parses value v of key k into l->cfg.  where tells where v came from (NULL
 * for the default), file_key whether v was read from a "KEY_file".
 */
static enum gh_err
config_set(struct config_loader *l, const struct config_key *k, const char *v,
    const struct config_origin *where, bool file_key)
{
	char *field = (char *)l->cfg + k->off;
	const char *p, *why;
	long long n;
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

/* -- Reading files -------------------------------------------------------- */

/*
 * Reads at most max bytes of path into a fresh heap buffer (NUL-terminated,
 * length in *len).  Returns 0, ERANGE when the file holds more than max
 * bytes, or the errno of the failure.
 */
static int
config_read_file(const char *path, size_t max, char **out, size_t *len)
{
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd, saved;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return errno;
	if ((buf = malloc(max + 2)) == NULL) {
		close(fd);
		return ENOMEM;
	}
	for (;;) {
		r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			saved = errno;
			crypto_wipe(buf, n);
			free(buf);
			close(fd);
			return saved;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			crypto_wipe(buf, n);
			free(buf);
			close(fd);
			return ERANGE;
		}
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
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

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, name) == 0)
			return keys[i].section;
	return NULL;
}

/*
 * Finds key name in section; *file_key tells whether name was "KEY_file"
 * for a secret KEY.  Returns the index in keys[] or -1.
 */
static long
config_key_find(const char *section, const char *name, bool *file_key)
{
	size_t i, n = strlen(name);

	*file_key = false;
	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			return (long)i;
	if (n <= 5 || strcmp(name + n - 5, "_file") != 0)
		return -1;
	for (i = 0; i < NKEYS; i++)
		if (keys[i].type == CT_SECRET && strcmp(keys[i].section, section) == 0 &&
		    strlen(keys[i].name) == n - 5 && strncmp(keys[i].name, name, n - 5) == 0) {
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
	if (keys[i].type == CT_RULES)
		return config_rule_add(l, value, &where);
	slot = &l->slots[i];
	if (slot->raw != NULL && slot->is_file == file_key)
		return config_fail(l, &keys[i], file_key, &where, "set twice (first on line %d)",
		    slot->where.line);
	if (slot->raw != NULL)
		return config_fail(l, &keys[i], file_key, &where,
		    "%s%s is already set on line %d; set one of them only", keys[i].name,
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

	for (i = 0; i < NKEYS; i++) {
		if (!config_env_name(&keys[i], "", where.env))
			return config_fail(
			    l, &keys[i], false, NULL, "internal error: name too long");
		v = getenv(where.env);
		fv = NULL;
		if (keys[i].type == CT_SECRET) {
			if (!config_env_name(&keys[i], "_FILE", fwhere.env))
				return config_fail(
				    l, &keys[i], true, NULL, "internal error: name too long");
			fv = getenv(fwhere.env);
		}
		if (keys[i].type == CT_RULES) {
			if (v != NULL && config_env_rules(l, v, &where) != GH_OK)
				return GH_ENOMEM;
			continue;
		}
		if (v != NULL && fv != NULL)
			return config_fail(l, &keys[i], true, &fwhere,
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

/* Where the value of keys[i] came from, for a message; NULL: the default. */
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
		return config_fail(l, &keys[i], false, config_where(l, i),
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
		return config_fail(l, &keys[i], false, config_where(l, i),
		    "max_password_length (%d) is less than min_password_length (%d)",
		    cfg->max_password_length, cfg->min_password_length);
	}

	if (cfg->touch_interval >= cfg->idle_timeout) {
		i = config_key_index("session", "touch_interval");
		if (config_where(l, i) == NULL)
			i = config_key_index("session", "idle_timeout");
		return config_fail(l, &keys[i], false, config_where(l, i),
		    "touch_interval (%lld s) must be shorter than idle_timeout (%lld s)",
		    (long long)cfg->touch_interval, (long long)cfg->idle_timeout);
	}

	if (strcmp(cfg->users_source, "external") == 0 && cfg->users_url == NULL) {
		i = config_key_index("users", "source");
		return config_fail(l, &keys[i], false, config_where(l, i),
		    "external needs [users] url (the database holding the users table)");
	}

	if (!url_next_is_safe(cfg->default_next, cfg->allowed_hosts)) {
		i = config_key_index("login", "default_next");
		return config_fail(l, &keys[i], false, config_where(l, i),
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

	for (i = 0; i < NKEYS; i++) {
		slot = &l->slots[i];
		if (keys[i].type == CT_RULES)
			e = config_set_rules(l, &keys[i]);
		else if (slot->raw != NULL && slot->is_file)
			e = config_set_from_file(l, &keys[i], slot->raw, &slot->where);
		else if (slot->raw != NULL)
			e = config_set(l, &keys[i], slot->raw, &slot->where, false);
		else if (keys[i].def != NULL)
			e = config_set(l, &keys[i], keys[i].def, NULL, false);
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

	for (i = 0; i < NKEYS; i++)
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
	for (i = 0; i < NKEYS; i++) {
		char **field = (char **)((char *)cfg + keys[i].off);

		switch (keys[i].type) {
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

bool
config_key_at(size_t i, const char **section, const char **name)
{
	if (i >= NKEYS)
		return false;
	*section = keys[i].section;
	*name = keys[i].name;
	return true;
}

const char *
config_secret_missing(const struct config *cfg)
{
	return cfg->secret == NULL ? "[general] secret_file: not set (a secret of at least "
	                             GH_STR(CONFIG_SECRET_MIN) " bytes is required)"
	                           : NULL;
}
