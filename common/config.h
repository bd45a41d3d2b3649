/*
 * config.h: gatehouse.conf, the one configuration file of every program.
 *
 * INI syntax: "[section]" lines, "key = value" lines, "#" or ";" comments on
 * their own line, blank lines.  Known keys are declared once in a table in
 * config_keys.c (type, default, limits); an unknown section or key, a bad value,
 * or a line that is not one of the above stops the program with
 * "FILE:LINE: [section] key: reason".  Besides the fixed sections, any
 * number (up to CONFIG_PARTNERS_MAX) of "[partner NAME]" sections, each
 * with its own set of keys (struct config_partner).  Then every key can be
 * overridden by the environment variable GATEHOUSE_<SECTION>_<KEY> (upper
 * case; GATEHOUSE_PARTNER_<NAME>_<KEY> for a partner the file declares, '-'
 * as '_'), and a key "X_file" names a file whose first line becomes the
 * value of secret "X" (so secrets never appear in ps or in the web server's
 * environment).
 *
 * The file is found by the --config option, then $GATEHOUSE_CONFIG, then
 * SYSCONFDIR/gatehouse/gatehouse.conf.
 */
#ifndef GH_CONFIG_H
#define GH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "err.h"

/* The least hash costs accepted without [login] allow_weak_hashing (OWASP
 * Password Storage Cheat Sheet: bcrypt 10, argon2id m=19 MiB, t=2). */
#define CONFIG_BCRYPT_COST_MIN 10
#define CONFIG_ARGON2_MEMORY_KIB_MIN 19456
#define CONFIG_ARGON2_TIME_MIN 2

/* The values of a key with a fixed set of words (CT_ENUM in config_keys.h),
 * in the order of its words. */
enum config_scheme { CONFIG_ARGON2ID, CONFIG_BCRYPT };
enum config_users_source { CONFIG_USERS_LOCAL, CONFIG_USERS_EXTERNAL };
/* A JWS algorithm a partner may use (the words "HS256" ... "ES384"). */
enum config_alg {
	CONFIG_HS256,
	CONFIG_HS384,
	CONFIG_HS512,
	CONFIG_RS256,
	CONFIG_RS384,
	CONFIG_RS512,
	CONFIG_ES256,
	CONFIG_ES384,
};
/* The claim of a partner's token that names the user. */
enum config_user_claim { CONFIG_CLAIM_SUB, CONFIG_CLAIM_EMAIL, CONFIG_CLAIM_PREFERRED_USERNAME };

/* Longest partner name: [a-z0-9][a-z0-9_-]*, the NAME of "[partner NAME]". */
#define CONFIG_PARTNER_NAME_MAX 32
/* Most "[partner NAME]" sections in one file. */
#define CONFIG_PARTNERS_MAX 64

/*
 * One "[partner NAME]" section: a site that sends its users here with a
 * signed JWT (inbound, when issuer is set) and/or receives ours (outbound,
 * when sso_url is set).  Strings are NULL when not set.
 */
struct config_partner {
	char *name; /* NAME */
	/* Inbound: the token's iss must equal issuer and its aud (a string or
	 * an array) must hold audience; signed with algorithm only, by secret
	 * (HS*: at least 32/48/64 bytes) or by public_key_file (a PEM public
	 * key) or by the key of jwks_file whose kid the token names (RS*, ES*:
	 * exactly one of the two). */
	char *issuer;
	char *audience;
	enum config_alg algorithm; /* required when issuer is set */
	char *secret;              /* CT_SECRET: secret_file recommended */
	char *public_key_file;
	char *jwks_file;
	enum config_user_claim user_claim; /* default sub */
	char *redirect;                    /* allowed targets, space-separated (see sso(8)) */
	char *default_redirect;            /* when the partner names none, default "/" */
	bool auto_provision;               /* create unknown users, default false */
	char *role_claim;                  /* the claim holding the partner's roles, NULL: none */
	char *role_map;                    /* "theirs:ours" pairs, space-separated */
	bool allow_admin;                  /* role_map may give "admin", default false */
	int64_t max_lifetime;              /* seconds exp may be ahead of now, default 300 */
	int64_t skew;                      /* seconds of clock skew allowed, default 60 */
	/* Outbound: <prefix>/sso/out?partner=NAME sends users to sso_url with
	 * our token (aud = out_audience, default NAME). */
	char *sso_url;
	char *out_audience;
};

struct config {
	/* [general] */
	char *prefix;        /* route prefix, default "/auth" */
	char *templates_dir; /* default DATADIR/gatehouse/templates */
	char *sql_dir;       /* default DATADIR/gatehouse/sql */
	char *secret;        /* HMAC key for CSRF tokens; secret_file recommended */
	int threads;         /* worker threads per responder, default 4 */
	int log_level;       /* LOG_* from log.h, default LOG_INFO */
	bool log_syslog;     /* also log to syslog, default false */
	char *site_name;     /* shown in page titles, default "Gatehouse" */

	/* [database] */
	/* sqlite:///path, default sqlite://LOCALSTATEDIR/lib/gatehouse/gatehouse.db */
	char *db_url;
	char *db_password;          /* for server databases; password_file recommended */
	int64_t db_busy_timeout_ms; /* default 5000 */

	/* [session] */
	char *cookie_name;        /* default "gatehouse"; "__Host-" is prefixed over HTTPS */
	bool insecure_cookies;    /* allow the cookie over plain HTTP, default false */
	int64_t idle_timeout;     /* seconds, default 1800 */
	int64_t absolute_timeout; /* seconds, default 43200 */
	int64_t remember_timeout; /* seconds, default 2592000 (30 days) */
	int64_t touch_interval;   /* seconds between last_seen_at writes, default 60 */

	/* [login] */
	char *default_next;  /* where to go after login when next is unsafe, default "/" */
	char *allowed_hosts; /* space-separated hosts next may name, default "" */
	size_t max_body;     /* largest POST body in bytes, default 8192 */
	enum config_scheme password_scheme; /* default argon2id */
	int bcrypt_cost;                    /* default 12 */
	int argon2_memory_kib;              /* default 19456 */
	int argon2_time;                    /* default 2 */
	int argon2_parallelism;             /* default 1 */
	bool allow_weak_hashing;            /* below the CONFIG_*_MIN floors (tests); false */
	int min_password_length;            /* default 12 */
	int max_password_length;            /* default 128 */
	int lockout_threshold;              /* failures that lock an account, default 5 */
	int64_t lockout_base;               /* seconds of the first lockout, default 60 */
	int64_t lockout_max;                /* longest lockout in seconds, default 3600 */

	/* [throttle] */
	int throttle_max_failures;      /* failures per client and window, default 20 */
	int64_t throttle_window;        /* seconds, default 300 */
	char *throttle_trusted_proxies; /* addresses allowed X-Forwarded-For, default "" */

	/* [users] */
	enum config_users_source users_source; /* default local */
	char *users_url;                       /* database of the external users table */
	char *users_password;                  /* its password; password_file recommended */
	char *users_lookup_query;      /* SELECT returning id, username, email, hash, active */
	char *users_update_last_login; /* optional UPDATE ... WHERE id = ? */
	char *users_sync_query;        /* optional SELECT by external id, for user sync */
	enum config_scheme users_password_scheme; /* the table's hashes, default bcrypt */
	int users_bcrypt_cost; /* their bcrypt cost, default 10 (for the dummy hash) */

	/* [check] */
	char *login_url;           /* where browsers are sent, default "<prefix>/login" */
	struct access_rule *rules; /* "rule" lines, in order; default deny after them */
	size_t nrules;
	bool check_cache;            /* the session cache on server databases, default on */
	int64_t check_cache_max_age; /* seconds an entry is trusted, default 30 */
	int64_t check_cache_poll_ms; /* MariaDB: the change log's poll interval, default 100 */
	int check_cache_size;        /* entries at most, default 10000 */

	/* [sso] */
	char *sso_keys_dir; /* Gatehouse's signing keys, default SYSCONFDIR/gatehouse/keys */
	char *sso_public_keys_file; /* their public halves (JWKS), default keys_dir + ".jwks" */
	char *sso_issuer;           /* iss of the tokens Gatehouse signs (required to sign) */
	int64_t sso_out_lifetime;   /* seconds an outbound SSO token lives, default 60 */

	/* [token]: the token API (gatehouse-sso's <prefix>/token, jwt_access.h) */
	int64_t token_access_lifetime; /* seconds an access token lives, default 900 */
	char *token_audience;          /* aud of access tokens; NULL: [sso] issuer */

	/* [partner NAME] sections, in the file's order. */
	struct config_partner *partners;
	size_t npartners;

	/* [audit] */
	int64_t
	    audit_retention; /* seconds security_log rows are kept (purge), 0 forever; 90 days */

	/* Where the values came from, for messages. */
	char *path;
};

/* config_load reads path (or, when NULL, the file found as described above)
 * into cfg, applies environment overrides and *_file secrets and checks every
 * value.  On error it writes "FILE:LINE: [section] key: reason" to err
 * (errlen bytes) and returns GH_ECONFIG; cfg is then cleaned up already. */
enum gh_err config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/* config_load_string is config_load on text held in memory (name is used in
 * messages); used by tests and the fuzzer. */
enum gh_err config_load_string(
    struct config *cfg, const char *name, const char *text, char *err, size_t errlen);
/* config_hashing_is_weak tells whether a [login] hash cost is below its
 * CONFIG_*_MIN floor (which config_load accepts only with allow_weak_hashing). */
bool config_hashing_is_weak(const struct config *cfg);
/* config_cleanup frees everything, wiping secrets; harmless on a zeroed cfg. */
void config_cleanup(struct config *cfg);
/* config_default_path returns the path config_load would use for NULL. */
const char *config_default_path(void);

/* config_secret_missing returns why the programs that sign (the responders;
 * gatehousectl check) cannot start without [general] secret, or NULL when
 * it is set (a secret that is set is at least CONFIG_SECRET_MIN bytes: the
 * loader refuses a shorter one). */
const char *config_secret_missing(const struct config *cfg);

/* config_read_file reads at most max bytes of path (a file the
 * configuration names: a secret, a key) into a fresh NUL-terminated buffer
 * (*len bytes before the NUL): 0, ERANGE when larger, or the errno. */
int config_read_file(const char *path, size_t max, char **out, size_t *len);

/* config_token_audience is the aud of access tokens: [token] audience, or
 * [sso] issuer when it is not set (NULL when neither is). */
const char *config_token_audience(const struct config *cfg);

/* config_partner_find returns the partner named exactly name (owned by
 * cfg), or NULL when there is none or name is NULL. */
const struct config_partner *config_partner_find(const struct config *cfg, const char *name);

/* config_key_at gives the section and name of the i-th key the
 * configuration knows (from 0): those of the fixed sections, then those of
 * a partner, whose section is "partner NAME"; false past the last.  For the
 * test that every key is in gatehouse.conf(5). */
bool config_key_at(size_t i, const char **section, const char **name);

#endif
