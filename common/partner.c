/*
 * partner.c: the partner sites of single sign-on as gatehouse-sso uses
 * them (see partner.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memrchr */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "crypto.h"
#include "partner.h"
#include "url.h"

#define PARTNER_ISS_MAX 256
#define PARTNER_USER_MAX 254

static bool
partner_alg_is_hmac(enum config_alg alg)
{
	return alg == CONFIG_HS256 || alg == CONFIG_HS384 || alg == CONFIG_HS512;
}

/* The family of key an algorithm needs. */
static enum jwks_kty
partner_kty_of(enum config_alg alg)
{
	switch (alg) {
	case CONFIG_ES256:
		return JWKS_EC_P256;
	case CONFIG_ES384:
		return JWKS_EC_P384;
	default:
		return JWKS_RSA;
	}
}

/* partner_load_one makes p ready from its configuration c. */
static enum gh_err
partner_load_one(struct partner *p, const struct config_partner *c, char *err, size_t errlen)
{
	enum jwks_kty want = partner_kty_of(c->algorithm), kty;
	char why[256];
	size_t i;

	p->cfg = c;
	p->key.alg = c->algorithm;
	p->rules = (struct jws_rules){
	    .issuer = c->issuer,
	    .audience = c->audience,
	    .max_lifetime = c->max_lifetime,
	    .skew = c->skew,
	    .require_jti = true,
	};
	if (partner_alg_is_hmac(c->algorithm)) {
		p->key.secret = (const unsigned char *)c->secret;
		p->key.secret_len = c->secret != NULL ? strlen(c->secret) : 0;
		return GH_OK;
	}
	if (c->public_key_file != NULL) {
		if (jwks_read_file(c->public_key_file, &p->pem, &p->pem_len, why, sizeof(why)) !=
		    GH_OK) {
			snprintf(err, errlen, "[partner %s] public_key_file: %s", c->name, why);
			return GH_ECONFIG;
		}
		if (jwks_pem_kty(p->pem, p->pem_len, &kty) != GH_OK || kty != want) {
			snprintf(err, errlen,
			    "[partner %s] public_key_file: %s is not a PEM public key for %s",
			    c->name, c->public_key_file, jws_alg_name(c->algorithm));
			return GH_ECONFIG;
		}
		p->key.pem = p->pem;
		p->key.pem_len = p->pem_len;
		p->key.kty = kty;
		return GH_OK;
	}
	if (jwks_load(c->jwks_file, &p->jwks, why, sizeof(why)) != GH_OK) {
		snprintf(err, errlen, "[partner %s] jwks_file: %s", c->name, why);
		return GH_ECONFIG;
	}
	for (i = 0; i < p->jwks.nkeys; i++)
		if (p->jwks.keys[i].kty == want)
			break;
	if (i == p->jwks.nkeys) {
		snprintf(err, errlen, "[partner %s] jwks_file: %s holds no key for %s", c->name,
		    c->jwks_file, jws_alg_name(c->algorithm));
		return GH_ECONFIG;
	}
	p->key.jwks = &p->jwks;
	return GH_OK;
}

enum gh_err
partner_load(const struct config *cfg, struct partner_set *out, char *err, size_t errlen)
{
	enum gh_err e;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (cfg->npartners == 0)
		return GH_OK;
	if ((out->list = calloc(cfg->npartners, sizeof(*out->list))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return GH_ENOMEM;
	}
	for (i = 0; i < cfg->npartners; i++) {
		if (cfg->partners[i].issuer == NULL)
			continue;
		e = partner_load_one(&out->list[out->n++], &cfg->partners[i], err, errlen);
		if (e != GH_OK) {
			partner_cleanup(out);
			return e;
		}
	}
	return GH_OK;
}

void
partner_cleanup(struct partner_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++) {
		free(set->list[i].pem);
		jwks_cleanup(&set->list[i].jwks);
	}
	free(set->list);
	memset(set, 0, sizeof(*set));
}

enum jws_refusal
partner_for_token(const struct partner_set *set, const char *token, const struct partner **p)
{
	char iss[PARTNER_ISS_MAX];
	enum jws_refusal r;
	size_t i;

	*p = NULL;
	if ((r = jws_peek_claim(token, "iss", iss, sizeof(iss))) != JWS_OK)
		return r == JWS_BAD_CLAIM ? JWS_BAD_ISSUER : r;
	for (i = 0; i < set->n; i++)
		if (strcmp(set->list[i].cfg->issuer, iss) == 0) {
			*p = &set->list[i];
			return JWS_OK;
		}
	return JWS_BAD_ISSUER;
}

bool
partner_redirect_allowed(const struct config_partner *p, const char *target)
{
	const char *s, *e;
	size_t n, len = strlen(target);

	if (len == 0 || len > URL_NEXT_MAX || p->redirect == NULL)
		return false;
	for (s = target; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == '\\')
			return false;
	if (target[0] == '/' && target[1] == '/')
		return false;
	for (s = p->redirect; *s != '\0'; s = e) {
		while (*s == ' ')
			s++;
		for (e = s; *e != '\0' && *e != ' '; e++)
			;
		n = (size_t)(e - s);
		if (n == 0)
			continue;
		if (n == len && memcmp(s, target, n) == 0)
			return true;
		if (s[n - 1] == '/' && n < len && memcmp(s, target, n) == 0)
			return true;
	}
	return false;
}

const char *
partner_user_value(const struct config_partner *p, const json_t *claims)
{
	static const char *const names[] = {
	    [CONFIG_CLAIM_SUB] = "sub",
	    [CONFIG_CLAIM_EMAIL] = "email",
	    [CONFIG_CLAIM_PREFERRED_USERNAME] = "preferred_username",
	};
	const json_t *v = json_object_get(claims, names[p->user_claim]);
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > PARTNER_USER_MAX || strlen(s) != n)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return NULL;
	return s;
}

/* partner_claim_has tells whether the role claim v (a string or an array
 * of strings) holds the value theirs[0..n). */
static bool
partner_claim_has(const json_t *v, const char *theirs, size_t n)
{
	const json_t *item;
	size_t i;

	if (json_is_string(v))
		return json_string_length(v) == n && memcmp(json_string_value(v), theirs, n) == 0;
	if (!json_is_array(v))
		return false;
	json_array_foreach(v, i, item)
	{
		if (json_is_string(item) && json_string_length(item) == n &&
		    memcmp(json_string_value(item), theirs, n) == 0)
			return true;
	}
	return false;
}

enum gh_err
partner_roles(const struct config_partner *p, const json_t *claims, char *out, size_t outlen)
{
	const json_t *v;
	const char *s, *e, *colon;
	size_t len = 0, n;

	if (outlen == 0)
		return GH_ETOOBIG;
	out[0] = '\0';
	if (p->role_claim == NULL || p->role_map == NULL ||
	    (v = json_object_get(claims, p->role_claim)) == NULL)
		return GH_OK;
	for (s = p->role_map; *s != '\0'; s = e) {
		while (*s == ' ')
			s++;
		for (e = s; *e != '\0' && *e != ' '; e++)
			;
		/* The loader checked every pair is "theirs:ours", split at the
		 * last ':' (theirs may be a URN). */
		if ((colon = memrchr(s, ':', (size_t)(e - s))) == NULL ||
		    !partner_claim_has(v, s, (size_t)(colon - s)))
			continue;
		n = (size_t)(e - colon - 1);
		if (n == 0 || access_roles_has_n(out, colon + 1, n))
			continue;
		if (len + (len > 0) + n + 1 > outlen)
			return GH_ETOOBIG;
		if (len > 0)
			out[len++] = ',';
		memcpy(out + len, colon + 1, n);
		len += n;
		out[len] = '\0';
	}
	return GH_OK;
}

enum gh_err
partner_jti_use(struct db *db, const struct config_partner *p, const char *jti, int64_t expires_at)
{
	char id[CRYPTO_SHA256_HEX_LEN + 1], *text;
	size_t a = strlen(p->name), b = strlen(jti);
	enum gh_err e;

	if ((text = malloc(a + b + 1)) == NULL)
		return GH_ENOMEM;
	memcpy(text, p->name, a + 1); /* the NUL between the two */
	memcpy(text + a + 1, jti, b);
	crypto_sha256_hex(text, a + 1 + b, id);
	free(text);
	e = db_run(db, "INSERT INTO sso_jti (jti, issuer, expires_at) VALUES (?, ?, ?)",
	    DB_TEXT(id), DB_TEXT(p->name), DB_INT64(expires_at));
	return e;
}

enum gh_err
partner_jti_purge(struct db *db, int64_t now, int64_t *deleted)
{
	enum gh_err e = db_run(db, "DELETE FROM sso_jti WHERE expires_at < ?", DB_INT64(now));

	if (deleted != NULL)
		*deleted = e == GH_OK ? db_changes(db) : 0;
	return e;
}
