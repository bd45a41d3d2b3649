/*
 * test_config_partner.c: unit tests for the "[partner NAME]" sections of
 * gatehouse.conf (common/config_ini.c's headers, config_keys.c's partner
 * keys, config_partner.c's checks, the environment step of config.c):
 * every key's values accepted and refused, each check that involves two
 * keys, with the exact "FILE:LINE: [partner NAME] key: reason"; duplicate
 * and malformed names; GATEHOUSE_PARTNER_<NAME>_<KEY>; secret_file; two
 * partners; config_partner_find and cleanup (run under ASan by the
 * sanitizer build).  Files are made in $TMPDIR (or /tmp) and removed;
 * every GATEHOUSE_* variable a test sets is unset after it.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* setenv, mkstemp, fdopen */
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "test.h"
#include "test_config.h"

#define SECRET48 SECRET40 "01234567"
#define SECRET64 SECRET48 "0123456789abcdef"

/* An inbound partner that loads: its lines 1 to 5. */
#define ACME                                                                        \
	"[partner acme]\nissuer = https://idp.acme.example\naudience = gatehouse\n" \
	"algorithm = HS256\nsecret = " SECRET40 "\n"
/* An outbound partner that loads: its lines 1 and 2. */
#define CRM "[partner crm]\nsso_url = https://crm.example.org/sso\n"

/* Loads text, which must be accepted (else the message is shown). */
static bool
accepted(struct config *cfg, const char *text)
{
	if (load(cfg, text) == GH_OK)
		return true;
	fprintf(stderr, "refused: %s\n", errbuf);
	return false;
}

/* Tells whether text is accepted, cleaning up after it. */
static bool
loads(const char *text)
{
	struct config cfg;

	if (!accepted(&cfg, text))
		return false;
	config_cleanup(&cfg);
	return true;
}

/* refused() with text formatted by fmt (one "%s": arg). */
static bool
refused_with(const char *fmt, const char *arg, const char *want)
{
	char text[8192];
	int n = snprintf(text, sizeof(text), fmt, arg);

	return n > 0 && (size_t)n < sizeof(text) && refused(text, want);
}

TEST(inbound_partner_defaults_and_find)
{
	struct config cfg;
	const struct config_partner *p;

	CHECK(accepted(&cfg, ACME));
	CHECK(cfg.npartners == 1 && cfg.partners != NULL);
	p = config_partner_find(&cfg, "acme");
	CHECK(p == &cfg.partners[0]);
	if (p == NULL)
		return;
	CHECK_STR(p->name, "acme");
	CHECK_STR(p->issuer, "https://idp.acme.example");
	CHECK_STR(p->audience, "gatehouse");
	CHECK(p->algorithm == CONFIG_HS256);
	CHECK_STR(p->secret, SECRET40);
	CHECK(p->public_key_file == NULL && p->jwks_file == NULL);
	CHECK(p->user_claim == CONFIG_CLAIM_SUB);
	CHECK(p->redirect == NULL);
	CHECK_STR(p->default_redirect, "/");
	CHECK(!p->auto_provision && !p->allow_admin);
	CHECK(p->role_claim == NULL && p->role_map == NULL);
	CHECK(p->max_lifetime == 300 && p->skew == 60);
	CHECK(p->sso_url == NULL);
	CHECK_STR(p->out_audience, "acme"); /* the NAME */
	/* Exact names only. */
	CHECK(config_partner_find(&cfg, "ACME") == NULL);
	CHECK(config_partner_find(&cfg, "acm") == NULL);
	CHECK(config_partner_find(&cfg, "acme ") == NULL);
	CHECK(config_partner_find(&cfg, NULL) == NULL);
	config_cleanup(&cfg);
	CHECK(cfg.partners == NULL && cfg.npartners == 0);
	CHECK(config_partner_find(&cfg, "acme") == NULL);
	config_cleanup(&cfg); /* twice is harmless */
}

TEST(every_partner_key_parsed)
{
	struct config cfg;
	const struct config_partner *p;

	CHECK(
	    accepted(&cfg, "[partner wiki-2_b]\n"
	                   "issuer = http://wiki.example.org/idp\n"
	                   "audience = https://example.org/auth\n"
	                   "algorithm = ES384\n"
	                   "jwks_file = /etc/gatehouse/wiki.jwks\n"
	                   "user_claim = preferred_username\n"
	                   "redirect = https://wiki.example.org/  /docs/ https://x.example.org/a\n"
	                   "default_redirect = https://wiki.example.org/start?x=1\n"
	                   "auto_provision = yes\n"
	                   "role_claim = urn:acme:groups\n"
	                   "role_map = editors:staff urn:acme:root:admin ops:ops_team-2\n"
	                   "allow_admin = on\n"
	                   "max_lifetime = 1h\n"
	                   "skew = 0\n"
	                   "sso_url = https://wiki.example.org/sso?from=gatehouse\n"
	                   "out_audience = https://wiki.example.org\n"));
	p = config_partner_find(&cfg, "wiki-2_b");
	CHECK(p != NULL);
	if (p == NULL)
		return;
	CHECK(p->algorithm == CONFIG_ES384);
	CHECK_STR(p->jwks_file, "/etc/gatehouse/wiki.jwks");
	CHECK(p->secret == NULL && p->public_key_file == NULL);
	CHECK(p->user_claim == CONFIG_CLAIM_PREFERRED_USERNAME);
	CHECK_STR(p->redirect, "https://wiki.example.org/  /docs/ https://x.example.org/a");
	CHECK_STR(p->default_redirect, "https://wiki.example.org/start?x=1");
	CHECK(p->auto_provision && p->allow_admin);
	CHECK_STR(p->role_claim, "urn:acme:groups");
	CHECK_STR(p->role_map, "editors:staff urn:acme:root:admin ops:ops_team-2");
	CHECK(p->max_lifetime == 3600 && p->skew == 0);
	CHECK_STR(p->sso_url, "https://wiki.example.org/sso?from=gatehouse");
	CHECK_STR(p->out_audience, "https://wiki.example.org");
	config_cleanup(&cfg);

	/* Each algorithm's word. */
	CHECK(accepted(&cfg, "[partner a]\nissuer = https://a.example\naudience = x\n"
	                     "algorithm = RS512\npublic_key_file = /k.pem\n"
	                     "user_claim = email\n"));
	CHECK(cfg.partners[0].algorithm == CONFIG_RS512);
	CHECK(cfg.partners[0].user_claim == CONFIG_CLAIM_EMAIL);
	config_cleanup(&cfg);
	CHECK(loads("[partner a]\nissuer = https://a.example\naudience = x\n"
	            "algorithm = HS512\nsecret = " SECRET64 "\n"));
	CHECK(loads("[partner a]\nissuer = https://a.example\naudience = x\n"
	            "algorithm = RS256\npublic_key_file = /k.pem\n"));
	CHECK(loads("[partner a]\nissuer = https://a.example\naudience = x\n"
	            "algorithm = RS384\njwks_file = /k.jwks\n"));
	CHECK(loads("[partner a]\nissuer = https://a.example\naudience = x\n"
	            "algorithm = ES256\npublic_key_file = /k.pem\n"));
}

TEST(two_partners_kept_in_file_order)
{
	struct config cfg;

	/* A fixed section after a partner takes its own keys again. */
	CHECK(accepted(&cfg, "[general]\nsite_name = One\n" CRM "[general]\nthreads = 8\n" ACME
	                     "[partner crm-eu]\nsso_url = https://crm.example.eu/\n"
	                     "out_audience = crm\n"));
	CHECK(cfg.threads == 8);
	CHECK(cfg.npartners == 3);
	if (cfg.npartners != 3) {
		config_cleanup(&cfg);
		return;
	}
	CHECK_STR(cfg.partners[0].name, "crm");
	CHECK_STR(cfg.partners[1].name, "acme");
	CHECK_STR(cfg.partners[2].name, "crm-eu");
	CHECK(config_partner_find(&cfg, "crm-eu") == &cfg.partners[2]);
	CHECK(config_partner_find(&cfg, "crm") == &cfg.partners[0]);
	CHECK_STR(cfg.partners[0].out_audience, "crm");
	CHECK_STR(cfg.partners[2].out_audience, "crm");
	CHECK(cfg.partners[0].issuer == NULL && cfg.partners[0].secret == NULL);
	config_cleanup(&cfg);
	CHECK(cfg.partners == NULL && cfg.npartners == 0);

	/* No partner: none. */
	CHECK(accepted(&cfg, ""));
	CHECK(cfg.partners == NULL && cfg.npartners == 0);
	CHECK(config_partner_find(&cfg, "acme") == NULL);
	config_cleanup(&cfg);
}

TEST(malformed_partner_header_refused)
{
	static const char why[] = "expected [partner NAME], NAME 1 to 32 bytes of a-z, 0-9, '_' "
	                          "and '-', starting with a letter or a digit";
	static const char *const bad[] = {"[partner]", "[partner ]", "[partner  acme]",
	    "[partner\tacme]", "[partner Acme]", "[partner -acme]", "[partner _acme]",
	    "[partner a.b]", "[partner a b]", "[partner acme/x]",
	    "[partner abcdefghijklmnopqrstuvwxyz0123456]"};
	char want[256];
	size_t i;

	snprintf(want, sizeof(want), "t.conf:2: %s", why);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!refused_with("[general]\n%s\nsso_url = https://x.example/\n", bad[i], want)) {
			fprintf(stderr, "  header %s\n", bad[i]);
			CHECK(false);
		}
	/* 32 bytes is the most; digits first; spaces inside the brackets
	 * around it are trimmed as for any section. */
	CHECK(loads("[partner abcdefghijklmnopqrstuvwxyz012345]\nsso_url = https://x.example/\n"));
	CHECK(loads("[partner 0-_]\nsso_url = https://x.example/\n"));
	CHECK(loads("[ partner x ]\nsso_url = https://x.example/\n"));
	CHECK(refused("[partners]\n", "t.conf:1: [partners]: unknown section"));
}

TEST(duplicate_partner_name_refused_with_both_lines)
{
	CHECK(refused(CRM "\n" ACME "[partner crm]\n",
	    "t.conf:9: [partner crm]: declared again (first on line 1)"));
	/* Names differ by case or punctuation: two partners. */
	CHECK(loads(CRM "[partner crm-2]\nsso_url = https://crm.example.org/\n"
	                "[partner crm_2]\nsso_url = https://crm.example.org/\n"));
}

TEST(at_most_64_partners)
{
	static char text[64 * 1024];
	size_t n = 0, i;
	int r;

	for (i = 0; i < 64; i++) {
		r = snprintf(text + n, sizeof(text) - n,
		    "[partner p%zu]\nsso_url = https://p%zu.example/\n", i, i);
		CHECK(r > 0 && (size_t)r < sizeof(text) - n);
		n += (size_t)r;
	}
	CHECK(loads(text));
	r = snprintf(text + n, sizeof(text) - n, "[partner p64]\nsso_url = https://x.example/\n");
	CHECK(r > 0);
	CHECK(refused(text, "t.conf:129: more than 64 [partner NAME] sections"));
}

TEST(unknown_or_repeated_partner_key_refused)
{
	CHECK(refused(ACME "colour = blue\n", "t.conf:6: [partner acme] colour: unknown key"));
	/* The fixed sections' keys are not a partner's, nor the reverse. */
	CHECK(refused(ACME "prefix = /auth\n", "t.conf:6: [partner acme] prefix: unknown key"));
	CHECK(refused("[sso]\naudience = x\n", "t.conf:2: [sso] audience: unknown key"));
	CHECK(refused("[partner acme]\nissuer_file = /x\n",
	    "t.conf:2: [partner acme] issuer_file: unknown key"));
	CHECK(refused(ACME "issuer = https://idp.acme.example\n",
	    "t.conf:6: [partner acme] issuer: set twice (first on line 2)"));
	CHECK(refused(ACME "secret_file = /etc/gh/acme\n",
	    "t.conf:6: [partner acme] secret_file: secret is already set on line 5; set one of "
	    "them only"));
	/* Each partner has its own keys: the same key in two is fine. */
	CHECK(loads(ACME "[partner b]\nissuer = https://idp.acme.example\naudience = gatehouse\n"
	                 "algorithm = HS256\nsecret = " SECRET40 "\n"));
}

TEST(partner_key_values_checked)
{
	static const struct {
		const char *line, *why;
	} cases[] = {
	    {"issuer = idp.acme.example", "issuer: must be an absolute http:// or https:// URL"},
	    {"issuer = https://", "issuer: must be an absolute http:// or https:// URL"},
	    {"issuer = https:///x", "issuer: must be an absolute http:// or https:// URL"},
	    {"issuer = ftp://acme.example", "issuer: must be an absolute http:// or https:// URL"},
	    {"issuer = https://acme.example/a b", "issuer: must not hold a space, '\"' or '#'"},
	    {"issuer = https://acme.example/#x", "issuer: must not hold a space, '\"' or '#'"},
	    {"audience =", "audience: must not be empty"},
	    {"algorithm = none",
	        "algorithm: must be HS256, HS384, HS512, RS256, RS384, RS512, ES256 or ES384"},
	    {"algorithm = hs256",
	        "algorithm: must be HS256, HS384, HS512, RS256, RS384, RS512, ES256 or ES384"},
	    {"public_key_file = keys/acme.pem", "public_key_file: must be an absolute path"},
	    {"jwks_file = acme.jwks", "jwks_file: must be an absolute path"},
	    {"user_claim = name", "user_claim: must be sub, email or preferred_username"},
	    {"redirect = //evil.example/",
	        "redirect: each entry must be an absolute http:// or https:// URL or a path "
	        "starting with a single /"},
	    {"redirect = /ok javascript:alert(1)",
	        "redirect: each entry must be an absolute http:// or https:// URL or a path "
	        "starting with a single /"},
	    {"redirect = https://",
	        "redirect: each entry must be an absolute http:// or https:// URL or a path "
	        "starting with a single /"},
	    {"redirect = /a\\b",
	        "redirect: each entry must be an absolute http:// or https:// URL or a path "
	        "starting with a single /"},
	    {"default_redirect = home",
	        "default_redirect: must be an absolute http:// or https:// URL or a path starting "
	        "with a single /"},
	    {"default_redirect = /\\evil.example",
	        "default_redirect: must be an absolute http:// or https:// URL or a path starting "
	        "with a single /"},
	    {"default_redirect = / x",
	        "default_redirect: must be an absolute http:// or https:// URL or a path starting "
	        "with a single /"},
	    {"auto_provision = sometimes",
	        "auto_provision: not a boolean (true/false, yes/no, on/off, 1/0)"},
	    {"allow_admin = 2", "allow_admin: not a boolean (true/false, yes/no, on/off, 1/0)"},
	    {"role_claim =", "role_claim: must be 1 to 64 letters, digits, '_', ':', '.' or '-'"},
	    {"role_claim = my roles",
	        "role_claim: must be 1 to 64 letters, digits, '_', ':', '.' or '-'"},
	    {"role_claim = "
	     "r1234567890123456789012345678901234567890123456789012345678901234",
	        "role_claim: must be 1 to 64 letters, digits, '_', ':', '.' or '-'"},
	    {"role_map = editors",
	        "role_map: each entry must be THEIRS:OURS (THEIRS the partner's role, OURS one of "
	        "ours)"},
	    {"role_map = :staff",
	        "role_map: each entry must be THEIRS:OURS (THEIRS the partner's role, OURS one of "
	        "ours)"},
	    {"role_map = editors:",
	        "role_map: in THEIRS:OURS, OURS must be a role name (1 to 64 letters, digits, '_' "
	        "or '-')"},
	    {"role_map = a:staff editors:st.aff",
	        "role_map: in THEIRS:OURS, OURS must be a role name (1 to 64 letters, digits, '_' "
	        "or '-')"},
	    {"role_map = "
	     "a:r1234567890123456789012345678901234567890123456789012345678901234",
	        "role_map: in THEIRS:OURS, OURS must be a role name (1 to 64 letters, digits, '_' "
	        "or '-')"},
	    {"max_lifetime = 9", "max_lifetime: must be between 10 and 3600 seconds"},
	    {"max_lifetime = 61m", "max_lifetime: must be between 10 and 3600 seconds"},
	    {"max_lifetime = soon",
	        "max_lifetime: not a duration (seconds, or a number with s, m, h or d)"},
	    {"skew = 301", "skew: must be between 0 and 300 seconds"},
	    {"sso_url = /sso", "sso_url: must be an absolute http:// or https:// URL"},
	    {"sso_url = https://crm.example/#sso", "sso_url: must not hold a space, '#' or '\\'"},
	    {"sso_url = https://crm.example/a b", "sso_url: must not hold a space, '#' or '\\'"},
	    {"out_audience =", "out_audience: must not be empty"},
	};
	char long_value[257], text[1024], want[512];
	struct config cfg;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(want, sizeof(want), "t.conf:6: [partner acme] %s", cases[i].why);
		/* Each line replaces one of ACME's, or adds one. */
		if (!refused_with(strncmp(cases[i].line, "issuer", 6) == 0
		                      ? "[partner acme]\naudience = gatehouse\nalgorithm = HS256\n"
		                        "secret = " SECRET40 "\n\n%s\n"
		                  : strncmp(cases[i].line, "audience", 8) == 0
		                      ? "[partner acme]\nissuer = https://idp.acme.example\n"
		                        "algorithm = HS256\nsecret = " SECRET40 "\n\n%s\n"
		                  : strncmp(cases[i].line, "algorithm", 9) == 0
		                      ? "[partner acme]\nissuer = https://idp.acme.example\n"
		                        "audience = gatehouse\nsecret = " SECRET40 "\n\n%s\n"
		                      : ACME "%s\n",
		        cases[i].line, want)) {
			fprintf(stderr, "  line %s\n", cases[i].line);
			CHECK(false);
		}
	}
	/* 255 bytes is the most of issuer, audience and out_audience. */
	memcpy(long_value, "https://", 8);
	memset(long_value + 8, 'a', sizeof(long_value) - 9);
	long_value[sizeof(long_value) - 1] = '\0';
	CHECK(strlen(long_value) == 256);
	CHECK(refused_with(CRM "issuer = %s\n", long_value,
	    "t.conf:3: [partner crm] issuer: longer than 255 bytes"));
	CHECK(refused_with(CRM "out_audience = %s\n", long_value,
	    "t.conf:3: [partner crm] out_audience: longer than 255 bytes"));
	long_value[255] = '\0';
	snprintf(text, sizeof(text), CRM "out_audience = %s\n", long_value);
	CHECK(accepted(&cfg, text));
	if (cfg.npartners == 1)
		CHECK(strlen(cfg.partners[0].out_audience) == 255);
	config_cleanup(&cfg);
	/* The bounds themselves are accepted. */
	CHECK(loads(ACME "max_lifetime = 10\nskew = 300\n"));
	CHECK(loads(ACME "max_lifetime = 60m\nskew = 5m\n"));
	CHECK(loads(ACME "role_claim = a.b:c-d_e\nrole_map = x:y\n"));
	CHECK(loads(ACME "redirect =\n"));
}

TEST(partner_doing_nothing_refused)
{
	CHECK(refused("[general]\n\n[partner idle]\nuser_claim = email\n",
	    "t.conf:3: [partner idle]: sets neither issuer (inbound SSO) nor sso_url (outbound "
	    "SSO), so it does nothing"));
	CHECK(refused("[partner idle]\n", "t.conf:1: [partner idle]: sets neither issuer "
	                                  "(inbound SSO) nor sso_url (outbound SSO), so it does "
	                                  "nothing"));
	CHECK(loads(CRM));
}

TEST(issuer_needs_audience_and_algorithm)
{
	/* A missing key is named on the section's header line. */
	CHECK(refused("[general]\n[partner acme]\nissuer = https://idp.acme.example\n"
	              "algorithm = HS256\nsecret = " SECRET40 "\n",
	    "t.conf:2: [partner acme] audience: required when issuer is set"));
	CHECK(refused("[partner acme]\nissuer = https://idp.acme.example\naudience = gatehouse\n"
	              "secret = " SECRET40 "\n",
	    "t.conf:1: [partner acme] algorithm: required when issuer is set"));
}

TEST(hmac_algorithms_need_a_long_enough_secret)
{
	static const char head[] = "[partner acme]\nissuer = https://idp.acme.example\n"
	                           "audience = gatehouse\n";
	char text[1024];

	snprintf(text, sizeof(text), "%salgorithm = HS384\n", head);
	CHECK(refused(text, "t.conf:1: [partner acme] secret: required by algorithm HS384: at "
	                    "least 48 bytes (secret_file recommended)"));
	snprintf(text, sizeof(text), "%salgorithm = HS256\nsecret = %.31s\n", head, SECRET40);
	CHECK(refused(text, "t.conf:5: [partner acme] secret: must be at least 32 bytes long for "
	                    "HS256"));
	CHECK(strstr(errbuf, "0123456789abcdef") == NULL); /* never the value */
	snprintf(text, sizeof(text), "%salgorithm = HS384\nsecret = %.47s\n", head, SECRET48);
	CHECK(refused(text, "t.conf:5: [partner acme] secret: must be at least 48 bytes long for "
	                    "HS384"));
	snprintf(text, sizeof(text), "%salgorithm = HS512\nsecret = %.63s\n", head, SECRET64);
	CHECK(refused(text, "t.conf:5: [partner acme] secret: must be at least 64 bytes long for "
	                    "HS512"));
	CHECK(strstr(errbuf, "0123456789abcdef") == NULL);
	/* At the least, accepted. */
	snprintf(text, sizeof(text), "%salgorithm = HS256\nsecret = %.32s\n", head, SECRET40);
	CHECK(loads(text));
	snprintf(text, sizeof(text), "%salgorithm = HS384\nsecret = %s\n", head, SECRET48);
	CHECK(loads(text));
	snprintf(text, sizeof(text), "%salgorithm = HS512\nsecret = %s\n", head, SECRET64);
	CHECK(loads(text));
	/* No public key with a secret. */
	CHECK(refused(ACME "public_key_file = /etc/gatehouse/acme.pem\n",
	    "t.conf:6: [partner acme] public_key_file: not used by HS256, which verifies with "
	    "secret: remove it"));
	CHECK(refused(ACME "jwks_file = /etc/gatehouse/acme.jwks\n",
	    "t.conf:6: [partner acme] jwks_file: not used by HS256, which verifies with secret: "
	    "remove it"));
}

TEST(public_key_algorithms_need_exactly_one_key_file)
{
	static const char head[] = "[partner acme]\nissuer = https://idp.acme.example\n"
	                           "audience = gatehouse\n";
	char text[1024];

	snprintf(text, sizeof(text), "%salgorithm = RS256\n", head);
	CHECK(refused(text, "t.conf:1: [partner acme] public_key_file: RS256 needs "
	                    "public_key_file or jwks_file"));
	snprintf(text, sizeof(text), "%salgorithm = ES384\n", head);
	CHECK(refused(text, "t.conf:1: [partner acme] public_key_file: ES384 needs "
	                    "public_key_file or jwks_file"));
	snprintf(text, sizeof(text),
	    "%salgorithm = ES256\npublic_key_file = /k.pem\njwks_file = /k.jwks\n", head);
	CHECK(refused(text, "t.conf:6: [partner acme] jwks_file: public_key_file is also set; "
	                    "set one of them only"));
	snprintf(text, sizeof(text), "%salgorithm = RS384\npublic_key_file = /k.pem\nsecret = %s\n",
	    head, SECRET64);
	CHECK(refused(text, "t.conf:6: [partner acme] secret: not used by RS384, which verifies "
	                    "with public_key_file or jwks_file: remove it"));
	CHECK(strstr(errbuf, "0123456789abcdef") == NULL);
	/* The checks follow algorithm even on an outbound-only partner. */
	CHECK(refused(CRM "algorithm = RS256\n", "t.conf:1: [partner crm] public_key_file: RS256 "
	                                         "needs public_key_file or jwks_file"));
	/* The files are not read here. */
	snprintf(
	    text, sizeof(text), "%salgorithm = RS256\njwks_file = /nonexistent/k.jwks\n", head);
	CHECK(loads(text));
}

TEST(role_map_needs_role_claim_and_admin_needs_allow_admin)
{
	CHECK(refused(ACME "role_map = editors:staff\n",
	    "t.conf:6: [partner acme] role_map: needs role_claim (the claim holding the partner's "
	    "roles)"));
	CHECK(refused(ACME "role_claim = groups\nrole_map = editors:staff root:admin\n",
	    "t.conf:7: [partner acme] role_map: gives the role admin, which needs allow_admin = "
	    "true in this section"));
	CHECK(refused(ACME "role_claim = groups\nrole_map = urn:acme:admin\nallow_admin = no\n",
	    "t.conf:7: [partner acme] role_map: gives the role admin, which needs allow_admin = "
	    "true in this section"));
	CHECK(loads(ACME "role_claim = groups\nrole_map = root:admin\nallow_admin = true\n"));
	/* Their "admin" is only a name; ours are compared exactly. */
	CHECK(loads(ACME "role_claim = groups\nrole_map = admin:staff x:admins x:Admin\n"));
	/* role_claim alone is fine (the roles are then unused). */
	CHECK(loads(ACME "role_claim = groups\n"));
}

TEST(default_redirect_must_be_a_path_or_an_allowed_url)
{
	static const char why[] = "default_redirect: must be a path starting with a single / or "
	                          "one of the redirect entries (or start with one that ends in /)";
	char want[256];

	snprintf(want, sizeof(want), "t.conf:6: [partner acme] %s", why);
	CHECK(refused(ACME "default_redirect = https://app.acme.example/\n", want));
	snprintf(want, sizeof(want), "t.conf:7: [partner acme] %s", why);
	CHECK(refused(ACME "redirect = https://app.acme.example\n"
	                   "default_redirect = https://app.acme.example.evil/\n",
	    want));
	CHECK(refused(ACME "redirect = https://app.acme.example/a/\n"
	                   "default_redirect = https://app.acme.example/a\n",
	    want));
	CHECK(refused(ACME "redirect = https://app.acme.example/x\n"
	                   "default_redirect = https://app.acme.example/xy\n",
	    want));
	/* One of the entries, or below one that ends in "/"; a path always. */
	CHECK(loads(ACME "redirect = /a https://app.acme.example\n"
	                 "default_redirect = https://app.acme.example\n"));
	CHECK(loads(ACME "redirect = https://app.acme.example/ /a\n"
	                 "default_redirect = https://app.acme.example/home\n"));
	CHECK(loads(ACME "default_redirect = /welcome\n"));
	CHECK(loads(ACME "redirect = https://app.acme.example/\n"));
}

/* An outbound token is signed by the keys that sign access tokens
 * (jwt_access.h), so its audience (out_audience, the partner's name by
 * default) may never be the access tokens' ([token] audience, else [sso]
 * issuer), wherever [token] stands in the file. */
TEST(out_audience_equal_to_the_access_token_audience_refused)
{
#define OWN_AUDIENCE_TAKEN                                                                 \
	"out_audience: is the audience of Gatehouse's access tokens ([token] audience or " \
	"[sso] issuer): choose another"
	struct config cfg;

	CHECK(refused("[sso]\nissuer = https://login.example.org\n" CRM
	              "out_audience = https://login.example.org\n",
	    "t.conf:5: [partner crm] " OWN_AUDIENCE_TAKEN));
	CHECK(refused("[sso]\nissuer = https://login.example.org\n[token]\naudience = api\n" CRM
	              "out_audience = api\n",
	    "t.conf:7: [partner crm] " OWN_AUDIENCE_TAKEN));
	CHECK(refused("[sso]\nissuer = https://login.example.org\n"
	              "[partner api]\nsso_url = https://api.example.org/sso\n"
	              "[token]\naudience = api\n",
	    "t.conf:3: [partner api] " OWN_AUDIENCE_TAKEN));
	/* Another audience is fine; so is the issuer once [token] names its own. */
	CHECK(accepted(&cfg, "[sso]\nissuer = https://login.example.org\n[token]\naudience = "
	                     "api\n" CRM "out_audience = https://login.example.org\n"));
	config_cleanup(&cfg);
	CHECK(accepted(&cfg, "[sso]\nissuer = https://login.example.org\n" CRM));
	CHECK_STR(config_token_audience(&cfg), "https://login.example.org");
	config_cleanup(&cfg);
#undef OWN_AUDIENCE_TAKEN
}

TEST(secret_file_read_for_a_partner)
{
	struct config cfg;
	char path[256], text[1024];
	int n;

	CHECK(write_temp(
	    path, sizeof(path), SECRET48 "\nsecond line\n", strlen(SECRET48 "\nsecond line\n")));
	n = snprintf(text, sizeof(text),
	    "[partner acme]\nissuer = https://idp.acme.example\naudience = gatehouse\n"
	    "algorithm = HS384\nsecret_file = %s\n",
	    path);
	CHECK(n > 0 && (size_t)n < sizeof(text));
	CHECK(accepted(&cfg, text));
	CHECK(cfg.npartners == 1 && cfg.partners[0].secret != NULL);
	if (cfg.npartners == 1)
		CHECK_STR(cfg.partners[0].secret, SECRET48);
	config_cleanup(&cfg);

	/* Too short for HS512: the message names secret_file. */
	n = snprintf(text, sizeof(text),
	    "[partner acme]\nissuer = https://idp.acme.example\naudience = gatehouse\n"
	    "algorithm = HS512\nsecret_file = %s\n",
	    path);
	CHECK(refused(text, "t.conf:5: [partner acme] secret_file: must be at least 64 bytes long "
	                    "for HS512"));
	CHECK(strstr(errbuf, "0123456789abcdef") == NULL);
	unlink(path);

	CHECK(refused(CRM "secret_file = acme.secret\n",
	    "t.conf:3: [partner crm] secret_file: must be an absolute path"));
	CHECK(refused(CRM "secret_file = /nonexistent/gh/acme\n",
	    "t.conf:3: [partner crm] secret_file: cannot read /nonexistent/gh/acme: No such file "
	    "or directory"));
}

TEST(environment_overrides_a_declared_partner)
{
	struct config cfg;
	char path[256];

	/* A key the file lacks, a key the file sets badly, for a NAME with
	 * '-' (as '_'). */
	setenv("GATEHOUSE_PARTNER_CRM_EU_AUDIENCE", "from-env", 1);
	setenv("GATEHOUSE_PARTNER_CRM_EU_MAX_LIFETIME", "2m", 1);
	setenv("GATEHOUSE_PARTNER_CRM_EU_ALGORITHM", "HS256", 1);
	setenv("GATEHOUSE_PARTNER_CRM_EU_SECRET", SECRET40, 1);
	CHECK(accepted(&cfg, "[partner crm-eu]\nissuer = https://crm.example.eu\n"
	                     "max_lifetime = forever\n"));
	CHECK(cfg.npartners == 1);
	if (cfg.npartners == 1) {
		CHECK_STR(cfg.partners[0].audience, "from-env");
		CHECK(cfg.partners[0].max_lifetime == 120);
		CHECK_STR(cfg.partners[0].secret, SECRET40);
	}
	config_cleanup(&cfg);
	unsetenv("GATEHOUSE_PARTNER_CRM_EU_AUDIENCE");
	unsetenv("GATEHOUSE_PARTNER_CRM_EU_MAX_LIFETIME");
	unsetenv("GATEHOUSE_PARTNER_CRM_EU_ALGORITHM");
	unsetenv("GATEHOUSE_PARTNER_CRM_EU_SECRET");

	/* A bad value and a failed check name the variable, never the
	 * secret. */
	setenv("GATEHOUSE_PARTNER_ACME_SKEW", "1h", 1);
	CHECK(refused(ACME, "environment GATEHOUSE_PARTNER_ACME_SKEW: must be between 0 and 300 "
	                    "seconds"));
	unsetenv("GATEHOUSE_PARTNER_ACME_SKEW");
	setenv("GATEHOUSE_PARTNER_ACME_SECRET", "0123456789abcdef", 1);
	CHECK(refused(ACME, "environment GATEHOUSE_PARTNER_ACME_SECRET: must be at least 32 bytes "
	                    "long for HS256"));
	CHECK(strstr(errbuf, "0123456789abcdef") == NULL);
	setenv("GATEHOUSE_PARTNER_ACME_SECRET_FILE", "/etc/gh/acme", 1);
	CHECK(refused(ACME, "environment GATEHOUSE_PARTNER_ACME_SECRET_FILE: "
	                    "GATEHOUSE_PARTNER_ACME_SECRET is also set; set one of them only"));
	unsetenv("GATEHOUSE_PARTNER_ACME_SECRET");

	/* _FILE replaces the file's secret. */
	CHECK(write_temp(path, sizeof(path), SECRET64 "\n", strlen(SECRET64 "\n")));
	setenv("GATEHOUSE_PARTNER_ACME_SECRET_FILE", path, 1);
	setenv("GATEHOUSE_PARTNER_ACME_ALGORITHM", "HS512", 1);
	CHECK(accepted(&cfg, ACME));
	if (cfg.npartners == 1) {
		CHECK(cfg.partners[0].algorithm == CONFIG_HS512);
		CHECK_STR(cfg.partners[0].secret, SECRET64);
	}
	config_cleanup(&cfg);
	unsetenv("GATEHOUSE_PARTNER_ACME_SECRET_FILE");
	unsetenv("GATEHOUSE_PARTNER_ACME_ALGORITHM");
	unlink(path);

	/* A partner the file does not declare is not made. */
	setenv("GATEHOUSE_PARTNER_GHOST_SSO_URL", "https://ghost.example/", 1);
	CHECK(accepted(&cfg, ACME));
	CHECK(cfg.npartners == 1 && config_partner_find(&cfg, "ghost") == NULL);
	config_cleanup(&cfg);
	unsetenv("GATEHOUSE_PARTNER_GHOST_SSO_URL");
}

TEST(environment_variable_of_two_partners_refused)
{
	struct config cfg;

	setenv("GATEHOUSE_PARTNER_A_B_SSO_URL", "https://ab.example/", 1);
	CHECK(refused("[partner a-b]\nsso_url = https://x.example/\n"
	              "[partner a_b]\nsso_url = https://y.example/\n",
	    "environment GATEHOUSE_PARTNER_A_B_SSO_URL: read by both [partner a-b] sso_url and "
	    "[partner a_b] sso_url; rename one of the partners"));
	/* Only one of them: no doubt. */
	CHECK(accepted(&cfg, "[partner a-b]\nsso_url = https://x.example/\n"));
	if (cfg.npartners == 1)
		CHECK_STR(cfg.partners[0].sso_url, "https://ab.example/");
	config_cleanup(&cfg);
	unsetenv("GATEHOUSE_PARTNER_A_B_SSO_URL");

	setenv("GATEHOUSE_PARTNER_X_DEFAULT_REDIRECT", "/", 1);
	CHECK(refused("[partner x]\nsso_url = https://x.example/\n"
	              "[partner x_default]\nsso_url = https://y.example/\n",
	    "environment GATEHOUSE_PARTNER_X_DEFAULT_REDIRECT: read by both [partner x] "
	    "default_redirect and [partner x_default] redirect; rename one of the partners"));
	unsetenv("GATEHOUSE_PARTNER_X_DEFAULT_REDIRECT");
	/* Unset, the same two partners load. */
	CHECK(loads("[partner x]\nsso_url = https://x.example/\n"
	            "[partner x_default]\nsso_url = https://y.example/\n"));
}

TEST(every_partner_key_listed_for_the_manual)
{
	const char *section, *name;
	size_t i, npartner = 0;
	bool issuer = false, out_audience = false;

	for (i = 0; config_key_at(i, &section, &name); i++) {
		if (strcmp(section, "partner NAME") != 0)
			continue;
		npartner++;
		issuer = issuer || strcmp(name, "issuer") == 0;
		out_audience = out_audience || strcmp(name, "out_audience") == 0;
	}
	CHECK(npartner == 17);
	CHECK(issuer && out_audience);
	CHECK(!config_key_at(i + 1, &section, &name));
}

int
main(void)
{
	clear_gatehouse_env();
	RUN(inbound_partner_defaults_and_find);
	RUN(every_partner_key_parsed);
	RUN(two_partners_kept_in_file_order);
	RUN(malformed_partner_header_refused);
	RUN(duplicate_partner_name_refused_with_both_lines);
	RUN(at_most_64_partners);
	RUN(unknown_or_repeated_partner_key_refused);
	RUN(partner_key_values_checked);
	RUN(partner_doing_nothing_refused);
	RUN(issuer_needs_audience_and_algorithm);
	RUN(hmac_algorithms_need_a_long_enough_secret);
	RUN(public_key_algorithms_need_exactly_one_key_file);
	RUN(role_map_needs_role_claim_and_admin_needs_allow_admin);
	RUN(default_redirect_must_be_a_path_or_an_allowed_url);
	RUN(out_audience_equal_to_the_access_token_audience_refused);
	RUN(secret_file_read_for_a_partner);
	RUN(environment_overrides_a_declared_partner);
	RUN(environment_variable_of_two_partners_refused);
	RUN(every_partner_key_listed_for_the_manual);
	return test_summary();
}
