/*
 * fuzz_cookies: request_cookies_parse on an arbitrary Cookie header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvlist l = {0};
	char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (request_cookies_parse(s, &l) == GH_OK)
		(void)kvlist_get(&l, "gatehouse");
	kvlist_cleanup(&l);
	free(s);
	return 0;
}
