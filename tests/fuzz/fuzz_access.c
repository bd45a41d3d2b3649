/*
 * fuzz_access: parses the first line of the input as an access rule and
 * matches the rest (host, then path, one per line) against it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *host = "", *path = "/";
	struct access_rule r;
	const char *why = NULL;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	char *nl = strchr(s, '\n');
	if (nl != NULL) {
		*nl = '\0';
		host = nl + 1;
		char *nl2 = strchr(host, '\n');
		if (nl2 != NULL) {
			*nl2 = '\0';
			path = nl2 + 1;
		}
	}
	memset(&r, 0, sizeof(r));
	if (access_rule_parse(s, &r, &why) == GH_OK) {
		(void)access_match(&r, 1, host, path);
		(void)access_roles_has(path, host);
	}
	access_rule_cleanup(&r);
	free(s);
	return 0;
}
