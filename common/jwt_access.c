/*
 * jwt_access.c: the access tokens of the token API (see jwt_access.h).
 *
 * Verification is jws.c's, with the rules of an access token: the one
 * issuer, the one audience, a lifetime of at most [token] access_lifetime,
 * a jti.  The keys are Gatehouse's published ones, split by algorithm so
 * that each jws_key pins one; a token is tried against the set its header's
 * algorithm names (jws_verify refuses any other name before it looks
 * further, so trying the other set costs a string compare).  What the
 * claims say is then read with its types and sizes checked: a token signed
 * by our key but not of our making (a bug, a stolen key) still cannot
 * overflow a field or give the check a user id it did not sign.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "config.h"
#include "jwt_access.h"

/* -- Keys ---------------------------------------------------------------- */

/* jwt_access_set parses doc (a {"keys": [...]} of one algorithm) into set;
 * an empty doc leaves set empty. */
static enum gh_err
jwt_access_set(json_t *doc, struct jwks *set, char *err, size_t errlen)
{
	char *text;
	enum gh_err e;

	if (json_array_size(json_object_get(doc, "keys")) == 0)
		return GH_OK;
	if ((text = json_dumps(doc, JSON_COMPACT)) == NULL)
		return GH_ENOMEM;
	e = jwks_parse(text, strlen(text), set, err, errlen);
	free(text);
	return e;
}

/* jwt_access_split puts each key of the JWKS document text (path's) into
 * es or rs by its "alg": GH_EINVAL, with err, for a document of another
 * shape or a key of another algorithm (jwks_parse checks the rest). */
static enum gh_err
jwt_access_split(const char *path, const char *text, size_t len, json_t *es, json_t *rs, char *err,
    size_t errlen)
{
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL), *keys, *k;
	const char *alg;
	enum gh_err e = GH_OK;
	size_t i;

	if (!json_is_array(keys = json_object_get(doc, "keys"))) {
		snprintf(err, errlen, "%s: not a JWKS document (gatehousectl keys publish)", path);
		json_decref(doc);
		return GH_EINVAL;
	}
	json_array_foreach(keys, i, k)
	{
		alg = json_string_value(json_object_get(k, "alg"));
		if (alg != NULL && strcmp(alg, "ES256") == 0)
			e = json_array_append(json_object_get(es, "keys"), k) == 0 ? GH_OK
			                                                           : GH_ENOMEM;
		else if (alg != NULL && strcmp(alg, "RS256") == 0)
			e = json_array_append(json_object_get(rs, "keys"), k) == 0 ? GH_OK
			                                                           : GH_ENOMEM;
		else {
			snprintf(
			    err, errlen, "%s: keys[%zu]: \"alg\" is not ES256 or RS256", path, i);
			e = GH_EINVAL;
		}
		if (e != GH_OK)
			break;
	}
	json_decref(doc);
	return e;
}

/* jwt_access_keys_parse reads the JWKS document text[0..len) (of what:
 * a file's path, for messages) into out. */
static enum gh_err
jwt_access_keys_parse(const char *what, const char *text, size_t len, struct jwt_access_keys *out,
    char *err, size_t errlen)
{
	json_t *es = json_pack("{s:[]}", "keys"), *rs = json_pack("{s:[]}", "keys");
	enum gh_err e;

	if (es == NULL || rs == NULL)
		e = GH_ENOMEM;
	else if ((e = jwt_access_split(what, text, len, es, rs, err, errlen)) == GH_OK &&
	         (e = jwt_access_set(es, &out->es256, err, errlen)) == GH_OK)
		e = jwt_access_set(rs, &out->rs256, err, errlen);
	out->loaded = e == GH_OK && (out->es256.nkeys > 0 || out->rs256.nkeys > 0);
	if (e != GH_OK) {
		char why[512];

		/* jwks_parse's reasons name the key, not the file: add it. */
		snprintf(why, sizeof(why), "%s", err);
		if (why[0] == '\0')
			snprintf(err, errlen, "%s: cannot read the public keys: %s", what,
			    gh_strerror(e));
		else if (strncmp(why, what, strlen(what)) != 0)
			snprintf(err, errlen, "%s: %s", what, why);
		jwt_access_keys_cleanup(out);
	}
	json_decref(es);
	json_decref(rs);
	return e;
}

enum gh_err
jwt_access_keys_load(
    const struct config *cfg, struct jwt_access_keys *out, char *err, size_t errlen)
{
	const char *path = cfg->sso_public_keys_file;
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	enum gh_err e;

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	/* No file: no key published yet (gatehousectl keys generate writes it). */
	if (path == NULL || (lstat(path, &st) != 0 && errno == ENOENT))
		return GH_OK;
	if ((e = jwks_read_file(path, &text, &len, err, errlen)) != GH_OK)
		return e;
	e = jwt_access_keys_parse(path, text, len, out, err, errlen);
	free(text);
	return e;
}

enum gh_err
jwt_access_keys_of(
    const struct signkey_set *set, struct jwt_access_keys *out, char *err, size_t errlen)
{
	char *text = NULL;
	enum gh_err e;

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	if ((e = signkey_jwks(set, &text)) != GH_OK) {
		snprintf(
		    err, errlen, "[sso] keys_dir: cannot read the public keys: %s", gh_strerror(e));
		return e;
	}
	e = jwt_access_keys_parse("[sso] keys_dir", text, strlen(text), out, err, errlen);
	free(text);
	return e;
}

void
jwt_access_keys_cleanup(struct jwt_access_keys *keys)
{
	jwks_cleanup(&keys->es256);
	jwks_cleanup(&keys->rs256);
	keys->loaded = false;
}

/* -- Verification -------------------------------------------------------- */

/* jwt_access_text copies the string claim name into out (outlen bytes):
 * false when it is absent (unless optional), not a string, holds a NUL or
 * does not fit. */
static bool
jwt_access_text(const json_t *claims, const char *name, bool optional, char *out, size_t outlen)
{
	const json_t *v = json_object_get(claims, name);
	size_t n;

	if (v == NULL) {
		out[0] = '\0';
		return optional;
	}
	if (!json_is_string(v))
		return false;
	n = json_string_length(v);
	if (n >= outlen || strlen(json_string_value(v)) != n)
		return false;
	memcpy(out, json_string_value(v), n + 1);
	return true;
}

/* jwt_access_roles joins the array claim "roles" into out, comma-separated:
 * false for anything but an array of role names that fits. */
static bool
jwt_access_roles(const json_t *claims, char *out, size_t outlen)
{
	const json_t *a = json_object_get(claims, "roles"), *v;
	size_t i, o = 0, n;
	const char *s;

	if (!json_is_array(a))
		return false;
	out[0] = '\0';
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return false;
		s = json_string_value(v);
		n = json_string_length(v);
		if (n == 0 || strlen(s) != n || strchr(s, ',') != NULL || o + n + 2 > outlen)
			return false;
		if (o > 0)
			out[o++] = ',';
		memcpy(out + o, s, n + 1);
		o += n;
	}
	return true;
}

/* jwt_access_read fills out from verified claims: false when one is
 * missing or of the wrong form. */
static bool
jwt_access_read(const json_t *claims, struct jwt_access_claims *out)
{
	const json_t *uid = json_object_get(claims, "uid");

	if (!json_is_integer(uid) || json_integer_value(uid) <= 0)
		return false;
	out->user_id = (int64_t)json_integer_value(uid);
	out->iat = (int64_t)json_integer_value(json_object_get(claims, "iat"));
	out->exp = (int64_t)json_integer_value(json_object_get(claims, "exp"));
	return json_is_integer(json_object_get(claims, "iat")) &&
	       jwt_access_text(claims, "jti", false, out->jti, sizeof(out->jti)) &&
	       strlen(out->jti) == CRYPTO_TOKEN_LEN &&
	       jwt_access_text(claims, "sub", false, out->username, sizeof(out->username)) &&
	       out->username[0] != '\0' &&
	       jwt_access_text(claims, "email", true, out->email, sizeof(out->email)) &&
	       jwt_access_roles(claims, out->roles, sizeof(out->roles));
}

enum jws_refusal
jwt_access_verify(const struct config *cfg, const struct jwt_access_keys *keys, const char *token,
    int64_t now, struct jwt_access_claims *out)
{
	const struct jws_rules rules = {
	    .issuer = cfg->sso_issuer,
	    .audience = config_token_audience(cfg),
	    .max_lifetime = cfg->token_access_lifetime,
	    .skew = JWT_ACCESS_SKEW,
	    .require_jti = true,
	};
	const struct jws_key es = {.alg = CONFIG_ES256, .jwks = &keys->es256};
	const struct jws_key rs = {.alg = CONFIG_RS256, .jwks = &keys->rs256};
	json_t *claims = NULL;
	enum jws_refusal r;

	memset(out, 0, sizeof(*out));
	if (!keys->loaded || rules.issuer == NULL || rules.audience == NULL)
		return JWS_UNKNOWN_KID;
	r = jws_verify(token, &es, &rules, now, &claims);
	if (r == JWS_WRONG_ALG)
		r = jws_verify(token, &rs, &rules, now, &claims);
	if (r != JWS_OK)
		return r;
	if (!jwt_access_read(claims, out)) {
		memset(out, 0, sizeof(*out));
		r = JWS_BAD_CLAIM;
	}
	json_decref(claims);
	return r;
}

/* -- Signing ------------------------------------------------------------- */

enum gh_err
jwt_access_sign(const struct config *cfg, const struct signkey *k,
    const struct jwt_access_claims *c, char **token)
{
	const char *audience = config_token_audience(cfg);
	json_t *claims, *roles;
	const char *r, *e;
	enum gh_err err;

	*token = NULL;
	if (cfg->sso_issuer == NULL || audience == NULL)
		return GH_ECONFIG;
	if ((roles = json_array()) == NULL)
		return GH_ENOMEM;
	for (r = c->roles; *r != '\0'; r = *e == ',' ? e + 1 : e) {
		if ((e = strchr(r, ',')) == NULL)
			e = r + strlen(r);
		if (e > r && json_array_append_new(roles, json_stringn(r, (size_t)(e - r))) != 0) {
			json_decref(roles);
			return GH_ENOMEM;
		}
	}
	claims = json_pack("{s:s, s:s, s:s, s:I, s:o, s:s, s:I, s:I}", "iss", cfg->sso_issuer,
	    "aud", audience, "sub", c->username, "uid", (json_int_t)c->user_id, "roles", roles,
	    "jti", c->jti, "iat", (json_int_t)c->iat, "exp", (json_int_t)c->exp);
	if (claims == NULL)
		return GH_ENOMEM;
	if (c->email[0] != '\0' && json_object_set_new(claims, "email", json_string(c->email)) != 0)
		err = GH_ENOMEM;
	else
		err = jws_sign(k->alg == SIGNKEY_ES256 ? CONFIG_ES256 : CONFIG_RS256, k->pem,
		    k->pem_len, k->kid, claims, token);
	json_decref(claims);
	return err;
}

/* -- Blacklist ----------------------------------------------------------- */

enum gh_err
jwt_access_revoked(struct db *db, const char *jti, bool *revoked)
{
	struct db_stmt *st;
	enum gh_err e;
	bool row = false;

	*revoked = true; /* fail closed */
	if ((e = db_prepare(db, "SELECT 1 FROM revoked_jti WHERE jti = ?", &st)) != GH_OK)
		return e;
	if ((e = db_bind_text(st, 1, jti)) == GH_OK && (e = db_step(st, &row)) == GH_OK)
		*revoked = row;
	db_done(st);
	return e;
}

/* A jti revoked twice stays once, without an error: on PostgreSQL a
 * failed INSERT would end the caller's transaction. */
static const char *const jwt_access_revoke_sql[DB_NDIALECTS] = {
    [DB_SQLITE] = "INSERT INTO revoked_jti (jti, expires_at) VALUES (?, ?) "
                  "ON CONFLICT (jti) DO NOTHING",
    [DB_MYSQL] = "INSERT IGNORE INTO revoked_jti (jti, expires_at) VALUES (?, ?)",
    [DB_POSTGRESQL] = "INSERT INTO revoked_jti (jti, expires_at) VALUES (?, ?) "
                      "ON CONFLICT (jti) DO NOTHING",
};

enum gh_err
jwt_access_revoke(struct db *db, const char *jti, int64_t expires_at)
{
	return db_run(
	    db, jwt_access_revoke_sql[db_dialect(db)], DB_TEXT(jti), DB_INT64(expires_at));
}

enum gh_err
jwt_access_purge(struct db *db, int64_t now, int64_t *deleted)
{
	enum gh_err e = db_run(db, "DELETE FROM revoked_jti WHERE expires_at < ?", DB_INT64(now));

	if (deleted != NULL)
		*deleted = e == GH_OK ? db_changes(db) : 0;
	return e;
}
