/*
 * jwks_key.c: one JSON Web Key (RFC 7517, RFC 7518 §6) of a JWKS document
 * to and from an OpenSSL EVP_PKEY and a PEM public key (see jwks.h; the
 * document itself is read in jwks.c, jwks_impl.h says what the two share).
 *
 * A JWK's members are checked in turn (kid, private members, use, key_ops,
 * alg, kty), its numbers decoded from base64url and made into an EVP_PKEY
 * through EVP_PKEY_fromdata, the key checked by the same function that
 * checks a PEM key (jwks_pkey_check: RSA size and exponent, EC curve and
 * point), and written out as a PEM SubjectPublicKeyInfo.  The other way
 * round, jwks_add_json reads a PEM key, checks it the same way, and writes
 * the public JWK that jwks_parse takes, EC coordinates padded to the
 * curve's size.  Messages name members, never quote their values, but for
 * short printable ones of kty, crv, use and alg.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "jwks.h"
#include "jwks_impl.h"

#define JWKS_RSA_MIN_BITS 2048
#define JWKS_RSA_MAX_BITS 8192
/* libcrypto refuses a longer exponent with a modulus over 3072 bits. */
#define JWKS_RSA_MAX_E_BITS 64
#define JWKS_EC_MAX_COORD 48 /* bytes of a P-384 coordinate */

/* The "alg" values taken, each with the one family of key it fits. */
static const struct jwks_alg {
	const char *name;
	enum jwks_kty kty;
} jwks_algs[] = {
    {"RS256", JWKS_RSA},
    {"RS384", JWKS_RSA},
    {"RS512", JWKS_RSA},
    {"ES256", JWKS_EC_P256},
    {"ES384", JWKS_EC_P384},
};

/* The curves taken: JWK "crv", OpenSSL's group name, coordinate size. */
static const struct jwks_curve {
	const char *crv;
	const char *group;
	size_t size;
	enum jwks_kty kty;
} jwks_curves[] = {
    {"P-256", "prime256v1", 32, JWKS_EC_P256},
    {"P-384", "secp384r1", 48, JWKS_EC_P384},
};

/* Members that only a private (or symmetric) JWK has. */
static const char *const jwks_private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

static const struct jwks_alg *
jwks_alg_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(jwks_algs) / sizeof(jwks_algs[0]); i++)
		if (strcmp(jwks_algs[i].name, name) == 0)
			return &jwks_algs[i];
	return NULL;
}

static const struct jwks_curve *
jwks_curve_of(enum jwks_kty kty)
{
	size_t i;

	for (i = 0; i < sizeof(jwks_curves) / sizeof(jwks_curves[0]); i++)
		if (jwks_curves[i].kty == kty)
			return &jwks_curves[i];
	return NULL;
}

static const char *
jwks_kty_name(enum jwks_kty kty)
{
	switch (kty) {
	case JWKS_RSA:
		return "RSA";
	case JWKS_EC_P256:
		return "EC P-256";
	case JWKS_EC_P384:
		return "EC P-384";
	}
	return "?";
}

static bool
jwks_printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* A kid is 1 to JWKS_KID_MAX bytes of printable ASCII. */
static bool
jwks_kid_valid(const char *kid, size_t n)
{
	return n > 0 && n <= JWKS_KID_MAX && jwks_printable(kid, n);
}

/*
 * jwks_member writes into buf the name of a member for a message, with its
 * value when that is a short printable string (`kty "oct"`), else the name
 * alone: a value that might be anything is never quoted.
 */
static const char *
jwks_member(char *buf, size_t len, const char *name, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (s != NULL && n <= 16 && jwks_printable(s, n))
		(void)snprintf(buf, len, "%s \"%s\"", name, s);
	else
		(void)snprintf(buf, len, "%s", name);
	return buf;
}

/*
 * jwks_pkey_check tells whether pk is a public key Gatehouse takes and of
 * which family: RSA of JWKS_RSA_MIN_BITS to JWKS_RSA_MAX_BITS with an odd
 * modulus and an odd exponent over 1 of at most JWKS_RSA_MAX_E_BITS bits
 * (libcrypto's own public check would refuse exponents under 65537, which
 * RFC 7518 allows), or EC on P-256 or P-384 with a valid point.  On false,
 * why (when not NULL) says what is wrong.
 */
static bool
jwks_pkey_check(EVP_PKEY *pk, enum jwks_kty *kty, char *why, size_t whylen)
{
	char group[64];
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t glen = 0, i;
	bool ok = false;
	int bits;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (EVP_PKEY_is_a(pk, "RSA")) {
		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
		    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
			(void)snprintf(why, whylen, "not a readable RSA key");
			goto out;
		}
		bits = BN_num_bits(n);
		if (bits < JWKS_RSA_MIN_BITS || bits > JWKS_RSA_MAX_BITS) {
			(void)snprintf(why, whylen, "an RSA modulus of %d bits (%d to %d taken)",
			    bits, JWKS_RSA_MIN_BITS, JWKS_RSA_MAX_BITS);
			goto out;
		}
		if (!BN_is_odd(n)) {
			(void)snprintf(why, whylen, "an even RSA modulus");
			goto out;
		}
		if (!BN_is_odd(e) || BN_is_one(e) || BN_num_bits(e) > JWKS_RSA_MAX_E_BITS ||
		    BN_cmp(e, n) >= 0) {
			(void)snprintf(why, whylen,
			    "an RSA exponent that is not odd, over 1 and at most %d bits",
			    JWKS_RSA_MAX_E_BITS);
			goto out;
		}
		*kty = JWKS_RSA;
		ok = true;
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(
		        pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen) != 1)
			group[0] = '\0';
		for (i = 0; i < sizeof(jwks_curves) / sizeof(jwks_curves[0]); i++)
			if (strcmp(group, jwks_curves[i].group) == 0)
				break;
		if (i == sizeof(jwks_curves) / sizeof(jwks_curves[0])) {
			(void)snprintf(
			    why, whylen, "an EC key on another curve than P-256 or P-384");
			goto out;
		}
		if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL ||
		    EVP_PKEY_public_check(ctx) != 1) {
			(void)snprintf(why, whylen, "not a valid point on %s", jwks_curves[i].crv);
			goto out;
		}
		*kty = jwks_curves[i].kty;
		ok = true;
	} else {
		(void)snprintf(why, whylen, "neither an RSA nor an EC key");
	}
out:
	BN_free(n);
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* jwks_pem_write sets *out to the PEM SubjectPublicKeyInfo of pk (heap,
 * NUL-terminated, length in *len). */
static enum gh_err
jwks_pem_write(EVP_PKEY *pk, char **out, size_t *len)
{
	BIO *bio;
	char *data;
	long n;
	enum gh_err e = GH_ENOMEM;

	*out = NULL;
	*len = 0;
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return GH_ENOMEM;
	if (PEM_write_bio_PUBKEY(bio, pk) != 1 || (n = BIO_get_mem_data(bio, &data)) <= 0)
		goto out;
	if ((*out = malloc((size_t)n + 1)) == NULL)
		goto out;
	memcpy(*out, data, (size_t)n);
	(*out)[n] = '\0';
	*len = (size_t)n;
	e = GH_OK;
out:
	BIO_free(bio);
	ERR_clear_error();
	return e;
}

/* Never prompt for a passphrase: an encrypted PEM key is not read. */
static int
jwks_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* jwks_pem_read reads the first PEM public key of pem[0..len), or, when
 * private is true and there is none, the first private key; NULL if none. */
static EVP_PKEY *
jwks_pem_read(const char *pem, size_t len, bool private)
{
	EVP_PKEY *pk;
	BIO *bio;

	if (pem == NULL || len == 0 || len > JWKS_MAX_BYTES)
		return NULL;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return NULL;
	pk = PEM_read_bio_PUBKEY(bio, NULL, jwks_no_passphrase, NULL);
	if (pk == NULL && private && BIO_reset(bio) == 1)
		pk = PEM_read_bio_PrivateKey(bio, NULL, jwks_no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	return pk;
}

/*
 * jwks_b64_member decodes the base64url string member name of jwk into a
 * fresh buffer (*out, *outlen; the caller frees it).  A message in err and
 * GH_EINVAL when it is missing, not a string or not base64url.
 */
static enum gh_err
jwks_b64_member(const json_t *jwk, const char *name, size_t i, const char *kid, unsigned char **out,
    size_t *outlen, char *err, size_t errlen)
{
	const json_t *v = json_object_get(jwk, name);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	long len;

	*out = NULL;
	*outlen = 0;
	if (v == NULL)
		return jwks_error(err, errlen, GH_EINVAL, i, kid, "has no \"%s\"", name);
	if (s == NULL)
		return jwks_error(err, errlen, GH_EINVAL, i, kid, "\"%s\" is not a string", name);
	if ((*out = malloc(n * 3 / 4 + 1)) == NULL)
		return jwks_error(err, errlen, GH_ENOMEM, i, kid, "out of memory");
	if ((len = crypto_b64url_decode(s, n, *out)) < 0) {
		free(*out);
		*out = NULL;
		return jwks_error(err, errlen, GH_EINVAL, i, kid,
		    "\"%s\" is not base64url (no padding, canonical)", name);
	}
	*outlen = (size_t)len;
	return GH_OK;
}

/* jwks_rsa_from makes *pk of the RSA JWK's "n" and "e". */
static enum gh_err
jwks_rsa_from(const json_t *jwk, size_t i, const char *kid, EVP_PKEY **pk, char *err, size_t errlen)
{
	unsigned char *nb = NULL, *eb = NULL;
	size_t nlen, elen;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	enum gh_err rc;

	if ((rc = jwks_b64_member(jwk, "n", i, kid, &nb, &nlen, err, errlen)) != GH_OK ||
	    (rc = jwks_b64_member(jwk, "e", i, kid, &eb, &elen, err, errlen)) != GH_OK)
		goto out;
	rc = jwks_error(err, errlen, GH_ENOMEM, i, kid, "out of memory");
	if ((n = BN_bin2bn(nb, (int)nlen, NULL)) == NULL ||
	    (e = BN_bin2bn(eb, (int)elen, NULL)) == NULL || (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL)
		goto out;
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, pk, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		rc = jwks_error(err, errlen, GH_EINVAL, i, kid, "\"n\" and \"e\" make no RSA key");
		goto out;
	}
	rc = GH_OK;
out:
	free(nb);
	free(eb);
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* jwks_ec_from makes *pk of the EC JWK's "crv", "x" and "y". */
static enum gh_err
jwks_ec_from(const json_t *jwk, size_t i, const char *kid, EVP_PKEY **pk, char *err, size_t errlen)
{
	const json_t *crv = json_object_get(jwk, "crv");
	const struct jwks_curve *c = NULL;
	unsigned char *x = NULL, *y = NULL, point[1 + 2 * JWKS_EC_MAX_COORD];
	size_t xlen, ylen, k;
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	char what[64];
	enum gh_err rc;

	if (crv == NULL)
		return jwks_error(err, errlen, GH_EINVAL, i, kid, "has no \"crv\"");
	for (k = 0; k < sizeof(jwks_curves) / sizeof(jwks_curves[0]); k++)
		if (json_is_string(crv) && strcmp(json_string_value(crv), jwks_curves[k].crv) == 0)
			c = &jwks_curves[k];
	if (c == NULL)
		return jwks_error(err, errlen, GH_EINVAL, i, kid, "%s is not P-256 or P-384",
		    jwks_member(what, sizeof(what), "crv", crv));
	if ((rc = jwks_b64_member(jwk, "x", i, kid, &x, &xlen, err, errlen)) != GH_OK ||
	    (rc = jwks_b64_member(jwk, "y", i, kid, &y, &ylen, err, errlen)) != GH_OK)
		goto out;
	/* RFC 7518 wants each coordinate at full length, but PyJWT before 2.7
	 * writes them without their leading zero bytes (one key in 128): a
	 * shorter one is the same number, left-padded here.  Longer, or empty,
	 * is refused. */
	if (xlen == 0 || ylen == 0 || xlen > c->size || ylen > c->size) {
		rc = jwks_error(err, errlen, GH_EINVAL, i, kid,
		    "\"x\" and \"y\" must be at most %zu bytes each on %s", c->size, c->crv);
		goto out;
	}
	/* The uncompressed point: 0x04 || x || y (SEC 1, 2.3.3). */
	memset(point, 0, sizeof(point));
	point[0] = 0x04;
	memcpy(point + 1 + (c->size - xlen), x, xlen);
	memcpy(point + 1 + c->size + (c->size - ylen), y, ylen);
	params[0] =
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)c->group, 0);
	params[1] =
	    OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * c->size);
	params[2] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL) {
		rc = jwks_error(err, errlen, GH_ENOMEM, i, kid, "out of memory");
		goto out;
	}
	/* libcrypto refuses a point off the curve here already. */
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, pk, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		rc = jwks_error(err, errlen, GH_EINVAL, i, kid,
		    "\"x\" and \"y\" are not a point on %s", c->crv);
		goto out;
	}
	rc = GH_OK;
out:
	free(x);
	free(y);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* jwks_key_parse: see jwks_impl.h. */
enum gh_err
jwks_key_parse(const json_t *jwk, size_t i, struct jwks_key *k, char *err, size_t errlen)
{
	const json_t *v, *op;
	const struct jwks_alg *alg = NULL;
	const char *kid = NULL, *s;
	char what[64], why[128];
	EVP_PKEY *pk = NULL;
	enum jwks_kty kty;
	enum gh_err rc;
	bool verify;
	size_t n;

	if (!json_is_object(jwk))
		return jwks_error(err, errlen, GH_EINVAL, i, NULL, "not a JSON object");

	if ((v = json_object_get(jwk, "kid")) != NULL) {
		if (!json_is_string(v))
			return jwks_error(
			    err, errlen, GH_EINVAL, i, NULL, "\"kid\" is not a string");
		s = json_string_value(v);
		n = json_string_length(v);
		if (!jwks_kid_valid(s, n))
			return jwks_error(err, errlen, GH_EINVAL, i, NULL,
			    "\"kid\" is not 1 to %d bytes of printable ASCII", JWKS_KID_MAX);
		memcpy(k->kid, s, n + 1);
		kid = k->kid;
	}

	for (n = 0; n < sizeof(jwks_private_members) / sizeof(jwks_private_members[0]); n++)
		if (json_object_get(jwk, jwks_private_members[n]) != NULL)
			return jwks_error(err, errlen, GH_EINVAL, i, kid,
			    "holds private key material (\"%s\"): publish only public keys",
			    jwks_private_members[n]);

	if ((v = json_object_get(jwk, "use")) != NULL &&
	    (!json_is_string(v) || strcmp(json_string_value(v), "sig") != 0))
		return jwks_error(err, errlen, GH_EINVAL, i, kid, "%s is not \"sig\"",
		    jwks_member(what, sizeof(what), "use", v));

	if ((v = json_object_get(jwk, "key_ops")) != NULL) {
		verify = false;
		for (n = 0; n < json_array_size(v); n++) {
			op = json_array_get(v, n);
			if (json_is_string(op) && strcmp(json_string_value(op), "verify") == 0)
				verify = true;
		}
		if (!verify)
			return jwks_error(err, errlen, GH_EINVAL, i, kid,
			    "\"key_ops\" is not an array that holds \"verify\"");
	}

	if ((v = json_object_get(jwk, "alg")) != NULL &&
	    (!json_is_string(v) || (alg = jwks_alg_find(json_string_value(v))) == NULL))
		return jwks_error(err, errlen, GH_EINVAL, i, kid,
		    "%s is not one of RS256, RS384, RS512, ES256, ES384",
		    jwks_member(what, sizeof(what), "alg", v));

	v = json_object_get(jwk, "kty");
	s = json_string_value(v);
	if (v == NULL)
		return jwks_error(err, errlen, GH_EINVAL, i, kid, "has no \"kty\"");
	if (s != NULL && strcmp(s, "RSA") == 0)
		rc = jwks_rsa_from(jwk, i, kid, &pk, err, errlen);
	else if (s != NULL && strcmp(s, "EC") == 0)
		rc = jwks_ec_from(jwk, i, kid, &pk, err, errlen);
	else
		return jwks_error(err, errlen, GH_EINVAL, i, kid, "%s is not RSA or EC",
		    jwks_member(what, sizeof(what), "kty", v));
	if (rc != GH_OK)
		goto out;

	if (!jwks_pkey_check(pk, &kty, why, sizeof(why))) {
		rc = jwks_error(err, errlen, GH_EINVAL, i, kid, "%s", why);
		goto out;
	}
	if (alg != NULL && alg->kty != kty) {
		rc = jwks_error(err, errlen, GH_EINVAL, i, kid, "alg %s does not fit an %s key",
		    alg->name, jwks_kty_name(kty));
		goto out;
	}
	k->kty = kty;
	if (alg != NULL)
		memcpy(k->alg, alg->name, strlen(alg->name) + 1);
	if ((rc = jwks_pem_write(pk, &k->pem, &k->pem_len)) != GH_OK)
		jwks_error(err, errlen, rc, i, kid, "out of memory");
out:
	EVP_PKEY_free(pk);
	return rc;
}

enum gh_err
jwks_pem_kty(const char *pem, size_t len, enum jwks_kty *kty)
{
	EVP_PKEY *pk;
	bool ok;

	if ((pk = jwks_pem_read(pem, len, false)) == NULL)
		return GH_EINVAL;
	ok = jwks_pkey_check(pk, kty, NULL, 0);
	EVP_PKEY_free(pk);
	return ok ? GH_OK : GH_EINVAL;
}

/* jwks_b64_json returns a JSON string of the base64url of p[0..n), or NULL. */
static json_t *
jwks_b64_json(const unsigned char *p, size_t n)
{
	char *s;
	json_t *v;

	if ((s = malloc(4 * ((n + 2) / 3) + 1)) == NULL)
		return NULL;
	crypto_b64url_encode(p, n, s);
	v = json_string(s);
	free(s);
	return v;
}

/* jwks_bn_json returns a JSON string of the base64url of the parameter
 * name of pk as a big-endian number, padded to size bytes (0: unpadded). */
static json_t *
jwks_bn_json(EVP_PKEY *pk, const char *name, size_t size)
{
	BIGNUM *bn = NULL;
	unsigned char *buf = NULL;
	json_t *v = NULL;
	int n;

	if (EVP_PKEY_get_bn_param(pk, name, &bn) != 1)
		goto out;
	if (size == 0)
		size = (size_t)BN_num_bytes(bn);
	if (size == 0 || size > JWKS_RSA_MAX_BITS / 8 || (buf = malloc(size)) == NULL)
		goto out;
	if ((n = BN_bn2binpad(bn, buf, (int)size)) < 0 || (size_t)n != size)
		goto out;
	v = jwks_b64_json(buf, size);
out:
	free(buf);
	BN_free(bn);
	ERR_clear_error();
	return v;
}

enum gh_err
jwks_add_json(void *doc, const char *pem, size_t len, const char *kid, const char *alg)
{
	const struct jwks_alg *a = NULL;
	const struct jwks_curve *c;
	json_t *keys = json_object_get(doc, "keys"), *jwk = NULL, *old;
	EVP_PKEY *pk = NULL;
	enum jwks_kty kty;
	enum gh_err rc = GH_EINVAL;
	const char *oldkid;
	size_t i;
	int bad = 0;

	if (!json_is_array(keys) || (kid != NULL && !jwks_kid_valid(kid, strlen(kid))) ||
	    (alg != NULL && (a = jwks_alg_find(alg)) == NULL))
		return GH_EINVAL;
	if (json_array_size(keys) >= JWKS_MAX_KEYS)
		return GH_ETOOBIG;
	json_array_foreach(keys, i, old)
	{
		oldkid = json_string_value(json_object_get(old, "kid"));
		if (strcmp(oldkid != NULL ? oldkid : "", kid != NULL ? kid : "") == 0)
			return GH_EEXISTS;
	}
	if ((pk = jwks_pem_read(pem, len, true)) == NULL || !jwks_pkey_check(pk, &kty, NULL, 0) ||
	    (a != NULL && a->kty != kty))
		goto out;

	rc = GH_ENOMEM;
	if ((jwk = json_object()) == NULL)
		goto out;
	if (kty == JWKS_RSA) {
		bad |= json_object_set_new(jwk, "kty", json_string("RSA"));
		bad |= json_object_set_new(jwk, "n", jwks_bn_json(pk, OSSL_PKEY_PARAM_RSA_N, 0));
		bad |= json_object_set_new(jwk, "e", jwks_bn_json(pk, OSSL_PKEY_PARAM_RSA_E, 0));
	} else {
		c = jwks_curve_of(kty);
		bad |= json_object_set_new(jwk, "kty", json_string("EC"));
		bad |= json_object_set_new(jwk, "crv", json_string(c->crv));
		bad |= json_object_set_new(
		    jwk, "x", jwks_bn_json(pk, OSSL_PKEY_PARAM_EC_PUB_X, c->size));
		bad |= json_object_set_new(
		    jwk, "y", jwks_bn_json(pk, OSSL_PKEY_PARAM_EC_PUB_Y, c->size));
	}
	if (kid != NULL)
		bad |= json_object_set_new(jwk, "kid", json_string(kid));
	if (alg != NULL)
		bad |= json_object_set_new(jwk, "alg", json_string(alg));
	bad |= json_object_set_new(jwk, "use", json_string("sig"));
	if (bad != 0 || json_array_append(keys, jwk) != 0)
		goto out;
	rc = GH_OK;
out:
	json_decref(jwk);
	EVP_PKEY_free(pk);
	return rc;
}
