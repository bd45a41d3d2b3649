/*
 * csrf.c: CSRF tokens and the Origin check (see csrf.h).
 *
 * A token is base64url(HMAC-SHA-256([general] secret, purpose "|" binding)):
 * stateless, different per form purpose and per session (or pre-login
 * cookie), and worthless to an attacker who cannot read the victim's cookie.
 * A purpose may not contain "|", so (purpose, binding) pairs never collide.
 * Without a secret no token verifies: a configuration mistake fails closed.
 */
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "config.h"
#include "csrf.h"
#include "log.h"
#include "request.h"

/* csrf_compute writes the token into out; false when it cannot be made. */
static bool
csrf_compute(const struct config *cfg, const char *purpose, const char *binding,
    char out[CSRF_TOKEN_LEN + 1])
{
	unsigned char mac[CRYPTO_SHA256_LEN];
	char enc[4 * ((CRYPTO_SHA256_LEN + 2) / 3) + 1];
	struct buf msg;
	bool ok = false;

	out[0] = '\0';
	if (cfg->secret == NULL || cfg->secret[0] == '\0' || purpose == NULL ||
	    purpose[0] == '\0' || strchr(purpose, '|') != NULL || binding == NULL ||
	    binding[0] == '\0')
		return false;
	buf_init(&msg);
	buf_puts(&msg, purpose);
	buf_putc(&msg, '|');
	buf_puts(&msg, binding);
	if (!msg.err) {
		crypto_hmac_sha256(cfg->secret, strlen(cfg->secret), msg.data, msg.len, mac);
		if (crypto_b64url_encode(mac, sizeof(mac), enc) == CSRF_TOKEN_LEN) {
			memcpy(out, enc, CSRF_TOKEN_LEN + 1);
			ok = true;
		}
		crypto_wipe(mac, sizeof(mac));
		crypto_wipe(enc, sizeof(enc));
	}
	buf_cleanup(&msg);
	return ok;
}

void
csrf_token(const struct config *cfg, const char *purpose, const char *binding,
    char out[CSRF_TOKEN_LEN + 1])
{
	if (csrf_compute(cfg, purpose, binding, out))
		return;
	/* Fail closed: a random token that csrf_verify will not accept. */
	log_msg(LOG_ERR, "csrf: cannot make a token (no secret, or empty purpose or binding)");
	if (crypto_token(out) != GH_OK)
		out[0] = '\0';
}

bool
csrf_verify(const struct config *cfg, const char *purpose, const char *binding, const char *token)
{
	char want[CSRF_TOKEN_LEN + 1];
	bool ok;

	if (token == NULL || token[0] == '\0' || !csrf_compute(cfg, purpose, binding, want))
		return false;
	ok = crypto_equal(want, token);
	crypto_wipe(want, sizeof(want));
	return ok;
}

/* csrf_host_len returns the length of the authority a[0..n) without the
 * default port of its scheme (":443" for https, ":80" for http). */
static size_t
csrf_host_len(const char *a, size_t n, bool https)
{
	const char *port = https ? ":443" : ":80";
	size_t plen = strlen(port);

	if (n > plen && memcmp(a + n - plen, port, plen) == 0)
		return n - plen;
	return n;
}

bool
csrf_origin_ok(const struct request *r)
{
	const char *o = r->origin, *auth;
	bool https;
	size_t alen, hlen;

	if (r->sec_fetch_site != NULL && strcasecmp(r->sec_fetch_site, "cross-site") == 0)
		return false;
	if (o == NULL || o[0] == '\0')
		return true; /* older clients send no Origin */
	if (strncasecmp(o, "https://", 8) == 0) {
		https = true;
		auth = o + 8;
	} else if (strncasecmp(o, "http://", 7) == 0) {
		/* A plain-HTTP page may not change state on the HTTPS site. */
		if (r->https)
			return false;
		https = false;
		auth = o + 7;
	} else {
		return false; /* "null", opaque origins and other schemes */
	}
	alen = strlen(auth);
	if (alen == 0 || auth[strcspn(auth, "/?#@ \t")] != '\0')
		return false;
	if (r->host == NULL || r->host[0] == '\0')
		return false;
	alen = csrf_host_len(auth, alen, https);
	hlen = csrf_host_len(r->host, strlen(r->host), https);
	return alen == hlen && strncasecmp(auth, r->host, alen) == 0;
}
