/*
 * fuzz_token_body: the bodies of gatehouse-sso's token API (POST
 * <prefix>/token and <prefix>/token/revoke), which come as a flat JSON
 * object (request_json_parse) or a urlencoded form
 * (request_urlencoded_parse): each input goes to both.  On GH_OK every
 * field is a key and a value, NUL-terminated strings, at most
 * REQUEST_MAX_FIELDS of them; on an error the list is empty.  For JSON the
 * fields are checked against jansson's own reading of the input (allowing
 * NUL, so that a value cut at a NUL shows): an object with exactly these
 * names, each value a string of exactly that length and those bytes.  A
 * form taken had no NUL to decode: no raw NUL byte and no "%00".
 */
#define _GNU_SOURCE /* memmem */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_fields checks l's shape after a parse of size bytes that gave e. */
static void
fuzz_fields(const struct kvlist *l, enum gh_err e, size_t size)
{
	if (e != GH_OK) {
		if (l->v != NULL || l->n != 0)
			__builtin_trap();
		return;
	}
	if (l->n > REQUEST_MAX_FIELDS || (l->n > 0) != (l->v != NULL))
		__builtin_trap();
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].key == NULL || l->v[i].val == NULL ||
		    strlen(l->v[i].key) + strlen(l->v[i].val) > size)
			__builtin_trap();
}

/* fuzz_json_agrees checks l, which request_json_parse took from the
 * input, against jansson's reading of it. */
static void
fuzz_json_agrees(const struct kvlist *l, const char *s, size_t size)
{
	json_error_t jerr;
	json_t *doc = json_loadb(s, size, JSON_ALLOW_NUL, &jerr), *v;

	if (!json_is_object(doc) || json_object_size(doc) != l->n)
		__builtin_trap();
	for (size_t i = 0; i < l->n; i++) {
		v = json_object_get(doc, l->v[i].key);
		if (!json_is_string(v) || json_string_length(v) != strlen(l->v[i].val) ||
		    memcmp(json_string_value(v), l->v[i].val, json_string_length(v)) != 0)
			__builtin_trap();
		/* Each name once. */
		for (size_t j = 0; j < i; j++)
			if (strcmp(l->v[i].key, l->v[j].key) == 0)
				__builtin_trap();
	}
	json_decref(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct kvlist l = {0};
	enum gh_err e;

	e = request_json_parse(s, size, &l);
	fuzz_fields(&l, e, size);
	if (e == GH_OK)
		fuzz_json_agrees(&l, s, size);
	kvlist_cleanup(&l);

	e = request_urlencoded_parse(s, size, &l);
	fuzz_fields(&l, e, size);
	if (e == GH_OK && (memchr(s, '\0', size) != NULL || memmem(s, size, "%00", 3) != NULL))
		__builtin_trap();
	kvlist_cleanup(&l);
	return 0;
}
