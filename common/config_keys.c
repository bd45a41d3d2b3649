/*
 * config_keys.c: every key of gatehouse.conf, declared once: its section,
 * name, type, place in struct config, default (as text, parsed by the same
 * code as a value from the file), limits and the check of its value beyond
 * its type (see config_keys.h; the loader is config.c).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_keys.h"
#include "db.h"
#include "throttle.h"
#include "url.h"
#include "user.h"

#define CONFIG_SECRET_MIN 32 /* shortest [general] secret */
#define GH_STR_(x) #x
#define GH_STR(x) GH_STR_(x)

static config_check_fn config_check_prefix, config_check_nonempty, config_check_secret,
    config_check_db_url, config_check_cookie_name, config_check_hosts, config_check_login_url,
    config_check_lookup_query, config_check_sync_query, config_check_update_query,
    config_check_proxies, config_check_issuer, config_check_audience, config_check_abs_path,
    config_check_redirects, config_check_redirect, config_check_claim, config_check_role_map,
    config_check_sso_url;

/* A key: section, name, type, the field of struct config, default, limits
 * and check; ENUM_KEY one of fixed words, stored as their index. */
#define KEY(sec, nm, ty, f, d, lo, hi, chk)                                                      \
	{                                                                                        \
		.section = (sec), .name = (nm), .type = (ty), .off = offsetof(struct config, f), \
		.size = sizeof(((struct config *)0)->f), .def = (d), .min = (lo), .max = (hi),   \
		.check = (chk)                                                                   \
	}
#define ENUM_KEY(sec, nm, f, d, words)                                                      \
	{                                                                                   \
		.section = (sec), .name = (nm), .type = CT_ENUM,                            \
		.off = offsetof(struct config, f), .size = sizeof(((struct config *)0)->f), \
		.def = (d), .choices = (words)                                              \
	}

/* The words of the CT_ENUM keys, in the order of their enums (config.h). */
static const char *const config_schemes[] = {
    [CONFIG_ARGON2ID] = "argon2id", [CONFIG_BCRYPT] = "bcrypt", NULL};
static const char *const config_users_sources[] = {
    [CONFIG_USERS_LOCAL] = "local", [CONFIG_USERS_EXTERNAL] = "external", NULL};

const struct config_key config_keys[] = {
    KEY("general", "prefix", CT_STRING, prefix, "/auth", 0, 0, config_check_prefix),
    KEY("general", "templates_dir", CT_STRING, templates_dir, DATADIR "/gatehouse/templates", 0, 0,
        config_check_nonempty),
    KEY("general", "sql_dir", CT_STRING, sql_dir, DATADIR "/gatehouse/sql", 0, 0,
        config_check_nonempty),
    KEY("general", "secret", CT_SECRET, secret, NULL, 0, 0, config_check_secret),
    KEY("general", "threads", CT_INT, threads, "4", 1, 64, NULL),
    KEY("general", "log_level", CT_LEVEL, log_level, "info", 0, 0, NULL),
    KEY("general", "log_syslog", CT_BOOL, log_syslog, "false", 0, 0, NULL),
    KEY("general", "site_name", CT_STRING, site_name, "Gatehouse", 0, 0, NULL),

    KEY("database", "url", CT_STRING, db_url,
        "sqlite://" LOCALSTATEDIR "/lib/gatehouse/gatehouse.db", 0, 0, config_check_db_url),
    KEY("database", "password", CT_SECRET, db_password, NULL, 0, 0, NULL),
    KEY("database", "busy_timeout_ms", CT_INT, db_busy_timeout_ms, "5000", 0, 600000, NULL),

    KEY("session", "cookie_name", CT_STRING, cookie_name, "gatehouse", 0, 0,
        config_check_cookie_name),
    KEY("session", "insecure_cookies", CT_BOOL, insecure_cookies, "false", 0, 0, NULL),
    KEY("session", "idle_timeout", CT_DURATION, idle_timeout, "30m", 1, 365 * DAY, NULL),
    KEY("session", "absolute_timeout", CT_DURATION, absolute_timeout, "12h", 1, 365 * DAY, NULL),
    KEY("session", "remember_timeout", CT_DURATION, remember_timeout, "30d", 1, 365 * DAY, NULL),
    KEY("session", "touch_interval", CT_DURATION, touch_interval, "60", 0, DAY, NULL),

    KEY("login", "default_next", CT_STRING, default_next, "/", 0, 0, NULL),
    KEY("login", "allowed_hosts", CT_STRING, allowed_hosts, "", 0, 0, config_check_hosts),
    KEY("login", "max_body", CT_SIZE, max_body, "8192", 1024, 1024 * 1024, NULL),
    ENUM_KEY("login", "password_scheme", password_scheme, "argon2id", config_schemes),
    KEY("login", "bcrypt_cost", CT_INT, bcrypt_cost, "12", 4, 31, NULL),
    KEY("login", "argon2_memory_kib", CT_INT, argon2_memory_kib, "19456", 1024, 4194304, NULL),
    KEY("login", "argon2_time", CT_INT, argon2_time, "2", 1, 100, NULL),
    KEY("login", "argon2_parallelism", CT_INT, argon2_parallelism, "1", 1, 16, NULL),
    KEY("login", "allow_weak_hashing", CT_BOOL, allow_weak_hashing, "false", 0, 0, NULL),
    KEY("login", "min_password_length", CT_INT, min_password_length, "12", 8, 1024, NULL),
    KEY("login", "max_password_length", CT_INT, max_password_length, "128", 64, 4096, NULL),
    KEY("login", "lockout_threshold", CT_INT, lockout_threshold, "5", 1, 1000000, NULL),
    KEY("login", "lockout_base", CT_DURATION, lockout_base, "1m", 1, DAY, NULL),
    KEY("login", "lockout_max", CT_DURATION, lockout_max, "1h", 1, DAY, NULL),

    KEY("throttle", "max_failures", CT_INT, throttle_max_failures, "20", 1, 1000000, NULL),
    KEY("throttle", "window", CT_DURATION, throttle_window, "5m", 1, DAY, NULL),
    KEY("throttle", "trusted_proxies", CT_STRING, throttle_trusted_proxies, "", 0, 0,
        config_check_proxies),

    ENUM_KEY("users", "source", users_source, "local", config_users_sources),
    KEY("users", "url", CT_STRING, users_url, NULL, 0, 0, config_check_db_url),
    KEY("users", "password", CT_SECRET, users_password, NULL, 0, 0, NULL),
    KEY("users", "lookup_query", CT_STRING, users_lookup_query,
        "SELECT user_id, username, email, password_hash, is_active FROM users "
        "WHERE (username = ? OR email = ?) LIMIT 1",
        0, 0, config_check_lookup_query),
    KEY("users", "sync_query", CT_STRING, users_sync_query, NULL, 0, 0, config_check_sync_query),
    KEY("users", "update_last_login", CT_STRING, users_update_last_login, NULL, 0, 0,
        config_check_update_query),
    ENUM_KEY("users", "password_scheme", users_password_scheme, "bcrypt", config_schemes),
    KEY("users", "bcrypt_cost", CT_INT, users_bcrypt_cost, "10", 4, 31, NULL),

    /* login_url: no default here, config_finish() derives it from prefix. */
    KEY("check", "login_url", CT_STRING, login_url, NULL, 0, 0, config_check_login_url),
    KEY("check", "rule", CT_RULES, rules, NULL, 0, 0, NULL),
    KEY("check", "cache", CT_BOOL, check_cache, "on", 0, 0, NULL),
    KEY("check", "cache_max_age", CT_DURATION, check_cache_max_age, "30s", 1, 3600, NULL),
    KEY("check", "cache_poll_interval", CT_DURATION_MS, check_cache_poll_ms, "100ms", 10, 10000,
        NULL),
    KEY("check", "cache_size", CT_INT, check_cache_size, "10000", 4, 10000000, NULL),

    KEY("sso", "keys_dir", CT_STRING, sso_keys_dir, SYSCONFDIR "/gatehouse/keys", 0, 0,
        config_check_nonempty),
    /* public_keys_file: no default here, config_finish() derives it from keys_dir. */
    KEY("sso", "public_keys_file", CT_STRING, sso_public_keys_file, NULL, 0, 0,
        config_check_nonempty),
    KEY("sso", "issuer", CT_STRING, sso_issuer, NULL, 0, 0, config_check_issuer),
    KEY("sso", "out_lifetime", CT_DURATION, sso_out_lifetime, "60s", 10, 300, NULL),

    KEY("token", "access_lifetime", CT_DURATION, token_access_lifetime, "15m", 60, 3600, NULL),
    KEY("token", "audience", CT_STRING, token_audience, NULL, 0, 0, config_check_audience),

    KEY("audit", "retention", CT_DURATION, audit_retention, "90d", 0, 3650 * DAY, NULL),
};

const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);
_Static_assert(sizeof(config_keys) / sizeof(config_keys[0]) <= CONFIG_KEYS_MAX,
    "CONFIG_KEYS_MAX is too small for the key table");

/* A key of a "[partner NAME]" section: the field of struct config_partner. */
#define PARTNER_KEY(nm, ty, f, d, lo, hi, chk)                                            \
	{                                                                                 \
		.section = "partner", .name = (nm), .type = (ty),                         \
		.off = offsetof(struct config_partner, f),                                \
		.size = sizeof(((struct config_partner *)0)->f), .def = (d), .min = (lo), \
		.max = (hi), .check = (chk)                                               \
	}
#define PARTNER_ENUM_KEY(nm, f, d, words)                                                       \
	{                                                                                       \
		.section = "partner", .name = (nm), .type = CT_ENUM,                            \
		.off = offsetof(struct config_partner, f),                                      \
		.size = sizeof(((struct config_partner *)0)->f), .def = (d), .choices = (words) \
	}

static const char *const config_algs[] = {[CONFIG_HS256] = "HS256",
    [CONFIG_HS384] = "HS384",
    [CONFIG_HS512] = "HS512",
    [CONFIG_RS256] = "RS256",
    [CONFIG_RS384] = "RS384",
    [CONFIG_RS512] = "RS512",
    [CONFIG_ES256] = "ES256",
    [CONFIG_ES384] = "ES384",
    NULL};
static const char *const config_user_claims[] = {[CONFIG_CLAIM_SUB] = "sub",
    [CONFIG_CLAIM_EMAIL] = "email",
    [CONFIG_CLAIM_PREFERRED_USERNAME] = "preferred_username",
    NULL};

/* algorithm has no default: config_partner.c tells a partner that sets it
 * from one that does not by its slot, and out_audience's default is the
 * partner's NAME, set there too. */
const struct config_key config_partner_keys[] = {
    PARTNER_KEY("issuer", CT_STRING, issuer, NULL, 0, 0, config_check_issuer),
    PARTNER_KEY("audience", CT_STRING, audience, NULL, 0, 0, config_check_audience),
    PARTNER_ENUM_KEY("algorithm", algorithm, NULL, config_algs),
    PARTNER_KEY("secret", CT_SECRET, secret, NULL, 0, 0, NULL),
    PARTNER_KEY("public_key_file", CT_STRING, public_key_file, NULL, 0, 0, config_check_abs_path),
    PARTNER_KEY("jwks_file", CT_STRING, jwks_file, NULL, 0, 0, config_check_abs_path),
    PARTNER_ENUM_KEY("user_claim", user_claim, "sub", config_user_claims),
    PARTNER_KEY("redirect", CT_STRING, redirect, NULL, 0, 0, config_check_redirects),
    PARTNER_KEY("default_redirect", CT_STRING, default_redirect, "/", 0, 0, config_check_redirect),
    PARTNER_KEY("auto_provision", CT_BOOL, auto_provision, "false", 0, 0, NULL),
    PARTNER_KEY("role_claim", CT_STRING, role_claim, NULL, 0, 0, config_check_claim),
    PARTNER_KEY("role_map", CT_STRING, role_map, NULL, 0, 0, config_check_role_map),
    PARTNER_KEY("allow_admin", CT_BOOL, allow_admin, "false", 0, 0, NULL),
    PARTNER_KEY("max_lifetime", CT_DURATION, max_lifetime, "5m", 10, 3600, NULL),
    PARTNER_KEY("skew", CT_DURATION, skew, "60s", 0, 300, NULL),
    PARTNER_KEY("sso_url", CT_STRING, sso_url, NULL, 0, 0, config_check_sso_url),
    PARTNER_KEY("out_audience", CT_STRING, out_audience, NULL, 0, 0, config_check_audience),
};

const size_t config_partner_nkeys = sizeof(config_partner_keys) / sizeof(config_partner_keys[0]);
_Static_assert(
    sizeof(config_partner_keys) / sizeof(config_partner_keys[0]) <= CONFIG_PARTNER_KEYS_MAX,
    "CONFIG_PARTNER_KEYS_MAX is too small for the partner key table");

/* config_is_http_url tells whether v starts with http:// or https:// and a
 * host (not a path, query, fragment, port or userinfo right away). */
static bool
config_is_http_url(const char *v)
{
	const char *host;

	if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	else
		return false;
	return *host != '\0' && strchr("/?#:@", *host) == NULL;
}

/* The iss of the tokens Gatehouse signs, or of a partner's: an absolute
 * http(s) URL, compared byte for byte. */
static const char *
config_check_issuer(const char *v)
{
	if (!config_is_http_url(v))
		return "must be an absolute http:// or https:// URL";
	if (strlen(v) > 255)
		return "longer than 255 bytes";
	if (strpbrk(v, " \"#") != NULL)
		return "must not hold a space, '\"' or '#'";
	return NULL;
}

static bool
config_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
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

/* config_check_select: v is one SELECT statement with at least one "?";
 * no_placeholder is the reason given when it has none. */
static const char *
config_check_select(const char *v, const char *no_placeholder)
{
	if (strncasecmp(v, "SELECT ", 7) != 0)
		return "must be a SELECT statement";
	if (strchr(v, '?') == NULL)
		return no_placeholder;
	if (strchr(v, ';') != NULL)
		return "must be one statement (no ;)";
	return NULL;
}

/* The external lookup: a SELECT with at least one "?" (the login name). */
static const char *
config_check_lookup_query(const char *v)
{
	return config_check_select(v, "must have a ? placeholder for the login name");
}

/* The optional sync lookup: a SELECT with at least one "?" (the external id). */
static const char *
config_check_sync_query(const char *v)
{
	return config_check_select(v, "must have a ? placeholder for the external user id");
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
config_check_proxies(const char *v)
{
	return throttle_trusted_problem(v);
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

/* -- Checks on the values of a partner's keys ----------------------------- */

/* An aud claim: compared byte for byte, so any text, but some. */
static const char *
config_check_audience(const char *v)
{
	if (v[0] == '\0')
		return "must not be empty";
	if (strlen(v) > 255)
		return "longer than 255 bytes";
	return NULL;
}

/* A file read at start by another program than the one checking it: only
 * its form is checked here. */
static const char *
config_check_abs_path(const char *v)
{
	return v[0] == '/' ? NULL : "must be an absolute path";
}

/* config_redirect_is_valid tells whether v[0..n) is an absolute http(s) URL
 * or a path starting with a single "/" (not "//" nor "/\"), without a
 * space or a backslash. */
static bool
config_redirect_is_valid(const char *v, size_t n)
{
	char entry[URL_NEXT_MAX + 1];

	if (n == 0 || n > URL_NEXT_MAX)
		return false;
	memcpy(entry, v, n);
	entry[n] = '\0';
	if (strpbrk(entry, " \\") != NULL)
		return false;
	if (entry[0] == '/')
		return entry[1] != '/' && url_next_is_safe(entry, NULL);
	return config_is_http_url(entry);
}

/* The targets a partner may send its users to, separated by spaces. */
static const char *
config_check_redirects(const char *v)
{
	const char *p = v;
	size_t n;

	for (;;) {
		p += strspn(p, " ");
		if (*p == '\0')
			return NULL;
		n = strcspn(p, " ");
		if (!config_redirect_is_valid(p, n))
			return "each entry must be an absolute http:// or https:// URL or a path "
			       "starting with a single /";
		p += n;
	}
}

/* One target, checked against the partner's redirect entries later. */
static const char *
config_check_redirect(const char *v)
{
	if (!config_redirect_is_valid(v, strlen(v)))
		return "must be an absolute http:// or https:// URL or a path starting with a "
		       "single /";
	return NULL;
}

/* The name of a claim of a partner's token. */
static const char *
config_check_claim(const char *v)
{
	static const char why[] = "must be 1 to 64 letters, digits, '_', ':', '.' or '-'";
	size_t n = strlen(v);

	if (n < 1 || n > 64)
		return why;
	if (strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:.-") != n)
		return why;
	return NULL;
}

/* "theirs:ours" pairs separated by spaces: ours (after the last ':', so
 * that theirs may hold one, as URNs do) is a role name, theirs not empty. */
static const char *
config_check_role_map(const char *v)
{
	char ours[64 + 2]; /* role names are at most 64 bytes (user.h) */
	const char *p = v, *colon;
	size_t n, m;

	for (;;) {
		p += strspn(p, " ");
		if (*p == '\0')
			return NULL;
		n = strcspn(p, " ");
		for (colon = p + n - 1; colon > p && *colon != ':'; colon--)
			;
		if (*colon != ':' || colon == p)
			return "each entry must be THEIRS:OURS (THEIRS the partner's role, OURS "
			       "one "
			       "of ours)";
		/* Longer than role names may be: cut to one byte over their
		 * limit, which role_valid_name refuses. */
		m = (size_t)(p + n - colon - 1);
		if (m > sizeof(ours) - 1)
			m = sizeof(ours) - 1;
		memcpy(ours, colon + 1, m);
		ours[m] = '\0';
		if (!role_valid_name(ours))
			return "in THEIRS:OURS, OURS must be a role name (1 to 64 letters, digits, "
			       "'_' or '-')";
		p += n;
	}
}

/* Where outbound SSO sends the user, with our token added to its query. */
static const char *
config_check_sso_url(const char *v)
{
	if (!config_is_http_url(v))
		return "must be an absolute http:// or https:// URL";
	if (strlen(v) > URL_NEXT_MAX)
		return "longer than " GH_STR(URL_NEXT_MAX) " bytes";
	if (strpbrk(v, " #\\") != NULL)
		return "must not hold a space, '#' or '\\'";
	return NULL;
}

bool
config_key_at(size_t i, const char **section, const char **name)
{
	if (i < config_nkeys) {
		*section = config_keys[i].section;
		*name = config_keys[i].name;
		return true;
	}
	if (i - config_nkeys < config_partner_nkeys) {
		*section = "partner NAME";
		*name = config_partner_keys[i - config_nkeys].name;
		return true;
	}
	return false;
}

const char *
config_secret_missing(const struct config *cfg)
{
	return cfg->secret == NULL ? "[general] secret_file: not set (a secret of at least " GH_STR(
	                                 CONFIG_SECRET_MIN) " bytes is required)"
	                           : NULL;
}
