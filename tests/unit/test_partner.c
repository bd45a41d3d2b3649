/*
 * test_partner.c: the partner sites of single sign-on (common/partner.c):
 * the redirect allowlist, the user claim, the role mapping, the choice of
 * partner by issuer, and the jti replay record on every database.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db.h"
#include "partner.h"
#include "test.h"
#include "test_backend.h"
#include "url.h"

static struct db *db;

static struct config_partner shop = {
    .name = "shop",
    .issuer = "https://shop.example",
    .audience = "gatehouse",
    .algorithm = CONFIG_HS256,
    .secret = "0123456789abcdef0123456789abcdef",
    .user_claim = CONFIG_CLAIM_SUB,
    .redirect = "https://app.example/ /home https://app.example/exact",
    .default_redirect = "/",
    .role_claim = "groups",
    .role_map = "staff:editor vip:member staff2:editor boss:admin urn:acme:ops:operator",
    .max_lifetime = 300,
    .skew = 60,
};

TEST(redirect_exact_or_under_an_entry_ending_in_slash)
{
	CHECK(partner_redirect_allowed(&shop, "/home"));
	CHECK(partner_redirect_allowed(&shop, "https://app.example/"));
	CHECK(partner_redirect_allowed(&shop, "https://app.example/deep/page?x=1"));
	CHECK(partner_redirect_allowed(&shop, "https://app.example/exact"));
}

TEST(redirect_outside_the_allowlist_refused)
{
	const char *const bad[] = {"/home/other", "/homes", "/", "https://app.example",
	    "https://app.example.evil/", "https://evil.example/https://app.example/",
	    "//app.example/", "https://app.example/\r\nSet-Cookie: x", "https://app.example/ x",
	    "https://app.example/\\evil", "", "javascript:alert(1)", "HTTPS://APP.EXAMPLE/"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!partner_redirect_allowed(&shop, bad[i]));
	char *longer = malloc(URL_NEXT_MAX + 2);
	memcpy(longer, "/home", 5);
	memset(longer + 5, 'x', URL_NEXT_MAX - 4);
	longer[URL_NEXT_MAX + 1] = '\0';
	CHECK(!partner_redirect_allowed(&shop, longer));
	free(longer);
	struct config_partner none = shop;
	none.redirect = NULL;
	CHECK(!partner_redirect_allowed(&none, "/home"));
}

TEST(user_claim_read_by_its_name_and_checked)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:i}", "sub", "alice", "email", "a@example.org",
	    "preferred_username", "Alice", "n", 5);
	struct config_partner p = shop;

	CHECK_STR(partner_user_value(&p, c), "alice");
	p.user_claim = CONFIG_CLAIM_EMAIL;
	CHECK_STR(partner_user_value(&p, c), "a@example.org");
	p.user_claim = CONFIG_CLAIM_PREFERRED_USERNAME;
	CHECK_STR(partner_user_value(&p, c), "Alice");
	json_object_set_new(c, "preferred_username", json_integer(7));
	CHECK(partner_user_value(&p, c) == NULL);
	json_object_set_new(c, "preferred_username", json_string(""));
	CHECK(partner_user_value(&p, c) == NULL);
	json_object_set_new(c, "preferred_username", json_string("a\tb"));
	CHECK(partner_user_value(&p, c) == NULL);
	json_object_del(c, "preferred_username");
	CHECK(partner_user_value(&p, c) == NULL);
	json_decref(c);
}

TEST(roles_mapped_each_once_in_the_maps_order)
{
	json_t *arr = json_pack("{s:[s,s,s,s,i]}", "groups", "vip", "staff2", "staff", "none", 3);
	json_t *one = json_pack("{s:s}", "groups", "vip");
	json_t *other = json_pack("{s:[s]}", "roles", "staff");
	char out[64], tiny[8];

	CHECK(partner_roles(&shop, arr, out, sizeof(out)) == GH_OK);
	CHECK_STR(out, "editor,member");
	CHECK(partner_roles(&shop, one, out, sizeof(out)) == GH_OK);
	CHECK_STR(out, "member");
	CHECK(partner_roles(&shop, other, out, sizeof(out)) == GH_OK);
	CHECK_STR(out, "");
	CHECK(partner_roles(&shop, arr, tiny, sizeof(tiny)) == GH_ETOOBIG);
	/* Theirs may hold ':' (a URN): a pair is split at its last one. */
	json_object_set_new(one, "groups", json_string("urn:acme:ops"));
	CHECK(partner_roles(&shop, one, out, sizeof(out)) == GH_OK);
	CHECK_STR(out, "operator");
	/* A value of the claim is compared whole: "staf" is not "staff". */
	json_object_set_new(one, "groups", json_string("staf"));
	CHECK(partner_roles(&shop, one, out, sizeof(out)) == GH_OK);
	CHECK_STR(out, "");
	json_decref(arr);
	json_decref(one);
	json_decref(other);
}

TEST(partner_chosen_by_the_tokens_issuer)
{
	struct config_partner other = shop;
	struct partner list[2] = {{.cfg = &shop}, {.cfg = &other}};
	struct partner_set set = {list, 2};
	const struct partner *found;
	char token[512];
	size_t n;

	other.issuer = "https://other.example";
	n = crypto_b64url_encode("{\"alg\":\"HS256\"}", 15, token);
	token[n++] = '.';
	n += crypto_b64url_encode("{\"iss\":\"https://other.example\"}", 31, token + n);
	memcpy(token + n, ".c2ln", 6);
	CHECK(partner_for_token(&set, token, &found) == JWS_OK && found == &list[1]);
	n = crypto_b64url_encode("{\"alg\":\"HS256\"}", 15, token);
	token[n++] = '.';
	n += crypto_b64url_encode("{\"iss\":\"https://nobody.example\"}", 32, token + n);
	memcpy(token + n, ".c2ln", 6);
	CHECK(partner_for_token(&set, token, &found) == JWS_BAD_ISSUER && found == NULL);
	CHECK(partner_for_token(&set, "garbage", &found) == JWS_MALFORMED && found == NULL);
	n = crypto_b64url_encode("{\"alg\":\"HS256\"}", 15, token);
	token[n++] = '.';
	n += crypto_b64url_encode("{\"iss\":7}", 9, token + n);
	memcpy(token + n, ".c2ln", 6);
	CHECK(partner_for_token(&set, token, &found) == JWS_BAD_ISSUER);
}

/* -- On the databases ------------------------------------------------------ */

TEST(jti_used_once_per_partner)
{
	struct config_partner other = shop;

	other.name = "other";
	CHECK(partner_jti_use(db, &shop, "abc", 2000000000) == GH_OK);
	CHECK(partner_jti_use(db, &shop, "abc", 2000000000) == GH_EEXISTS);
	CHECK(partner_jti_use(db, &other, "abc", 2000000000) == GH_OK);
	CHECK(partner_jti_use(db, &shop, "abd", 2000000000) == GH_OK);
	/* A jti of any length is stored as its hash. */
	char big[256];
	memset(big, 'j', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(partner_jti_use(db, &shop, big, 2000000000) == GH_OK);
	CHECK(partner_jti_use(db, &shop, big, 2000000000) == GH_EEXISTS);
}

TEST(jti_purge_deletes_only_the_expired)
{
	int64_t deleted = -1;

	CHECK(partner_jti_use(db, &shop, "old", 1000) == GH_OK);
	CHECK(partner_jti_use(db, &shop, "new", 3000) == GH_OK);
	CHECK(partner_jti_purge(db, 2000, &deleted) == GH_OK);
	CHECK(deleted == 1);
	CHECK(partner_jti_use(db, &shop, "old", 1000) == GH_OK);
	CHECK(partner_jti_use(db, &shop, "new", 3000) == GH_EEXISTS);
}

static bool
setup(struct test_backend *b)
{
	return (db = test_backend_open_schema(b, 1000)) != NULL;
}

static void
suite(void)
{
	RUN(jti_used_once_per_partner);
	RUN(jti_purge_deletes_only_the_expired);
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
	RUN(redirect_exact_or_under_an_entry_ending_in_slash);
	RUN(redirect_outside_the_allowlist_refused);
	RUN(user_claim_read_by_its_name_and_checked);
	RUN(roles_mapped_each_once_in_the_maps_order);
	RUN(partner_chosen_by_the_tokens_issuer);
	return test_backend_main(TEST_EVERY_BACKEND, setup, suite, tear_down);
}
