/*
 * test_config.c: unit tests for the loader of gatehouse.conf (common/
 * config.c, config_ini.c, config_apply.c): defaults, the file's syntax and
 * its "FILE:LINE: [section] key: reason" messages, environment overrides,
 * *_file secrets, the rule list, reading the file.  Files the tests need
 * are made in $TMPDIR (or /tmp) and removed again; every GATEHOUSE_*
 * variable a test sets is unset after it.  The values' checks are in
 * test_config_keys.c, the database URLs' in test_config_db_url.c.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* setenv, mkstemp, fdopen */
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "test.h"
#include "test_config.h"

/* Tells whether s ends with suffix (the install directories vary). */
static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return s != NULL && n >= m && strcmp(s + n - m, suffix) == 0;
}

TEST(empty_file_gives_documented_defaults)
{
	struct config cfg;

	CHECK(load(&cfg, "") == GH_OK);
	CHECK_STR(errbuf, "");
	CHECK_STR(cfg.prefix, "/auth");
	CHECK(ends_with(cfg.templates_dir, "/share/gatehouse/templates"));
	CHECK(ends_with(cfg.sql_dir, "/share/gatehouse/sql"));
	CHECK(cfg.secret == NULL);
	CHECK(cfg.threads == 4);
	CHECK(cfg.log_level == LOG_INFO);
	CHECK(cfg.log_syslog == false);
	CHECK_STR(cfg.site_name, "Gatehouse");
	CHECK(strncmp(cfg.db_url, "sqlite:///", 10) == 0);
	CHECK(ends_with(cfg.db_url, "/var/lib/gatehouse/gatehouse.db"));
	CHECK(cfg.db_password == NULL);
	CHECK(cfg.db_busy_timeout_ms == 5000);
	CHECK_STR(cfg.cookie_name, "gatehouse");
	CHECK(cfg.insecure_cookies == false);
	CHECK(cfg.idle_timeout == 1800);
	CHECK(cfg.absolute_timeout == 43200);
	CHECK(cfg.remember_timeout == 2592000);
	CHECK(cfg.touch_interval == 60);
	CHECK_STR(cfg.default_next, "/");
	CHECK_STR(cfg.allowed_hosts, "");
	CHECK(cfg.max_body == 8192);
	CHECK(cfg.password_scheme == CONFIG_ARGON2ID);
	CHECK(cfg.bcrypt_cost == 12);
	CHECK(cfg.argon2_memory_kib == 19456);
	CHECK(cfg.argon2_time == 2);
	CHECK(cfg.argon2_parallelism == 1);
	CHECK(cfg.allow_weak_hashing == false);
	CHECK(!config_hashing_is_weak(&cfg));
	CHECK(cfg.min_password_length == 12);
	CHECK(cfg.max_password_length == 128);
	CHECK_STR(cfg.login_url, "/auth/login");
	CHECK(cfg.rules == NULL && cfg.nrules == 0);
	CHECK_STR(cfg.path, "t.conf");
	config_cleanup(&cfg);
	CHECK(cfg.prefix == NULL && cfg.path == NULL);
	config_cleanup(&cfg); /* twice is harmless */
}

TEST(values_of_every_type_parsed)
{
	struct config cfg;

	CHECK(load(&cfg, "# a comment\n"
	                 "; another\n"
	                 "\n"
	                 "[general]\n"
	                 "  prefix = /gate  \r\n"
	                 "threads=16\n"
	                 "log_level = debug\n"
	                 "log_syslog = Yes\n"
	                 "site_name = Example & Co\n"
	                 "secret = " SECRET40 "\n"
	                 "[ session ]\n"
	                 "insecure_cookies = on\n"
	                 "idle_timeout = 15m\n"
	                 "absolute_timeout = 2h\n"
	                 "remember_timeout = 7d\n"
	                 "touch_interval = 30s\n"
	                 "[login]\n"
	                 "max_body = 16KiB\n"
	                 "password_scheme = bcrypt\n"
	                 "bcrypt_cost = 10\n"
	                 "[database]\n"
	                 "url = mysql://gh@db.example.org/gatehouse?sslmode=verify-full&"
	                 "sslrootcert=/etc/ssl/db-ca.pem\n"
	                 "busy_timeout_ms = 0\n") == GH_OK);
	CHECK_STR(errbuf, "");
	CHECK_STR(cfg.prefix, "/gate");
	CHECK(cfg.threads == 16);
	CHECK(cfg.log_level == LOG_DEBUG);
	CHECK(cfg.log_syslog == true);
	CHECK_STR(cfg.site_name, "Example & Co");
	CHECK_STR(cfg.secret, SECRET40);
	CHECK(cfg.insecure_cookies == true);
	CHECK(cfg.idle_timeout == 900);
	CHECK(cfg.absolute_timeout == 7200);
	CHECK(cfg.remember_timeout == 7 * 86400);
	CHECK(cfg.touch_interval == 30);
	CHECK(cfg.max_body == 16384);
	CHECK(cfg.password_scheme == CONFIG_BCRYPT);
	CHECK(cfg.bcrypt_cost == 10);
	CHECK_STR(cfg.db_url, "mysql://gh@db.example.org/"
	                      "gatehouse?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem");
	CHECK(cfg.db_busy_timeout_ms == 0);
	CHECK_STR(cfg.login_url, "/gate/login"); /* follows prefix */
	config_cleanup(&cfg);
}

TEST(unknown_key_error_names_file_line_and_key)
{
	CHECK(refused(
	    "[general]\nthreads = 2\ncolour = blue\n", "t.conf:3: [general] colour: unknown key"));
	/* A key of another section is unknown here. */
	CHECK(refused("[session]\nthreads = 2\n", "t.conf:2: [session] threads: unknown key"));
	/* "_file" exists only for secrets. */
	CHECK(refused(
	    "[general]\nthreads_file = /x\n", "t.conf:2: [general] threads_file: unknown key"));
}

TEST(unknown_section_and_malformed_lines_refused)
{
	CHECK(refused("[general]\n[nosuch]\nx = 1\n", "t.conf:2: [nosuch]: unknown section"));
	CHECK(refused("[general\n", "t.conf:1: malformed section header"));
	CHECK(refused("[general]\nthreads\n",
	    "t.conf:2: expected \"key = value\", \"[section]\" or a comment"));
	CHECK(refused("[general]\n = 4\n", "t.conf:2: missing key before '='"));
	CHECK(refused("threads = 4\n", "t.conf:1: threads: key before any [section]"));
	CHECK(refused("[General]\n", "t.conf:1: [General]: unknown section"));
}

TEST(duplicate_key_refused_but_rule_repeats)
{
	struct config cfg;

	CHECK(refused("[general]\nthreads = 2\n\nthreads = 3\n",
	    "t.conf:4: [general] threads: set twice (first on line 2)"));
	/* Sections may be reopened, but keys still count once. */
	CHECK(refused("[general]\nthreads = 2\n[login]\n[general]\nthreads = 3\n",
	    "t.conf:5: [general] threads: set twice (first on line 2)"));
	CHECK(load(&cfg, "[check]\nrule = bypass\nrule = bypass\n") == GH_OK);
	CHECK(cfg.nrules == 2);
	config_cleanup(&cfg);
}

TEST(line_over_4096_bytes_refused)
{
	char *text = malloc(5000);

	CHECK(text != NULL);
	if (text == NULL)
		return;
	memcpy(text, "[general]\nsite_name = ", 22);
	memset(text + 22, 'x', 4200);
	memcpy(text + 22 + 4200, "\n", 2);
	CHECK(refused(text, "t.conf:2: line longer than 4096 bytes"));
	free(text);
}

TEST(env_override_wins)
{
	struct config cfg;

	setenv("GATEHOUSE_SESSION_IDLE_TIMEOUT", "5m", 1);
	setenv("GATEHOUSE_GENERAL_SITE_NAME", "From Env", 1);
	CHECK(load(&cfg, "[session]\nidle_timeout = 1h\n") == GH_OK);
	CHECK(cfg.idle_timeout == 300);
	CHECK_STR(cfg.site_name, "From Env");
	config_cleanup(&cfg);
	unsetenv("GATEHOUSE_SESSION_IDLE_TIMEOUT");
	unsetenv("GATEHOUSE_GENERAL_SITE_NAME");
}

TEST(env_override_replaces_bad_file_value)
{
	struct config cfg;

	/* The overridden value is never parsed. */
	setenv("GATEHOUSE_GENERAL_THREADS", "8", 1);
	CHECK(load(&cfg, "[general]\nthreads = many\n") == GH_OK);
	CHECK(cfg.threads == 8);
	config_cleanup(&cfg);
	unsetenv("GATEHOUSE_GENERAL_THREADS");
}

TEST(bad_env_value_names_variable)
{
	setenv("GATEHOUSE_SESSION_IDLE_TIMEOUT", "soon", 1);
	CHECK(refused("", "environment GATEHOUSE_SESSION_IDLE_TIMEOUT: not a duration "
	                  "(seconds, or a number with s, m, h or d)"));
	setenv("GATEHOUSE_SESSION_IDLE_TIMEOUT", "1m\n", 1);
	CHECK(
	    refused("", "environment GATEHOUSE_SESSION_IDLE_TIMEOUT: control character in value"));
	unsetenv("GATEHOUSE_SESSION_IDLE_TIMEOUT");
}

TEST(secret_file_first_line_read)
{
	struct config cfg;
	char path[256], text[512];
	int n;

	CHECK(write_temp(path, sizeof(path), SECRET40 "\r\nsecond line\n",
	    strlen(SECRET40 "\r\nsecond line\n")));
	n = snprintf(text, sizeof(text),
	    "[general]\nsecret_file = %s\n[database]\n"
	    "password_file = %s\n",
	    path, path);
	CHECK(n > 0 && (size_t)n < sizeof(text));
	CHECK(load(&cfg, text) == GH_OK);
	CHECK_STR(errbuf, "");
	CHECK_STR(cfg.secret, SECRET40);
	CHECK_STR(cfg.db_password, SECRET40);
	config_cleanup(&cfg);
	CHECK(cfg.secret == NULL && cfg.db_password == NULL);

	/* Through the environment as well. */
	setenv("GATEHOUSE_GENERAL_SECRET_FILE", path, 1);
	CHECK(load(&cfg, "[general]\nsecret = too short\n") == GH_OK);
	CHECK_STR(cfg.secret, SECRET40);
	config_cleanup(&cfg);
	unsetenv("GATEHOUSE_GENERAL_SECRET_FILE");
	unlink(path);
}

TEST(secret_and_secret_file_both_set_refused)
{
	CHECK(refused("[general]\nsecret = " SECRET40 "\nsecret_file = /etc/gh/secret\n",
	    "t.conf:3: [general] secret_file: secret is already set on line 2; set one of them "
	    "only"));
	CHECK(refused("[database]\npassword_file = /a\npassword = b\n",
	    "t.conf:3: [database] password: password_file is already set on line 2; set one of "
	    "them only"));
	setenv("GATEHOUSE_GENERAL_SECRET", SECRET40, 1);
	setenv("GATEHOUSE_GENERAL_SECRET_FILE", "/etc/gh/secret", 1);
	CHECK(refused("", "environment GATEHOUSE_GENERAL_SECRET_FILE: GATEHOUSE_GENERAL_SECRET "
	                  "is also set; set one of them only"));
	unsetenv("GATEHOUSE_GENERAL_SECRET");
	unsetenv("GATEHOUSE_GENERAL_SECRET_FILE");
}

TEST(missing_secret_file_error_names_file_and_cause)
{
	CHECK(refused("[general]\n\nsecret_file = /nonexistent/gh/secret\n",
	    "t.conf:3: [general] secret_file: cannot read /nonexistent/gh/secret: No such file "
	    "or directory"));
	CHECK(refused("[general]\nsecret_file = secret.txt\n",
	    "t.conf:2: [general] secret_file: must be an absolute path"));
	setenv("GATEHOUSE_DATABASE_PASSWORD_FILE", "/nonexistent/pw", 1);
	CHECK(refused("", "environment GATEHOUSE_DATABASE_PASSWORD_FILE: cannot read "
	                  "/nonexistent/pw: No such file or directory"));
	unsetenv("GATEHOUSE_DATABASE_PASSWORD_FILE");
}

TEST(empty_or_nul_secret_file_refused)
{
	char path[256], text[512], want[512];
	int n;

	CHECK(write_temp(
	    path, sizeof(path), "\nsecret on line two\n", strlen("\nsecret on line two\n")));
	n = snprintf(text, sizeof(text), "[general]\nsecret_file = %s\n", path);
	CHECK(n > 0 && (size_t)n < sizeof(text));
	n = snprintf(want, sizeof(want),
	    "t.conf:2: [general] secret_file: %s: first line is "
	    "empty",
	    path);
	CHECK(n > 0 && (size_t)n < sizeof(want));
	CHECK(refused(text, want));
	unlink(path);

	/* A NUL byte would cut the secret short without a word. */
	CHECK(write_temp(path, sizeof(path), SECRET40 "\0" SECRET40 "\n", 82));
	n = snprintf(text, sizeof(text), "[general]\nsecret_file = %s\n", path);
	CHECK(n > 0 && (size_t)n < sizeof(text));
	n = snprintf(want, sizeof(want),
	    "t.conf:2: [general] secret_file: %s: NUL byte in first "
	    "line",
	    path);
	CHECK(n > 0 && (size_t)n < sizeof(want));
	CHECK(refused(text, want));
	unlink(path);
}

TEST(rule_list_keeps_file_order)
{
	struct config cfg;

	CHECK(load(&cfg, "[check]\n"
	                 "rule = path:/public/* bypass\n"
	                 "rule = path:/admin/* require:role:admin\n"
	                 "login_url = https://login.example.org/auth/login\n"
	                 "rule = path:/* require:login\n") == GH_OK);
	CHECK(cfg.nrules == 3);
	if (cfg.nrules == 3) {
		CHECK_STR(cfg.rules[0].path, "/public/**");
		CHECK(cfg.rules[0].action == ACCESS_BYPASS);
		CHECK_STR(cfg.rules[1].path, "/admin/**");
		CHECK(cfg.rules[1].action == ACCESS_ROLE);
		CHECK_STR(cfg.rules[1].role, "admin");
		CHECK_STR(cfg.rules[2].path, "/**");
		CHECK(cfg.rules[2].action == ACCESS_LOGIN);
	}
	CHECK_STR(cfg.login_url, "https://login.example.org/auth/login");
	config_cleanup(&cfg);
}

TEST(env_rule_override_replaces_whole_list)
{
	struct config cfg;

	setenv("GATEHOUSE_CHECK_RULE",
	    "host:a.example.org bypass\n path:/x/* require:role:x ; require:login;", 1);
	CHECK(load(&cfg, "[check]\nrule = path:/file/* bypass\n") == GH_OK);
	CHECK(cfg.nrules == 3);
	if (cfg.nrules == 3) {
		CHECK_STR(cfg.rules[0].host, "a.example.org");
		CHECK(cfg.rules[0].action == ACCESS_BYPASS);
		CHECK_STR(cfg.rules[1].role, "x");
		CHECK(cfg.rules[2].action == ACCESS_LOGIN && cfg.rules[2].path == NULL);
	}
	config_cleanup(&cfg);

	/* An empty override leaves no rule: everything is denied. */
	setenv("GATEHOUSE_CHECK_RULE", "", 1);
	CHECK(load(&cfg, "[check]\nrule = bypass\n") == GH_OK);
	CHECK(cfg.nrules == 0 && cfg.rules == NULL);
	config_cleanup(&cfg);

	setenv("GATEHOUSE_CHECK_RULE", "bypass;path:/x bypass bypass", 1);
	CHECK(refused("", "environment GATEHOUSE_CHECK_RULE: rule 2: more than one action"));
	unsetenv("GATEHOUSE_CHECK_RULE");
}

TEST(load_reads_file_and_reports_missing_one)
{
	struct config cfg;
	char path[256], want[512];
	int n;

	CHECK(write_temp(
	    path, sizeof(path), "[general]\nthreads = 7\n", strlen("[general]\nthreads = 7\n")));
	CHECK(config_load(&cfg, path, errbuf, sizeof(errbuf)) == GH_OK);
	CHECK(cfg.threads == 7);
	CHECK_STR(cfg.path, path);
	config_cleanup(&cfg);

	/* NULL finds the file through $GATEHOUSE_CONFIG. */
	setenv("GATEHOUSE_CONFIG", path, 1);
	CHECK_STR(config_default_path(), path);
	CHECK(config_load(&cfg, NULL, errbuf, sizeof(errbuf)) == GH_OK);
	CHECK(cfg.threads == 7);
	config_cleanup(&cfg);
	unsetenv("GATEHOUSE_CONFIG");
	CHECK(config_default_path()[0] == '/');
	CHECK(ends_with(config_default_path(), "/etc/gatehouse/gatehouse.conf"));
	unlink(path);

	CHECK(
	    config_load(&cfg, "/nonexistent/gatehouse.conf", errbuf, sizeof(errbuf)) == GH_ECONFIG);
	CHECK_STR(errbuf, "/nonexistent/gatehouse.conf: cannot read: No such file or directory");
	CHECK(cfg.path == NULL);

	/* Errors name the real file. */
	CHECK(write_temp(
	    path, sizeof(path), "[general]\nbogus = 1\n", strlen("[general]\nbogus = 1\n")));
	CHECK(config_load(&cfg, path, errbuf, sizeof(errbuf)) == GH_ECONFIG);
	n = snprintf(want, sizeof(want), "%s:2: [general] bogus: unknown key", path);
	CHECK(n > 0 && (size_t)n < sizeof(want));
	CHECK_STR(errbuf, want);
	unlink(path);
}

TEST(file_over_1_mib_or_with_nul_refused)
{
	struct config cfg;
	char path[256], want[512];
	size_t big = 1024 * 1024 + 1;
	char *text = malloc(big);

	CHECK(text != NULL);
	if (text == NULL)
		return;
	memset(text, '\n', big);
	CHECK(write_temp(path, sizeof(path), text, big));
	CHECK(config_load(&cfg, path, errbuf, sizeof(errbuf)) == GH_ECONFIG);
	snprintf(want, sizeof(want), "%s: larger than 1 MiB", path);
	CHECK_STR(errbuf, want);
	unlink(path);
	/* Exactly 1 MiB is fine. */
	CHECK(write_temp(path, sizeof(path), text, big - 1));
	CHECK(config_load(&cfg, path, errbuf, sizeof(errbuf)) == GH_OK);
	config_cleanup(&cfg);
	unlink(path);
	free(text);

	CHECK(write_temp(path, sizeof(path), "[general]\nsite_name = a\0b\n",
	    sizeof("[general]\nsite_name = a\0b\n") - 1));
	CHECK(config_load(&cfg, path, errbuf, sizeof(errbuf)) == GH_ECONFIG);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
	CHECK_STR(errbuf, want);
	unlink(path);
}

TEST(small_error_buffer_is_safe)
{
	struct config cfg;
	char small[8];

	CHECK(config_load_string(&cfg, "t.conf", "[x]\n", small, sizeof(small)) == GH_ECONFIG);
	CHECK_STR(small, "t.conf:");
	CHECK(config_load_string(&cfg, "t.conf", "[x]\n", NULL, 0) == GH_ECONFIG);
}

int
main(void)
{
	clear_gatehouse_env();
	RUN(empty_file_gives_documented_defaults);
	RUN(values_of_every_type_parsed);
	RUN(unknown_key_error_names_file_line_and_key);
	RUN(unknown_section_and_malformed_lines_refused);
	RUN(duplicate_key_refused_but_rule_repeats);
	RUN(line_over_4096_bytes_refused);
	RUN(env_override_wins);
	RUN(env_override_replaces_bad_file_value);
	RUN(bad_env_value_names_variable);
	RUN(secret_file_first_line_read);
	RUN(secret_and_secret_file_both_set_refused);
	RUN(missing_secret_file_error_names_file_and_cause);
	RUN(empty_or_nul_secret_file_refused);
	RUN(rule_list_keeps_file_order);
	RUN(env_rule_override_replaces_whole_list);
	RUN(load_reads_file_and_reports_missing_one);
	RUN(file_over_1_mib_or_with_nul_refused);
	RUN(small_error_buffer_is_safe);
	return test_summary();
}
