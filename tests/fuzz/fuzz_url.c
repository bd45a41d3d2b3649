/*
 * fuzz_url: url_decode and url_next_is_safe.  A target judged safe must be a
 * single-slash relative path or a URL of an allowed host, with no control
 * characters: checked again here, independently.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *out = malloc(size + 1);

	if (s == NULL || out == NULL)
		goto out;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)url_decode(s, size, out, true);
	if (url_next_is_safe(s, "partner.example")) {
		for (const char *c = s; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\')
				__builtin_trap();
		if (s[0] == '/' && s[1] == '/')
			__builtin_trap();
		if (s[0] != '/' && strncasecmp(s, "https://partner.example", 23) != 0 &&
		    strncasecmp(s, "http://partner.example", 22) != 0)
			__builtin_trap();
	}
out:
	free(s);
	free(out);
	return 0;
}
