/*
 * fuzz_jwks: jwks_parse on an arbitrary document.  Either it refuses with a
 * message, or every key it gives is well formed (a PEM public key of the
 * family it names, kids distinct, an "alg" that fits), and writing the keys
 * back with jwks_add_json gives a document that parses again to the same
 * keys.  Never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jwks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_keys(const struct jwks *set)
{
	enum jwks_kty kty;
	size_t i, j;

	if (set->nkeys == 0 || set->nkeys > JWKS_MAX_KEYS)
		__builtin_trap();
	for (i = 0; i < set->nkeys; i++) {
		const struct jwks_key *k = &set->keys[i];

		if (k->pem == NULL || strlen(k->pem) != k->pem_len ||
		    jwks_pem_kty(k->pem, k->pem_len, &kty) != GH_OK || kty != k->kty)
			__builtin_trap();
		if (strlen(k->kid) > JWKS_KID_MAX || jwks_find(set, k->kid) != k)
			__builtin_trap();
		for (j = 0; j < i; j++)
			if (strcmp(set->keys[j].kid, k->kid) == 0)
				__builtin_trap();
		if (k->alg[0] != '\0' &&
		    (k->alg[0] == 'E') != (k->kty == JWKS_EC_P256 || k->kty == JWKS_EC_P384))
			__builtin_trap();
	}
}

/* The keys written back by jwks_add_json parse to the same keys. */
static void
check_round_trip(const struct jwks *set)
{
	json_t *doc = json_pack("{s:[]}", "keys");
	struct jwks again;
	char err[512], *text;
	size_t i;

	if (doc == NULL)
		return;
	for (i = 0; i < set->nkeys; i++) {
		const struct jwks_key *k = &set->keys[i];

		if (jwks_add_json(doc, k->pem, k->pem_len, k->kid[0] ? k->kid : NULL,
		        k->alg[0] ? k->alg : NULL) != GH_OK)
			__builtin_trap();
	}
	if ((text = json_dumps(doc, JSON_COMPACT)) != NULL) {
		if (jwks_parse(text, strlen(text), &again, err, sizeof(err)) != GH_OK ||
		    again.nkeys != set->nkeys)
			__builtin_trap();
		for (i = 0; i < set->nkeys; i++)
			if (again.keys[i].kty != set->keys[i].kty ||
			    strcmp(again.keys[i].kid, set->keys[i].kid) != 0 ||
			    strcmp(again.keys[i].alg, set->keys[i].alg) != 0 ||
			    strcmp(again.keys[i].pem, set->keys[i].pem) != 0)
				__builtin_trap();
		jwks_cleanup(&again);
		free(text);
	}
	json_decref(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwks set;
	char err[512];

	err[0] = '\0';
	if (jwks_parse((const char *)data, size, &set, err, sizeof(err)) == GH_OK) {
		check_keys(&set);
		check_round_trip(&set);
		jwks_cleanup(&set);
	} else if (err[0] == '\0' || set.keys != NULL || set.nkeys != 0) {
		__builtin_trap(); /* a refusal must say why, and own nothing */
	}
	return 0;
}
