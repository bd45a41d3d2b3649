/*
 * audit.c: the audit trail, the security_log table (see audit.h).
 *
 * Text that comes from a request (the user agent, a client address, a
 * context value) is stored as valid UTF-8 without control characters: a
 * PostgreSQL text column refuses invalid UTF-8, a JSON string must be
 * valid, and a reader of `gatehousectl audit list` must not get terminal
 * escapes from a client.  The context object is built and serialised by
 * jansson, keys sorted, so the same event always gives the same text.
 *
 * The purge deletes in batches, each its own statement (and transaction):
 * MariaDB can LIMIT a DELETE but not a subquery under IN, SQLite and
 * PostgreSQL the other way round (as session.c's purge).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "log.h"

#define AUDIT_CONTEXT_VALUE_MAX 1024 /* bytes of a context text value kept */

static const char *const audit_types[AUDIT_NTYPES] = {
    [AUDIT_LOGIN_SUCCESS] = "login_success",
    [AUDIT_LOGIN_FAILURE] = "login_failure",
    [AUDIT_LOCKOUT] = "lockout",
    [AUDIT_UNLOCK] = "unlock",
    [AUDIT_LOGOUT] = "logout",
    [AUDIT_SESSION_REVOKED] = "session_revoked",
    [AUDIT_PASSWORD_CHANGED] = "password_changed",
    [AUDIT_ROLES_CHANGED] = "roles_changed",
    [AUDIT_USER_ADDED] = "user_added",
    [AUDIT_USER_DISABLED] = "user_disabled",
    [AUDIT_USER_ENABLED] = "user_enabled",
    [AUDIT_THROTTLED] = "throttled",
    [AUDIT_SSO_REFUSED] = "sso_refused",
    [AUDIT_SSO_ISSUED] = "sso_issued",
    [AUDIT_TOKEN_ADDED] = "token_added",
    [AUDIT_TOKEN_REVOKED] = "token_revoked",
    [AUDIT_TOKEN_REUSE] = "token_reuse",
};

#define AUDIT_PURGE_BATCH "2000"
#define AUDIT_PURGE_SQL_LIMIT "DELETE FROM security_log WHERE at < ? LIMIT " AUDIT_PURGE_BATCH
#define AUDIT_PURGE_SQL_IN                                                                \
	"DELETE FROM security_log WHERE id IN (SELECT id FROM security_log WHERE at < ? " \
	"LIMIT " AUDIT_PURGE_BATCH ")"

static const char *const audit_purge_sqls[DB_NDIALECTS] = {
    [DB_SQLITE] = AUDIT_PURGE_SQL_IN,
    [DB_MYSQL] = AUDIT_PURGE_SQL_LIMIT,
    [DB_POSTGRESQL] = AUDIT_PURGE_SQL_IN,
};

const char *
audit_type_word(enum audit_type t)
{
	return (unsigned)t < AUDIT_NTYPES ? audit_types[t] : NULL;
}

bool
audit_type_parse(const char *word, enum audit_type *out)
{
	for (unsigned i = 0; word != NULL && i < AUDIT_NTYPES; i++) {
		if (strcmp(word, audit_types[i]) == 0) {
			*out = (enum audit_type)i;
			return true;
		}
	}
	return false;
}

const char *
audit_result_word(enum audit_result r)
{
	return r == AUDIT_SUCCESS ? "success" : "failure";
}

/* audit_utf8_len returns the length of the valid UTF-8 character at s
 * (RFC 3629: no overlong form, no surrogate, at most U+10FFFF), 0 when
 * there is none. */
static size_t
audit_utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned min, c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, min = 0x80, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, min = 0x800, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, min = 0x10000, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* the NUL included */
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

/* audit_clean copies s (NULL: "") into out, at most max bytes and a NUL:
 * whole valid characters, '?' for a byte that starts none and for a
 * control character. */
static void
audit_clean(const char *s, char *out, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t o = 0, n;

	while (*p != '\0') {
		n = audit_utf8_len(p);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			if (o + 1 > max)
				break;
			out[o++] = '?';
			p++;
			continue;
		}
		if (o + n > max)
			break;
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
}

void
audit_user_agent(const char *s, char out[AUDIT_USER_AGENT_MAX + 1])
{
	audit_clean(s, out, AUDIT_USER_AGENT_MAX);
}

/* audit_context returns ev's context as JSON text (free it), NULL with *e
 * set when it cannot, NULL with *e GH_OK when there is none. */
static char *
audit_context(const struct audit_event *ev, enum gh_err *e)
{
	char value[AUDIT_CONTEXT_VALUE_MAX + 1];
	json_t *o, *v;
	char *text;

	*e = GH_OK;
	if (ev->ncontext == 0)
		return NULL;
	if ((o = json_object()) == NULL) {
		*e = GH_ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < ev->ncontext; i++) {
		const struct audit_field *f = &ev->context[i];
		if (f->key == NULL) {
			*e = GH_EINVAL;
			break;
		}
		switch (f->type) {
		case AUDIT_FIELD_TEXT:
			if (f->u.text == NULL) {
				v = json_null();
				break;
			}
			audit_clean(f->u.text, value, AUDIT_CONTEXT_VALUE_MAX);
			v = json_string(value);
			break;
		case AUDIT_FIELD_INT:
			v = json_integer((json_int_t)f->u.int64);
			break;
		case AUDIT_FIELD_BOOL:
			v = json_boolean(f->u.boolean);
			break;
		default:
			v = NULL;
			*e = GH_EINVAL;
			break;
		}
		if (*e != GH_OK)
			break;
		/* json_object_set_new takes v, also when it fails; a key that is
		 * not UTF-8 fails. */
		if (v == NULL || json_object_set_new(o, f->key, v) != 0) {
			*e = v == NULL ? GH_ENOMEM : GH_EINVAL;
			break;
		}
	}
	text = *e == GH_OK ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (*e == GH_OK && text == NULL)
		*e = GH_ENOMEM;
	json_decref(o);
	return text;
}

enum gh_err
audit_write(struct db *db, const struct audit_event *ev)
{
	char agent[AUDIT_USER_AGENT_MAX + 1], ip[AUDIT_IP_MAX + 1];
	const char *type = audit_type_word(ev->type);
	char *context;
	enum gh_err e;

	if (type == NULL || (ev->result != AUDIT_SUCCESS && ev->result != AUDIT_FAILURE)) {
		log_msg(LOG_ERR, "audit: event type %d or result %d out of range", (int)ev->type,
		    (int)ev->result);
		return GH_EINVAL;
	}
	context = audit_context(ev, &e);
	if (e != GH_OK) {
		log_msg(LOG_ERR, "audit: %s: cannot make its context: %s", type, gh_strerror(e));
		return e;
	}
	audit_clean(ev->ip, ip, AUDIT_IP_MAX);
	audit_user_agent(ev->user_agent, agent);
	e = db_run(db,
	    "INSERT INTO security_log (event_type, user_id, at, ip, user_agent, result, reason, "
	    "context) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    DB_TEXT(type), ev->user_id > 0 ? DB_INT64(ev->user_id) : DB_NULL,
	    DB_INT64(ev->at != 0 ? ev->at : (int64_t)time(NULL)),
	    ev->ip != NULL ? DB_TEXT(ip) : DB_NULL,
	    ev->user_agent != NULL ? DB_TEXT(agent) : DB_NULL,
	    DB_TEXT(audit_result_word(ev->result)),
	    ev->reason != NULL && *ev->reason != '\0' ? DB_TEXT(ev->reason) : DB_NULL,
	    DB_TEXT(context));
	free(context);
	if (e != GH_OK)
		log_msg(LOG_ERR, "audit: cannot write %s: %s", type, db_errmsg(db));
	return e;
}

/* col returns column i of st as text, "" for NULL. */
static const char *
audit_col(struct db_stmt *st, int i)
{
	const char *s = db_column_text(st, i);

	return s != NULL ? s : "";
}

enum gh_err
audit_list(struct db *db, const struct audit_filter *f,
    enum gh_err (*fn)(const struct audit_row *row, void *arg), void *arg)
{
	const char *event = f->event != NULL ? f->event : "";
	const char *result = f->result != NULL ? f->result : "";
	struct db_stmt *st;
	struct audit_row r;
	enum gh_err e;
	bool row;

	e = db_prepare(db,
	    "SELECT l.id, l.event_type, l.user_id, u.username, l.at, l.ip, l.user_agent, "
	    "l.result, l.reason, l.context FROM security_log l "
	    "LEFT JOIN users u ON u.id = l.user_id "
	    "WHERE (? = 0 OR l.user_id = ?) AND (? = '' OR l.event_type = ?) "
	    "AND l.at >= ? AND l.at <= ? AND (? = '' OR l.result = ?) "
	    "ORDER BY l.at, l.id",
	    &st);
	if (e != GH_OK)
		return e;
	e = db_bind(st, DB_INT64(f->user_id), DB_INT64(f->user_id), DB_TEXT(event), DB_TEXT(event),
	    DB_INT64(f->since), DB_INT64(f->until > 0 ? f->until : INT64_MAX), DB_TEXT(result),
	    DB_TEXT(result));
	while (e == GH_OK && (e = db_step(st, &row)) == GH_OK && row) {
		r.id = db_column_int64(st, 0);
		r.event = audit_col(st, 1);
		r.user_id = db_column_int64(st, 2);
		r.username = audit_col(st, 3);
		r.at = db_column_int64(st, 4);
		r.ip = audit_col(st, 5);
		r.user_agent = audit_col(st, 6);
		r.result = audit_col(st, 7);
		r.reason = audit_col(st, 8);
		r.context = audit_col(st, 9);
		e = fn(&r, arg);
	}
	db_done(st);
	return e;
}

enum gh_err
audit_purge(struct db *db, int64_t before, int64_t *deleted)
{
	return db_run_batches(db, deleted, audit_purge_sqls[db_dialect(db)], DB_INT64(before));
}
