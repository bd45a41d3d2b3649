/*
 * sso.h: what the two files of gatehouse-sso share: single sign-on
 * (sso.c, which owns the keys and the route table) and the token API
 * (sso_token.c).
 */
#ifndef GH_SSO_H
#define GH_SSO_H

#include "jwt_access.h"
#include "refresh.h"
#include "server.h"
#include "signkey.h"

/* The key that signs (NULL: none in [sso] keys_dir) and the public keys
 * that verify access tokens, read at start. */
const struct signkey *sso_signing_key(void);
const struct jwt_access_keys *sso_access_keys(void);

/* The token API's form fields, in the order of sso_token_fields. */
enum {
	SSO_TOKEN_GRANT,
	SSO_TOKEN_USERNAME,
	SSO_TOKEN_PASSWORD,
	SSO_TOKEN_REFRESH,
	SSO_TOKEN_NFIELDS,
};
extern const struct route_field sso_token_fields[SSO_TOKEN_NFIELDS];
enum { SSO_REVOKE_TOKEN, SSO_REVOKE_NFIELDS };
extern const struct route_field sso_revoke_fields[SSO_REVOKE_NFIELDS];

/* POST <prefix>/token (RFC 6749 §4.3, §6) and POST <prefix>/token/revoke
 * (RFC 7009), and the answer to a refused field of either. */
void sso_token_post(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call);
void sso_token_revoke(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call);
void sso_token_invalid(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call);

#endif
