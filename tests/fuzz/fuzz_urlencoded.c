/*
 * fuzz_urlencoded: request_urlencoded_parse on arbitrary bytes (query strings
 * and form bodies).  Every field it returns must be a NUL-free string.
 */
#include <stdint.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvlist l = {0};

	if (request_urlencoded_parse((const char *)data, size, &l) == GH_OK) {
		for (size_t i = 0; i < l.n; i++)
			if (strlen(l.v[i].key) > size || strlen(l.v[i].val) > size)
				__builtin_trap();
	}
	kvlist_cleanup(&l);
	return 0;
}
