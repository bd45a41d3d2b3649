/*
 * audit.h: the audit trail, the security_log table: one row per security
 * event (a login, a logout, a change to an account), written by one call
 * that every program uses, listed and purged by gatehousectl.
 *
 * A row holds the event's type (a fixed word, enum audit_type), the user it
 * concerns (0: none, e.g. a login as a name no user has), the time, the
 * client's address and user agent (cut to AUDIT_USER_AGENT_MAX bytes at a
 * character boundary; invalid UTF-8 and control characters become '?'),
 * the result (success or failure), a reason word (why a login was
 * refused: unknown_user, wrong_password, inactive, ...) and a JSON object of
 * context, built with jansson from typed fields (never by pasting text).
 *
 * The log is written in the same transaction as what it records wherever
 * that is one transaction (the caller runs audit_write inside its
 * db_transact), so that neither exists without the other; how each
 * program treats a failure to write it is in doc/behaviour.md (the login
 * and the account changes fail closed).  The programs' database accounts
 * may INSERT into security_log and nothing else (sql/<dialect>/grants.sql):
 * only gatehousectl reads and purges it.
 */
#ifndef GH_AUDIT_H
#define GH_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

#define AUDIT_USER_AGENT_MAX 256 /* bytes of a user agent kept */
#define AUDIT_IP_MAX 64          /* bytes of a client address kept (the column's size) */

/* The events, in the order of their words (audit_type_word). */
enum audit_type {
	AUDIT_LOGIN_SUCCESS,
	AUDIT_LOGIN_FAILURE,
	AUDIT_LOCKOUT,
	AUDIT_UNLOCK,
	AUDIT_LOGOUT,
	AUDIT_SESSION_REVOKED,
	AUDIT_PASSWORD_CHANGED,
	AUDIT_ROLES_CHANGED,
	AUDIT_USER_ADDED,
	AUDIT_USER_DISABLED,
	AUDIT_USER_ENABLED,
	AUDIT_THROTTLED,
	AUDIT_SSO_REFUSED,   /* a partner's token refused (single sign-on) */
	AUDIT_SSO_ISSUED,    /* a token sent to a partner (outbound single sign-on) */
	AUDIT_TOKEN_ADDED,   /* a personal access token made (pat.h) */
	AUDIT_TOKEN_REVOKED, /* personal access tokens revoked (pat.h), or an API
	                      * client's token (refresh.h, jwt_access.h) */
	AUDIT_TOKEN_REUSE,   /* a refresh token used twice: its family revoked */
};
#define AUDIT_NTYPES (AUDIT_TOKEN_REUSE + 1)

enum audit_result { AUDIT_SUCCESS, AUDIT_FAILURE };

/* A field of the context object: a key and a typed value. */
enum audit_field_type { AUDIT_FIELD_TEXT, AUDIT_FIELD_INT, AUDIT_FIELD_BOOL };
struct audit_field {
	const char *key;
	enum audit_field_type type;
	union {
		const char *text; /* NULL is JSON null */
		int64_t int64;
		bool boolean;
	} u;
};
#define AUDIT_TEXT(k, v) ((struct audit_field){.key = (k), .type = AUDIT_FIELD_TEXT, .u.text = (v)})
#define AUDIT_INT(k, v) ((struct audit_field){.key = (k), .type = AUDIT_FIELD_INT, .u.int64 = (v)})
#define AUDIT_BOOL(k, v) \
	((struct audit_field){.key = (k), .type = AUDIT_FIELD_BOOL, .u.boolean = (v)})

/* Who made a change, for the events an administrator or a user causes:
 * by is "gatehousectl:<OS user>" for the command line (or, later, the name
 * of the user of an admin page); ip and user_agent of the request (NULL
 * when there is none). */
struct audit_actor {
	const char *by;
	const char *ip;
	const char *user_agent;
};

/* An event to record.  Every pointer may be NULL (none). */
struct audit_event {
	enum audit_type type;
	enum audit_result result;
	int64_t user_id; /* 0: no user */
	int64_t at;      /* Unix seconds; 0: now */
	const char *ip;
	const char *user_agent;
	const char *reason; /* a word: auth_refusal_word(), "" or NULL for none */
	const struct audit_field *context;
	size_t ncontext;
};

/*
 * audit_write inserts ev as one row of security_log on db (inside the
 * caller's transaction when it has one).  GH_EINVAL for an event type or
 * result out of range or a context field without a key; GH_ENOMEM; GH_EDB.
 * A failure is logged here with the event's type (never its context).
 */
enum gh_err audit_write(struct db *db, const struct audit_event *ev);

/* audit_type_word: "login_success", "login_failure", "lockout", "unlock",
 * "logout", "session_revoked", "password_changed", "roles_changed",
 * "user_added", "user_disabled", "user_enabled", "throttled", "sso_refused",
 * "sso_issued", "token_added", "token_revoked"; NULL out of range.
 * audit_type_parse is the reverse: false for another word. */
const char *audit_type_word(enum audit_type t);
bool audit_type_parse(const char *word, enum audit_type *out);
/* "success" or "failure". */
const char *audit_result_word(enum audit_result r);

/* audit_user_agent copies s into out (AUDIT_USER_AGENT_MAX + 1 bytes) as
 * audit_write stores it: valid UTF-8 and no control characters ('?'
 * instead), cut at a character boundary; NULL gives "". */
void audit_user_agent(const char *s, char out[AUDIT_USER_AGENT_MAX + 1]);

/* What audit_list shows: rows of user_id only (0: every user), of event
 * only ("" or NULL: every event), at since or later and at until or
 * earlier (Unix seconds; 0: no bound), of result only ("" or NULL: both). */
struct audit_filter {
	int64_t user_id;
	const char *event;
	int64_t since, until;
	const char *result;
};
/* A row of the log as audit_list gives it, valid during the callback. */
struct audit_row {
	int64_t id;
	const char *event;
	int64_t user_id;      /* 0: none */
	const char *username; /* "" when none (or the user is gone) */
	int64_t at;
	const char *ip, *user_agent, *result, *reason; /* "" when none */
	const char *context;                           /* JSON text, "" when none */
};
/* audit_list calls fn for every row f lets through, oldest first; an
 * answer of fn other than GH_OK stops the list and is returned. */
enum gh_err audit_list(struct db *db, const struct audit_filter *f,
    enum gh_err (*fn)(const struct audit_row *row, void *arg), void *arg);

/* audit_purge deletes the rows written before before (Unix seconds), in
 * batches of their own transaction each (a long purge never holds the
 * table); *deleted (may be NULL) receives the count. */
enum gh_err audit_purge(struct db *db, int64_t before, int64_t *deleted);

#endif
