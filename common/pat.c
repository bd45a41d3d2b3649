/*
 * pat.c: personal access tokens (see pat.h).
 *
 * The token leaves this file only towards the administrator who made it:
 * the table is keyed by its SHA-256 and the token is never stored or
 * logged.  pat_lookup is written like session_lookup: the form is checked
 * before anything else (a malformed token costs no query), then one
 * prepared SELECT by primary key reads the token and its user, the
 * validity checks are made here on the row so that every reason gives
 * the same answer, and the row is written only when last_used_at is due.
 *
 * A token's roles are kept among its user's at every change (pat.h):
 * pat_create reads the user's roles with a share lock on their rows on the
 * server databases (SQLite's transactions are serialised whole), so that a
 * change of roles running meanwhile either waits for the token and then
 * narrows it (pat_restrict_roles), or has taken the role away before the
 * token is made, which is then refused.  That read is the one query whose
 * text differs by dialect.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "log.h"
#include "pat.h"
#include "user.h"

#define PAT_ROLES_N 64 /* roles of a token at most */

/* The user's roles, one row each (pat_user_roles); locked on the servers. */
#define PAT_USER_ROLES_SQL \
	"SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = ?"
static const char *const pat_user_roles_sqls[DB_NDIALECTS] = {
    [DB_SQLITE] = PAT_USER_ROLES_SQL,
    [DB_MYSQL] = PAT_USER_ROLES_SQL " LOCK IN SHARE MODE",
    [DB_POSTGRESQL] = PAT_USER_ROLES_SQL " FOR SHARE OF ur",
};

/* The token and its user: what the check reads (sql/<dialect>/grants.sql). */
static const char pat_lookup_sql[] =
    "SELECT t.user_id, u.username, u.email, u.status, t.roles, t.expires_at, t.last_used_at "
    "FROM personal_access_tokens t JOIN users u ON u.id = t.user_id "
    "WHERE t.id = ? AND t.revoked_at IS NULL";

bool
pat_token_valid(const char *s)
{
	return crypto_prefixed_token_valid(s, PAT_PREFIX);
}

bool
pat_valid_name(const char *name)
{
	size_t n, i;

	if (name == NULL || (n = strnlen(name, PAT_NAME_MAX + 1)) == 0 || n > PAT_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] > 0x7e)
			return false;
	return name[0] != ' ' && name[n - 1] != ' ';
}

bool
pat_valid_handle(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strspn(s, "0123456789abcdef");
	return s[n] == '\0' && (n == PAT_HANDLE_LEN || n == CRYPTO_SHA256_HEX_LEN);
}

bool
pat_parse_lifetime(const char *s, int64_t *seconds)
{
	static const struct {
		char unit;
		int64_t mult;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
	int64_t v = 0;
	size_t i;

	if (s == NULL)
		return false;
	if (strcmp(s, "never") == 0) {
		*seconds = 0;
		return true;
	}
	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (s[i] - '0');
		if (v > PAT_LIFETIME_MAX)
			return false;
	}
	if (i == 0 || v == 0 || s[i] == '\0' || s[i + 1] != '\0')
		return false;
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		if (s[i] != units[u].unit)
			continue;
		if (v > PAT_LIFETIME_MAX / units[u].mult)
			return false;
		*seconds = v * units[u].mult;
		return true;
	}
	return false;
}

/* pat_handle_of writes the handle of the stored id id. */
static void
pat_handle_of(const char *id, char handle[PAT_HANDLE_LEN + 1])
{
	memcpy(handle, id, PAT_HANDLE_LEN);
	handle[PAT_HANDLE_LEN] = '\0';
}

/* pat_copy copies src (NULL: "") into dst; false when it does not fit. */
static bool
pat_copy(char *dst, size_t dstlen, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= dstlen)
		return false;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}

static int
pat_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* pat_roles_normalise writes the comma-separated roles in (NULL: none) to
 * out sorted, each once, spaces around a name and empty items dropped:
 * GH_EINVAL for a bad role name, GH_ETOOBIG for too many or too long. */
static enum gh_err
pat_roles_normalise(const char *in, char out[PAT_ROLES_MAX + 1])
{
	char copy[PAT_ROLES_MAX + 1], *p, *next, *end;
	const char *names[PAT_ROLES_N];
	size_t n = 0, len = 0, i, l;

	out[0] = '\0';
	if (!pat_copy(copy, sizeof(copy), in))
		return GH_ETOOBIG;
	for (p = copy; p != NULL; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		while (*p == ' ')
			p++;
		end = p + strlen(p);
		while (end > p && end[-1] == ' ')
			*--end = '\0';
		if (*p == '\0')
			continue;
		if (!role_valid_name(p))
			return GH_EINVAL;
		for (i = 0; i < n && strcmp(names[i], p) != 0; i++)
			;
		if (i < n)
			continue;
		if (n == PAT_ROLES_N)
			return GH_ETOOBIG;
		names[n++] = p;
	}
	qsort(names, n, sizeof(names[0]), pat_name_cmp);
	for (i = 0; i < n; i++) {
		l = strlen(names[i]);
		if (len + (i > 0) + l > PAT_ROLES_MAX)
			return GH_ETOOBIG;
		if (i > 0)
			out[len++] = ',';
		memcpy(out + len, names[i], l);
		len += l;
		out[len] = '\0';
	}
	return GH_OK;
}

/* pat_user_roles writes the roles the user holds now, comma-separated, to
 * out (locked on the servers until the transaction ends). */
static enum gh_err
pat_user_roles(struct db *db, int64_t user_id, char out[PAT_ROLES_MAX + 1])
{
	struct db_stmt *st;
	const char *name;
	size_t len = 0, l;
	enum gh_err e;
	bool row;

	out[0] = '\0';
	if ((e = db_prepare(db, pat_user_roles_sqls[db_dialect(db)], &st)) != GH_OK)
		return e;
	e = db_bind(st, DB_INT64(user_id));
	while (e == GH_OK && (e = db_step(st, &row)) == GH_OK && row) {
		name = db_column_text(st, 0);
		l = name != NULL ? strlen(name) : 0;
		if (len + (len > 0) + l > PAT_ROLES_MAX) {
			e = GH_ETOOBIG;
			break;
		}
		if (len > 0)
			out[len++] = ',';
		memcpy(out + len, name != NULL ? name : "", l);
		len += l;
		out[len] = '\0';
	}
	db_done(st);
	return e;
}

/* pat_roles_within writes to out the roles of want (comma-separated) that
 * have is among; true when that is all of them. */
static bool
pat_roles_within(const char *want, const char *have, char out[PAT_ROLES_MAX + 1])
{
	const char *s, *e;
	size_t len = 0, n;
	bool all = true;

	out[0] = '\0';
	for (s = want; *s != '\0'; s = *e == ',' ? e + 1 : e) {
		if ((e = strchr(s, ',')) == NULL)
			e = s + strlen(s);
		if ((n = (size_t)(e - s)) == 0)
			continue;
		if (!access_roles_has_n(have, s, n)) {
			all = false;
			continue;
		}
		if (len + (len > 0) + n > PAT_ROLES_MAX)
			return false; /* cannot be: a part of want, which fits */
		if (len > 0)
			out[len++] = ',';
		memcpy(out + len, s, n);
		len += n;
		out[len] = '\0';
	}
	return all;
}

/* What pat_create_apply makes. */
struct pat_create_op {
	const struct pat_new *p;
	const struct audit_actor *actor;
	const char *id;
	char roles[PAT_ROLES_MAX + 1];
	int64_t now;
};

/* pat_create_apply stores the token of op (db_transact's fn). */
static enum gh_err
pat_create_apply(struct db *db, void *arg)
{
	struct pat_create_op *op = arg;
	const struct pat_new *p = op->p;
	char have[PAT_ROLES_MAX + 1], kept[PAT_ROLES_MAX + 1], handle[PAT_HANDLE_LEN + 1];
	struct audit_field ctx[5];
	struct db_stmt *st;
	size_t n = 0;
	enum gh_err e;
	bool row;

	if ((e = db_prepare(db, "SELECT 1 FROM users WHERE id = ?", &st)) != GH_OK)
		return e;
	if ((e = db_bind(st, DB_INT64(p->user_id))) == GH_OK)
		e = db_step(st, &row);
	db_done(st);
	if (e != GH_OK)
		return e;
	if (!row)
		return GH_ENOTFOUND;
	if ((e = pat_user_roles(db, p->user_id, have)) != GH_OK)
		return e;
	if (!pat_roles_within(op->roles, have, kept))
		return GH_EDENIED;
	/* The name of a token that can no longer be used is free again. */
	e = db_run(db,
	    "DELETE FROM personal_access_tokens WHERE user_id = ? AND name = ? AND "
	    "(revoked_at IS NOT NULL OR (expires_at IS NOT NULL AND expires_at <= ?))",
	    DB_INT64(p->user_id), DB_TEXT(p->name), DB_INT64(op->now));
	if (e != GH_OK)
		return e;
	e = db_run(db,
	    "INSERT INTO personal_access_tokens (id, user_id, name, roles, created_at, "
	    "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
	    DB_TEXT(op->id), DB_INT64(p->user_id), DB_TEXT(p->name), DB_TEXT(op->roles),
	    DB_INT64(op->now), p->expires_at != 0 ? DB_INT64(p->expires_at) : DB_NULL);
	if (e != GH_OK)
		return e;
	pat_handle_of(op->id, handle);
	ctx[n++] = AUDIT_TEXT("by", op->actor != NULL ? op->actor->by : NULL);
	ctx[n++] = AUDIT_TEXT("name", p->name);
	ctx[n++] = AUDIT_TEXT("token", handle);
	ctx[n++] = AUDIT_TEXT("roles", op->roles);
	if (p->expires_at != 0)
		ctx[n++] = AUDIT_INT("expires_at", p->expires_at);
	struct audit_event ev = {
	    .type = AUDIT_TOKEN_ADDED,
	    .result = AUDIT_SUCCESS,
	    .user_id = p->user_id,
	    .ip = op->actor != NULL ? op->actor->ip : NULL,
	    .user_agent = op->actor != NULL ? op->actor->user_agent : NULL,
	    .context = ctx,
	    .ncontext = n,
	};
	return audit_write(db, &ev);
}

enum gh_err
pat_create(struct db *db, const struct pat_new *p, const struct audit_actor *actor,
    char token[PAT_TOKEN_LEN + 1], char id[CRYPTO_SHA256_HEX_LEN + 1])
{
	char sum[CRYPTO_SHA256_HEX_LEN + 1];
	struct pat_create_op op = {.p = p, .actor = actor, .id = sum};
	enum gh_err e;

	token[0] = '\0';
	if (id != NULL)
		id[0] = '\0';
	op.now = (int64_t)time(NULL);
	if (!pat_valid_name(p->name) || (p->expires_at != 0 && p->expires_at <= op.now))
		return GH_EINVAL;
	if ((e = pat_roles_normalise(p->roles, op.roles)) != GH_OK)
		return e;
	if ((e = crypto_prefixed_token(PAT_PREFIX, token)) != GH_OK)
		return e;
	crypto_sha256_hex(token, PAT_TOKEN_LEN, sum);
	if ((e = db_transact(db, pat_create_apply, &op)) != GH_OK) {
		crypto_wipe(token, PAT_TOKEN_LEN + 1);
		return e;
	}
	if (id != NULL)
		memcpy(id, sum, sizeof(sum));
	return GH_OK;
}

enum gh_err
pat_lookup(struct db *db, const char *token, struct pat_info *out)
{
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	int64_t now = (int64_t)time(NULL);
	struct db_stmt *st;
	const char *status;
	enum gh_err e;
	bool row, ok;

	memset(out, 0, sizeof(*out));
	if (!pat_token_valid(token))
		return GH_ENOTFOUND;
	crypto_sha256_hex(token, PAT_TOKEN_LEN, id);
	if ((e = db_prepare(db, pat_lookup_sql, &st)) != GH_OK)
		return e;
	if ((e = db_bind_text(st, 1, id)) != GH_OK || (e = db_step(st, &row)) != GH_OK) {
		db_done(st);
		return e;
	}
	if (!row) {
		db_done(st);
		return GH_ENOTFOUND;
	}
	out->user_id = db_column_int64(st, 0);
	status = db_column_text(st, 3);
	out->expires_at = db_column_int64(st, 5);
	out->last_used_at = db_column_int64(st, 6);
	ok = status != NULL && strcmp(status, "active") == 0 &&
	     (db_column_is_null(st, 5) || out->expires_at > now);
	/* A truncated name or role list would be another identity: refuse. */
	if (ok && (!pat_copy(out->username, sizeof(out->username), db_column_text(st, 1)) ||
	              !pat_copy(out->email, sizeof(out->email), db_column_text(st, 2)) ||
	              !pat_copy(out->roles, sizeof(out->roles), db_column_text(st, 4)))) {
		log_msg(LOG_ERR, "token: user %lld: name, e-mail or roles too long",
		    (long long)out->user_id);
		ok = false;
	}
	db_done(st);
	if (!ok) {
		memset(out, 0, sizeof(*out));
		return GH_ENOTFOUND;
	}
	memcpy(out->id, id, sizeof(out->id));
	/* A failed touch was logged; the token is still valid now. */
	if (now - out->last_used_at >= PAT_TOUCH_INTERVAL &&
	    db_run(db, "UPDATE personal_access_tokens SET last_used_at = ? WHERE id = ?",
	        DB_INT64(now), DB_TEXT(id)) == GH_OK)
		out->last_used_at = now;
	return GH_OK;
}

enum gh_err
pat_list(struct db *db, const char *username,
    enum gh_err (*fn)(const struct pat_row *row, void *arg), void *arg)
{
	static const char sql[] =
	    "SELECT t.id, u.username, t.name, t.roles, t.created_at, t.expires_at, "
	    "t.last_used_at, t.revoked_at, u.status FROM personal_access_tokens t "
	    "JOIN users u ON u.id = t.user_id WHERE (? = '' OR u.username = ?) "
	    "ORDER BY u.username, t.created_at, t.id";
	const char *who = username != NULL ? username : "";
	const char *id, *status;
	struct pat_row r;
	struct db_stmt *st;
	enum gh_err e;
	bool row;

	if ((e = db_prepare(db, sql, &st)) != GH_OK)
		return e;
	e = db_bind(st, DB_TEXT(who), DB_TEXT(who));
	while (e == GH_OK && (e = db_step(st, &row)) == GH_OK && row) {
		id = db_column_text(st, 0);
		if (id == NULL || strlen(id) < PAT_HANDLE_LEN) {
			e = GH_EDB;
			break;
		}
		pat_handle_of(id, r.handle);
		r.username = db_column_text(st, 1);
		r.name = db_column_text(st, 2);
		r.roles = db_column_text(st, 3);
		if (r.roles == NULL)
			r.roles = "";
		r.created_at = db_column_int64(st, 4);
		r.expires_at = db_column_int64(st, 5);
		r.last_used_at = db_column_int64(st, 6);
		r.revoked_at = db_column_int64(st, 7);
		status = db_column_text(st, 8);
		r.user_active = status != NULL && strcmp(status, "active") == 0;
		if ((e = fn(&r, arg)) != GH_OK)
			break;
	}
	db_done(st);
	return e;
}

/* What pat_revoke_apply revokes: one token by handle, or (handle NULL)
 * every token of user_id. */
struct pat_revoke_op {
	const char *handle;
	const struct audit_actor *actor;
	int64_t user_id;
	int64_t count;
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	char name[PAT_NAME_MAX + 1];
};

/* The handle's length, as the query below writes it. */
_Static_assert(PAT_HANDLE_LEN == 12, "pat_revoke_find's substr(id, 1, 12)");

/* pat_revoke_find writes the token not revoked whose handle or id is
 * op->handle into op: GH_ENOTFOUND for none, GH_EINVAL for several. */
static enum gh_err
pat_revoke_find(struct db *db, struct pat_revoke_op *op)
{
	const char *sql = strlen(op->handle) == PAT_HANDLE_LEN
	                      ? "SELECT id, user_id, name FROM personal_access_tokens WHERE "
	                        "substr(id, 1, 12) = ? AND revoked_at IS NULL"
	                      : "SELECT id, user_id, name FROM personal_access_tokens WHERE "
	                        "id = ? AND revoked_at IS NULL";
	struct db_stmt *st;
	enum gh_err e;
	int found = 0;
	bool row;

	if ((e = db_prepare(db, sql, &st)) != GH_OK)
		return e;
	e = db_bind(st, DB_TEXT(op->handle));
	while (e == GH_OK && (e = db_step(st, &row)) == GH_OK && row && ++found == 1) {
		if (!pat_copy(op->id, sizeof(op->id), db_column_text(st, 0)) ||
		    !pat_copy(op->name, sizeof(op->name), db_column_text(st, 2)))
			e = GH_EDB;
		op->user_id = db_column_int64(st, 1);
	}
	db_done(st);
	if (e == GH_OK && found > 1) {
		log_msg(LOG_ERR, "token: the handle %s is that of several tokens: give the id",
		    op->handle);
		return GH_EINVAL;
	}
	return e == GH_OK && found == 0 ? GH_ENOTFOUND : e;
}

/* pat_revoke_apply revokes what op says, with its audit row (db_transact's
 * fn). */
static enum gh_err
pat_revoke_apply(struct db *db, void *arg)
{
	struct pat_revoke_op *op = arg;
	int64_t now = (int64_t)time(NULL);
	char handle[PAT_HANDLE_LEN + 1];
	struct audit_field ctx[3];
	size_t n = 0;
	enum gh_err e;

	ctx[n++] = AUDIT_TEXT("by", op->actor != NULL ? op->actor->by : NULL);
	if (op->handle != NULL) {
		if ((e = pat_revoke_find(db, op)) != GH_OK)
			return e;
		e = db_run(db,
		    "UPDATE personal_access_tokens SET revoked_at = ? WHERE id = ? AND "
		    "revoked_at IS NULL",
		    DB_INT64(now), DB_TEXT(op->id));
		pat_handle_of(op->id, handle);
		ctx[n++] = AUDIT_TEXT("name", op->name);
		ctx[n++] = AUDIT_TEXT("token", handle);
	} else {
		e = db_run(db,
		    "UPDATE personal_access_tokens SET revoked_at = ? WHERE user_id = ? AND "
		    "revoked_at IS NULL",
		    DB_INT64(now), DB_INT64(op->user_id));
		op->count = e == GH_OK ? db_changes(db) : 0;
		ctx[n++] = AUDIT_INT("tokens", op->count);
	}
	if (e != GH_OK)
		return e;
	struct audit_event ev = {
	    .type = AUDIT_TOKEN_REVOKED,
	    .result = AUDIT_SUCCESS,
	    .user_id = op->user_id,
	    .ip = op->actor != NULL ? op->actor->ip : NULL,
	    .user_agent = op->actor != NULL ? op->actor->user_agent : NULL,
	    .context = ctx,
	    .ncontext = n,
	};
	return audit_write(db, &ev);
}

enum gh_err
pat_revoke(struct db *db, const char *handle, const struct audit_actor *actor, int64_t *user_id)
{
	struct pat_revoke_op op = {.handle = handle, .actor = actor};
	enum gh_err e;

	if (user_id != NULL)
		*user_id = 0;
	if (!pat_valid_handle(handle))
		return GH_EINVAL;
	e = db_transact(db, pat_revoke_apply, &op);
	if (e == GH_OK && user_id != NULL)
		*user_id = op.user_id;
	return e;
}

enum gh_err
pat_revoke_user(struct db *db, int64_t user_id, const struct audit_actor *actor, int64_t *count)
{
	struct pat_revoke_op op = {.actor = actor, .user_id = user_id};
	enum gh_err e = db_transact(db, pat_revoke_apply, &op);

	if (count != NULL)
		*count = e == GH_OK ? op.count : 0;
	return e;
}

/* A token whose roles pat_restrict_roles narrows, and to what. */
struct pat_narrow {
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	char roles[PAT_ROLES_MAX + 1];
};

enum gh_err
pat_restrict_roles(struct db *db, int64_t user_id, int64_t *narrowed)
{
	char have[PAT_ROLES_MAX + 1];
	struct pat_narrow *todo = NULL, *more;
	const char *roles;
	size_t n = 0, cap = 0, i;
	struct db_stmt *st;
	enum gh_err e;
	bool row;

	if (narrowed != NULL)
		*narrowed = 0;
	if ((e = pat_user_roles(db, user_id, have)) != GH_OK)
		return e;
	/* Read them all first: some drivers hold one statement's rows at a
	 * time, and the updates would interleave with them. */
	e = db_prepare(db,
	    "SELECT id, roles FROM personal_access_tokens WHERE user_id = ? AND "
	    "revoked_at IS NULL AND roles <> ''",
	    &st);
	if (e != GH_OK)
		return e;
	e = db_bind(st, DB_INT64(user_id));
	while (e == GH_OK && (e = db_step(st, &row)) == GH_OK && row) {
		if (n == cap) {
			cap = cap ? 2 * cap : 4;
			if ((more = realloc(todo, cap * sizeof(*todo))) == NULL) {
				log_msg(LOG_ERR, "token: out of memory");
				e = GH_ENOMEM;
				break;
			}
			todo = more;
		}
		if (!pat_copy(todo[n].id, sizeof(todo[n].id), db_column_text(st, 0))) {
			e = GH_EDB;
			break;
		}
		roles = db_column_text(st, 1);
		if (!pat_roles_within(roles != NULL ? roles : "", have, todo[n].roles))
			n++; /* a role to take away */
	}
	db_done(st);
	for (i = 0; e == GH_OK && i < n; i++)
		e = db_run(db, "UPDATE personal_access_tokens SET roles = ? WHERE id = ?",
		    DB_TEXT(todo[i].roles), DB_TEXT(todo[i].id));
	free(todo);
	if (e == GH_OK && narrowed != NULL)
		*narrowed = (int64_t)n;
	return e;
}
