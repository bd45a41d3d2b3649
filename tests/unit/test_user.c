/*
 * test_user.c: users and roles with the real migrations, on every database
 * (test_backend.h): SQLite, then throwaway MariaDB and PostgreSQL servers.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "migrate.h"
#include "test.h"
#include "test_backend.h"
#include "user.h"

static struct db *db;

/* setup opens b's new database with the real migrations; false when that
 * fails. */
static bool
setup(struct test_backend *b)
{
	if ((db = test_backend_open_schema(b, 1000)) == NULL)
		return false;
	return true;
}

/* List callbacks that write what gatehousectl prints into the FILE arg. */
static enum gh_err
print_user(const struct user_row *r, void *arg)
{
	fprintf(arg, "%lld %s %s %s %s\n", (long long)r->id, r->username,
	    r->email != NULL ? r->email : "-", r->status, r->roles[0] != '\0' ? r->roles : "-");
	return GH_OK;
}

static enum gh_err
print_role(const struct role_row *r, void *arg)
{
	fprintf(arg, "%s%s%s\n", r->name, r->description[0] != '\0' ? " " : "", r->description);
	return GH_OK;
}

/* A callback that stops the list at its first row. */
static enum gh_err
stop_at_first(const struct user_row *r, void *arg)
{
	(void)r;
	++*(int *)arg;
	return GH_EINVAL;
}

TEST(utf8_names_and_emails_round_trip)
{
	struct user u;
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int64_t id;

	/* Four-byte UTF-8 (utf8mb4 on MariaDB) in the e-mail and the role
	 * description. */
	CHECK(user_add(db, "utf8",
	          "\xf0\x9f\x94\x91"
	          "caf\xc3\xa9@example.org",
	          NULL, &id) == GH_OK);
	CHECK(user_find(db,
	          "\xf0\x9f\x94\x91"
	          "CAF\xc3\xa9@EXAMPLE.org",
	          &u) == GH_OK);
	CHECK(u.id == id);
	CHECK_STR(u.email, "\xf0\x9f\x94\x91"
	                   "caf\xc3\xa9@example.org");
	user_cleanup(&u);
	CHECK(role_add(db, "keys", "Holds \xf0\x9f\x94\x91 and \\ and 'quotes' and ?") == GH_OK);
	out = open_memstream(&text, &len);
	CHECK(role_list(db, print_role, out) == GH_OK);
	fflush(out);
	CHECK(text != NULL &&
	      strstr(text, "keys Holds \xf0\x9f\x94\x91 and \\ and 'quotes' and ?\n") != NULL);
	fclose(out);
	free(text);
}

TEST(add_then_find_by_username_and_email)
{
	struct user u;
	int64_t id = 0;

	CHECK(user_add(db, "alice", "Alice@Example.org", "$2b$04$hash", &id) == GH_OK);
	CHECK(id > 0);
	CHECK(user_find(db, "alice", &u) == GH_OK);
	CHECK(u.id == id);
	CHECK_STR(u.username, "alice");
	CHECK_STR(u.email, "Alice@Example.org");
	CHECK_STR(u.password_hash, "$2b$04$hash");
	CHECK_STR(u.status, "active");
	CHECK_STR(u.roles, "");
	CHECK(u.created_at > 0 && u.last_login_at == 0);
	user_cleanup(&u);
	/* E-mail is compared ignoring case; the username is not. */
	CHECK(user_find(db, "alice@example.ORG", &u) == GH_OK);
	CHECK(u.id == id);
	user_cleanup(&u);
	CHECK(user_find(db, "Alice", &u) == GH_ENOTFOUND);
	CHECK(u.username == NULL);
	CHECK(user_find_id(db, id, &u) == GH_OK);
	CHECK_STR(u.username, "alice");
	user_cleanup(&u);
	user_cleanup(&u); /* harmless twice */
}

TEST(unknown_user_not_found)
{
	struct user u;

	CHECK(user_find(db, "nobody", &u) == GH_ENOTFOUND);
	CHECK(user_find(db, "", &u) == GH_ENOTFOUND);
	CHECK(user_find(db, NULL, &u) == GH_ENOTFOUND);
	CHECK(user_find_id(db, 99999, &u) == GH_ENOTFOUND);
	user_cleanup(&u);
}

TEST(user_without_email_or_password)
{
	struct user u;
	int64_t id;

	CHECK(user_add(db, "sso-only", NULL, NULL, &id) == GH_OK);
	CHECK(user_find_id(db, id, &u) == GH_OK);
	CHECK(u.email == NULL && u.password_hash == NULL);
	user_cleanup(&u);
	CHECK(user_add(db, "empty-mail", "", NULL, &id) == GH_OK);
	CHECK(user_find_id(db, id, &u) == GH_OK);
	CHECK(u.email == NULL);
	user_cleanup(&u);
}

TEST(duplicate_username_or_email_refused)
{
	int64_t id = -1;

	CHECK(user_add(db, "dup", "dup@example.org", NULL, &id) == GH_OK);
	CHECK(user_add(db, "dup", "other@example.org", NULL, &id) == GH_EEXISTS);
	CHECK(id == 0);
	CHECK(user_add(db, "dup2", "DUP@example.org", NULL, &id) == GH_EEXISTS);
}

TEST(invalid_username_or_email_refused)
{
	char longname[80];

	memset(longname, 'a', 65);
	longname[65] = '\0';
	CHECK(user_add(db, "", NULL, NULL, NULL) == GH_EINVAL);
	CHECK(user_add(db, NULL, NULL, NULL, NULL) == GH_EINVAL);
	CHECK(user_add(db, "has space", NULL, NULL, NULL) == GH_EINVAL);
	CHECK(user_add(db, "semi;colon", NULL, NULL, NULL) == GH_EINVAL);
	CHECK(user_add(db, longname, NULL, NULL, NULL) == GH_EINVAL);
	longname[64] = '\0';
	CHECK(user_valid_username(longname));
	CHECK(user_valid_username("a.b_c@d+e-f"));
	CHECK(!user_valid_username("caf\xc3\xa9"));
	CHECK(user_add(db, "mailtest", "no-at-sign", NULL, NULL) == GH_EINVAL);
	CHECK(user_add(db, "mailtest", "two@@example.org", NULL, NULL) == GH_EINVAL);
	CHECK(user_add(db, "mailtest", "a b@example.org", NULL, NULL) == GH_EINVAL);
	CHECK(user_add(db, "mailtest", "@example.org", NULL, NULL) == GH_EINVAL);
	CHECK(user_add(db, "mailtest", "x@", NULL, NULL) == GH_EINVAL);
}

TEST(username_wins_over_another_users_email)
{
	struct user u;
	int64_t a, b;

	/* b's username is a's e-mail address: logging in as it means b. */
	CHECK(user_add(db, "amy", "shared@example.org", NULL, &a) == GH_OK);
	CHECK(user_add(db, "shared@example.org", NULL, NULL, &b) == GH_OK);
	CHECK(user_find(db, "shared@example.org", &u) == GH_OK);
	CHECK(u.id == b);
	user_cleanup(&u);
}

TEST(set_password_status_and_record_login)
{
	struct user u;
	int64_t id;

	CHECK(user_add(db, "bob", NULL, "old", &id) == GH_OK);
	CHECK(user_set_password(db, id, "new") == GH_OK);
	CHECK(user_set_status(db, id, "inactive") == GH_OK);
	CHECK(user_record_login(db, id) == GH_OK);
	CHECK(user_find_id(db, id, &u) == GH_OK);
	CHECK_STR(u.password_hash, "new");
	CHECK_STR(u.status, "inactive");
	CHECK(u.last_login_at >= (int64_t)time(NULL) - 5);
	user_cleanup(&u);
	CHECK(user_set_status(db, id, "bogus") == GH_EINVAL);
	CHECK(user_set_status(db, id, NULL) == GH_EINVAL);
	CHECK(user_set_status(db, 99999, "active") == GH_ENOTFOUND);
	CHECK(user_set_password(db, 99999, "x") == GH_ENOTFOUND);
	CHECK(user_record_login(db, 99999) == GH_ENOTFOUND);
}

TEST(roles_replaced_sorted_and_unknown_role_refused)
{
	struct user u;
	int64_t id;

	CHECK(role_add(db, "editor", "Edits pages") == GH_OK);
	CHECK(role_add(db, "viewer", NULL) == GH_OK);
	CHECK(user_add(db, "carol", NULL, NULL, &id) == GH_OK);
	CHECK(user_set_roles(db, id, "viewer, admin ,viewer,,editor") == GH_OK);
	CHECK(user_find_id(db, id, &u) == GH_OK);
	CHECK_STR(u.roles, "admin,editor,viewer");
	user_cleanup(&u);
	/* An unknown role changes nothing. */
	CHECK(user_set_roles(db, id, "editor,nosuchrole") == GH_ENOTFOUND);
	CHECK(user_find_id(db, id, &u) == GH_OK);
	CHECK_STR(u.roles, "admin,editor,viewer");
	user_cleanup(&u);
	CHECK(user_set_roles(db, id, "bad role!") == GH_EINVAL);
	CHECK(user_set_roles(db, 99999, "admin") == GH_ENOTFOUND);
	CHECK(user_set_roles(db, id, "editor") == GH_OK);
	CHECK(user_find(db, "carol", &u) == GH_OK);
	CHECK_STR(u.roles, "editor");
	user_cleanup(&u);
	CHECK(user_set_roles(db, id, "") == GH_OK);
	CHECK(user_find_id(db, id, &u) == GH_OK);
	CHECK_STR(u.roles, "");
	user_cleanup(&u);
}

TEST(role_add_duplicate_or_invalid_refused)
{
	CHECK(role_add(db, "admin", "again") == GH_EEXISTS);
	CHECK(role_add(db, "", NULL) == GH_EINVAL);
	CHECK(role_add(db, "with space", NULL) == GH_EINVAL);
	CHECK(role_add(db, "a,b", NULL) == GH_EINVAL);
	CHECK(role_valid_name("ops_team-2"));
	CHECK(!role_valid_name("ops.team"));
	CHECK(!role_valid_name(NULL));
}

TEST(list_prints_users_and_roles)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int64_t id;

	CHECK(user_add(db, "dave", "dave@example.org", NULL, &id) == GH_OK);
	CHECK(user_set_roles(db, id, "admin,editor") == GH_OK);
	out = open_memstream(&text, &len);
	CHECK(user_list(db, print_user, out) == GH_OK);
	fflush(out);
	CHECK(text != NULL && strstr(text, " dave dave@example.org active admin,editor\n") != NULL);
	CHECK(text != NULL && strstr(text, " sso-only - active -\n") != NULL);
	fclose(out);
	free(text);
	text = NULL;
	out = open_memstream(&text, &len);
	CHECK(role_list(db, print_role, out) == GH_OK);
	fflush(out);
	CHECK(text != NULL && strstr(text, "editor Edits pages\n") != NULL);
	CHECK(text != NULL && strstr(text, "viewer\n") != NULL);
	fclose(out);
	free(text);
	/* A callback's error stops the list and is its answer. */
	int calls = 0;
	CHECK(user_list(db, stop_at_first, &calls) == GH_EINVAL && calls == 1);
}

static void
suite(void)
{
	RUN(add_then_find_by_username_and_email);
	RUN(unknown_user_not_found);
	RUN(user_without_email_or_password);
	RUN(duplicate_username_or_email_refused);
	RUN(invalid_username_or_email_refused);
	RUN(username_wins_over_another_users_email);
	RUN(set_password_status_and_record_login);
	RUN(roles_replaced_sorted_and_unknown_role_refused);
	RUN(role_add_duplicate_or_invalid_refused);
	RUN(list_prints_users_and_roles);
	RUN(utf8_names_and_emails_round_trip);
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
