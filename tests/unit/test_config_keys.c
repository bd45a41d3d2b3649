/*
 * test_config_keys.c: unit tests for the keys of gatehouse.conf (common/
 * config_keys.c, config_value.c, the checks of config_apply.c): every value
 * type's errors, the checks of single keys and of keys taken together, and
 * every key's entry in gatehouse.conf(5).  Every GATEHOUSE_* variable a
 * test sets is unset after it.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* setenv */
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "test.h"
#include "test_config.h"

/* Every key the configuration knows has its entry in gatehouse.conf(5):
 * ".TP" (or ".TQ") then ".BR name \" (" within the page's ".SS [section]"
 * (".SS [partner NAME]" for a partner's keys). */
TEST(every_key_documented_in_its_section)
{
	char path[4096], want[160];
	const char *section, *name;
	FILE *f;
	static char page[256 * 1024];
	size_t n;

	snprintf(path, sizeof(path), "%s/doc/gatehouse.conf.5", test_srcdir());
	CHECK((f = fopen(path, "r")) != NULL);
	if (f == NULL)
		return;
	n = fread(page, 1, sizeof(page) - 1, f);
	fclose(f);
	page[n] = '\0';
	CHECK(n > 0 && n < sizeof(page) - 1);
	for (size_t i = 0; config_key_at(i, &section, &name); i++) {
		const char *start, *end, *hit;

		snprintf(want, sizeof(want), "\n.SS [%s]\n", section);
		start = strstr(page, want);
		end = start != NULL ? strstr(start + 1, "\n.S") : NULL;
		/* A paragraph of its own (.TP), or one shared with the key
		 * before it (.TQ). */
		snprintf(want, sizeof(want), "\n.TP\n.BR %s \" (", name);
		hit = start != NULL ? strstr(start, want) : NULL;
		if (hit == NULL || (end != NULL && hit > end)) {
			want[3] = 'Q'; /* \n.TQ */
			hit = start != NULL ? strstr(start, want) : NULL;
		}
		if (start == NULL || hit == NULL || (end != NULL && hit > end)) {
			fprintf(stderr, "[%s] %s: not in gatehouse.conf(5)\n", section, name);
			CHECK(false);
		}
	}
}

TEST(bad_int_refused)
{
	CHECK(
	    refused("[general]\nthreads = four\n", "t.conf:2: [general] threads: not an integer"));
	CHECK(refused("[general]\nthreads = 4x\n", "t.conf:2: [general] threads: not an integer"));
	CHECK(
	    refused("[general]\nthreads = 0x10\n", "t.conf:2: [general] threads: not an integer"));
	CHECK(refused("[general]\nthreads =\n", "t.conf:2: [general] threads: not an integer"));
	CHECK(refused("[general]\nthreads = 99999999999999999999999\n",
	    "t.conf:2: [general] threads: not an integer"));
	CHECK(refused(
	    "[general]\nthreads = 65\n", "t.conf:2: [general] threads: must be between 1 and 64"));
	CHECK(refused(
	    "[general]\nthreads = -1\n", "t.conf:2: [general] threads: must be between 1 and 64"));
	CHECK(refused("[login]\nbcrypt_cost = 3\n",
	    "t.conf:2: [login] bcrypt_cost: must be between 4 and 31"));
	CHECK(refused("[login]\nmin_password_length = 7\n",
	    "t.conf:2: [login] min_password_length: must be between 8 and 1024"));
}

TEST(weak_hash_costs_refused_with_file_line_and_key)
{
	CHECK(refused("[login]\nbcrypt_cost = 9\n",
	    "t.conf:2: [login] bcrypt_cost: 9 is below the minimum 10 (OWASP); only tests may "
	    "set less, with [login] allow_weak_hashing = true"));
	CHECK(refused("[login]\npassword_scheme = bcrypt\n\nbcrypt_cost = 4\n",
	    "t.conf:4: [login] bcrypt_cost: 4 is below the minimum 10 (OWASP); only tests may "
	    "set less, with [login] allow_weak_hashing = true"));
	CHECK(refused("[login]\nargon2_memory_kib = 19455\n",
	    "t.conf:2: [login] argon2_memory_kib: 19455 is below the minimum 19456 (OWASP); "
	    "only tests may set less, with [login] allow_weak_hashing = true"));
	CHECK(refused("[login]\nargon2_time = 1\n",
	    "t.conf:2: [login] argon2_time: 1 is below the minimum 2 (OWASP); only tests may "
	    "set less, with [login] allow_weak_hashing = true"));
	CHECK(refused("[login]\nallow_weak_hashing = false\nargon2_memory_kib = 1024\n",
	    "t.conf:3: [login] argon2_memory_kib: 1024 is below the minimum 19456 (OWASP); "
	    "only tests may set less, with [login] allow_weak_hashing = true"));
	/* An environment override is named as such. */
	setenv("GATEHOUSE_LOGIN_ARGON2_TIME", "1", 1);
	CHECK(refused("", "environment GATEHOUSE_LOGIN_ARGON2_TIME: 1 is below the minimum 2 "
	                  "(OWASP); only tests may set less, with [login] allow_weak_hashing = "
	                  "true"));
	unsetenv("GATEHOUSE_LOGIN_ARGON2_TIME");
}

TEST(weak_hash_costs_accepted_at_floor_or_when_allowed)
{
	struct config cfg;

	CHECK(load(&cfg, "[login]\nbcrypt_cost = 10\nargon2_memory_kib = 19456\n"
	                 "argon2_time = 2\n") == GH_OK);
	CHECK(!cfg.allow_weak_hashing && !config_hashing_is_weak(&cfg));
	config_cleanup(&cfg);
	CHECK(load(&cfg, "[login]\nallow_weak_hashing = true\nbcrypt_cost = 4\n"
	                 "argon2_memory_kib = 1024\nargon2_time = 1\n") == GH_OK);
	CHECK_STR(errbuf, "");
	CHECK(cfg.allow_weak_hashing && config_hashing_is_weak(&cfg));
	CHECK(cfg.bcrypt_cost == 4 && cfg.argon2_memory_kib == 1024 && cfg.argon2_time == 1);
	config_cleanup(&cfg);
	setenv("GATEHOUSE_LOGIN_ALLOW_WEAK_HASHING", "yes", 1);
	CHECK(load(&cfg, "[login]\nargon2_time = 1\n") == GH_OK);
	CHECK(cfg.argon2_time == 1);
	config_cleanup(&cfg);
	unsetenv("GATEHOUSE_LOGIN_ALLOW_WEAK_HASHING");
}

TEST(bad_duration_refused)
{
	CHECK(refused("[session]\nidle_timeout = 10 minutes\n",
	    "t.conf:2: [session] idle_timeout: not a duration (seconds, or a number with s, m, "
	    "h or d)"));
	CHECK(refused("[session]\nidle_timeout = 1w\n",
	    "t.conf:2: [session] idle_timeout: not a duration (seconds, or a number with s, m, "
	    "h or d)"));
	CHECK(refused("[session]\nidle_timeout = -5m\n",
	    "t.conf:2: [session] idle_timeout: not a duration (seconds, or a number with s, m, "
	    "h or d)"));
	CHECK(refused("[session]\nidle_timeout = 0\n",
	    "t.conf:2: [session] idle_timeout: must be between 1 and 31536000 seconds"));
	CHECK(refused("[session]\nabsolute_timeout = 9999999999999999999d\n",
	    "t.conf:2: [session] absolute_timeout: not a duration (seconds, or a number with "
	    "s, m, h or d)"));
}

/* [token] access_lifetime: 15 minutes unless set, 1 minute to 1 hour. */
TEST(access_lifetime_between_a_minute_and_an_hour)
{
	struct config cfg;

	CHECK(load(&cfg, "") == GH_OK);
	CHECK(cfg.token_access_lifetime == 900);
	config_cleanup(&cfg);
	CHECK(load(&cfg, "[token]\naccess_lifetime = 60s\n") == GH_OK);
	CHECK(cfg.token_access_lifetime == 60);
	config_cleanup(&cfg);
	CHECK(load(&cfg, "[token]\naccess_lifetime = 1h\n") == GH_OK);
	CHECK(cfg.token_access_lifetime == 3600);
	config_cleanup(&cfg);
	CHECK(refused("[token]\naccess_lifetime = 59s\n",
	    "t.conf:2: [token] access_lifetime: must be between 60 and 3600 seconds"));
	CHECK(refused("[token]\naccess_lifetime = 3601\n",
	    "t.conf:2: [token] access_lifetime: must be between 60 and 3600 seconds"));
	CHECK(refused("[token]\naccess_lifetime = 61m\n",
	    "t.conf:2: [token] access_lifetime: must be between 60 and 3600 seconds"));
}

TEST(bad_bool_size_and_choice_refused)
{
	CHECK(refused("[session]\ninsecure_cookies = maybe\n",
	    "t.conf:2: [session] insecure_cookies: not a boolean (true/false, yes/no, on/off, "
	    "1/0)"));
	CHECK(refused("[login]\nmax_body = 2M\n",
	    "t.conf:2: [login] max_body: must be between 1024 and 1048576 bytes"));
	CHECK(refused("[login]\nmax_body = 512\n",
	    "t.conf:2: [login] max_body: must be between 1024 and 1048576 bytes"));
	CHECK(refused("[login]\npassword_scheme = md5\n",
	    "t.conf:2: [login] password_scheme: must be argon2id or bcrypt"));
	CHECK(refused("[general]\nlog_level = loud\n",
	    "t.conf:2: [general] log_level: must be error, warning, info or debug"));
	CHECK(refused("[database]\nurl = /var/lib/gatehouse.db\n",
	    "t.conf:2: [database] url: must start with sqlite://, mysql:// or postgresql://"));
	CHECK(refused("[general]\nprefix = /auth/\n",
	    "t.conf:2: [general] prefix: must be empty or a path like /auth, without a trailing "
	    "'/'"));
}

TEST(size_suffixes_accepted)
{
	struct config cfg;

	CHECK(load(&cfg, "[login]\nmax_body = 1M\n") == GH_OK);
	CHECK(cfg.max_body == 1048576);
	config_cleanup(&cfg);
	CHECK(load(&cfg, "[login]\nmax_body = 4k\n") == GH_OK);
	CHECK(cfg.max_body == 4096);
	config_cleanup(&cfg);
}

TEST(cookie_name_must_be_token)
{
	struct config cfg;

	CHECK(refused("[session]\ncookie_name = my cookie\n",
	    "t.conf:2: [session] cookie_name: may hold only letters, digits and "
	    "!#$%&'*+-.^_`|~"));
	CHECK(refused("[session]\ncookie_name = a;b\n",
	    "t.conf:2: [session] cookie_name: may hold only letters, digits and "
	    "!#$%&'*+-.^_`|~"));
	CHECK(refused("[session]\ncookie_name =\n",
	    "t.conf:2: [session] cookie_name: must be 1 to 64 characters long"));
	CHECK(refused("[session]\ncookie_name = __Host-x\n",
	    "t.conf:2: [session] cookie_name: must not start with __Host- or __Secure- (added "
	    "over HTTPS)"));
	CHECK(load(&cfg, "[session]\ncookie_name = gh_sid-2\n") == GH_OK);
	CHECK_STR(cfg.cookie_name, "gh_sid-2");
	config_cleanup(&cfg);
}

TEST(short_secret_refused_without_echo)
{
	CHECK(refused("[general]\nsecret = hunter2\n",
	    "t.conf:2: [general] secret: must be at least 32 bytes long"));
	CHECK(strstr(errbuf, "hunter2") == NULL);
}

TEST(bad_rule_names_its_line)
{
	CHECK(refused("[check]\nrule = bypass\nrule = path:/x\n",
	    "t.conf:3: [check] rule: no action (use bypass, require:login or "
	    "require:role:NAME)"));
	CHECK(refused("[check]\nrule = path:/admin/* require:role:\n",
	    "t.conf:2: [check] rule: empty role name in require:role:"));
}

TEST(unsafe_default_next_refused)
{
	struct config cfg;
	static const char want[] = "not a safe redirect target (a path like /, or an http(s) "
	                           "URL on one of allowed_hosts)";
	char msg[256];

	snprintf(msg, sizeof(msg), "t.conf:2: [login] default_next: %s", want);
	CHECK(refused("[login]\ndefault_next = //evil.example/\n", msg));
	CHECK(refused("[login]\ndefault_next = javascript:alert(1)\n", msg));
	CHECK(refused("[login]\ndefault_next = https://evil.example/\n", msg));
	/* An absolute URL is fine once its host is allowed. */
	CHECK(load(&cfg, "[login]\ndefault_next = https://app.example.org/home\n"
	                 "allowed_hosts = app.example.org  www.example.org\n") == GH_OK);
	CHECK_STR(cfg.default_next, "https://app.example.org/home");
	config_cleanup(&cfg);
	CHECK(refused("[login]\nallowed_hosts = *.example.org\n",
	    "t.conf:2: [login] allowed_hosts: must be exact host names separated by spaces (no "
	    "wildcards)"));
}

TEST(password_length_limits_checked_together)
{
	struct config cfg;

	CHECK(refused("[login]\nmin_password_length = 100\nmax_password_length = 64\n",
	    "t.conf:3: [login] max_password_length: max_password_length (64) is less than "
	    "min_password_length (100)"));
	CHECK(refused("[login]\nmin_password_length = 200\n",
	    "t.conf:2: [login] min_password_length: max_password_length (128) is less than "
	    "min_password_length (200)"));
	CHECK(refused("[login]\nmax_password_length = 5000\n",
	    "t.conf:2: [login] max_password_length: must be between 64 and 4096"));
	CHECK(load(&cfg, "[login]\nmin_password_length = 64\nmax_password_length = 64\n") == GH_OK);
	config_cleanup(&cfg);
}

TEST(sso_issuer_must_be_an_absolute_url_with_a_host)
{
	struct config cfg;

	CHECK(refused("[sso]\nissuer = example.org\n",
	    "t.conf:2: [sso] issuer: must be an absolute http:// or https:// URL"));
	CHECK(refused("[sso]\nissuer = https://\n",
	    "t.conf:2: [sso] issuer: must be an absolute http:// or https:// URL"));
	CHECK(refused("[sso]\nissuer = https:///auth\n",
	    "t.conf:2: [sso] issuer: must be an absolute http:// or https:// URL"));
	CHECK(refused("[sso]\nissuer = https://example.org/auth#x\n",
	    "t.conf:2: [sso] issuer: must not hold a space, '\"' or '#'"));
	CHECK(load(&cfg, "[sso]\nissuer = https://example.org/auth\n") == GH_OK);
	CHECK_STR(cfg.sso_issuer, "https://example.org/auth");
	config_cleanup(&cfg);
}

TEST(public_keys_file_beside_keys_dir_unless_set)
{
	struct config cfg;

	CHECK(load(&cfg, "") == GH_OK);
	CHECK(strlen(cfg.sso_public_keys_file) == strlen(cfg.sso_keys_dir) + 5);
	CHECK(strncmp(cfg.sso_public_keys_file, cfg.sso_keys_dir, strlen(cfg.sso_keys_dir)) == 0);
	CHECK_STR(cfg.sso_public_keys_file + strlen(cfg.sso_keys_dir), ".jwks");
	config_cleanup(&cfg);
	CHECK(load(&cfg, "[sso]\nkeys_dir = /srv/gh/keys//\n") == GH_OK);
	CHECK_STR(cfg.sso_public_keys_file, "/srv/gh/keys.jwks");
	config_cleanup(&cfg);
	CHECK(load(&cfg, "[sso]\nkeys_dir = /srv/gh/keys\npublic_keys_file = /srv/pub.jwks\n") ==
	      GH_OK);
	CHECK_STR(cfg.sso_public_keys_file, "/srv/pub.jwks");
	config_cleanup(&cfg);
	CHECK(refused(
	    "[sso]\npublic_keys_file =\n", "t.conf:2: [sso] public_keys_file: must not be empty"));
}

TEST(touch_interval_must_be_below_idle_timeout)
{
	CHECK(refused("[session]\nidle_timeout = 30s\n",
	    "t.conf:2: [session] idle_timeout: touch_interval (60 s) must be shorter than "
	    "idle_timeout (30 s)"));
}

int
main(void)
{
	clear_gatehouse_env();
	RUN(every_key_documented_in_its_section);
	RUN(bad_int_refused);
	RUN(weak_hash_costs_refused_with_file_line_and_key);
	RUN(weak_hash_costs_accepted_at_floor_or_when_allowed);
	RUN(bad_duration_refused);
	RUN(access_lifetime_between_a_minute_and_an_hour);
	RUN(bad_bool_size_and_choice_refused);
	RUN(size_suffixes_accepted);
	RUN(cookie_name_must_be_token);
	RUN(short_secret_refused_without_echo);
	RUN(bad_rule_names_its_line);
	RUN(unsafe_default_next_refused);
	RUN(password_length_limits_checked_together);
	RUN(sso_issuer_must_be_an_absolute_url_with_a_host);
	RUN(public_keys_file_beside_keys_dir_unless_set);
	RUN(touch_interval_must_be_below_idle_timeout);
	return test_summary();
}
