/*
 * test_audit.c: the audit trail (audit.h) on every database
 * (test_backend.h): a row holds what was written, text from a client is
 * cut and cleaned, the context is JSON made by jansson, the list's
 * filters, the purge (only what is older, in batches), and the account
 * changes (account.h) that write one row each, in their own transaction:
 * a row that cannot be written undoes the change.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "audit.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "session.h"
#include "test.h"
#include "test_backend.h"
#include "user.h"

static struct db *db;
static struct config cfg;
static const struct audit_actor actor = {.by = "gatehousectl:test", .ip = "192.0.2.9"};

/* The rows of a list, copied. */
#define MAX_ROWS 16
struct rows {
	size_t n;
	struct {
		int64_t id, user_id, at;
		char event[32], username[64], ip[80], result[16], reason[32];
		char user_agent[AUDIT_USER_AGENT_MAX + 1], context[512];
	} r[MAX_ROWS];
};

static void
copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

static enum gh_err
collect(const struct audit_row *row, void *arg)
{
	struct rows *rs = arg;

	if (rs->n == MAX_ROWS)
		return GH_ETOOBIG;
	rs->r[rs->n].id = row->id;
	rs->r[rs->n].user_id = row->user_id;
	rs->r[rs->n].at = row->at;
	copy(rs->r[rs->n].event, sizeof(rs->r[0].event), row->event);
	copy(rs->r[rs->n].username, sizeof(rs->r[0].username), row->username);
	copy(rs->r[rs->n].ip, sizeof(rs->r[0].ip), row->ip);
	copy(rs->r[rs->n].result, sizeof(rs->r[0].result), row->result);
	copy(rs->r[rs->n].reason, sizeof(rs->r[0].reason), row->reason);
	copy(rs->r[rs->n].user_agent, sizeof(rs->r[0].user_agent), row->user_agent);
	copy(rs->r[rs->n].context, sizeof(rs->r[0].context), row->context);
	rs->n++;
	return GH_OK;
}

/* list fills rs with the rows f lets through; false when the list fails. */
static bool
list(const struct audit_filter *f, struct rows *rs)
{
	memset(rs, 0, sizeof(*rs));
	return audit_list(db, f, collect, rs) == GH_OK;
}

static bool
empty_log(void)
{
	return db_exec(db, "DELETE FROM security_log") == GH_OK;
}

static int64_t
new_user(const char *name)
{
	int64_t id = -1;

	if (user_add(db, name, NULL, NULL, &id) != GH_OK)
		id = -1;
	return id;
}

static bool
setup(struct test_backend *b)
{
	if ((db = test_backend_open_schema(b, 1000)) == NULL)
		return false;
	memset(&cfg, 0, sizeof(cfg));
	cfg.idle_timeout = 60;
	cfg.absolute_timeout = 3600;
	cfg.remember_timeout = 86400;
	cfg.touch_interval = 30;
	return db_exec(db, "INSERT INTO roles (name) VALUES ('editor')") == GH_OK;
}

TEST(written_row_holds_every_field)
{
	const struct audit_field ctx[] = {
	    AUDIT_TEXT("username", "ann"),
	    AUDIT_INT("attempts", 3),
	    AUDIT_BOOL("remember", true),
	    AUDIT_TEXT("none", NULL),
	};
	int64_t id = new_user("ann");
	struct audit_event ev = {
	    .type = AUDIT_LOGIN_FAILURE,
	    .result = AUDIT_FAILURE,
	    .user_id = id,
	    .ip = "2001:db8::7",
	    .user_agent = "curl/8.0",
	    .reason = "wrong_password",
	    .context = ctx,
	    .ncontext = sizeof(ctx) / sizeof(ctx[0]),
	};
	struct audit_filter all = {0};
	struct rows rs;
	int64_t before = (int64_t)time(NULL);

	CHECK(id > 0 && empty_log());
	CHECK(audit_write(db, &ev) == GH_OK);
	CHECK(list(&all, &rs) && rs.n == 1);
	CHECK_STR(rs.r[0].event, "login_failure");
	CHECK(rs.r[0].user_id == id);
	CHECK_STR(rs.r[0].username, "ann");
	CHECK(rs.r[0].at >= before && rs.r[0].at <= (int64_t)time(NULL));
	CHECK_STR(rs.r[0].ip, "2001:db8::7");
	CHECK_STR(rs.r[0].user_agent, "curl/8.0");
	CHECK_STR(rs.r[0].result, "failure");
	CHECK_STR(rs.r[0].reason, "wrong_password");
	/* Keys sorted, compact: the same event gives the same text.  A JSON
	 * column of a server may lay it out its own way: MariaDB keeps it,
	 * PostgreSQL's json type keeps it too (jsonb would not). */
	CHECK_STR(rs.r[0].context,
	    "{\"attempts\":3,\"none\":null,\"remember\":true,\"username\":\"ann\"}");
}

TEST(nothing_given_is_stored_as_none)
{
	struct audit_event ev = {.type = AUDIT_THROTTLED, .result = AUDIT_FAILURE};
	struct audit_filter all = {0};
	struct rows rs;

	CHECK(empty_log());
	CHECK(audit_write(db, &ev) == GH_OK);
	CHECK(list(&all, &rs) && rs.n == 1);
	CHECK_STR(rs.r[0].event, "throttled");
	CHECK(rs.r[0].user_id == 0);
	CHECK_STR(rs.r[0].username, "");
	CHECK_STR(rs.r[0].ip, "");
	CHECK_STR(rs.r[0].user_agent, "");
	CHECK_STR(rs.r[0].reason, "");
	CHECK_STR(rs.r[0].context, "");
	CHECK(test_query_int(db,
	          "SELECT count(*) FROM security_log WHERE user_id IS NULL AND ip IS "
	          "NULL AND user_agent IS NULL AND reason IS NULL AND context IS NULL") == 1);
}

TEST(every_type_has_a_word_that_parses_back)
{
	enum audit_type t;

	for (int i = 0; i < AUDIT_NTYPES; i++) {
		const char *w = audit_type_word((enum audit_type)i);
		CHECK(w != NULL && audit_type_parse(w, &t) && t == (enum audit_type)i);
	}
	CHECK(audit_type_word(AUDIT_NTYPES) == NULL);
	CHECK(!audit_type_parse("login", &t) && !audit_type_parse(NULL, &t));
	CHECK_STR(audit_type_word(AUDIT_SESSION_REVOKED), "session_revoked");
	CHECK_STR(audit_result_word(AUDIT_SUCCESS), "success");
}

TEST(out_of_range_type_or_result_writes_nothing)
{
	struct audit_event bad_type = {.type = AUDIT_NTYPES, .result = AUDIT_SUCCESS};
	struct audit_event bad_result = {.type = AUDIT_LOGOUT, .result = (enum audit_result)7};
	const struct audit_field no_key[] = {AUDIT_TEXT(NULL, "x")};
	struct audit_event bad_field = {
	    .type = AUDIT_LOGOUT, .result = AUDIT_SUCCESS, .context = no_key, .ncontext = 1};

	CHECK(empty_log());
	CHECK(audit_write(db, &bad_type) == GH_EINVAL);
	CHECK(audit_write(db, &bad_result) == GH_EINVAL);
	CHECK(audit_write(db, &bad_field) == GH_EINVAL);
	CHECK(test_query_int(db, "SELECT count(*) FROM security_log") == 0);
}

TEST(user_agent_cut_at_character_boundary)
{
	char in[1024], out[AUDIT_USER_AGENT_MAX + 1];
	size_t i;

	/* 255 ASCII bytes, then "é" (2 bytes): the é does not fit. */
	memset(in, 'a', 255);
	snprintf(in + 255, sizeof(in) - 255, "\xc3\xa9tail");
	audit_user_agent(in, out);
	CHECK(strlen(out) == 255 && out[254] == 'a');
	/* Only "é": 128 of them fill 256 bytes exactly. */
	for (i = 0; i < 200; i++)
		memcpy(in + 2 * i, "\xc3\xa9", 2);
	in[400] = '\0';
	audit_user_agent(in, out);
	CHECK(strlen(out) == 256);
	/* A 4-byte character across the limit is left out whole. */
	memset(in, 'b', 254);
	snprintf(in + 254, sizeof(in) - 254, "\xf0\x9f\x98\x80");
	audit_user_agent(in, out);
	CHECK(strlen(out) == 254);
	audit_user_agent(NULL, out);
	CHECK_STR(out, "");
}

TEST(invalid_utf8_and_control_characters_become_question_marks)
{
	char out[AUDIT_USER_AGENT_MAX + 1];
	struct audit_filter all = {0};
	struct rows rs;

	audit_user_agent("a\xff"
	                 "b\x1b[31mc\r\nd\xc0\xaf"
	                 "e\xed\xa0\x80"
	                 "f",
	    out);
	CHECK_STR(out, "a?b?[31mc??d??e???f");
	/* Stored cleaned too, also in the context (PostgreSQL refuses invalid
	 * UTF-8; a JSON string must be valid). */
	const struct audit_field ctx[] = {AUDIT_TEXT("v", "q\"uote\xfe\n")};
	struct audit_event ev = {.type = AUDIT_LOGIN_FAILURE,
	    .result = AUDIT_FAILURE,
	    .user_agent = "Mozilla\xff\x01",
	    .context = ctx,
	    .ncontext = 1};
	CHECK(empty_log());
	CHECK(audit_write(db, &ev) == GH_OK);
	CHECK(list(&all, &rs) && rs.n == 1);
	CHECK_STR(rs.r[0].user_agent, "Mozilla??");
	CHECK_STR(rs.r[0].context, "{\"v\":\"q\\\"uote??\"}");
}

TEST(list_filters_by_user_event_time_and_result)
{
	int64_t a = new_user("filter-a"), b = new_user("filter-b");
	struct audit_event ev[] = {
	    {.type = AUDIT_LOGIN_SUCCESS, .result = AUDIT_SUCCESS, .user_id = a, .at = 1000},
	    {.type = AUDIT_LOGIN_FAILURE, .result = AUDIT_FAILURE, .user_id = a, .at = 2000},
	    {.type = AUDIT_LOGIN_FAILURE, .result = AUDIT_FAILURE, .user_id = b, .at = 3000},
	    {.type = AUDIT_LOGOUT, .result = AUDIT_SUCCESS, .user_id = b, .at = 4000},
	};
	struct audit_filter f;
	struct rows rs;

	CHECK(a > 0 && b > 0 && empty_log());
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		CHECK(audit_write(db, &ev[i]) == GH_OK);
	f = (struct audit_filter){.user_id = a};
	CHECK(list(&f, &rs) && rs.n == 2 && rs.r[0].at == 1000 && rs.r[1].at == 2000);
	f = (struct audit_filter){.event = "login_failure"};
	CHECK(list(&f, &rs) && rs.n == 2 && rs.r[0].at == 2000 && rs.r[1].at == 3000);
	f = (struct audit_filter){.since = 2000, .until = 3000};
	CHECK(list(&f, &rs) && rs.n == 2 && rs.r[0].at == 2000 && rs.r[1].at == 3000);
	f = (struct audit_filter){.result = "success"};
	CHECK(list(&f, &rs) && rs.n == 2 && rs.r[0].at == 1000 && rs.r[1].at == 4000);
	f = (struct audit_filter){
	    .user_id = b, .event = "logout", .result = "success", .since = 4000};
	CHECK(list(&f, &rs) && rs.n == 1 && rs.r[0].at == 4000);
	CHECK_STR(rs.r[0].username, "filter-b");
	f = (struct audit_filter){.user_id = b, .result = "success", .until = 3999};
	CHECK(list(&f, &rs) && rs.n == 0);
}

/* Writes n rows at time at, in one transaction (db_transact's fn). */
struct many {
	int n;
	int64_t at;
};
static enum gh_err
write_many(struct db *d, void *arg)
{
	const struct many *m = arg;
	struct audit_event ev = {.type = AUDIT_THROTTLED, .result = AUDIT_FAILURE, .at = m->at};
	enum gh_err e = GH_OK;

	for (int i = 0; i < m->n && e == GH_OK; i++)
		e = audit_write(d, &ev);
	return e;
}

TEST(purge_deletes_only_older_rows_in_batches)
{
	int64_t now = (int64_t)time(NULL), deleted = -1;
	struct many old = {.n = 2100, .at = now - 91 * 86400}; /* more than one batch */
	struct many young = {.n = 3, .at = now - 89 * 86400};
	struct audit_event edge = {.type = AUDIT_LOGOUT, .result = AUDIT_SUCCESS, .at = now - 1000};

	CHECK(empty_log());
	CHECK(db_transact(db, write_many, &old) == GH_OK);
	CHECK(db_transact(db, write_many, &young) == GH_OK);
	CHECK(audit_write(db, &edge) == GH_OK);
	CHECK(audit_purge(db, now - 90 * 86400, &deleted) == GH_OK);
	CHECK(deleted == 2100);
	CHECK(test_query_int(db, "SELECT count(*) FROM security_log") == 4);
	/* A row at the limit itself stays: "older than" is strict. */
	CHECK(audit_purge(db, now - 1000, &deleted) == GH_OK && deleted == 3);
	CHECK(test_query_int(db, "SELECT count(*) FROM security_log") == 1);
	CHECK(audit_purge(db, now - 1000, NULL) == GH_OK);
	CHECK(test_query_int(db, "SELECT count(*) FROM security_log") == 1);
}

/* count_rows returns the rows of event type for user id. */
static size_t
count_rows(const char *type, int64_t id, struct rows *rs)
{
	struct audit_filter f = {.user_id = id, .event = type};

	return list(&f, rs) ? rs->n : (size_t)-1;
}

TEST(account_changes_write_one_row_each)
{
	char token[CRYPTO_TOKEN_LEN + 1];
	struct session_new sn = {.user_id = 0, .auth_method = "form"};
	struct rows rs;
	int64_t id = 0, n = -1;

	CHECK(empty_log());
	CHECK(account_add(db, "acct", NULL, NULL, "editor", &actor, &id) == GH_OK && id > 0);
	CHECK(count_rows("user_added", id, &rs) == 1);
	CHECK_STR(rs.r[0].context,
	    "{\"by\":\"gatehousectl:test\",\"roles\":\"editor\",\"username\":\"acct\"}");
	CHECK_STR(rs.r[0].ip, "192.0.2.9");
	CHECK_STR(rs.r[0].result, "success");
	CHECK(account_set_password(db, id, "$argon2id$x", &actor) == GH_OK);
	CHECK(count_rows("password_changed", id, &rs) == 1);
	CHECK_STR(rs.r[0].context, "{\"by\":\"gatehousectl:test\"}");
	CHECK(account_set_roles(db, id, "", &actor) == GH_OK);
	CHECK(count_rows("roles_changed", id, &rs) == 1);
	CHECK_STR(rs.r[0].context, "{\"by\":\"gatehousectl:test\",\"roles\":\"\"}");
	CHECK(account_disable(db, id, &actor) == GH_OK);
	CHECK(count_rows("user_disabled", id, &rs) == 1);
	CHECK(account_enable(db, id, &actor) == GH_OK);
	CHECK(count_rows("user_enabled", id, &rs) == 1);
	CHECK(account_unlock(db, id, &actor) == GH_OK);
	CHECK(count_rows("unlock", id, &rs) == 1);
	CHECK(account_unlock(db, id + 1000, &actor) == GH_ENOTFOUND);
	CHECK(count_rows("unlock", id + 1000, &rs) == 0);
	/* Revocations: one session by its id, then all of them. */
	sn.user_id = id;
	CHECK(session_create(db, &cfg, &sn, token) == GH_OK);
	CHECK(session_create(db, &cfg, &sn, token) == GH_OK);
	char sid[CRYPTO_SHA256_HEX_LEN + 1];
	crypto_sha256_hex(token, CRYPTO_TOKEN_LEN, sid);
	CHECK(account_revoke_session(db, sid, &actor) == GH_OK);
	CHECK(account_revoke_session(db, sid, &actor) == GH_ENOTFOUND); /* no longer live */
	CHECK(account_revoke_sessions(db, id, &actor, &n) == GH_OK && n == 1);
	CHECK(count_rows("session_revoked", id, &rs) == 2);
	char want[256];
	snprintf(want, sizeof(want), "{\"by\":\"gatehousectl:test\",\"session\":\"%s\"}", sid);
	CHECK_STR(rs.r[0].context, want);
	CHECK_STR(rs.r[1].context, "{\"by\":\"gatehousectl:test\",\"sessions\":1}");
	/* Eight rows, all of this user. */
	CHECK(count_rows("", id, &rs) == 8);
	CHECK(count_rows("", 0, &rs) == 8);
}

TEST(failed_change_writes_no_row)
{
	int64_t id = 0;
	struct rows rs;

	CHECK(empty_log());
	CHECK(account_add(db, "acct2", NULL, NULL, "no-such-role", &actor, &id) == GH_ENOTFOUND);
	CHECK(id == 0);
	CHECK(account_add(db, "acct2", NULL, NULL, NULL, &actor, &id) == GH_OK);
	CHECK(account_add(db, "acct2", NULL, NULL, NULL, &actor, NULL) == GH_EEXISTS);
	CHECK(account_set_roles(db, id, "editor,no-such-role", &actor) == GH_ENOTFOUND);
	CHECK(account_revoke_session(db, "0000", &actor) == GH_ENOTFOUND);
	CHECK(count_rows("", 0, &rs) == 1);
	CHECK_STR(rs.r[0].event, "user_added");
}

TEST(unwritable_log_undoes_the_change)
{
	char token[CRYPTO_TOKEN_LEN + 1];
	struct session_new sn = {.auth_method = "form"};
	struct session_info s;
	struct user u = {0};
	struct db *other;
	int64_t id = new_user("acct3");

	CHECK(id > 0);
	sn.user_id = id;
	CHECK(session_create(db, &cfg, &sn, token) == GH_OK);
	CHECK(db_exec(db, "ALTER TABLE security_log RENAME TO security_log_away") == GH_OK);
	/* A connection that never prepared the INSERT: the table is gone. */
	other = test_backend_open(test_cur, 1000);
	CHECK(other != NULL);
	if (other != NULL) {
		CHECK(account_disable(other, id, &actor) != GH_OK);
		CHECK(account_set_password(other, id, "$argon2id$y", &actor) != GH_OK);
		db_close(other);
	}
	CHECK(db_exec(db, "ALTER TABLE security_log_away RENAME TO security_log") == GH_OK);
	CHECK(user_find_id(db, id, &u) == GH_OK);
	CHECK(u.status != NULL && strcmp(u.status, "active") == 0);
	CHECK(u.password_hash == NULL);
	user_cleanup(&u);
	CHECK(session_lookup(db, &cfg, token, &s) == GH_OK); /* not revoked */
}

static void
suite(void)
{
	RUN(written_row_holds_every_field);
	RUN(nothing_given_is_stored_as_none);
	RUN(every_type_has_a_word_that_parses_back);
	RUN(out_of_range_type_or_result_writes_nothing);
	RUN(user_agent_cut_at_character_boundary);
	RUN(invalid_utf8_and_control_characters_become_question_marks);
	RUN(list_filters_by_user_event_time_and_result);
	RUN(purge_deletes_only_older_rows_in_batches);
	RUN(account_changes_write_one_row_each);
	RUN(failed_change_writes_no_row);
	RUN(unwritable_log_undoes_the_change);
}

static void
tear_down(void)
{
	db_close(db);
	db = NULL;
}

int
main(void)
{
	return test_backend_main(TEST_EVERY_BACKEND, setup, suite, tear_down);
}
