/*
 * request_json.c: a JSON request body as form fields (request.h,
 * REQUEST_PARSE_JSON), for the API routes that take application/json as
 * well as a urlencoded form (the token API).
 *
 * Only the flat shape such a body needs is taken: one object whose values
 * are all strings, at most REQUEST_MAX_FIELDS of them, no name given twice
 * (jansson's JSON_REJECT_DUPLICATES), no NUL in a name or a value (jansson
 * refuses "\u0000" without JSON_ALLOW_NUL).  Anything else is GH_EINVAL:
 * a nested value, a number where a string is meant, trailing garbage.
 * The body's size is bounded by the caller.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto.h"
#include "request.h"

enum gh_err
request_json_parse(const char *s, size_t len, struct kvlist *l)
{
	json_error_t jerr;
	json_t *doc, *v;
	const char *key;
	enum gh_err e = GH_EINVAL;

	l->v = NULL;
	l->n = 0;
	if (s == NULL || len == 0 || memchr(s, '\0', len) != NULL)
		return GH_EINVAL;
	if ((doc = json_loadb(s, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return GH_EINVAL;
	if (!json_is_object(doc) || json_object_size(doc) > REQUEST_MAX_FIELDS)
		goto done;
	json_object_foreach(doc, key, v) if (!json_is_string(v)) goto done;
	if (json_object_size(doc) == 0) {
		e = GH_OK;
		goto done;
	}
	if ((l->v = calloc(json_object_size(doc), sizeof(*l->v))) == NULL) {
		e = GH_ENOMEM;
		goto done;
	}
	json_object_foreach(doc, key, v)
	{
		struct kv *kv = &l->v[l->n];

		if ((kv->key = strdup(key)) == NULL) {
			e = GH_ENOMEM;
			goto done;
		}
		l->n++; /* counted once the key is owned, so cleanup frees it */
		if ((kv->val = strdup(json_string_value(v))) == NULL) {
			e = GH_ENOMEM;
			goto done;
		}
	}
	e = GH_OK;
done:
	if (e != GH_OK)
		kvlist_cleanup(l);
	/* The values may hold a password: wipe jansson's copies too. */
	if (json_is_object(doc))
		json_object_foreach(doc, key, v) if (json_is_string(v))
		    crypto_wipe((char *)json_string_value(v), json_string_length(v));
	json_decref(doc);
	return e;
}
