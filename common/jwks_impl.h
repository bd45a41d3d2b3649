/*
 * jwks_impl.h: what the JWKS files share; private to them.  jwks.c holds
 * the document (jwks_parse, jwks_load, jwks_find, jwks_cleanup) and the
 * messages, jwks_key.c one key: its JWK members to an OpenSSL EVP_PKEY to
 * PEM, and back (jwks_pem_kty, jwks_add_json).  What is taken is told in
 * jwks.h, how at the top of each file.
 */
#ifndef GH_JWKS_IMPL_H
#define GH_JWKS_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "jwks.h"

/* jwks_error (jwks.c) writes "keys[i] (kid "k"): why" (i == SIZE_MAX: "why"
 * alone) into err (NULL or errlen 0: nothing) and returns e.  A message cut
 * short by errlen is still a message, so truncation is not an error here. */
__attribute__((format(printf, 6, 7))) enum gh_err jwks_error(
    char *err, size_t errlen, enum gh_err e, size_t i, const char *kid, const char *fmt, ...);

/* jwks_key_parse (jwks_key.c) turns JWK number i of a document (any JSON
 * value) into *k, zeroed by the caller: GH_OK with k->pem on the heap (the
 * caller frees it), or GH_EINVAL or GH_ENOMEM with why in err, naming the
 * key by i and, once it is known to be valid, its kid. */
enum gh_err jwks_key_parse(
    const json_t *jwk, size_t i, struct jwks_key *k, char *err, size_t errlen);

#endif
