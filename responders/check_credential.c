/*
 * check_credential.c: gatehouse-check for a request that carries an
 * Authorization header (an API client, a script, a WebDAV client).  The
 * header alone decides: the session cookie is not looked at, and a
 * credential that is refused never falls back to it.
 *
 *   Bearer <access JWT>   verified (jwt_access_verify) with the published
 *                         keys read once at start from [sso]
 *                         public_keys_file (never a private key), or
 *                         found among the
 *                         tokens verified before (jwt_access_cache.h), then
 *                         looked up on the blacklist (jwt_access_revoked:
 *                         one read by primary key, for every request);
 *                         granted with the token's user, id, e-mail and
 *                         roles.
 *   Bearer ghpat_...      a personal access token: pat_lookup (one read;
 *                         last_used_at written at most once a minute);
 *                         granted with its user and its own roles.
 *   Basic base64(user:ghpat_...)
 *                         the same, granted only when the token's user is
 *                         the one named, byte for byte.  A password that is
 *                         not a personal access token is refused unread:
 *                         the check never takes a real password.
 *
 * The answers (never a redirect to the login page; a JSON body each):
 *
 *   401 {"error":"invalid_token"}, WWW-Authenticate: Bearer
 *       realm="gatehouse", error="invalid_token" (a Basic attempt gets
 *       WWW-Authenticate: Basic realm="gatehouse" instead: the scheme it
 *       tried, for a client to retry with)
 *   401 {"error":"invalid_request"}, error="invalid_request" in the same
 *       challenge: a header of another scheme or form (credential.h)
 *   403 {"error":"insufficient_scope"}, WWW-Authenticate: Bearer
 *       realm="gatehouse", error="insufficient_scope": the rule needs a
 *       role the token does not carry (a token's roles, never its user's)
 *   429 {"error":"too_many_requests"} and Retry-After: a blocked client
 *   503 the database failed: refused (fails closed)
 *
 * In the RESPONDER role (nginx auth_request turns any answer but 2xx, 401
 * and 403 into a 500) a blocked client gets 401 with Retry-After, and
 * every refusal names its error in X-Gatehouse-Error, from which
 * deploy/nginx.conf.in makes the client's answer (its 429 too) and to
 * which it adds WWW-Authenticate and Retry-After.
 *
 * Throttling, as for a password (throttle.h): every refused credential,
 * a malformed header included, writes fail2ban's line
 * (server_log_auth_failure) and counts as a failure of the client
 * (server_throttle_fail, which writes the audit event "throttled" once a
 * block), and a blocked client is answered 429 to its attempts.  Where
 * the throttle is read differs, to keep the hot path cheap.  A personal
 * access token (as Bearer or Basic) is looked up in the database anyway:
 * the throttle is read first, and a blocked client's token is not looked
 * up at all.  An access token is verified first, and the throttle is read
 * only when it is refused: a valid access token costs the blacklist's
 * read alone.  The price: a blocked client that holds a valid access
 * token still gets through with it (a token it could not have guessed:
 * it is signed), and with nothing else.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "credential.h"
#include "jwt_access.h"
#include "jwt_access_cache.h"
#include "log.h"
#include "pat.h"
#include "throttle.h"

_Static_assert(JWS_MAX_LEN <= CREDENTIAL_TOKEN_MAX, "an access token fits a Bearer credential");

#define CHECK_REALM "gatehouse"

/* The public keys that verify access tokens, read once (check_credential_init)
 * from [sso] public_keys_file and shared read-only by the worker threads. */
static struct jwt_access_keys check_credential_keys;
/* The access tokens verified so far, shared by the worker threads. */
static struct jwt_access_cache *check_credential_verified;

/* Who a valid credential names (pointing into the claims or the token's
 * row), or why it is refused. */
struct check_credential_result {
	const char *username;
	int64_t user_id;
	const char *email;
	const char *roles;
	const char *why; /* the refusal, for the log */
};

enum gh_err
check_credential_init(const struct config *cfg, char *err, size_t errlen)
{
	enum gh_err e = jwt_access_keys_load(cfg, &check_credential_keys, err, errlen);

	if (e != GH_OK)
		return e;
	if ((check_credential_verified = jwt_access_cache_new()) == NULL) {
		snprintf(err, errlen, "access tokens: out of memory");
		return GH_ENOMEM;
	}
	if (!check_credential_keys.loaded)
		log_msg(LOG_NOTICE,
		    "no public key in %s ([sso] public_keys_file, written by gatehousectl keys "
		    "generate or keys publish): every access token is refused",
		    cfg->sso_public_keys_file != NULL ? cfg->sso_public_keys_file : "(unset)");
	return GH_OK;
}

/* check_credential_answer answers status with the error code error: its
 * JSON body, the challenge (Basic's for a Basic attempt, but for a 403),
 * and, in the RESPONDER role, X-Gatehouse-Error for the web server. */
static void
check_credential_answer(
    const struct request *req, struct response *res, int status, const char *error, bool basic)
{
	char body[64], challenge[96];

	snprintf(body, sizeof(body), "{\"error\":\"%s\"}", error);
	response_json(res, status, body);
	if (basic && status == 401)
		response_header(res, "WWW-Authenticate", "Basic realm=\"" CHECK_REALM "\"");
	else {
		snprintf(challenge, sizeof(challenge),
		    "Bearer realm=\"" CHECK_REALM "\", error=\"%s\"", error);
		response_header(res, "WWW-Authenticate", challenge);
	}
	if (req->role == REQUEST_RESPONDER)
		response_header(res, "X-Gatehouse-Error", error);
}

static void
check_credential_unavailable(struct response *res)
{
	/* Fail closed: the database is down or broken. */
	response_text(res, 503, "Service temporarily unavailable\n");
}

/*
 * check_credential_throttled reads the client's throttle row into *seen:
 * true when it answered the request itself (429 for a blocked client, a
 * 401 with Retry-After in the RESPONDER role; 503 when the database
 * failed), false when the credential may be tried.
 */
static bool
check_credential_throttled(struct server_ctx *ctx, const struct request *req, struct response *res,
    int64_t now, struct throttle_seen *seen)
{
	char retry[24];
	int64_t after;
	enum gh_err e = server_throttle_blocked(ctx, req, now, seen, &after);

	if (e == GH_OK)
		return false;
	if (e != GH_EDENIED) {
		check_credential_unavailable(res);
		return true;
	}
	response_json(
	    res, req->role == REQUEST_RESPONDER ? 401 : 429, "{\"error\":\"too_many_requests\"}");
	snprintf(retry, sizeof(retry), "%lld", (long long)after);
	response_header(res, "Retry-After", retry);
	if (req->role == REQUEST_RESPONDER)
		response_header(res, "X-Gatehouse-Error", "too_many_requests");
	return true;
}

/* check_credential_jwt verifies the access token token: GH_OK with *out
 * naming its user (in *claims), GH_EDENIED with out->why, GH_EDB. */
static enum gh_err
check_credential_jwt(struct server_ctx *ctx, const char *token, int64_t now,
    struct jwt_access_claims *claims, struct check_credential_result *out)
{
	enum jws_refusal r = jwt_access_cache_verify(
	    check_credential_verified, ctx->cfg, &check_credential_keys, token, now, claims);
	bool revoked;

	if (r != JWS_OK) {
		out->why = jws_refusal_text(r);
		return GH_EDENIED;
	}
	if (jwt_access_revoked(ctx->db, claims->jti, &revoked) != GH_OK)
		return GH_EDB;
	if (revoked) {
		out->why = "revoked";
		return GH_EDENIED;
	}
	out->username = claims->username;
	out->user_id = claims->user_id;
	out->email = claims->email;
	out->roles = claims->roles;
	return GH_OK;
}

/* check_credential_pat looks up the personal access token of c (Bearer, or
 * Basic's password, its user named): GH_OK with *out naming its user (in
 * *pat), GH_EDENIED with out->why, GH_EDB. */
static enum gh_err
check_credential_pat(struct server_ctx *ctx, const struct credential *c, struct pat_info *pat,
    struct check_credential_result *out)
{
	enum gh_err e;

	if (!pat_token_valid(c->token)) {
		out->why = c->scheme == CREDENTIAL_BASIC
		               ? "the password is not a personal access token"
		               : "not a personal access token";
		return GH_EDENIED;
	}
	if ((e = pat_lookup(ctx->db, c->token, pat)) == GH_ENOTFOUND) {
		out->why =
		    "personal access token unknown, revoked or expired, or its user inactive";
		return GH_EDENIED;
	}
	if (e != GH_OK)
		return GH_EDB;
	/* User names are not secret: a plain comparison. */
	if (c->scheme == CREDENTIAL_BASIC && strcmp(c->user, pat->username) != 0) {
		log_msg(LOG_INFO,
		    "check: Basic names another user than token %.*s's (user id %lld)",
		    PAT_HANDLE_LEN, pat->id, (long long)pat->user_id);
		out->why = "the user named is not the token's";
		return GH_EDENIED;
	}
	out->username = pat->username;
	out->user_id = pat->user_id;
	out->email = pat->email;
	out->roles = pat->roles;
	return GH_OK;
}

void
check_credential(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct access_rule *rule)
{
	struct check_credential_result who = {0};
	struct jwt_access_claims claims;
	struct credential c;
	struct pat_info pat;
	struct throttle_seen seen;
	const bool basic = strncmp(req->authorization, "Basic ", 6) == 0;
	const int64_t now = (int64_t)time(NULL);
	const char *what = "Authorization header", *error = "invalid_token";
	const char *reason = "malformed_credential"; /* the fail2ban line's */
	bool seen_read = false;
	enum gh_err e;

	if (credential_parse(req->authorization, &c) != GH_OK) {
		who.why = "malformed";
		error = "invalid_request";
		e = GH_EDENIED;
	} else if (c.scheme == CREDENTIAL_BEARER &&
	           strncmp(c.token, PAT_PREFIX, PAT_PREFIX_LEN) != 0) {
		what = "access token";
		reason = "bad_access_token";
		e = check_credential_jwt(ctx, c.token, now, &claims, &who);
	} else {
		what = c.scheme == CREDENTIAL_BASIC ? "Basic credential" : "personal access token";
		reason =
		    c.scheme == CREDENTIAL_BASIC ? "bad_basic_credential" : "bad_personal_token";
		if (check_credential_throttled(ctx, req, res, now, &seen))
			goto done;
		seen_read = true;
		e = check_credential_pat(ctx, &c, &pat, &who);
	}
	if (e == GH_EDENIED) {
		if (!seen_read && check_credential_throttled(ctx, req, res, now, &seen))
			goto done;
		log_msg(LOG_NOTICE, "check refused %s %s: %s from %s: %s", req->method, req->path,
		    what, req->remote_addr, who.why);
		server_log_auth_failure(req, NULL, reason);
		if (server_throttle_fail(ctx, req, &seen, now) != GH_OK)
			check_credential_unavailable(res);
		else
			check_credential_answer(req, res, 401, error, basic);
	} else if (e != GH_OK)
		check_credential_unavailable(res);
	else if (rule->action == ACCESS_ROLE && !access_roles_has(who.roles, rule->role)) {
		log_msg(LOG_INFO, "check denied: %s of user %s lacks role %s", what, who.username,
		    rule->role);
		check_credential_answer(req, res, 403, "insufficient_scope", false);
	} else
		check_grant(req, res, who.username, who.user_id, who.email, who.roles);
done:
	credential_cleanup(&c);
}
