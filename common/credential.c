/*
 * credential.c: the Authorization header of an API client, parsed strictly
 * (see credential.h).
 *
 * Nothing here allocates or asks a database: the check calls it only when a
 * request carries the header, and what it refuses costs no query.  Basic's
 * decoded bytes (a password) are wiped on every path that leaves them
 * behind.  The base64 decoder is written here, not taken from OpenSSL:
 * EVP_DecodeBlock skips whitespace and takes non-canonical text, and a
 * lenient decoder would make two headers of one credential.
 */
#include <stdbool.h>
#include <string.h>

#include "credential.h"
#include "crypto.h"

/* credential_b64_value is the value of the base64 digit c, or -1. */
static int
credential_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long
credential_base64_decode(const char *s, size_t n, unsigned char *out, size_t outlen)
{
	size_t pad = 0, i, o = 0;
	unsigned long v = 0;
	int d;

	if (n % 4 != 0)
		return -1;
	if (n > 0 && s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	if (n / 4 * 3 - pad > outlen)
		return -1;
	for (i = 0; i < n - pad; i++) {
		if ((d = credential_b64_value((unsigned char)s[i])) < 0)
			return -1;
		v = v << 6 | (unsigned long)d;
		if (i % 4 == 3) {
			out[o++] = (unsigned char)(v >> 16);
			out[o++] = (unsigned char)(v >> 8);
			out[o++] = (unsigned char)v;
			v = 0;
		}
	}
	/* The last group: its unused bits must be zero (one text per value). */
	if (pad == 1) {
		if ((v & 0x3) != 0)
			return -1;
		out[o++] = (unsigned char)(v >> 10);
		out[o++] = (unsigned char)(v >> 2);
	} else if (pad == 2) {
		if ((v & 0xf) != 0)
			return -1;
		out[o++] = (unsigned char)(v >> 4);
	}
	return (long)o;
}

/* credential_b64token tells whether s[0..n) is a b64token (RFC 6750 2.1)
 * of at most CREDENTIAL_TOKEN_MAX bytes. */
static bool
credential_b64token(const char *s, size_t n)
{
	static const char other[] = "-._~+/";
	size_t i = 0;

	if (n == 0 || n > CREDENTIAL_TOKEN_MAX)
		return false;
	while (i < n && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
	                    (s[i] >= '0' && s[i] <= '9') || memchr(other, s[i], 6) != NULL))
		i++;
	if (i == 0)
		return false;
	while (i < n && s[i] == '=')
		i++;
	return i == n;
}

/* credential_basic decodes Basic's s[0..n) into out (see credential.h). */
static enum gh_err
credential_basic(const char *s, size_t n, struct credential *out)
{
	long len =
	    credential_base64_decode(s, n, (unsigned char *)out->basic, CREDENTIAL_BASIC_MAX);
	size_t i, colon = 0, colons = 0;

	if (len < 0)
		goto fail;
	for (i = 0; i < (size_t)len; i++) {
		unsigned char c = (unsigned char)out->basic[i];

		if (c < 0x20 || c == 0x7f)
			goto fail;
		if (c == ':' && colons++ == 0)
			colon = i;
	}
	if (colons != 1 || colon == 0 || colon > CREDENTIAL_USER_MAX || colon + 1 == (size_t)len)
		goto fail;
	out->basic[colon] = '\0';
	out->basic[len] = '\0';
	out->scheme = CREDENTIAL_BASIC;
	out->user = out->basic;
	out->token = out->basic + colon + 1;
	return GH_OK;
fail:
	crypto_wipe(out->basic, sizeof(out->basic));
	return GH_EINVAL;
}

enum gh_err
credential_parse(const char *header, struct credential *out)
{
	size_t n;

	out->scheme = CREDENTIAL_BEARER;
	out->user = NULL;
	out->token = NULL;
	out->basic[0] = '\0';
	if (header == NULL)
		return GH_EINVAL;
	n = strnlen(header, CREDENTIAL_HEADER_MAX + 1);
	if (n > CREDENTIAL_HEADER_MAX)
		return GH_EINVAL;
	if (strncmp(header, "Bearer ", 7) == 0) {
		if (!credential_b64token(header + 7, n - 7))
			return GH_EINVAL;
		out->token = header + 7;
		return GH_OK;
	}
	if (strncmp(header, "Basic ", 6) == 0)
		return credential_basic(header + 6, n - 6, out);
	return GH_EINVAL;
}

void
credential_cleanup(struct credential *c)
{
	if (c == NULL)
		return;
	if (c->scheme == CREDENTIAL_BASIC)
		crypto_wipe(c->basic, sizeof(c->basic));
	c->user = NULL;
	c->token = NULL;
}
