/*
 * test_jwt_access.c: the token API's access tokens (common/jwt_access.c).
 * Keys are made with signkey_generate in folders of a mkdtemp(3) one (an
 * ES256 folder, an RS256 one, one of a stranger, one rotated, an empty
 * one), published to each folder's public keys file as gatehousectl does
 * and read from there as gatehouse-check does (jwt_access_keys_load,
 * never the folder); the configuration is loaded from text.  Every claim
 * makes the
 * round trip; a token of the wrong audience, issuer, time, key or
 * algorithm set is refused for its reason; claims signed by our own key
 * but of the wrong type or size (minted with jws_sign) are JWS_BAD_CLAIM.
 * The blacklist is test_jwt_access_blacklist.c's; the configuration's
 * guards ([token] access_lifetime, a partner's out_audience) are
 * test_config_keys.c's and test_config_partner.c's.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* setenv, mkdtemp, mkstemp, fdopen */
#endif

#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "jwt_access.h"
#include "signkey.h"
#include "test.h"
#include "test_config.h"
#include "test_tmp.h"

#define T0 1795801500 /* 2026-11-27T17:45:00Z: the keys' time */
#define NOW (T0 + 20) /* when tokens are made and verified */
#define ISSUER "https://login.example.org"
#define LIFETIME 600 /* [token] access_lifetime below */

static char root[64];
static char es_dir[128], rs_dir[128], stranger_dir[128], rotated_dir[128], empty_dir[128],
    missing_dir[128];

/* The keys of es_dir, rs_dir, stranger_dir (to sign with), loaded at NOW. */
static struct signkey_set es_keys, rs_keys, stranger_keys;

/* Loads the configuration of dir, the issuer and the lines more into
 * cfg: false (said on stderr) when it is refused. */
static bool
cfg_load(struct config *cfg, const char *dir, const char *issuer, const char *more)
{
	char text[1024];

	snprintf(text, sizeof(text),
	    "[sso]\nkeys_dir = %s\nissuer = %s\n[token]\naccess_lifetime = 10m\n%s", dir, issuer,
	    more);
	if (load(cfg, text) != GH_OK) {
		fprintf(stderr, "config refused: %s\n", errbuf);
		return false;
	}
	return true;
}

/* Publishes the keys of cfg's folder at now to its public keys file as
 * gatehousectl does (a missing folder: no file at all), then loads that
 * file into keys as gatehouse-check does (GH_OK or the error, its message
 * on stderr). */
static enum gh_err
keys_load(const struct config *cfg, int64_t now, struct jwt_access_keys *keys)
{
	struct signkey_set set;
	char err[512] = "";
	enum gh_err e =
	    signkey_load(cfg->sso_keys_dir, now, signkey_lifetime(cfg), &set, err, sizeof(err));

	memset(keys, 0, sizeof(*keys));
	if (e == GH_OK || e == GH_ENOTFOUND) {
		if (access(cfg->sso_keys_dir, F_OK) != 0)
			e = unlink(cfg->sso_public_keys_file) == 0 || errno == ENOENT ? GH_OK
			                                                              : GH_EIO;
		else
			e = signkey_publish(cfg->sso_public_keys_file, &set, err, sizeof(err));
	}
	signkey_cleanup(&set);
	if (e == GH_OK)
		e = jwt_access_keys_load(cfg, keys, err, sizeof(err));
	if (e != GH_OK)
		fprintf(stderr, "keys_load: %s\n", err);
	return e;
}

/* Claims as the token API makes them, at now, for alice. */
static struct jwt_access_claims
claims_at(int64_t now, const char *email, const char *roles)
{
	struct jwt_access_claims c = {.user_id = 42, .iat = now, .exp = now + LIFETIME};

	crypto_token(c.jti);
	snprintf(c.username, sizeof(c.username), "alice");
	snprintf(c.email, sizeof(c.email), "%s", email);
	snprintf(c.roles, sizeof(c.roles), "%s", roles);
	return c;
}

/* sign_with signs c under cfg with key k: the token (the caller frees it),
 * NULL when that fails. */
static char *
sign_with(const struct config *cfg, const struct signkey *k, const struct jwt_access_claims *c)
{
	char *token = NULL;

	if (jwt_access_sign(cfg, k, c, &token) != GH_OK)
		return NULL;
	return token;
}

/* verify_one loads cfg's keys at now and verifies token (NULL: refused as
 * malformed) at now into out; a refusal must leave out zeroed. */
static enum jws_refusal
verify_one(const struct config *cfg, const char *token, int64_t now, struct jwt_access_claims *out)
{
	static const struct jwt_access_claims zero;
	struct jwt_access_keys keys;
	enum jws_refusal r;

	if (token == NULL || keys_load(cfg, now, &keys) != GH_OK)
		return JWS_MALFORMED;
	r = jwt_access_verify(cfg, &keys, token, now, out);
	jwt_access_keys_cleanup(&keys);
	if (r != JWS_OK && memcmp(out, &zero, sizeof(zero)) != 0) {
		fprintf(
		    stderr, "refused (%s) but the claims are not zeroed\n", jws_refusal_text(r));
		return JWS_OK + 100;
	}
	return r;
}

/* signed_verified signs c with k under sign_cfg and verifies it under
 * verify_cfg at now: the refusal. */
static enum jws_refusal
signed_verified(const struct config *sign_cfg, const struct signkey *k,
    const struct jwt_access_claims *c, const struct config *verify_cfg, int64_t now)
{
	struct jwt_access_claims out;
	char *token = sign_with(sign_cfg, k, c);
	enum jws_refusal r = verify_one(verify_cfg, token, now, &out);

	free(token);
	return r;
}

TEST(round_trip_keeps_every_claim)
{
	struct config cfg;
	struct jwt_access_claims c = claims_at(NOW, "alice@example.org", "admin,editor"), out;
	struct jwt_access_keys keys;
	char *token, aud[256];

	CHECK(cfg_load(&cfg, es_dir, ISSUER, ""));
	CHECK(keys_load(&cfg, NOW, &keys) == GH_OK);
	CHECK(keys.loaded && keys.es256.nkeys == 1 && keys.rs256.nkeys == 0);
	token = sign_with(&cfg, &es_keys.keys[0], &c);
	CHECK(token != NULL);
	CHECK(jwt_access_verify(&cfg, &keys, token, NOW, &out) == JWS_OK);
	CHECK_STR(out.jti, c.jti);
	CHECK(out.user_id == 42);
	CHECK_STR(out.username, "alice");
	CHECK_STR(out.email, "alice@example.org");
	CHECK_STR(out.roles, "admin,editor");
	CHECK(out.iat == NOW && out.exp == NOW + LIFETIME);
	/* Without [token] audience, the audience is the issuer. */
	CHECK(jws_peek_claim(token, "aud", aud, sizeof(aud)) == JWS_OK);
	CHECK_STR(aud, ISSUER);
	free(token);
	/* No e-mail: the claim is absent; no role: an empty array. */
	c = claims_at(NOW, "", "");
	token = sign_with(&cfg, &es_keys.keys[0], &c);
	CHECK(token != NULL && jws_peek_claim(token, "email", aud, sizeof(aud)) == JWS_BAD_CLAIM);
	CHECK(jwt_access_verify(&cfg, &keys, token, NOW, &out) == JWS_OK);
	CHECK_STR(out.email, "");
	CHECK_STR(out.roles, "");
	CHECK_STR(out.jti, c.jti);
	free(token);
	/* One role; empty names in the list are dropped. */
	c = claims_at(NOW, "", ",editor,,");
	token = sign_with(&cfg, &es_keys.keys[0], &c);
	CHECK(jwt_access_verify(&cfg, &keys, token, NOW, &out) == JWS_OK);
	CHECK_STR(out.roles, "editor");
	free(token);
	jwt_access_keys_cleanup(&keys);
	CHECK(!keys.loaded);
	config_cleanup(&cfg);
}

TEST(wrong_audience_refused)
{
	struct config ours, api, other;
	struct jwt_access_claims c = claims_at(NOW, "", "admin"), out;
	char *token, aud[256];

	CHECK(cfg_load(&ours, es_dir, ISSUER, ""));
	CHECK(cfg_load(&api, es_dir, ISSUER, "audience = https://api.example.org\n"));
	CHECK(cfg_load(&other, es_dir, ISSUER, "audience = crm\n"));
	/* Each accepts its own. */
	CHECK(signed_verified(&api, &es_keys.keys[0], &c, &api, NOW) == JWS_OK);
	token = sign_with(&api, &es_keys.keys[0], &c);
	CHECK(token != NULL && jws_peek_claim(token, "aud", aud, sizeof(aud)) == JWS_OK);
	CHECK_STR(aud, "https://api.example.org");
	CHECK(verify_one(&ours, token, NOW, &out) == JWS_BAD_AUDIENCE);
	free(token);
	CHECK(signed_verified(&other, &es_keys.keys[0], &c, &api, NOW) == JWS_BAD_AUDIENCE);
	CHECK(signed_verified(&ours, &es_keys.keys[0], &c, &api, NOW) == JWS_BAD_AUDIENCE);
	config_cleanup(&ours);
	config_cleanup(&api);
	config_cleanup(&other);
}

TEST(wrong_issuer_refused)
{
	struct config ours, theirs;
	struct jwt_access_claims c = claims_at(NOW, "", "");

	/* The same audience, so that only the issuer differs. */
	CHECK(cfg_load(&ours, es_dir, ISSUER, "audience = api\n"));
	CHECK(cfg_load(&theirs, es_dir, "https://other.example.org", "audience = api\n"));
	CHECK(signed_verified(&theirs, &es_keys.keys[0], &c, &ours, NOW) == JWS_BAD_ISSUER);
	CHECK(signed_verified(&ours, &es_keys.keys[0], &c, &ours, NOW) == JWS_OK);
	config_cleanup(&ours);
	config_cleanup(&theirs);
}

TEST(expired_or_too_long_lived_refused)
{
	struct config cfg;
	struct jwt_access_claims c = claims_at(NOW - 2 * LIFETIME, "", "");

	CHECK(cfg_load(&cfg, es_dir, ISSUER, ""));
	/* Expired: at exp itself beyond the skew of 60 s. */
	c.exp = NOW - JWT_ACCESS_SKEW;
	CHECK(signed_verified(&cfg, &es_keys.keys[0], &c, &cfg, NOW) == JWS_EXPIRED);
	c.exp = NOW - JWT_ACCESS_SKEW + 1;
	CHECK(signed_verified(&cfg, &es_keys.keys[0], &c, &cfg, NOW) == JWS_OK);
	/* exp further than access_lifetime (and the skew) ahead. */
	c = claims_at(NOW, "", "");
	c.exp = NOW + LIFETIME + JWT_ACCESS_SKEW + 1;
	CHECK(signed_verified(&cfg, &es_keys.keys[0], &c, &cfg, NOW) == JWS_EXP_TOO_FAR);
	c.exp = NOW + LIFETIME;
	CHECK(signed_verified(&cfg, &es_keys.keys[0], &c, &cfg, NOW) == JWS_OK);
	/* Issued in the future. */
	c.iat = NOW + JWT_ACCESS_SKEW + 1;
	CHECK(signed_verified(&cfg, &es_keys.keys[0], &c, &cfg, NOW) == JWS_NOT_YET);
	config_cleanup(&cfg);
}

TEST(token_of_a_key_not_in_the_folder_refused)
{
	struct config cfg;
	struct jwt_access_claims c = claims_at(NOW, "", ""), out;
	const struct signkey *ours = &es_keys.keys[0], *theirs = &stranger_keys.keys[0];
	json_t *claims;
	char *token = NULL;

	CHECK(cfg_load(&cfg, es_dir, ISSUER, ""));
	CHECK(strcmp(ours->kid, theirs->kid) != 0);
	CHECK(signed_verified(&cfg, theirs, &c, &cfg, NOW) == JWS_UNKNOWN_KID);
	/* The stranger's key naming our kid: the signature does not verify. */
	claims = json_pack("{s:s, s:s, s:s, s:i, s:[], s:s, s:I, s:I}", "iss", ISSUER, "aud",
	    ISSUER, "sub", "alice", "uid", 42, "roles", "jti", c.jti, "iat", (json_int_t)NOW, "exp",
	    (json_int_t)(NOW + 60));
	CHECK(claims != NULL && jws_sign(CONFIG_ES256, theirs->pem, theirs->pem_len, ours->kid,
	                            claims, &token) == GH_OK);
	CHECK(verify_one(&cfg, token, NOW, &out) == JWS_BAD_SIGNATURE);
	free(token);
	/* The same claims with our key: the control. */
	CHECK(jws_sign(CONFIG_ES256, ours->pem, ours->pem_len, ours->kid, claims, &token) == GH_OK);
	CHECK(verify_one(&cfg, token, NOW, &out) == JWS_OK);
	free(token);
	json_decref(claims);
	config_cleanup(&cfg);
}

TEST(rs256_folder_verifies_its_own_only)
{
	struct config rs, es;
	struct jwt_access_claims c = claims_at(NOW, "alice@example.org", "ops"), out;
	struct jwt_access_keys keys;
	char *token;

	CHECK(cfg_load(&rs, rs_dir, ISSUER, ""));
	CHECK(cfg_load(&es, es_dir, ISSUER, ""));
	CHECK(keys_load(&rs, NOW, &keys) == GH_OK);
	CHECK(keys.loaded && keys.rs256.nkeys == 1 && keys.es256.nkeys == 0);
	jwt_access_keys_cleanup(&keys);
	token = sign_with(&rs, &rs_keys.keys[0], &c);
	CHECK(verify_one(&rs, token, NOW, &out) == JWS_OK);
	CHECK_STR(out.roles, "ops");
	CHECK_STR(out.email, "alice@example.org");
	/* Each folder refuses the other's token. */
	CHECK(verify_one(&es, token, NOW, &out) == JWS_UNKNOWN_KID);
	free(token);
	CHECK(signed_verified(&es, &es_keys.keys[0], &c, &rs, NOW) == JWS_UNKNOWN_KID);
	config_cleanup(&rs);
	config_cleanup(&es);
}

/* rotated_dir: an ES256 key made at T0, then an RS256 one at T0 + 100.
 * The old key signs nothing more but stays published for the longest
 * token lifetime (LIFETIME here) after its successor was made. */
TEST(rotated_key_verifies_until_it_expires)
{
	struct config cfg;
	struct signkey_set set;
	struct jwt_access_keys keys;
	struct jwt_access_claims c;
	char err[512];
	int64_t later = T0 + 100 + LIFETIME + 1;

	CHECK(cfg_load(&cfg, rotated_dir, ISSUER, ""));
	CHECK(signkey_load(rotated_dir, T0 + 200, LIFETIME, &set, err, sizeof(err)) == GH_OK);
	CHECK(set.nkeys == 2);
	if (set.nkeys != 2) {
		config_cleanup(&cfg);
		return;
	}
	CHECK(set.keys[0].alg == SIGNKEY_RS256 && set.keys[1].alg == SIGNKEY_ES256);
	CHECK(keys_load(&cfg, T0 + 200, &keys) == GH_OK);
	CHECK(keys.loaded && keys.es256.nkeys == 1 && keys.rs256.nkeys == 1);
	jwt_access_keys_cleanup(&keys);
	/* Made by the old key before the rotation, by the new one after. */
	c = claims_at(T0 + 90, "", "");
	CHECK(signed_verified(&cfg, &set.keys[1], &c, &cfg, T0 + 200) == JWS_OK);
	c = claims_at(T0 + 150, "", "");
	CHECK(signed_verified(&cfg, &set.keys[0], &c, &cfg, T0 + 200) == JWS_OK);
	/* Past its publication the old key is gone from the set. */
	CHECK(keys_load(&cfg, later, &keys) == GH_OK);
	CHECK(keys.loaded && keys.es256.nkeys == 0 && keys.rs256.nkeys == 1);
	jwt_access_keys_cleanup(&keys);
	c = claims_at(later - 10, "", "");
	CHECK(signed_verified(&cfg, &set.keys[1], &c, &cfg, later) == JWS_UNKNOWN_KID);
	CHECK(signed_verified(&cfg, &set.keys[0], &c, &cfg, later) == JWS_OK);
	signkey_cleanup(&set);
	config_cleanup(&cfg);
}

TEST(folder_without_a_key_refuses_every_token)
{
	const char *dirs[] = {empty_dir, missing_dir};
	struct jwt_access_claims c = claims_at(NOW, "", ""), out;
	struct jwt_access_keys keys;
	struct config cfg, es;
	char *token;

	CHECK(cfg_load(&es, es_dir, ISSUER, ""));
	token = sign_with(&es, &es_keys.keys[0], &c);
	CHECK(verify_one(&es, token, NOW, &out) == JWS_OK);
	for (size_t i = 0; i < 2; i++) {
		CHECK(cfg_load(&cfg, dirs[i], ISSUER, ""));
		CHECK(keys_load(&cfg, NOW, &keys) == GH_OK);
		CHECK(!keys.loaded && keys.es256.nkeys == 0 && keys.rs256.nkeys == 0);
		CHECK(jwt_access_verify(&cfg, &keys, token, NOW, &out) == JWS_UNKNOWN_KID);
		CHECK(out.user_id == 0 && out.jti[0] == '\0' && out.username[0] == '\0');
		jwt_access_keys_cleanup(&keys);
		config_cleanup(&cfg);
	}
	free(token);
	config_cleanup(&es);
}

/* The check reads the public keys file alone: a configuration whose
 * keys_dir does not exist (or could not be read) verifies all the same. */
TEST(public_keys_file_verifies_without_the_folder)
{
	struct jwt_access_claims c = claims_at(NOW, "", "staff"), out;
	struct jwt_access_keys keys;
	struct config es, check;
	char more[256], *token;

	CHECK(cfg_load(&es, es_dir, ISSUER, ""));
	CHECK(keys_load(&es, NOW, &keys) == GH_OK);
	jwt_access_keys_cleanup(&keys);
	snprintf(more, sizeof(more), "[sso]\npublic_keys_file = %s\n", es.sso_public_keys_file);
	CHECK(cfg_load(&check, missing_dir, ISSUER, more));
	CHECK_STR(check.sso_public_keys_file, es.sso_public_keys_file);
	CHECK(jwt_access_keys_load(&check, &keys, errbuf, sizeof(errbuf)) == GH_OK);
	CHECK(keys.loaded && keys.es256.nkeys == 1 && keys.rs256.nkeys == 0);
	token = sign_with(&es, &es_keys.keys[0], &c);
	CHECK(token != NULL && jwt_access_verify(&check, &keys, token, NOW, &out) == JWS_OK);
	CHECK_STR(out.roles, "staff");
	free(token);
	jwt_access_keys_cleanup(&keys);
	config_cleanup(&check);
	config_cleanup(&es);
}

/* write_file writes text to path; false when it cannot. */
static bool
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	return f != NULL && fputs(text, f) >= 0 && fclose(f) == 0;
}

/* A public keys file that is not what gatehousectl writes stops the check
 * at start, naming the file: not JSON, not a JWKS, a key of another
 * algorithm, a key a JWKS may not hold; a folder in its place. */
TEST(broken_public_keys_file_is_an_error_naming_it)
{
	static const char *const bad[] = {
	    "not json",
	    "{\"keys\": 3}",
	    "[]",
	    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES384\",\"kid\":\"k\","
	    "\"x\":\"AA\",\"y\":\"AA\"}]}",
	    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES256\",\"kid\":\"k\","
	    "\"x\":\"AA\",\"y\":\"AA\"}]}",
	};
	struct jwt_access_keys keys;
	struct config cfg;
	char path[160], more[256], err[512];

	snprintf(path, sizeof(path), "%s/broken.jwks", root);
	snprintf(more, sizeof(more), "[sso]\npublic_keys_file = %s\n", path);
	CHECK(cfg_load(&cfg, es_dir, ISSUER, more));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(write_file(path, bad[i]));
		CHECK(jwt_access_keys_load(&cfg, &keys, err, sizeof(err)) == GH_EINVAL);
		CHECK(strncmp(err, path, strlen(path)) == 0);
		CHECK(!keys.loaded && keys.es256.nkeys == 0 && keys.rs256.nkeys == 0);
	}
	unlink(path);
	CHECK(mkdir(path, 0700) == 0);
	CHECK(jwt_access_keys_load(&cfg, &keys, err, sizeof(err)) == GH_EIO);
	CHECK(strstr(err, path) != NULL && !keys.loaded);
	rmdir(path);
	config_cleanup(&cfg);
}

TEST(no_issuer_signs_and_verifies_nothing)
{
	struct config cfg, es;
	struct jwt_access_claims c = claims_at(NOW, "", ""), out;
	struct jwt_access_keys keys;
	char *token = NULL;

	CHECK(load(&cfg, "[sso]\nkeys_dir = /nonexistent\n") == GH_OK);
	CHECK(cfg.sso_issuer == NULL && config_token_audience(&cfg) == NULL);
	CHECK(jwt_access_sign(&cfg, &es_keys.keys[0], &c, &token) == GH_ECONFIG);
	CHECK(token == NULL);
	CHECK(cfg_load(&es, es_dir, ISSUER, ""));
	token = sign_with(&es, &es_keys.keys[0], &c);
	CHECK(keys_load(&es, NOW, &keys) == GH_OK);
	CHECK(jwt_access_verify(&cfg, &keys, token, NOW, &out) != JWS_OK);
	CHECK(jwt_access_verify(&es, &keys, token, NOW, &out) == JWS_OK);
	jwt_access_keys_cleanup(&keys);
	free(token);
	config_cleanup(&es);
	config_cleanup(&cfg);
}

/* forge puts together header.body.sig (JSON texts, sig base64url as
 * given) as an attacker would; the HMAC-SHA-256 under key when key is not
 * NULL.  The caller frees it. */
static char *
forge(const char *header, const char *body, const char *key, const char *sig)
{
	size_t hn = strlen(header), bn = strlen(body);
	char *out = malloc(2 * (hn + bn) + 200);
	unsigned char mac[CRYPTO_SHA256_LEN];
	size_t n;

	if (out == NULL)
		return NULL;
	n = crypto_b64url_encode(header, hn, out);
	out[n++] = '.';
	n += crypto_b64url_encode(body, bn, out + n);
	out[n++] = '.';
	if (key != NULL) {
		crypto_hmac_sha256(key, strlen(key), out, n - 1, mac);
		crypto_b64url_encode(mac, sizeof(mac), out + n);
	} else
		memcpy(out + n, sig, strlen(sig) + 1);
	return out;
}

/* A token signed otherwise than by one of our keys' algorithms: refused
 * before any key is tried (an HMAC keyed with what an attacker may know
 * of our key, "none", our own token relabelled RS256). */
TEST(other_algorithms_refused)
{
	const struct signkey *k = &es_keys.keys[0];
	struct jwt_access_claims c = claims_at(NOW, "", "admin"), out;
	char header[256], body[512], *token, *forged, *dot;
	struct config cfg;

	CHECK(cfg_load(&cfg, es_dir, ISSUER, ""));
	snprintf(body, sizeof(body),
	    "{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"alice\",\"uid\":42,\"roles\":[\"admin\"],"
	    "\"jti\":\"%s\",\"iat\":%d,\"exp\":%d}",
	    ISSUER, ISSUER, c.jti, NOW, NOW + 60);
	snprintf(
	    header, sizeof(header), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", k->kid);
	forged = forge(header, body, k->pem, NULL);
	CHECK(verify_one(&cfg, forged, NOW, &out) == JWS_WRONG_ALG);
	free(forged);
	snprintf(
	    header, sizeof(header), "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"%s\"}", k->kid);
	forged = forge(header, body, NULL, "c2ln");
	CHECK(verify_one(&cfg, forged, NOW, &out) == JWS_WRONG_ALG);
	free(forged);
	/* Our ES256 token with its header saying RS256: no RS256 key has its
	 * kid. */
	token = sign_with(&cfg, k, &c);
	CHECK(verify_one(&cfg, token, NOW, &out) == JWS_OK);
	snprintf(
	    header, sizeof(header), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", k->kid);
	forged = forge(header, "{}", NULL, "");
	dot = token != NULL ? strchr(token, '.') : NULL;
	if (forged != NULL && dot != NULL) {
		char *relabelled = malloc(strlen(forged) + strlen(token));

		/* The forged header, then our token's body and signature. */
		*strchr(forged, '.') = '\0';
		snprintf(relabelled, strlen(forged) + strlen(token), "%s%s", forged, dot);
		CHECK(verify_one(&cfg, relabelled, NOW, &out) == JWS_UNKNOWN_KID);
		free(relabelled);
	} else
		CHECK(false);
	free(forged);
	free(token);
	config_cleanup(&cfg);
}

/* claims_base is what jwt_access_sign writes, as a JSON object to spoil. */
static json_t *
claims_base(void)
{
	char jti[CRYPTO_TOKEN_LEN + 1];

	crypto_token(jti);
	return json_pack("{s:s, s:s, s:s, s:I, s:[s, s], s:s, s:s, s:I, s:I}", "iss", ISSUER, "aud",
	    ISSUER, "sub", "alice", "uid", (json_int_t)42, "roles", "admin", "editor", "email",
	    "alice@example.org", "jti", jti, "iat", (json_int_t)NOW, "exp", (json_int_t)(NOW + 60));
}

/* refusal_of signs claims (taken) with our ES256 key, as jws_sign does for
 * any claims, and verifies the token: the refusal. */
static enum jws_refusal
refusal_of(const struct config *cfg, json_t *claims)
{
	const struct signkey *k = &es_keys.keys[0];
	struct jwt_access_claims out;
	char *token = NULL;
	enum jws_refusal r = JWS_MALFORMED;

	if (claims != NULL &&
	    jws_sign(CONFIG_ES256, k->pem, k->pem_len, k->kid, claims, &token) == GH_OK)
		r = verify_one(cfg, token, NOW, &out);
	free(token);
	json_decref(claims);
	return r;
}

/* spoiled is claims_base with name set to v (NULL: removed). */
static json_t *
spoiled(const char *name, json_t *v)
{
	json_t *c = claims_base();

	if (v == NULL)
		json_object_del(c, name);
	else
		json_object_set_new(c, name, v);
	return c;
}

TEST(claims_of_the_wrong_type_or_size_refused)
{
	char long_text[300];
	struct config cfg;
	json_t *roles;

	CHECK(cfg_load(&cfg, es_dir, ISSUER, ""));
	/* The control: the claims as they are made. */
	CHECK(refusal_of(&cfg, claims_base()) == JWS_OK);
	/* uid: a positive integer. */
	CHECK(refusal_of(&cfg, spoiled("uid", json_string("42"))) == JWS_BAD_CLAIM);
	CHECK(refusal_of(&cfg, spoiled("uid", json_real(42.0))) == JWS_BAD_CLAIM);
	CHECK(refusal_of(&cfg, spoiled("uid", json_integer(0))) == JWS_BAD_CLAIM);
	CHECK(refusal_of(&cfg, spoiled("uid", json_integer(-42))) == JWS_BAD_CLAIM);
	CHECK(refusal_of(&cfg, spoiled("uid", NULL)) == JWS_BAD_CLAIM);
	/* roles: an array of role names, each without a comma. */
	CHECK(refusal_of(&cfg, spoiled("roles", json_string("admin"))) == JWS_BAD_CLAIM);
	CHECK(refusal_of(&cfg, spoiled("roles", NULL)) == JWS_BAD_CLAIM);
	CHECK(
	    refusal_of(&cfg, spoiled("roles", json_pack("[s]", "admin,editor"))) == JWS_BAD_CLAIM);
	CHECK(
	    refusal_of(&cfg, spoiled("roles", json_pack("[s, s]", "admin", ""))) == JWS_BAD_CLAIM);
	CHECK(refusal_of(&cfg, spoiled("roles", json_pack("[s, i]", "admin", 7))) == JWS_BAD_CLAIM);
	CHECK(refusal_of(&cfg, spoiled("roles", json_pack("[[s]]", "admin"))) == JWS_BAD_CLAIM);
	/* More roles than a session holds. */
	roles = json_array();
	memset(long_text, 'r', 200);
	long_text[200] = '\0';
	for (int i = 0; i < 6; i++)
		json_array_append_new(roles, json_string(long_text));
	CHECK(refusal_of(&cfg, spoiled("roles", roles)) == JWS_BAD_CLAIM);
	CHECK(refusal_of(&cfg, spoiled("roles", json_array())) == JWS_OK);
	/* jti: 43 characters. */
	CHECK(refusal_of(&cfg,
	          spoiled("jti", json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))) ==
	      JWS_BAD_CLAIM);
	CHECK(refusal_of(&cfg,
	          spoiled("jti", json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))) ==
	      JWS_BAD_CLAIM);
	CHECK(refusal_of(&cfg,
	          spoiled("jti", json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))) ==
	      JWS_OK);
	CHECK(refusal_of(&cfg, spoiled("jti", NULL)) == JWS_BAD_JTI);
	CHECK(refusal_of(&cfg, spoiled("jti", json_integer(7))) == JWS_BAD_JTI);
	/* sub: a name, not empty, that fits. */
	CHECK(refusal_of(&cfg, spoiled("sub", json_string(""))) == JWS_BAD_CLAIM);
	CHECK(refusal_of(&cfg, spoiled("sub", NULL)) == JWS_BAD_CLAIM);
	CHECK(refusal_of(&cfg, spoiled("sub", json_integer(42))) == JWS_BAD_CLAIM);
	memset(long_text, 'n', 256);
	long_text[256] = '\0';
	CHECK(refusal_of(&cfg, spoiled("sub", json_string(long_text))) == JWS_BAD_CLAIM);
	long_text[255] = '\0';
	CHECK(refusal_of(&cfg, spoiled("sub", json_string(long_text))) == JWS_OK);
	/* email: absent, or a string that fits. */
	CHECK(refusal_of(&cfg, spoiled("email", NULL)) == JWS_OK);
	CHECK(refusal_of(&cfg, spoiled("email", json_integer(1))) == JWS_BAD_CLAIM);
	CHECK(refusal_of(&cfg, spoiled("email", json_null())) == JWS_BAD_CLAIM);
	long_text[255] = 'n';
	CHECK(refusal_of(&cfg, spoiled("email", json_string(long_text))) == JWS_BAD_CLAIM);
	/* iat: an integer, present. */
	CHECK(refusal_of(&cfg, spoiled("iat", NULL)) == JWS_BAD_CLAIM);
	CHECK(refusal_of(&cfg, spoiled("iat", json_string("1800000000"))) == JWS_BAD_CLAIM);
	config_cleanup(&cfg);
}

/* -- Set-up --------------------------------------------------------------- */

/* make_folder writes "<root>/name" into dir and, unless alg is -1, makes
 * a key of alg there at t; false when that fails. */
static bool
make_folder(char *dir, size_t len, const char *name, int alg, int64_t t)
{
	char kid[SIGNKEY_KID_MAX + 1], err[512];

	snprintf(dir, len, "%s/%s", root, name);
	if (alg < 0)
		return true;
	if (signkey_generate(dir, (enum signkey_alg)alg, t, kid, err, sizeof(err)) != GH_OK) {
		fprintf(stderr, "signkey_generate: %s\n", err);
		return false;
	}
	return true;
}

/* load_set loads dir's keys at NOW into set. */
static bool
load_set(const char *dir, struct signkey_set *set)
{
	char err[512];

	if (signkey_load(dir, NOW, LIFETIME, set, err, sizeof(err)) != GH_OK) {
		fprintf(stderr, "signkey_load: %s\n", err);
		return false;
	}
	return set->nkeys > 0;
}

static bool
set_up(void)
{
	if (!tmp_make(root, sizeof(root), "test_jwt_access"))
		return false;
	umask(022);
	if (!make_folder(es_dir, sizeof(es_dir), "es", SIGNKEY_ES256, T0) ||
	    !make_folder(rs_dir, sizeof(rs_dir), "rs", SIGNKEY_RS256, T0) ||
	    !make_folder(stranger_dir, sizeof(stranger_dir), "stranger", SIGNKEY_ES256, T0) ||
	    !make_folder(rotated_dir, sizeof(rotated_dir), "rotated", SIGNKEY_ES256, T0) ||
	    !make_folder(rotated_dir, sizeof(rotated_dir), "rotated", SIGNKEY_RS256, T0 + 100) ||
	    !make_folder(empty_dir, sizeof(empty_dir), "empty", -1, 0) ||
	    !make_folder(missing_dir, sizeof(missing_dir), "missing", -1, 0))
		return false;
	if (mkdir(empty_dir, 0700) != 0) {
		perror(empty_dir);
		return false;
	}
	return load_set(es_dir, &es_keys) && load_set(rs_dir, &rs_keys) &&
	       load_set(stranger_dir, &stranger_keys);
}

int
main(void)
{
	bool ok;

	clear_gatehouse_env();
	ok = set_up();
	if (ok) {
		RUN(round_trip_keeps_every_claim);
		RUN(wrong_audience_refused);
		RUN(wrong_issuer_refused);
		RUN(expired_or_too_long_lived_refused);
		RUN(token_of_a_key_not_in_the_folder_refused);
		RUN(rs256_folder_verifies_its_own_only);
		RUN(rotated_key_verifies_until_it_expires);
		RUN(folder_without_a_key_refuses_every_token);
		RUN(public_keys_file_verifies_without_the_folder);
		RUN(broken_public_keys_file_is_an_error_naming_it);
		RUN(no_issuer_signs_and_verifies_nothing);
		RUN(other_algorithms_refused);
		RUN(claims_of_the_wrong_type_or_size_refused);
	} else {
		test_failed++;
		printf("not ok - set_up\n");
	}
	signkey_cleanup(&es_keys);
	signkey_cleanup(&rs_keys);
	signkey_cleanup(&stranger_keys);
	if (root[0] != '\0')
		tmp_remove(root, 2);
	return test_summary();
}
