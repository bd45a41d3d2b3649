/*
 * login_flow.c: the password check of the login page and the token API
 * (see login_flow.h).
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "lockout.h"
#include "log.h"
#include "password.h"
#include "login_flow.h"
#include "throttle.h"

/* The audit row of a refused login: the user when it exists (else its
 * tag, never the name as typed) and why it was refused. */
static enum gh_err
login_flow_audit_failure(struct server_ctx *ctx, const struct request *req, const struct user *u,
    enum auth_refusal why, const char *tag)
{
	const struct audit_field known[] = {AUDIT_TEXT("username", u->username)};
	const struct audit_field unknown[] = {AUDIT_TEXT("name_tag", tag)};
	const struct audit_event ev = {
	    .type = AUDIT_LOGIN_FAILURE,
	    .result = AUDIT_FAILURE,
	    .user_id = u->id,
	    .ip = req->remote_addr,
	    .user_agent = req->user_agent,
	    .reason = auth_refusal_word(why),
	    .context = u->username != NULL ? known : unknown,
	    .ncontext = 1,
	};

	return audit_write(ctx->db, &ev);
}

/* The one place a lockout starts: its log line and audit row (for a name
 * no user has, under its tag). */
static enum gh_err
login_flow_audit_lockout(struct server_ctx *ctx, const struct request *req, const struct user *u,
    const char *tag, const struct lockout_result *lo)
{
	const struct audit_field context[] = {
	    u->username != NULL ? AUDIT_TEXT("username", u->username) : AUDIT_TEXT("name_tag", tag),
	    AUDIT_INT("failures", lo->count),
	    AUDIT_INT("until", lo->until),
	};
	const struct audit_event ev = {
	    .type = AUDIT_LOCKOUT,
	    .result = AUDIT_FAILURE,
	    .user_id = u->id,
	    .ip = req->remote_addr,
	    .user_agent = req->user_agent,
	    .reason = "too_many_failures",
	    .context = context,
	    .ncontext = sizeof(context) / sizeof(context[0]),
	};

	log_msg(LOG_NOTICE, "lockout of %s%s after %lld failures, until %lld",
	    u->username != NULL ? "" : "unknown name #", u->username != NULL ? u->username : tag,
	    (long long)lo->count, (long long)lo->until);
	return audit_write(ctx->db, &ev);
}

/* login_flow_refused does the work of every refusal: the counters, the
 * tag, the lines, the rows.  GH_OK, or the error that fails the request
 * closed (503). */
static enum gh_err
login_flow_refused(struct server_ctx *ctx, const struct request *req, const char *username,
    struct user *u, enum auth_refusal why, const struct throttle_seen *seen, int64_t now)
{
	char tag[AUTH_TAG_LEN + 1];
	struct lockout_result lo;

	if (server_throttle_fail(ctx, req, seen, now) != GH_OK)
		return GH_EDB;
	if (lockout_fail(ctx->db, ctx->cfg, username, u, now, &lo) != GH_OK)
		lo.started = false;
	auth_name_tag(ctx->cfg, username, tag);
	/* A name no user has is logged as a tag, never as typed. */
	if (u->username != NULL) {
		log_msg(LOG_NOTICE, "login failure for %s from %s (%s)", u->username,
		    req->remote_addr, auth_refusal_word(why));
	} else {
		log_msg(LOG_NOTICE, "login failure for unknown name #%s from %s (%s)", tag,
		    req->remote_addr, auth_refusal_word(why));
	}
	server_log_auth_failure(req, tag, auth_refusal_word(why));
	if (login_flow_audit_failure(ctx, req, u, why, tag) != GH_OK ||
	    (lo.started && login_flow_audit_lockout(ctx, req, u, tag, &lo) != GH_OK))
		return GH_EDB;
	return GH_OK;
}

enum login_verdict
login_flow_verify(struct server_ctx *ctx, const struct request *req, struct response *res,
    const char *username, const char *password, int64_t now, struct user *u)
{
	struct throttle_seen seen;
	enum auth_refusal why;
	enum gh_err e;

	memset(u, 0, sizeof(*u));
	/* Before any hash: a client that failed too often gets 429. */
	if (server_throttle(ctx, req, res, now, &seen))
		return LOGIN_ANSWERED;
	e = auth_password(ctx->db, ctx->users, ctx->cfg, username, password, u, &why);
	/* Locked out: the right password is refused like a wrong one (it was
	 * verified all the same, so the time does not tell either). */
	if (e == GH_OK && lockout_is_locked(u, now)) {
		e = GH_EDENIED;
		why = AUTH_LOCKED;
	}
	if (e == GH_OK)
		return LOGIN_GRANTED;
	if (e == GH_EDENIED && login_flow_refused(ctx, req, username, u, why, &seen, now) == GH_OK)
		return LOGIN_REFUSED;
	server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
	return LOGIN_ANSWERED;
}

enum gh_err
login_flow_session(struct db *db, const struct config *cfg, const struct user *u,
    const struct session_new *sn, char token[CRYPTO_TOKEN_LEN + 1])
{
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	enum gh_err e;

	/* The password was verified outside any transaction (it takes a
	 * while): a change made meanwhile wins. */
	if ((e = user_lock_unchanged(db, u)) != GH_OK) {
		if (e == GH_EDENIED)
			log_msg(LOG_NOTICE,
			    "login of %s refused: its password or status changed "
			    "while it was verified",
			    u->username);
		return e;
	}
	if ((e = session_create(db, cfg, sn, token)) != GH_OK)
		return e;
	crypto_sha256_hex(token, CRYPTO_TOKEN_LEN, id);
	const struct audit_field ctx[] = {
	    AUDIT_TEXT("username", u->username),
	    AUDIT_TEXT("auth_method", sn->auth_method),
	    AUDIT_BOOL("remember", sn->remember),
	    AUDIT_TEXT("session", id),
	};
	const struct audit_event ev = {
	    .type = AUDIT_LOGIN_SUCCESS,
	    .result = AUDIT_SUCCESS,
	    .user_id = u->id,
	    .ip = sn->ip,
	    .user_agent = sn->user_agent,
	    .context = ctx,
	    .ncontext = sizeof(ctx) / sizeof(ctx[0]),
	};
	return audit_write(db, &ev);
}

void
login_flow_done(struct server_ctx *ctx, const struct request *req, const struct user *u)
{
	user_record_login(ctx->db, u->id);
	lockout_reset(ctx->db, u);
	log_msg(LOG_NOTICE, "login success for %s from %s", u->username, req->remote_addr);
}

enum gh_err
login_flow_process_init(const struct config *cfg, char *err, size_t errlen)
{
	if (password_dummy_init(cfg) == GH_OK)
		return GH_OK;
	snprintf(err, errlen,
	    "cannot make the dummy password hash ([login] or [users] password_scheme)");
	return GH_ECONFIG;
}

enum gh_err
login_flow_thread_init(struct server_ctx *ctx, char *err, size_t errlen)
{
	const struct config *cfg = ctx->cfg;
	enum gh_err e;

	if (cfg->users_source != CONFIG_USERS_EXTERNAL)
		return GH_OK;
	e = db_open(cfg->users_url, cfg->users_password, cfg->db_busy_timeout_ms, &ctx->users);
	if (e != GH_OK)
		snprintf(err, errlen, "[users] url: cannot open: %s", gh_strerror(e));
	return e;
}

void
login_flow_thread_cleanup(struct server_ctx *ctx)
{
	db_close(ctx->users);
	ctx->users = NULL;
}
