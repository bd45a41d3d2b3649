/*
 * check.h: what the two files of gatehouse-check share.  check.c holds its
 * main, the rules and the session cookie; check_credential.c the
 * credential of an Authorization header (an access token, a personal
 * access token as Bearer or as Basic's password).
 */
#ifndef GH_CHECK_H
#define GH_CHECK_H

#include <stdint.h>

#include "access.h"
#include "server.h"

/* check_grant answers 200 for the user of that name, id, e-mail ("" when
 * none) and comma-separated roles: Variable-* headers in the AUTHORIZER
 * role, X-Gatehouse-* in the RESPONDER role, and nothing else. */
void check_grant(const struct request *req, struct response *res, const char *username,
    int64_t user_id, const char *email, const char *roles);

/* check_credential_init reads the public keys that verify access tokens,
 * once, at start ([sso] public_keys_file): GH_OK also when there is none
 * (every access token is then refused); the error of a file that cannot be
 * read or is broken, with its message in err (the program stops). */
enum gh_err check_credential_init(const struct config *cfg, char *err, size_t errlen);
/* check_credential decides a request that carries an Authorization header
 * by that header alone, under rule (ACCESS_LOGIN or ACCESS_ROLE): a grant,
 * or 401, 403, 429 (see check_credential.c), or 503 when the database
 * fails.  The session cookie is not looked at. */
void check_credential(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct access_rule *rule);

#endif
