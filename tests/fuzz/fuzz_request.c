/*
 * fuzz_request: request_parse on FastCGI parameters and a body taken from the
 * input.  The input is "NAME=value" lines; a line "--" ends them and the rest
 * is the body.  This reaches every field of struct request, the path decoder
 * and the role, host and HTTPS logic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PARAMS 32

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *envp[MAX_PARAMS + 1], *p, *body = NULL;
	size_t n = 0, body_len = 0;
	struct request r;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	p = copy;
	while (n < MAX_PARAMS && p < copy + size) {
		char *nl = memchr(p, '\n', (size_t)(copy + size - p));
		if (nl != NULL)
			*nl = '\0';
		if (strcmp(p, "--") == 0) {
			if (nl != NULL) {
				body = nl + 1;
				body_len = (size_t)(copy + size - body);
			}
			break;
		}
		envp[n++] = p;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	envp[n] = NULL;
	memset(&r, 0, sizeof(r));
	if (request_parse(&r, envp, body, body_len, REQUEST_PARSE_ALL) == GH_OK) {
		(void)request_wants_json(&r);
		if (strlen(r.path) == 0 && r.path[0] != '\0')
			__builtin_trap();
	}
	request_cleanup(&r);
	free(copy);
	return 0;
}
