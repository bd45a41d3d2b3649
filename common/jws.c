/*
 * jws.c: compact JWTs verified and signed around libjwt (see jws.h for why
 * each step is here and not left to libjwt).
 */
#include <errno.h>
#include <jwt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "jws.h"

static const char *const jws_alg_names[] = {
    [CONFIG_HS256] = "HS256",
    [CONFIG_HS384] = "HS384",
    [CONFIG_HS512] = "HS512",
    [CONFIG_RS256] = "RS256",
    [CONFIG_RS384] = "RS384",
    [CONFIG_RS512] = "RS512",
    [CONFIG_ES256] = "ES256",
    [CONFIG_ES384] = "ES384",
};

static const jwt_alg_t jws_libjwt_algs[] = {
    [CONFIG_HS256] = JWT_ALG_HS256,
    [CONFIG_HS384] = JWT_ALG_HS384,
    [CONFIG_HS512] = JWT_ALG_HS512,
    [CONFIG_RS256] = JWT_ALG_RS256,
    [CONFIG_RS384] = JWT_ALG_RS384,
    [CONFIG_RS512] = JWT_ALG_RS512,
    [CONFIG_ES256] = JWT_ALG_ES256,
    [CONFIG_ES384] = JWT_ALG_ES384,
};

const char *
jws_alg_name(enum config_alg alg)
{
	if ((size_t)alg >= sizeof(jws_alg_names) / sizeof(jws_alg_names[0]))
		return "?";
	return jws_alg_names[alg];
}

const char *
jws_refusal_text(enum jws_refusal r)
{
	static const char *const texts[] = {
	    [JWS_OK] = "valid",
	    [JWS_TOO_LONG] = "token too long",
	    [JWS_MALFORMED] = "malformed token",
	    [JWS_BAD_HEADER] = "bad header",
	    [JWS_WRONG_ALG] = "algorithm not allowed",
	    [JWS_UNKNOWN_KID] = "unknown kid",
	    [JWS_WRONG_KEY] = "key does not fit the algorithm",
	    [JWS_BAD_SIGNATURE] = "bad signature",
	    [JWS_NO_EXP] = "no exp",
	    [JWS_EXPIRED] = "expired",
	    [JWS_EXP_TOO_FAR] = "exp too far ahead",
	    [JWS_NOT_YET] = "not valid yet (nbf or iat ahead)",
	    [JWS_BAD_ISSUER] = "wrong issuer",
	    [JWS_BAD_AUDIENCE] = "wrong audience",
	    [JWS_BAD_JTI] = "no valid jti",
	    [JWS_BAD_CLAIM] = "claim of the wrong type",
	};

	if ((size_t)r >= sizeof(texts) / sizeof(texts[0]) || texts[r] == NULL)
		return "refused";
	return texts[r];
}

/* jws_part_json decodes base64url part s[0..n) holding a JSON object;
 * NULL when it is not one (or holds a name twice). */
static json_t *
jws_part_json(const char *s, size_t n)
{
	unsigned char *raw;
	json_t *js = NULL;
	long len;

	if (n == 0 || (raw = malloc(n * 3 / 4 + 1)) == NULL)
		return NULL;
	len = crypto_b64url_decode(s, n, raw);
	if (len > 0)
		js = json_loadb((const char *)raw, (size_t)len, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (js != NULL && !json_is_object(js)) {
		json_decref(js);
		js = NULL;
	}
	return js;
}

/* jws_kty_fits tells whether a key of family kty may verify alg. */
static bool
jws_kty_fits(enum config_alg alg, enum jwks_kty kty)
{
	switch (alg) {
	case CONFIG_RS256:
	case CONFIG_RS384:
	case CONFIG_RS512:
		return kty == JWKS_RSA;
	case CONFIG_ES256:
		return kty == JWKS_EC_P256;
	case CONFIG_ES384:
		return kty == JWKS_EC_P384;
	default:
		return false;
	}
}

static bool
jws_alg_is_hmac(enum config_alg alg)
{
	return alg == CONFIG_HS256 || alg == CONFIG_HS384 || alg == CONFIG_HS512;
}

/* jws_header checks the header and picks the key bytes: JWS_OK with
 * *bytes and *len set. */
static enum jws_refusal
jws_header(const json_t *head, const struct jws_key *key, const unsigned char **bytes, size_t *len)
{
	const char *alg = json_string_value(json_object_get(head, "alg"));
	const json_t *typ = json_object_get(head, "typ"), *kid = json_object_get(head, "kid");
	const struct jwks_key *k;

	/* Exactly the configured name: "none", "None", "HS256" against an RSA
	 * key are all refused here, before libjwt sees the token. */
	if (alg == NULL || strcmp(alg, jws_alg_name(key->alg)) != 0)
		return JWS_WRONG_ALG;
	if (typ != NULL && (!json_is_string(typ) || strcasecmp(json_string_value(typ), "JWT") != 0))
		return JWS_BAD_HEADER;
	/* RFC 7515 §4.1.11: an extension we do not understand must fail. */
	if (json_object_get(head, "crit") != NULL)
		return JWS_BAD_HEADER;
	if (kid != NULL && !json_is_string(kid))
		return JWS_BAD_HEADER;

	if (jws_alg_is_hmac(key->alg)) {
		if (key->secret == NULL || key->secret_len == 0)
			return JWS_WRONG_KEY;
		*bytes = key->secret;
		*len = key->secret_len;
		return JWS_OK;
	}
	if (key->jwks != NULL) {
		if (kid == NULL || (k = jwks_find(key->jwks, json_string_value(kid))) == NULL)
			return JWS_UNKNOWN_KID;
		if (!jws_kty_fits(key->alg, k->kty) ||
		    (k->alg[0] != '\0' && strcmp(k->alg, jws_alg_name(key->alg)) != 0))
			return JWS_WRONG_KEY;
		*bytes = (const unsigned char *)k->pem;
		*len = k->pem_len;
		return JWS_OK;
	}
	if (key->pem == NULL || !jws_kty_fits(key->alg, key->kty))
		return JWS_WRONG_KEY;
	*bytes = (const unsigned char *)key->pem;
	*len = key->pem_len;
	return JWS_OK;
}

/* jws_time reads the NumericDate claim name: 1 when present (in *t), 0
 * when absent, -1 when not an integer. */
static int
jws_time(const json_t *claims, const char *name, int64_t *t)
{
	const json_t *v = json_object_get(claims, name);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return -1;
	*t = (int64_t)json_integer_value(v);
	return 1;
}

/* jws_audience_has tells whether aud (a string or an array) holds want. */
static int
jws_audience_has(const json_t *aud, const char *want)
{
	size_t i;
	const json_t *v;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	if (!json_is_array(aud))
		return -1;
	json_array_foreach(aud, i, v)
	{
		if (!json_is_string(v))
			return -1;
		if (strcmp(json_string_value(v), want) == 0)
			return 1;
	}
	return 0;
}

/* jws_claims checks the verified claims against the rules. */
static enum jws_refusal
jws_claims(const json_t *claims, const struct jws_rules *rules, int64_t now)
{
	const json_t *iss = json_object_get(claims, "iss"), *aud = json_object_get(claims, "aud");
	const json_t *jti = json_object_get(claims, "jti");
	int64_t exp = 0, nbf = 0, iat = 0, skew = rules->skew;
	int r;

	if (jws_time(claims, "exp", &exp) != 1)
		return JWS_NO_EXP;
	/* now is a sane time: these sums cannot overflow, whatever exp is. */
	if (exp <= now - skew) /* expired at exp itself */
		return JWS_EXPIRED;
	if (exp > now + rules->max_lifetime + skew)
		return JWS_EXP_TOO_FAR;
	if ((r = jws_time(claims, "nbf", &nbf)) < 0 || jws_time(claims, "iat", &iat) < 0)
		return JWS_BAD_CLAIM;
	if ((r > 0 && nbf > now + skew) || iat > now + skew)
		return JWS_NOT_YET;
	if (rules->issuer != NULL) {
		if (iss != NULL && !json_is_string(iss))
			return JWS_BAD_CLAIM;
		if (iss == NULL || strcmp(json_string_value(iss), rules->issuer) != 0)
			return JWS_BAD_ISSUER;
	}
	if (rules->audience != NULL) {
		if (aud == NULL)
			return JWS_BAD_AUDIENCE;
		if ((r = jws_audience_has(aud, rules->audience)) < 0)
			return JWS_BAD_CLAIM;
		if (r == 0)
			return JWS_BAD_AUDIENCE;
	}
	if (rules->require_jti && (!json_is_string(jti) || json_string_length(jti) == 0 ||
	                              json_string_length(jti) > JWS_JTI_MAX ||
	                              strlen(json_string_value(jti)) != json_string_length(jti)))
		return JWS_BAD_JTI;
	return JWS_OK;
}

/* jws_split checks the token's form: at most JWS_MAX_LEN bytes of three
 * parts of base64url characters only (libjwt would decode anything, and
 * the parts decoded here are the ones it verifies); *dot1 and *dot2 at the
 * two dots. */
static enum jws_refusal
jws_split(const char *token, const char **dot1, const char **dot2)
{
	size_t len;

	if (token == NULL)
		return JWS_MALFORMED;
	len = strnlen(token, JWS_MAX_LEN + 1);
	if (len > JWS_MAX_LEN)
		return JWS_TOO_LONG;
	if (strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") !=
	        len ||
	    (*dot1 = strchr(token, '.')) == NULL || (*dot2 = strchr(*dot1 + 1, '.')) == NULL ||
	    strchr(*dot2 + 1, '.') != NULL || (*dot2)[1] == '\0')
		return JWS_MALFORMED;
	return JWS_OK;
}

enum jws_refusal
jws_verify(const char *token, const struct jws_key *key, const struct jws_rules *rules, int64_t now,
    json_t **claims)
{
	const char *dot1, *dot2;
	const unsigned char *bytes = NULL;
	size_t keylen = 0;
	json_t *head = NULL, *body = NULL;
	jwt_t *jwt = NULL;
	enum jws_refusal r;

	*claims = NULL;
	if ((r = jws_split(token, &dot1, &dot2)) != JWS_OK)
		return r;
	if ((head = jws_part_json(token, (size_t)(dot1 - token))) == NULL ||
	    (body = jws_part_json(dot1 + 1, (size_t)(dot2 - dot1 - 1))) == NULL) {
		r = JWS_MALFORMED;
		goto done;
	}
	if ((r = jws_header(head, key, &bytes, &keylen)) != JWS_OK)
		goto done;
	if (keylen > INT_MAX) {
		r = JWS_WRONG_KEY;
		goto done;
	}
	/* Never a NULL key: libjwt would take the token unverified. */
	if (jwt_decode(&jwt, token, bytes, (int)keylen) != 0 || jwt == NULL) {
		r = JWS_BAD_SIGNATURE;
		goto done;
	}
	if (jwt_get_alg(jwt) != jws_libjwt_algs[key->alg]) {
		r = JWS_WRONG_ALG;
		goto done;
	}
	if ((r = jws_claims(body, rules, now)) != JWS_OK)
		goto done;
	*claims = body;
	body = NULL;
done:
	jwt_free(jwt);
	json_decref(head);
	json_decref(body);
	return r;
}

enum jws_refusal
jws_peek_claim(const char *token, const char *name, char *out, size_t outlen)
{
	const char *dot1, *dot2;
	const json_t *v;
	json_t *body;
	enum jws_refusal r;

	if ((r = jws_split(token, &dot1, &dot2)) != JWS_OK)
		return r;
	if ((body = jws_part_json(dot1 + 1, (size_t)(dot2 - dot1 - 1))) == NULL)
		return JWS_MALFORMED;
	v = json_object_get(body, name);
	r = JWS_BAD_CLAIM;
	if (json_is_string(v) && json_string_length(v) < outlen &&
	    strlen(json_string_value(v)) == json_string_length(v)) {
		memcpy(out, json_string_value(v), json_string_length(v) + 1);
		r = JWS_OK;
	}
	json_decref(body);
	return r;
}

enum gh_err
jws_sign(enum config_alg alg, const char *pem, size_t pem_len, const char *kid, json_t *claims,
    char **token)
{
	jwt_t *jwt = NULL;
	char *text = NULL;
	enum gh_err e = GH_ECRYPTO;

	*token = NULL;
	if (pem_len > INT_MAX ||
	    (size_t)alg >= sizeof(jws_libjwt_algs) / sizeof(jws_libjwt_algs[0]))
		return GH_ECRYPTO;
	if (jwt_new(&jwt) != 0)
		return GH_ENOMEM;
	if ((text = json_dumps(claims, JSON_COMPACT)) == NULL) {
		e = GH_ENOMEM;
		goto done;
	}
	if (jwt_add_grants_json(jwt, text) != 0 ||
	    (kid != NULL && jwt_add_header(jwt, "kid", kid) != 0))
		goto done;
	if (jwt_set_alg(jwt, jws_libjwt_algs[alg], (const unsigned char *)pem, (int)pem_len) != 0)
		goto done;
	errno = 0;
	if ((*token = jwt_encode_str(jwt)) == NULL) {
		e = errno == ENOMEM ? GH_ENOMEM : GH_ECRYPTO;
		goto done;
	}
	e = GH_OK;
done:
	free(text);
	jwt_free(jwt); /* wipes the key copy libjwt made */
	return e;
}
