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
	if (db_open(url, NULL, 1000, &local) != GH_OK || migrate_up(local, sqldir, NULL, NULL) != GH_OK)
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
	if (db_exec(ext, "CREATE TABLE users (user_id INTEGER PRIMARY KEY, username TEXT UNIQUE, "
	                 "email TEXT, password_hash CHAR(60), is_active TINYINT, created_at DATETIME, "
	                 "last_login DATETIME, metadata JSON)") != GH_OK)
		abort();
	struct db_stmt *st;
	bool row;
	db_prepare(ext, "INSERT INTO users (user_id, username, email, password_hash, is_active) "
	                "VALUES (?, ?, ?, ?, ?)", &st);
	db_bind_int64(st, 1, 42);
	db_bind_text(st, 2, "carol");
	db_bind_text(st, 3, "carol@example.org");
	db_bind_text(st, 4, bcrypt_hash);
	db_bind_int64(st, 5, 1);
	db_step(st, &row);
	db_done(st);
	db_prepare(ext, "INSERT INTO users (user_id, username, email, password_hash, is_active) "
	                "VALUES (?, ?, ?, ?, ?)", &st);
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
	cfg.users_source = "external";
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

	CHECK(user_add(local, "erin", NULL, "$2b$04$xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
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
	CHECK(strstr(text, "pw_hash") != NULL);  /* the database names the bad column */
	CHECK(strstr(text, "returns 2 columns") != NULL);
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
	db_close(ext);
	db_close(local);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return test_summary();
}
