/*
 * test_access.c: unit tests for common/access.c, the check's access rules:
 * parsing of rule lines (good and malformed), first-match-wins evaluation,
 * default deny, host and path matching, and role lists.
 */
#include <stdbool.h>

#include "access.h"
#include "test.h"

#define NRULES_MAX 8

/* Parses lines[0..n) into rules; returns false if any line fails. */
static bool
parse_all(const char *const *lines, size_t n, struct access_rule *rules)
{
	const char *why;
	size_t i;

	for (i = 0; i < n; i++)
		if (access_rule_parse(lines[i], &rules[i], &why) != GH_OK) {
			fprintf(stderr, "rule \"%s\": %s\n", lines[i], why);
			return false;
		}
	return true;
}

static void
cleanup_all(struct access_rule *rules, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		access_rule_cleanup(&rules[i]);
}

/* Index of the rule access_match picks, or -1 for none. */
static long
match_index(const struct access_rule *rules, size_t n, const char *host, const char *path)
{
	const struct access_rule *r = access_match(rules, n, host, path);

	return r == NULL ? -1 : (long)(r - rules);
}

/* Tells whether line is refused with a reason containing want. */
static bool
refused_with(const char *line, const char *want)
{
	struct access_rule r;
	const char *why = NULL;
	enum gh_err e;

	e = access_rule_parse(line, &r, &why);
	if (e != GH_EINVAL || why == NULL || strstr(why, want) == NULL) {
		fprintf(stderr, "rule \"%s\": got %d \"%s\", wanted \"%s\"\n", line, (int)e,
		    why ? why : "(null)", want);
		if (e == GH_OK)
			access_rule_cleanup(&r);
		return false;
	}
	/* A refused rule leaves nothing to free. */
	return r.host == NULL && r.path == NULL && r.role == NULL;
}

TEST(parse_conditions_and_role_action)
{
	struct access_rule r;
	const char *why = "x";

	CHECK(access_rule_parse(
	          "host:*.example.org  path:/admin/*\trequire:role:admin", &r, &why) == GH_OK);
	CHECK(why == NULL);
	CHECK_STR(r.host, "*.example.org");
	CHECK_STR(r.path, "/admin/**"); /* the tree, spelt out */
	CHECK(r.action == ACCESS_ROLE);
	CHECK_STR(r.role, "admin");
	access_rule_cleanup(&r);
	CHECK(r.host == NULL && r.path == NULL && r.role == NULL);
	access_rule_cleanup(&r); /* twice is harmless */
}

TEST(parse_bypass_and_login_without_conditions)
{
	struct access_rule r;
	const char *why;

	CHECK(access_rule_parse("bypass", &r, &why) == GH_OK);
	CHECK(r.action == ACCESS_BYPASS && r.host == NULL && r.path == NULL && r.role == NULL);
	access_rule_cleanup(&r);
	CHECK(access_rule_parse("  require:login  ", &r, &why) == GH_OK);
	CHECK(r.action == ACCESS_LOGIN && r.role == NULL);
	access_rule_cleanup(&r);
}

TEST(malformed_rule_without_action_refused)
{
	CHECK(refused_with("path:/admin/*", "no action"));
	CHECK(refused_with("", "no action"));
	CHECK(refused_with("   ", "no action"));
}

TEST(malformed_rule_with_two_actions_refused)
{
	CHECK(refused_with("path:/x bypass require:login", "more than one action"));
	CHECK(refused_with("require:role:a require:role:b", "more than one action"));
}

TEST(malformed_rule_with_unknown_word_refused)
{
	CHECK(refused_with("path:/x allow", "unknown word"));
	CHECK(refused_with("url:/x bypass", "unknown word"));
	CHECK(refused_with("path:/x require:admin", "unknown requirement"));
	CHECK(refused_with("PATH:/x bypass", "unknown word"));
}

TEST(malformed_rule_with_empty_role_refused)
{
	CHECK(refused_with("path:/admin/* require:role:", "empty role"));
	CHECK(refused_with("require:role:a,b", "','"));
}

TEST(malformed_rule_conditions_refused)
{
	CHECK(refused_with("bypass path:/x", "condition after the action"));
	CHECK(refused_with("host:a host:b bypass", "more than one host"));
	CHECK(refused_with("path:/a path:/b bypass", "more than one path"));
	CHECK(refused_with("host: bypass", "empty host"));
	CHECK(refused_with("path: bypass", "empty path"));
	CHECK(refused_with("path:admin/* bypass", "must start with"));
	CHECK(refused_with("path:/x\r\nbypass", "control character"));
}

TEST(first_matching_rule_wins)
{
	static const char *const lines[] = {
	    "path:/public/* bypass", "path:/admin/* require:role:admin", "path:/* require:login",
	    "path:/admin/* bypass", /* never reached */
	};
	struct access_rule rules[NRULES_MAX];

	CHECK(parse_all(lines, 4, rules));
	CHECK(match_index(rules, 4, "example.org", "/public/style.css") == 0);
	CHECK(match_index(rules, 4, "example.org", "/admin/users") == 1);
	CHECK(match_index(rules, 4, "example.org", "/admin/a/b/c") ==
	      1); /* a final slash-star: the tree */
	CHECK(match_index(rules, 4, "example.org", "/index.html") == 2);
	CHECK(match_index(rules, 4, "example.org", "/admin") ==
	      2); /* the pattern needs the trailing slash */
	cleanup_all(rules, 4);
}

TEST(star_does_not_cross_a_slash)
{
	static const char *const lines[] = {
	    "path:/static/*.css bypass",
	    "path:/a?c bypass",
	    "path:/docs/**.pdf bypass",
	    "path:/* require:login",
	};
	struct access_rule rules[NRULES_MAX];

	CHECK(parse_all(lines, 4, rules));
	CHECK(match_index(rules, 4, "h", "/static/site.css") == 0);
	/* A CGI with PATH_INFO /a.css is not a style sheet. */
	CHECK(match_index(rules, 4, "h", "/static/x.cgi/a.css") == 3);
	CHECK(match_index(rules, 4, "h", "/static/.css") == 0);
	CHECK(match_index(rules, 4, "h", "/abc") == 1);
	CHECK(match_index(rules, 4, "h", "/a/c") == 3);
	CHECK(match_index(rules, 4, "h", "/docs/a/b/c.pdf") == 2);
	CHECK(match_index(rules, 4, "h", "/docs/c.pdf") == 2);
	CHECK(match_index(rules, 4, "h", "/docs/c.pdf/x") == 3);
	cleanup_all(rules, 4);
}

TEST(final_slash_star_is_the_whole_tree)
{
	static const char *const lines[] = {"path:/public/* bypass", "path:/x/*/y/* bypass"};
	struct access_rule rules[NRULES_MAX];

	CHECK(parse_all(lines, 2, rules));
	CHECK(match_index(rules, 2, "h", "/public/") == 0);
	CHECK(match_index(rules, 2, "h", "/public/a/b/c.html") == 0);
	CHECK(match_index(rules, 2, "h", "/public") == -1);
	CHECK(match_index(rules, 2, "h", "/publicity/") == -1);
	CHECK(match_index(rules, 2, "h", "/x/a/y/b/c") == 1);
	CHECK(match_index(rules, 2, "h", "/x/a/b/y/c") == -1); /* the inner star is one segment */
	cleanup_all(rules, 2);
}

TEST(path_pattern_must_not_start_with_one_star)
{
	struct access_rule r;

	CHECK(refused_with("path:*.css bypass", "must start with"));
	CHECK(access_rule_parse("path:**.css bypass", &r, NULL) == GH_OK);
	access_rule_cleanup(&r);
}

TEST(many_stars_stay_cheap)
{
	static const char *const lines[] = {"path:/**a**a**a**a**a**a**a**a**b bypass"};
	struct access_rule rules[NRULES_MAX];
	char path[4001];

	/* A backtracking matcher would take ages here; the set of live
	 * positions walks the path once. */
	CHECK(parse_all(lines, 1, rules));
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	CHECK(match_index(rules, 1, "h", path) == -1);
	path[sizeof(path) - 2] = 'b';
	CHECK(match_index(rules, 1, "h", path) == 0);
	cleanup_all(rules, 1);
}

TEST(target_that_is_not_a_path_denies)
{
	static const char *const lines[] = {"path:/admin/* require:role:admin", "require:login"};
	struct access_rule rules[NRULES_MAX];

	/* An absolute-form target must not skip the path: rule and land on the
	 * path-less one. */
	CHECK(parse_all(lines, 2, rules));
	CHECK(match_index(rules, 2, "h", "http://h/admin/") == -1);
	CHECK(match_index(rules, 2, "h", "") == -1);
	CHECK(match_index(rules, 2, "h", "/x") == 1);
	cleanup_all(rules, 2);
}

TEST(unparsable_host_denies_at_a_host_rule)
{
	static const char *const lines[] = {
	    "path:/public/* bypass",
	    "host:admin.example.org require:role:admin",
	    "require:login",
	};
	struct access_rule rules[NRULES_MAX];
	char longhost[300];

	CHECK(parse_all(lines, 3, rules));
	memset(longhost, 'a', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = '\0';
	/* The host-less rule before it still decides. */
	CHECK(match_index(rules, 3, "", "/public/x") == 0);
	/* Skipping the host rule would fall through to require:login. */
	CHECK(match_index(rules, 3, "", "/x") == -1);
	CHECK(match_index(rules, 3, NULL, "/x") == -1);
	CHECK(match_index(rules, 3, longhost, "/x") == -1);
	CHECK(match_index(rules, 3, "[::1", "/x") == -1);
	CHECK(match_index(rules, 3, ":80", "/x") == -1);
	CHECK(match_index(rules, 3, "www.example.org", "/x") == 2);
	cleanup_all(rules, 3);
}

TEST(no_matching_rule_denies)
{
	static const char *const lines[] = {
	    "path:/public/* bypass",
	    "host:intranet.example.org require:login",
	};
	struct access_rule rules[NRULES_MAX];

	CHECK(parse_all(lines, 2, rules));
	CHECK(access_match(rules, 2, "www.example.org", "/private/x") == NULL);
	CHECK(access_match(rules, 2, NULL, "/private/x") == NULL);
	CHECK(access_match(rules, 2, "www.example.org", NULL) == NULL);
	CHECK(access_match(rules, 0, "www.example.org", "/public/x") == NULL);
	CHECK(access_match(NULL, 0, "www.example.org", "/public/x") == NULL);
	cleanup_all(rules, 2);
}

TEST(host_matches_without_port_and_case)
{
	static const char *const lines[] = {
	    "host:intranet.example.org require:role:staff",
	    "host:*.example.org bypass",
	    "host:[::1] require:login",
	};
	struct access_rule rules[NRULES_MAX];

	CHECK(parse_all(lines, 3, rules));
	CHECK(match_index(rules, 3, "intranet.example.org:8443", "/x") == 0);
	CHECK(match_index(rules, 3, "INTRANET.Example.ORG", "/x") == 0);
	CHECK(match_index(rules, 3, "intranet.example.org.", "/x") == 0);
	CHECK(match_index(rules, 3, "www.example.org:80", "/x") == 1);
	CHECK(match_index(rules, 3, "example.org", "/x") == -1);
	CHECK(match_index(rules, 3, "evil.org:intranet.example.org", "/x") == -1);
	CHECK(match_index(rules, 3, "", "/x") == -1);
	cleanup_all(rules, 3);
}

TEST(path_dot_segments_cannot_escape_rule)
{
	static const char *const lines[] = {
	    "path:/public/* bypass",
	    "path:/admin/* require:role:admin",
	    "require:login",
	};
	struct access_rule rules[NRULES_MAX];

	CHECK(parse_all(lines, 3, rules));
	CHECK(match_index(rules, 3, "h", "/public/../admin/secret") == 1);
	CHECK(match_index(rules, 3, "h", "/public/./../admin/secret") == 1);
	CHECK(match_index(rules, 3, "h", "//admin/secret") == 1);
	CHECK(match_index(rules, 3, "h", "/admin//secret") == 1);
	CHECK(match_index(rules, 3, "h", "/../../admin/secret") == 1);
	CHECK(match_index(rules, 3, "h", "/public/x/..") == 0); /* "/public/" */
	CHECK(match_index(rules, 3, "h", "/public/..") == 2);   /* "/" */
	CHECK(match_index(rules, 3, "h", "/admin/x/../y") == 1);
	cleanup_all(rules, 3);
}

TEST(overlong_path_matches_nothing)
{
	static const char *const lines[] = {"bypass"};
	struct access_rule rules[NRULES_MAX];
	char *path;

	CHECK(parse_all(lines, 1, rules));
	path = malloc(10000);
	CHECK(path != NULL);
	if (path != NULL) {
		memset(path, 'a', 9999);
		path[0] = '/';
		path[9999] = '\0';
		CHECK(access_match(rules, 1, "h", path) == NULL);
		free(path);
	}
	cleanup_all(rules, 1);
}

TEST(bypass_rule_is_returned)
{
	static const char *const lines[] = {"host:static.example.org path:/* bypass"};
	struct access_rule rules[NRULES_MAX];
	const struct access_rule *r;

	CHECK(parse_all(lines, 1, rules));
	r = access_match(rules, 1, "static.example.org", "/img/logo.png");
	CHECK(r != NULL && r->action == ACCESS_BYPASS);
	CHECK(access_match(rules, 1, "www.example.org", "/img/logo.png") == NULL);
	cleanup_all(rules, 1);
}

TEST(role_rule_carries_role_name)
{
	static const char *const lines[] = {"path:/admin/* require:role:admin"};
	struct access_rule rules[NRULES_MAX];
	const struct access_rule *r;

	CHECK(parse_all(lines, 1, rules));
	r = access_match(rules, 1, "h", "/admin/x");
	CHECK(r != NULL && r->action == ACCESS_ROLE);
	CHECK(r != NULL && access_roles_has("editor,admin", r->role));
	CHECK(r != NULL && !access_roles_has("editor,administrator", r->role));
	cleanup_all(rules, 1);
}

TEST(roles_list_compares_exact_names)
{
	CHECK(access_roles_has("admin", "admin"));
	CHECK(access_roles_has("staff,admin", "admin"));
	CHECK(access_roles_has("admin,staff", "admin"));
	CHECK(access_roles_has("a, admin ,b", "admin"));
	CHECK(!access_roles_has("administrator", "admin"));
	CHECK(!access_roles_has("adm", "admin"));
	CHECK(!access_roles_has("Admin", "admin"));
	CHECK(!access_roles_has("", "admin"));
	CHECK(!access_roles_has(",,", "admin"));
	CHECK(!access_roles_has("admin", ""));
	CHECK(!access_roles_has(",", ""));
	CHECK(!access_roles_has(NULL, "admin"));
	CHECK(!access_roles_has("admin", NULL));
}

int
main(void)
{
	RUN(parse_conditions_and_role_action);
	RUN(parse_bypass_and_login_without_conditions);
	RUN(malformed_rule_without_action_refused);
	RUN(malformed_rule_with_two_actions_refused);
	RUN(malformed_rule_with_unknown_word_refused);
	RUN(malformed_rule_with_empty_role_refused);
	RUN(malformed_rule_conditions_refused);
	RUN(first_matching_rule_wins);
	RUN(star_does_not_cross_a_slash);
	RUN(final_slash_star_is_the_whole_tree);
	RUN(path_pattern_must_not_start_with_one_star);
	RUN(many_stars_stay_cheap);
	RUN(target_that_is_not_a_path_denies);
	RUN(unparsable_host_denies_at_a_host_rule);
	RUN(no_matching_rule_denies);
	RUN(host_matches_without_port_and_case);
	RUN(path_dot_segments_cannot_escape_rule);
	RUN(overlong_path_matches_nothing);
	RUN(bypass_rule_is_returned);
	RUN(role_rule_carries_role_name);
	RUN(roles_list_compares_exact_names);
	return test_summary();
}
