/*
 * login_flow.h: the password check of every route that takes one (the
 * login page, gatehouse-sso's token API), so that each has the same
 * defences: before any hash, a client that failed too often is answered
 * 429 (server_throttle); every way a login can fail (unknown user, wrong
 * password, account not active, account locked out) does the same work in
 * about the same time (auth_password) and is recorded the same way: the
 * client's and the account's counters (throttle.h, lockout.h), a line in
 * the log, a fixed-shape line for fail2ban ("auth failure: client=...
 * user=#TAG reason=..."), and a row in the audit trail; so is the start of
 * a lockout.  The log never names a name no user has: it may be a password
 * typed in the wrong field.
 */
#ifndef GH_LOGIN_FLOW_H
#define GH_LOGIN_FLOW_H

#include <stdint.h>

#include "crypto.h"
#include "server.h"
#include "session.h"
#include "user.h"

/* What login_flow_verify decided. */
enum login_verdict {
	LOGIN_GRANTED,  /* the password is right and the account may log in: *u */
	LOGIN_REFUSED,  /* refused and recorded: the caller answers its failure */
	LOGIN_ANSWERED, /* res holds the answer already (429, 503) */
};

/* login_flow_verify checks username and password for the request at time
 * now; *u (the caller cleans it up with user_cleanup) is the user found,
 * if any. */
enum login_verdict login_flow_verify(struct server_ctx *ctx, const struct request *req,
    struct response *res, const char *username, const char *password, int64_t now, struct user *u);

/* login_flow_session makes the session sn of user u and its audit row
 * "login_success", inside the caller's transaction, and writes its cookie
 * token to token.  It first locks u's row (user_lock_unchanged): GH_EDENIED,
 * and nothing made, when u's password or status changed since
 * login_flow_verify read it (the caller answers as for a refused login). */
enum gh_err login_flow_session(struct db *db, const struct config *cfg, const struct user *u,
    const struct session_new *sn, char token[CRYPTO_TOKEN_LEN + 1]);

/* login_flow_done records a login whose session is made: the user's last
 * login, the end of its lockout count, a line in the log. */
void login_flow_done(struct server_ctx *ctx, const struct request *req, const struct user *u);

/* The hooks of a program that checks passwords (struct server_program):
 * the dummy hash made before the first request, so that the first unknown
 * user does not pay for making it (and be told apart by that); and for an
 * external user store ([users] source = external) a connection of its own
 * per worker. */
enum gh_err login_flow_process_init(const struct config *cfg, char *err, size_t errlen);
enum gh_err login_flow_thread_init(struct server_ctx *ctx, char *err, size_t errlen);
void login_flow_thread_cleanup(struct server_ctx *ctx);

#endif
