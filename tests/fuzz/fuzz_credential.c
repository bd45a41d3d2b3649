/*
 * fuzz_credential: credential_parse on an arbitrary Authorization header
 * (common/credential.c), and credential_base64_decode on the same bytes.
 * What it parses must hold the contract of credential.h: a Bearer token
 * that is the header's tail, or a Basic user and password without a
 * control byte or a second colon, within their limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "credential.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_clean: no control byte and no colon in s. */
static void
fuzz_clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == ':')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char out[CREDENTIAL_BASIC_MAX];
	struct credential c;
	char *s = malloc(size + 1);
	long n;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (credential_parse(s, &c) == GH_OK) {
		if (c.scheme == CREDENTIAL_BEARER) {
			if (c.user != NULL || c.token != s + 7 || strlen(c.token) == 0 ||
			    strlen(c.token) > CREDENTIAL_TOKEN_MAX)
				abort();
		} else {
			if (c.user == NULL || c.token == NULL || strlen(c.user) == 0 ||
			    strlen(c.user) > CREDENTIAL_USER_MAX || strlen(c.token) == 0 ||
			    strlen(c.user) + 1 + strlen(c.token) > CREDENTIAL_BASIC_MAX)
				abort();
			fuzz_clean(c.user);
			fuzz_clean(c.token);
		}
	} else if (c.user != NULL || c.token != NULL)
		abort();
	credential_cleanup(&c);
	n = credential_base64_decode(s, size, out, sizeof(out));
	if (n < -1 || n > (long)sizeof(out))
		abort();
	free(s);
	return 0;
}
