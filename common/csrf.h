/*
 * csrf.h: CSRF tokens for every state-changing form.
 *
 * A token is base64url(HMAC-SHA-256(secret, purpose "|" binding)), where the
 * binding is the session id for a logged-in user, or the value of a random
 * pre-login cookie before login.  Verification compares in constant time.
 * Besides the token, csrf_origin_ok refuses a request whose Origin names
 * another host or whose Sec-Fetch-Site is "cross-site".
 */
#ifndef GH_CSRF_H
#define GH_CSRF_H

#include <stdbool.h>

#include "crypto.h"

struct config;
struct request;

#define CSRF_TOKEN_LEN CRYPTO_TOKEN_LEN

/* csrf_token writes the token for (purpose, binding) into out. */
void csrf_token(const struct config *cfg, const char *purpose, const char *binding,
    char out[CSRF_TOKEN_LEN + 1]);
/* csrf_verify tells whether token is the one for (purpose, binding); false
 * for NULL or empty inputs. */
bool csrf_verify(
    const struct config *cfg, const char *purpose, const char *binding, const char *token);
/* csrf_origin_ok tells whether the request's Origin and Sec-Fetch-Site allow a
 * state change (absent headers are allowed: older clients send none). */
bool csrf_origin_ok(const struct request *r);

#endif
