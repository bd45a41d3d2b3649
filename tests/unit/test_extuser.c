/*
 * test_extuser: logins against another application's users table, here a
 * SQLite table shaped like the typical one (user_id, username, email,
 * password_hash, is_active, created_at, last_login, metadata); the same code
 * runs against MariaDB in the integration suite.
 */
#include <crypt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "extuser.h"
#include "migrate.h"
#include "password.h"
#include "test.h"
#include "user.h"

static char dir[64];
static struct db *ext, *local;
static struct config cfg;
static char bcrypt_hash[128];

static void
setup(void)
{
	char url[128], sqldir[512];
	struct crypt_data cd;
	char setting[64];

	snprintf(dir, sizeof(dir), "/tmp/gh_extuser.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(url, sizeof(url), "sqlite://%s/app.db", dir);
	if (db_open(url, NULL, 1000, &ext) != GH_OK)
		abort();
	snprintf(url, sizeof(url), "sqlite://%s/gh.db", dir);
	snprintf(sqldir, sizeof(sqldir), "%s/sql", test_srcdir());
	if (db_open(url, NULL, 1000, &local) != GH_OK ||
	    migrate_up(local, sqldir, NULL, NULL) != GH_OK)
		abort();
	/* A PHP-style $2y$10$ hash, as another application writes them. */
	memset(&cd, 0, sizeof(cd));
	if (crypt_gensalt_rn("$2b$", 10, NULL, 0, setting, sizeof(setting)) == NULL)
		abort();
	char *h = crypt_rn("correct horse battery", setting, &cd, sizeof(cd));
	if (h == NULL)
		abort();
	snprintf(bcrypt_hash, sizeof(bcrypt_hash), "%s", h);
	bcrypt_hash[2] = 'y';
	if (db_exec(ext,
	        "CREATE TABLE users (user_id INTEGER PRIMARY KEY, username TEXT UNIQUE, "
	        "email TEXT, password_hash CHAR(60), is_active TINYINT, created_at DATETIME, "
	        "last_login DATETIME, metadata JSON)") != GH_OK)
		abort();
	struct db_stmt *st;
	bool row;
	db_prepare(ext,
	    "INSERT INTO users (user_id, username, email, password_hash, is_active) "
	    "VALUES (?, ?, ?, ?, ?)",
	    &st);
	db_bind_int64(st, 1, 42);
	db_bind_text(st, 2, "carol");
	db_bind_text(st, 3, "carol@example.org");
	db_bind_text(st, 4, bcrypt_hash);
	db_bind_int64(st, 5, 1);
	db_step(st, &row);
	db_done(st);
	db_prepare(ext,
	    "INSERT INTO users (user_id, username, email, password_hash, is_active) "
	    "VALUES (?, ?, ?, ?, ?)",
	    &st);
	db_bind_int64(st, 1, 43);
	db_bind_text(st, 2, "dave");
	db_bind_null(st, 3);
	db_bind_text(st, 4, bcrypt_hash);
	db_bind_int64(st, 5, 0);
	db_step(st, &row);
	db_done(st);
	/* A user of the other application who has no password (NULL hash). */
	db_prepare(ext,
	    "INSERT INTO users (user_id, username, email, password_hash, is_active) "
	    "VALUES (44, 'frank', NULL, NULL, 1)",
	    &st);
	db_step(st, &row);
	db_done(st);

	memset(&cfg, 0, sizeof(cfg));
	cfg.users_source = CONFIG_USERS_EXTERNAL;
	cfg.users_lookup_query = "SELECT user_id, username, email, password_hash, is_active FROM "
	                         "users WHERE (username = ? OR email = ?) LIMIT 1";
	cfg.users_update_last_login = "UPDATE users SET last_login = 'now' WHERE user_id = ?";
}

TEST(find_by_username_and_email)
{
	struct extuser u;

	CHECK(extuser_find(ext, &cfg, "carol", &u) == GH_OK);
	CHECK_STR(u.id, "42");
	CHECK_STR(u.username, "carol");
	CHECK_STR(u.email, "carol@example.org");
	CHECK(u.active);
	extuser_cleanup(&u);
	CHECK(extuser_find(ext, &cfg, "carol@example.org", &u) == GH_OK);
	CHECK_STR(u.username, "carol");
	extuser_cleanup(&u);
}

TEST(foreign_2y_hash_verifies)
{
	struct extuser u;

	CHECK(extuser_find(ext, &cfg, "carol", &u) == GH_OK);
	CHECK(strncmp(u.password_hash, "$2y$10$", 7) == 0);
	CHECK(password_verify("correct horse battery", u.password_hash));
	CHECK(!password_verify("wrong horse battery", u.password_hash));
	extuser_cleanup(&u);
}

TEST(inactive_user_found_but_not_active)
{
	struct extuser u;

	CHECK(extuser_find(ext, &cfg, "dave", &u) == GH_OK);
	CHECK(!u.active);
	CHECK(u.email == NULL);
	extuser_cleanup(&u);
}

TEST(user_without_hash_found_and_never_verifies)
{
	struct extuser u;

	CHECK(extuser_find(ext, &cfg, "frank", &u) == GH_OK);
	CHECK_STR(u.username, "frank");
	CHECK(u.password_hash == NULL);
	CHECK(u.active);
	CHECK(!password_verify("", u.password_hash));
	CHECK(!password_verify("anything", u.password_hash));
	extuser_cleanup(&u);
}

TEST(unknown_user_not_found)
{
	struct extuser u;

	CHECK(extuser_find(ext, &cfg, "mallory' OR '1'='1", &u) == GH_ENOTFOUND);
	extuser_cleanup(&u);
}

TEST(shadow_row_created_once_and_followed)
{
	struct extuser u;
	struct user lu = {0};
	int64_t id1 = 0, id2 = 0;

	CHECK(extuser_find(ext, &cfg, "carol", &u) == GH_OK);
	CHECK(extuser_shadow(local, &u, &id1) == GH_OK);
	CHECK(extuser_shadow(local, &u, &id2) == GH_OK);
	CHECK(id1 == id2 && id1 > 0);
	CHECK(user_find_id(local, id1, &lu) == GH_OK);
	CHECK_STR(lu.username, "carol");
	CHECK(lu.password_hash == NULL); /* the hash stays in the other table */
	user_cleanup(&lu);
	extuser_cleanup(&u);
}

TEST(shadow_never_takes_over_a_local_user)
{
	struct extuser u = {0};
	int64_t id = 0, local_id = 0;

	CHECK(user_add(local, "erin", NULL,
	          "$2b$04$xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	          &local_id) == GH_OK);
	u.id = strdup("99");
	u.username = strdup("erin");
	u.password_hash = strdup("x");
	CHECK(extuser_shadow(local, &u, &id) == GH_EEXISTS);
	extuser_cleanup(&u);
}

TEST(update_last_login_writes_back)
{
	struct extuser u;
	struct db_stmt *st;
	bool row = false;

	CHECK(extuser_find(ext, &cfg, "carol", &u) == GH_OK);
	CHECK(extuser_record_login(ext, &cfg, &u) == GH_OK);
	CHECK(db_prepare(ext, "SELECT last_login FROM users WHERE user_id = 42", &st) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK_STR(db_column_text(st, 0), "now");
	db_done(st);
	extuser_cleanup(&u);
}

TEST(probe_reports_missing_column_and_wrong_shape)
{
	struct config bad = cfg;
	FILE *out = tmpfile();
	char text[512] = "";

	CHECK(extuser_probe(ext, &cfg, out) == GH_OK);
	bad.users_lookup_query = "SELECT user_id, username, email, pw_hash, is_active FROM users "
	                         "WHERE username = ?";
	CHECK(extuser_probe(ext, &bad, out) != GH_OK);
	bad.users_lookup_query = "SELECT user_id, username FROM users WHERE username = ?";
	CHECK(extuser_probe(ext, &bad, out) == GH_EINVAL);
	rewind(out);
	size_t n = fread(text, 1, sizeof(text) - 1, out);
	text[n] = '\0';
	CHECK(strstr(text, "pw_hash") != NULL); /* the database names the bad column */
	CHECK(strstr(text, "returns 2 columns") != NULL);
	fclose(out);
}

/* --- user sync ---------------------------------------------------------- */

/* ext_run runs one statement without parameters on db (test set-up). */
static void
ext_run(struct db *db, const char *sql)
{
	struct db_stmt *st;
	bool row;

	if (db_prepare(db, sql, &st) != GH_OK || db_step(st, &row) != GH_OK)
		abort();
	db_done(st);
}

/* sync_user adds the external user (id, name, active) and its shadow row
 * with one live session; returns the local id. */
static int64_t
sync_user(int64_t xid, const char *name, bool active)
{
	struct extuser u = {0};
	struct db_stmt *st;
	char idtext[32], sid[80];
	int64_t id = 0;
	bool row;

	snprintf(idtext, sizeof(idtext), "%lld", (long long)xid);
	db_prepare(ext,
	    "INSERT INTO users (user_id, username, email, password_hash, is_active) "
	    "VALUES (?, ?, NULL, NULL, ?)",
	    &st);
	db_bind_int64(st, 1, xid);
	db_bind_text(st, 2, name);
	db_bind_int64(st, 3, active);
	db_step(st, &row);
	db_done(st);
	u.id = strdup(idtext);
	u.username = strdup(name);
	if (extuser_shadow(local, &u, &id) != GH_OK)
		abort();
	extuser_cleanup(&u);
	snprintf(sid, sizeof(sid), "session-of-%s", name);
	db_prepare(local,
	    "INSERT INTO sessions (id, user_id, created_at, last_seen_at, "
	    "expires_at, idle_timeout) VALUES (?, ?, 1, 1, 4000000000, 1800)",
	    &st);
	db_bind_text(st, 1, sid);
	db_bind_int64(st, 2, id);
	db_step(st, &row);
	db_done(st);
	return id;
}

/* live_sessions counts the user's sessions not revoked. */
static int64_t
live_sessions(int64_t id)
{
	struct db_stmt *st;
	int64_t n = -1;
	bool row;

	if (db_prepare(local,
	        "SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL",
	        &st) != GH_OK)
		return -1;
	db_bind_int64(st, 1, id);
	if (db_step(st, &row) == GH_OK && row)
		n = db_column_int64(st, 0);
	db_done(st);
	return n;
}

static bool
status_is(int64_t id, const char *status)
{
	struct user u = {0};
	bool ok = user_find_id(local, id, &u) == GH_OK && strcmp(u.status, status) == 0;

	user_cleanup(&u);
	return ok;
}

static int64_t sync_kept, sync_off, sync_gone, sync_renamed;

TEST(sync_disables_inactive_and_deleted_users_only)
{
	struct extuser_sync_stats stats;
	FILE *out = tmpfile();
	char text[1024] = "";

	sync_kept = sync_user(501, "synckept", true);
	sync_off = sync_user(502, "syncoff", true);
	sync_gone = sync_user(503, "syncgone", true);
	/* While they are all active, a sync changes nothing. */
	CHECK(extuser_sync(local, ext, &cfg, NULL, false, out, &stats) == GH_OK);
	CHECK(stats.disabled == 0 && stats.checked >= 3);
	ext_run(ext, "UPDATE users SET is_active = 0 WHERE user_id = 502");
	ext_run(ext, "DELETE FROM users WHERE user_id = 503");
	CHECK(extuser_sync(local, ext, &cfg, NULL, true, out, &stats) == GH_OK);
	CHECK(stats.disabled == 2);
	CHECK(status_is(sync_off, "active") && live_sessions(sync_off) == 1); /* dry run */
	CHECK(extuser_sync(local, ext, &cfg, NULL, false, out, &stats) == GH_OK);
	CHECK(stats.disabled == 2);
	CHECK(status_is(sync_off, "inactive") && live_sessions(sync_off) == 0);
	CHECK(status_is(sync_gone, "inactive") && live_sessions(sync_gone) == 0);
	CHECK(status_is(sync_kept, "active") && live_sessions(sync_kept) == 1);
	/* Disabled rows are not looked up again; nothing is re-enabled. */
	ext_run(ext, "UPDATE users SET is_active = 1 WHERE user_id = 502");
	CHECK(extuser_sync(local, ext, &cfg, NULL, false, out, &stats) == GH_OK);
	CHECK(stats.disabled == 0);
	CHECK(status_is(sync_off, "inactive"));
	rewind(out);
	size_t n = fread(text, 1, sizeof(text) - 1, out);
	text[n] = '\0';
	CHECK(strstr(text, "would disable syncoff (external id 502): inactive") != NULL);
	CHECK(strstr(text, "disabled syncgone (external id 503): gone") != NULL);
	fclose(out);
}

TEST(sync_by_name_takes_a_rename_for_gone_sync_query_does_not)
{
	struct extuser_sync_stats stats;
	struct config by_id = cfg;
	FILE *out = tmpfile();

	sync_renamed = sync_user(504, "syncold", true);
	ext_run(ext, "UPDATE users SET username = 'syncnew' WHERE user_id = 504");
	by_id.users_sync_query = "SELECT user_id, username, email, password_hash, is_active "
	                         "FROM users WHERE user_id = ?";
	CHECK(extuser_sync(local, ext, &by_id, NULL, false, out, &stats) == GH_OK);
	CHECK(stats.disabled == 0);
	CHECK(status_is(sync_renamed, "active") && live_sessions(sync_renamed) == 1);
	CHECK(extuser_sync(local, ext, &cfg, NULL, true, out, &stats) == GH_OK);
	CHECK(stats.disabled == 1); /* by name: syncold is gone */
	/* A user with another's name (as e-mail) is not taken for this one. */
	ext_run(ext, "UPDATE users SET email = 'syncold' WHERE user_id = 501");
	CHECK(extuser_sync(local, ext, &cfg, NULL, true, out, &stats) == GH_OK);
	CHECK(stats.disabled == 1);
	ext_run(ext, "UPDATE users SET email = NULL WHERE user_id = 501");
	ext_run(ext, "UPDATE users SET username = 'syncold' WHERE user_id = 504");
	fclose(out);
}

TEST(sync_failure_disables_nobody)
{
	struct extuser_sync_stats stats;
	struct config bad = cfg;
	FILE *out = tmpfile();

	ext_run(ext, "UPDATE users SET is_active = 0 WHERE user_id = 501");
	/* The store's table is gone (a wrong database, a failed query). */
	bad.users_sync_query = "SELECT user_id, username, email, password_hash, is_active "
	                       "FROM no_such_table WHERE user_id = ?";
	CHECK(extuser_sync(local, ext, &bad, NULL, false, out, &stats) == GH_EDB);
	CHECK(stats.disabled == 0);
	/* A query that answers with another user's id is wrong, not "gone". */
	bad.users_sync_query = "SELECT user_id, username, email, password_hash, is_active "
	                       "FROM users WHERE user_id = 42 OR user_id = ?";
	CHECK(extuser_sync(local, ext, &bad, NULL, false, out, &stats) == GH_EINVAL);
	CHECK(stats.disabled == 0);
	bad.users_sync_query = "SELECT user_id, is_active FROM users WHERE user_id = ?";
	CHECK(extuser_sync(local, ext, &bad, NULL, false, out, &stats) == GH_EINVAL);
	CHECK(status_is(sync_kept, "active") && live_sessions(sync_kept) == 1);
	ext_run(ext, "UPDATE users SET is_active = 1 WHERE user_id = 501");
	fclose(out);
}

TEST(sync_reads_every_page_of_shadow_rows)
{
	struct extuser_sync_stats stats;
	FILE *out = tmpfile();
	char name[32];
	int64_t last = 0;

	/* More shadow rows than one page (256), the last one inactive. */
	CHECK(db_begin(local) == GH_OK && db_begin(ext) == GH_OK);
	for (int i = 0; i < 600; i++) {
		snprintf(name, sizeof(name), "bulk%d", i);
		last = sync_user(10000 + i, name, true);
	}
	CHECK(db_commit(local) == GH_OK && db_commit(ext) == GH_OK);
	ext_run(ext, "UPDATE users SET is_active = 0 WHERE user_id = 10599");
	CHECK(extuser_sync(local, ext, &cfg, NULL, false, out, &stats) == GH_OK);
	CHECK(stats.checked >= 600);
	CHECK(stats.disabled == 1);
	CHECK(status_is(last, "inactive") && live_sessions(last) == 0);
	fclose(out);
}

int
main(void)
{
	char cmd[128];

	setup();
	RUN(find_by_username_and_email);
	RUN(foreign_2y_hash_verifies);
	RUN(inactive_user_found_but_not_active);
	RUN(user_without_hash_found_and_never_verifies);
	RUN(unknown_user_not_found);
	RUN(shadow_row_created_once_and_followed);
	RUN(shadow_never_takes_over_a_local_user);
	RUN(update_last_login_writes_back);
	RUN(probe_reports_missing_column_and_wrong_shape);
	RUN(sync_disables_inactive_and_deleted_users_only);
	RUN(sync_by_name_takes_a_rename_for_gone_sync_query_does_not);
	RUN(sync_failure_disables_nobody);
	RUN(sync_reads_every_page_of_shadow_rows);
	db_close(ext);
	db_close(local);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return test_summary();
}
