/*
 * gatehousectl: the administrator's command line.
 *
 * Each command is one function in the table at the end of this file.  Exit
 * statuses are part of the interface (scripts rely on them): 0 success,
 * 1 failure (database, configuration), 2 usage, 3 not found, 4 already
 * exists, 5 refused by the password policy.  Passwords are read from the
 * terminal or from standard input, never from the command line, where any
 * user could see them in ps.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "extuser.h"
#include "log.h"
#include "migrate.h"
#include "password.h"
#include "session.h"
#include "user.h"

enum ctl_status {
	CTL_OK = 0,
	CTL_FAIL = 1,
	CTL_USAGE = 2,
	CTL_NOTFOUND = 3,
	CTL_EXISTS = 4,
	CTL_POLICY = 5,
};

#define CTL_PASSWORD_MAX 4096

struct ctl {
	struct config cfg;
	struct db *db;
};

static enum ctl_status
ctl_status_of(enum gh_err e)
{
	switch (e) {
	case GH_OK: return CTL_OK;
	case GH_ENOTFOUND: return CTL_NOTFOUND;
	case GH_EEXISTS: return CTL_EXISTS;
	case GH_EPOLICY: return CTL_POLICY;
	default: return CTL_FAIL;
	}
}

static enum ctl_status
ctl_fail(enum gh_err e, const char *what)
{
	fprintf(stderr, "gatehousectl: %s: %s\n", what, gh_strerror(e));
	return ctl_status_of(e);
}

/* Path of a sqlite: URL, or NULL for other databases. */
static const char *
ctl_sqlite_path(const char *url)
{
	if (strncmp(url, "sqlite://", 9) == 0)
		return url + 9;
	if (strncmp(url, "sqlite:", 7) == 0)
		return url + 7;
	return NULL;
}

/* Creates the folders above path (mode 0750), like mkdir -p of its dirname. */
static int
ctl_mkdirs_for(const char *path)
{
	char dir[4096];
	int n = snprintf(dir, sizeof(dir), "%s", path);

	if (n < 0 || (size_t)n >= sizeof(dir))
		return -1;
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static enum ctl_status
ctl_open_db(struct ctl *c)
{
	enum gh_err e = db_open(c->cfg.db_url, c->cfg.db_password, c->cfg.db_busy_timeout_ms,
	    &c->db);

	if (e != GH_OK) {
		fprintf(stderr, "gatehousectl: %s: [database] url: cannot open the database: %s\n",
		    c->cfg.path, gh_strerror(e));
		return CTL_FAIL;
	}
	return CTL_OK;
}

/* Reads one line without echo from the terminal, or from stdin. */
static bool
ctl_read_line(FILE *in, bool echo_off, const char *prompt, char *out, size_t outlen)
{
	struct termios old, quiet;
	bool restored = false, ok;

	if (prompt != NULL) {
		fputs(prompt, stderr);
		fflush(stderr);
	}
	if (echo_off && tcgetattr(fileno(in), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(in), TCSAFLUSH, &quiet);
		restored = true;
	}
	ok = fgets(out, (int)outlen, in) != NULL;
	if (restored) {
		tcsetattr(fileno(in), TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!ok)
		return false;
	size_t n = strcspn(out, "\r\n");
	if (out[n] == '\0' && n == outlen - 1)
		return false; /* longer than the buffer */
	out[n] = '\0';
	return true;
}

/* Gets a new password: from stdin, generated, or asked twice on the terminal. */
static enum ctl_status
ctl_new_password(struct ctl *c, const char *how, char out[CTL_PASSWORD_MAX])
{
	const char *why = NULL;

	if (strcmp(how, "random") == 0) {
		char tok[CRYPTO_TOKEN_LEN + 1];
		if (crypto_token(tok) != GH_OK)
			return CTL_FAIL;
		snprintf(out, CTL_PASSWORD_MAX, "%s", tok);
		crypto_wipe(tok, sizeof(tok));
		return CTL_OK;
	}
	if (strcmp(how, "stdin") == 0) {
		if (!ctl_read_line(stdin, false, NULL, out, CTL_PASSWORD_MAX)) {
			fprintf(stderr, "gatehousectl: no password on standard input\n");
			return CTL_USAGE;
		}
	} else {
		char again[CTL_PASSWORD_MAX];
		FILE *tty = fopen("/dev/tty", "r+");
		if (tty == NULL) {
			fprintf(stderr, "gatehousectl: no terminal: use --password-stdin\n");
			return CTL_USAGE;
		}
		bool ok = ctl_read_line(tty, true, "New password: ", out, CTL_PASSWORD_MAX) &&
		    ctl_read_line(tty, true, "Again: ", again, sizeof(again));
		fclose(tty);
		if (!ok || strcmp(out, again) != 0) {
			crypto_wipe(again, sizeof(again));
			fprintf(stderr, "gatehousectl: the passwords differ\n");
			return CTL_USAGE;
		}
		crypto_wipe(again, sizeof(again));
	}
	if (password_policy_check(&c->cfg, out, &why) != GH_OK) {
		fprintf(stderr, "gatehousectl: password refused: %s\n", why ? why : "policy");
		crypto_wipe(out, CTL_PASSWORD_MAX);
		return CTL_POLICY;
	}
	return CTL_OK;
}

/* Gets a new password as ctl_new_password and hashes it.  The password itself
 * is copied to plain (may be NULL) for a caller that shows it once. */
static enum ctl_status
ctl_hash_new_password(struct ctl *c, const char *how, char hash[PASSWORD_HASH_MAX],
    char plain[CTL_PASSWORD_MAX])
{
	char pw[CTL_PASSWORD_MAX];
	enum ctl_status st = ctl_new_password(c, how, pw);
	enum gh_err e;

	if (st != CTL_OK)
		return st;
	e = password_hash(&c->cfg, pw, hash);
	if (e == GH_OK && plain != NULL)
		memcpy(plain, pw, CTL_PASSWORD_MAX);
	crypto_wipe(pw, sizeof(pw));
	return e == GH_OK ? CTL_OK : ctl_fail(e, "hashing the password");
}

static enum ctl_status
ctl_find_user(struct ctl *c, const char *name, struct user *u)
{
	enum gh_err e = user_find(c->db, name, u);

	if (e == GH_ENOTFOUND)
		fprintf(stderr, "gatehousectl: no user %s\n", name);
	else if (e != GH_OK)
		return ctl_fail(e, "looking up the user");
	return ctl_status_of(e);
}

/* Checks that every role of the comma-separated list exists, so that a user
 * is never added with half its roles. */
static enum ctl_status
ctl_roles_exist(struct ctl *c, const char *roles)
{
	const char *p = roles;
	struct db_stmt *st;
	enum gh_err e;
	bool row;

	while (*p != '\0') {
		char name[128];
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= sizeof(name))
			return CTL_USAGE;
		memcpy(name, p, n);
		name[n] = '\0';
		p += n + (p[n] == ',');
		if ((e = db_prepare(c->db, "SELECT 1 FROM roles WHERE name = ?", &st)) != GH_OK)
			return ctl_fail(e, "role lookup");
		if ((e = db_bind_text(st, 1, name)) == GH_OK)
			e = db_step(st, &row);
		db_done(st);
		if (e != GH_OK)
			return ctl_fail(e, "role lookup");
		if (!row) {
			fprintf(stderr, "gatehousectl: no role %s (add it with: gatehousectl role add %s)\n",
			    name, name);
			return CTL_NOTFOUND;
		}
	}
	return CTL_OK;
}

/* --- commands ---------------------------------------------------------- */

static enum ctl_status
cmd_init(struct ctl *c, int argc, char **argv)
{
	const char *path = ctl_sqlite_path(c->cfg.db_url);
	int applied = 0;
	enum ctl_status st;

	if (argc != 1)
		return CTL_USAGE;
	if (path != NULL && ctl_mkdirs_for(path) != 0) {
		fprintf(stderr, "gatehousectl: cannot create the folder of %s: %s\n", path,
		    strerror(errno));
		return CTL_FAIL;
	}
	if ((st = ctl_open_db(c)) != CTL_OK)
		return st;
	enum gh_err e = migrate_up(c->db, c->cfg.sql_dir, stdout, &applied);
	if (e != GH_OK)
		return ctl_fail(e, "migrate up");
	printf("database ready (%d migrations applied)\n", applied);
	return CTL_OK;
}

static enum ctl_status
cmd_migrate(struct ctl *c, int argc, char **argv)
{
	enum ctl_status st;
	enum gh_err e;
	int n = 1, pending = 0;

	if (argc < 2 || argc > 3)
		return CTL_USAGE;
	if ((st = ctl_open_db(c)) != CTL_OK)
		return st;
	if (strcmp(argv[1], "up") == 0 && argc == 2)
		e = migrate_up(c->db, c->cfg.sql_dir, stdout, NULL);
	else if (strcmp(argv[1], "down") == 0) {
		if (argc == 3 && (n = atoi(argv[2])) < 1)
			return CTL_USAGE;
		e = migrate_down(c->db, c->cfg.sql_dir, n, stdout);
	} else if (strcmp(argv[1], "status") == 0 && argc == 2) {
		e = migrate_status(c->db, c->cfg.sql_dir, stdout, &pending);
		if (e == GH_OK && pending > 0)
			return CTL_FAIL;
	} else
		return CTL_USAGE;
	return e == GH_OK ? CTL_OK : ctl_fail(e, "migrate");
}

static enum ctl_status
cmd_user_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"email", required_argument, NULL, 'e'},
		{"role", required_argument, NULL, 'r'},
		{"password-stdin", no_argument, NULL, 's'},
		{"random-password", no_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	const char *email = NULL, *how = "prompt";
	char roles[1024] = "", hash[PASSWORD_HASH_MAX];
	int64_t id;
	enum ctl_status st;
	enum gh_err e;
	int ch;

	optind = 0; /* GNU getopt: start over, argv[0] is the command word */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'e': email = optarg; break;
		case 's': how = "stdin"; break;
		case 'R': how = "random"; break;
		case 'r': {
			size_t l = strlen(roles);
			int n = snprintf(roles + l, sizeof(roles) - l, "%s%s", l ? "," : "", optarg);
			if (n < 0 || (size_t)n >= sizeof(roles) - l)
				return CTL_USAGE;
			break;
		}
		default: return CTL_USAGE;
		}
	}
	if (optind != argc - 1)
		return CTL_USAGE;
	const char *name = argv[optind];
	if (!user_valid_username(name)) {
		fprintf(stderr, "gatehousectl: invalid user name (1-64 of letters, digits, . _ @ + -)\n");
		return CTL_USAGE;
	}
	if ((st = ctl_open_db(c)) != CTL_OK)
		return st;
	if ((st = ctl_roles_exist(c, roles)) != CTL_OK)
		return st;
	/* Refuse a taken name before asking for a password. */
	struct user u = {0};
	if (user_find(c->db, name, &u) == GH_OK) {
		user_cleanup(&u);
		fprintf(stderr, "gatehousectl: user %s already exists\n", name);
		return CTL_EXISTS;
	}
	/* A generated password is shown only once the user exists. */
	char plain[CTL_PASSWORD_MAX];
	bool show = strcmp(how, "random") == 0;
	if ((st = ctl_hash_new_password(c, how, hash, show ? plain : NULL)) != CTL_OK)
		return st;
	e = user_add(c->db, name, email, hash, &id);
	crypto_wipe(hash, sizeof(hash));
	if (e == GH_OK && show)
		printf("%s\n", plain);
	if (show)
		crypto_wipe(plain, sizeof(plain));
	if (e == GH_EEXISTS)
		fprintf(stderr, "gatehousectl: user name or e-mail already taken\n");
	if (e != GH_OK)
		return e == GH_EEXISTS ? CTL_EXISTS : ctl_fail(e, "user add");
	if (roles[0] != '\0' && (e = user_set_roles(c->db, id, roles)) != GH_OK)
		return ctl_fail(e, "user add: setting the roles");
	fprintf(stderr, "user %s added (id %lld)\n", name, (long long)id);
	return CTL_OK;
}

static enum ctl_status
cmd_user_list(struct ctl *c, int argc, char **argv)
{
	enum ctl_status st;
	enum gh_err e;

	if (argc != 1)
		return CTL_USAGE;
	if ((st = ctl_open_db(c)) != CTL_OK)
		return st;
	e = user_list(c->db, stdout);
	return e == GH_OK ? CTL_OK : ctl_fail(e, "user list");
}

static enum ctl_status
cmd_user_show(struct ctl *c, int argc, char **argv)
{
	struct user u = {0};
	enum ctl_status st;

	if (argc != 2)
		return CTL_USAGE;
	if ((st = ctl_open_db(c)) != CTL_OK || (st = ctl_find_user(c, argv[1], &u)) != CTL_OK)
		return st;
	printf("id: %lld\nusername: %s\nemail: %s\nstatus: %s\nroles: %s\ncreated_at: %lld\n"
	       "last_login_at: %lld\n",
	    (long long)u.id, u.username, u.email ? u.email : "", u.status, u.roles,
	    (long long)u.created_at, (long long)u.last_login_at);
	user_cleanup(&u);
	return CTL_OK;
}

static enum ctl_status
cmd_user_passwd(struct ctl *c, int argc, char **argv)
{
	const char *how = "prompt";
	char hash[PASSWORD_HASH_MAX];
	struct user u = {0};
	enum ctl_status st;
	enum gh_err e;

	if (argc == 3 && strcmp(argv[2], "--password-stdin") == 0)
		how = "stdin";
	else if (argc != 2)
		return CTL_USAGE;
	if ((st = ctl_open_db(c)) != CTL_OK || (st = ctl_find_user(c, argv[1], &u)) != CTL_OK)
		return st;
	st = ctl_hash_new_password(c, how, hash, NULL);
	if (st == CTL_OK) {
		e = account_set_password(c->db, u.id, hash);
		st = e == GH_OK ? CTL_OK : ctl_fail(e, "user passwd");
	}
	crypto_wipe(hash, sizeof(hash));
	user_cleanup(&u);
	return st;
}

static enum ctl_status
ctl_user_set_status(struct ctl *c, int argc, char **argv, bool active)
{
	struct user u = {0};
	enum ctl_status st;
	enum gh_err e;

	if (argc != 2)
		return CTL_USAGE;
	if ((st = ctl_open_db(c)) != CTL_OK || (st = ctl_find_user(c, argv[1], &u)) != CTL_OK)
		return st;
	/* A disabled user's sessions end now, not at their timeout. */
	e = active ? account_enable(c->db, u.id) : account_disable(c->db, u.id);
	user_cleanup(&u);
	return e == GH_OK ? CTL_OK : ctl_fail(e, "user status");
}

static enum ctl_status
cmd_user_disable(struct ctl *c, int argc, char **argv)
{
	return ctl_user_set_status(c, argc, argv, false);
}

static enum ctl_status
cmd_user_enable(struct ctl *c, int argc, char **argv)
{
	return ctl_user_set_status(c, argc, argv, true);
}

/* user sync: disables the shadow rows of users gone from the external store
 * or inactive there (extuser_sync).  An unreachable store changes nothing. */
static enum ctl_status
cmd_user_sync(struct ctl *c, int argc, char **argv)
{
	struct extuser_sync_stats stats;
	struct db *users = NULL;
	enum ctl_status st;
	bool dry_run = false;
	enum gh_err e;

	if (argc == 2 && strcmp(argv[1], "--dry-run") == 0)
		dry_run = true;
	else if (argc != 1)
		return CTL_USAGE;
	if (strcmp(c->cfg.users_source, "external") != 0) {
		fprintf(stderr, "gatehousectl: user sync: %s: [users] source is not external\n",
		    c->cfg.path);
		return CTL_USAGE;
	}
	if ((st = ctl_open_db(c)) != CTL_OK)
		return st;
	e = db_open(c->cfg.users_url, c->cfg.users_password, c->cfg.db_busy_timeout_ms, &users);
	if (e != GH_OK) {
		fprintf(stderr,
		    "gatehousectl: user sync: %s: [users] url: cannot connect to %s: %s; "
		    "nobody disabled\n",
		    c->cfg.path, c->cfg.users_url, gh_strerror(e));
		return CTL_FAIL;
	}
	e = extuser_sync(c->db, users, &c->cfg, dry_run, stdout, &stats);
	db_close(users);
	printf("%lld external users checked, %lld %s\n", (long long)stats.checked,
	    (long long)stats.disabled, dry_run ? "to disable" : "disabled");
	if (e != GH_OK) {
		fprintf(stderr, "gatehousectl: user sync stopped: %s; nobody else disabled\n",
		    gh_strerror(e));
		return CTL_FAIL;
	}
	return CTL_OK;
}

static enum ctl_status
cmd_user_roles(struct ctl *c, int argc, char **argv)
{
	struct user u = {0};
	enum ctl_status st;
	enum gh_err e;

	if (argc != 3)
		return CTL_USAGE;
	if ((st = ctl_open_db(c)) != CTL_OK || (st = ctl_find_user(c, argv[1], &u)) != CTL_OK)
		return st;
	/* A privilege change ends the user's sessions (they log in again). */
	e = account_set_roles(c->db, u.id, argv[2]);
	user_cleanup(&u);
	if (e == GH_ENOTFOUND)
		fprintf(stderr, "gatehousectl: unknown role in %s\n", argv[2]);
	return e == GH_OK ? CTL_OK : e == GH_ENOTFOUND ? CTL_NOTFOUND : ctl_fail(e, "user roles");
}

static enum ctl_status
cmd_role_add(struct ctl *c, int argc, char **argv)
{
	enum ctl_status st;
	enum gh_err e;

	if (argc < 2 || argc > 3)
		return CTL_USAGE;
	if (!role_valid_name(argv[1])) {
		fprintf(stderr, "gatehousectl: invalid role name (1-64 of letters, digits, _ -)\n");
		return CTL_USAGE;
	}
	if ((st = ctl_open_db(c)) != CTL_OK)
		return st;
	e = role_add(c->db, argv[1], argc == 3 ? argv[2] : "");
	if (e == GH_EEXISTS)
		fprintf(stderr, "gatehousectl: role %s already exists\n", argv[1]);
	return e == GH_OK ? CTL_OK : e == GH_EEXISTS ? CTL_EXISTS : ctl_fail(e, "role add");
}

static enum ctl_status
cmd_role_list(struct ctl *c, int argc, char **argv)
{
	enum ctl_status st;
	enum gh_err e;

	if (argc != 1)
		return CTL_USAGE;
	if ((st = ctl_open_db(c)) != CTL_OK)
		return st;
	e = role_list(c->db, stdout);
	return e == GH_OK ? CTL_OK : ctl_fail(e, "role list");
}

static enum ctl_status
cmd_session_list(struct ctl *c, int argc, char **argv)
{
	static const char sql[] =
	    "SELECT s.id, u.username, s.created_at, s.last_seen_at, s.expires_at, "
	    "s.auth_method, COALESCE(s.ip, '') FROM sessions s JOIN users u ON u.id = s.user_id "
	    "WHERE s.revoked_at IS NULL AND s.expires_at > ? AND (? = '' OR u.username = ?) "
	    "ORDER BY s.created_at";
	struct db_stmt *st;
	enum ctl_status cs;
	enum gh_err e;
	bool row;
	const char *name = argc == 2 ? argv[1] : "";

	if (argc > 2)
		return CTL_USAGE;
	if ((cs = ctl_open_db(c)) != CTL_OK)
		return cs;
	if ((e = db_prepare(c->db, sql, &st)) != GH_OK)
		return ctl_fail(e, "session list");
	db_bind_int64(st, 1, (int64_t)time(NULL));
	db_bind_text(st, 2, name);
	db_bind_text(st, 3, name);
	while ((e = db_step(st, &row)) == GH_OK && row)
		printf("%s %s created=%lld seen=%lld expires=%lld %s %s\n", db_column_text(st, 0),
		    db_column_text(st, 1), (long long)db_column_int64(st, 2),
		    (long long)db_column_int64(st, 3), (long long)db_column_int64(st, 4),
		    db_column_text(st, 5), db_column_text(st, 6));
	db_done(st);
	return e == GH_OK ? CTL_OK : ctl_fail(e, "session list");
}

static enum ctl_status
cmd_session_revoke(struct ctl *c, int argc, char **argv)
{
	enum ctl_status st;
	enum gh_err e;

	if ((st = ctl_open_db(c)) != CTL_OK)
		return st;
	if (argc == 3 && strcmp(argv[1], "--user") == 0) {
		struct user u = {0};
		if ((st = ctl_find_user(c, argv[2], &u)) != CTL_OK)
			return st;
		e = session_revoke_user(c->db, u.id);
		user_cleanup(&u);
	} else if (argc == 2)
		e = session_revoke_id(c->db, argv[1]);
	else
		return CTL_USAGE;
	return e == GH_OK ? CTL_OK : ctl_fail(e, "session revoke");
}

static enum ctl_status
cmd_purge(struct ctl *c, int argc, char **argv)
{
	int64_t keep = 0, deleted = 0;
	enum ctl_status st;
	enum gh_err e;

	if (argc == 3 && strcmp(argv[1], "--keep") == 0)
		keep = atoll(argv[2]);
	else if (argc != 1)
		return CTL_USAGE;
	if (keep < 0)
		return CTL_USAGE;
	if ((st = ctl_open_db(c)) != CTL_OK)
		return st;
	e = session_purge(c->db, keep, &deleted);
	if (e != GH_OK)
		return ctl_fail(e, "purge");
	printf("%lld sessions purged\n", (long long)deleted);
	return CTL_OK;
}

/* With [users] source = external: connect and run the lookup once. */
static enum ctl_status
ctl_check_user_store(struct ctl *c)
{
	struct db *users;
	enum gh_err e;

	if (strcmp(c->cfg.users_source, "external") != 0)
		return CTL_OK;
	e = db_open(c->cfg.users_url, c->cfg.users_password, c->cfg.db_busy_timeout_ms, &users);
	if (e != GH_OK) {
		printf("%s: [users] url: cannot connect to %s: %s\n", c->cfg.path, c->cfg.users_url,
		    gh_strerror(e));
		return CTL_FAIL;
	}
	e = extuser_probe(users, &c->cfg, stdout);
	db_close(users);
	return e == GH_OK ? CTL_OK : CTL_FAIL;
}

static enum ctl_status
cmd_backup(struct ctl *c, int argc, char **argv)
{
	enum ctl_status st;
	enum gh_err e;

	if (argc != 2)
		return CTL_USAGE;
	if (ctl_sqlite_path(c->cfg.db_url) == NULL) {
		fprintf(stderr, "gatehousectl: backup copies SQLite databases; for MariaDB/MySQL use "
		                "mysqldump --single-transaction, for PostgreSQL pg_dump -Fc\n");
		return CTL_USAGE;
	}
	if ((st = ctl_open_db(c)) != CTL_OK)
		return st;
	e = db_backup(c->db, argv[1]);
	if (e == GH_EEXISTS)
		fprintf(stderr, "gatehousectl: %s exists already\n", argv[1]);
	else if (e == GH_OK)
		printf("backup written to %s\n", argv[1]);
	return e == GH_OK ? CTL_OK : e == GH_EEXISTS ? CTL_EXISTS : ctl_fail(e, "backup");
}

static enum ctl_status
cmd_check(struct ctl *c, int argc, char **argv)
{
	enum ctl_status st;
	int pending = 0;

	if (argc != 1)
		return CTL_USAGE;
	printf("config %s: ok\n", c->cfg.path);
	if (c->cfg.allow_weak_hashing && config_hashing_is_weak(&c->cfg))
		printf("warning: [login] allow_weak_hashing: hash costs below the minimum, for "
		       "tests only\n");
	if (c->cfg.secret == NULL || strlen(c->cfg.secret) < 32) {
		printf("%s: [general] secret_file: not set (the responders need 32+ bytes)\n",
		    c->cfg.path);
		return CTL_FAIL;
	}
	if ((st = ctl_open_db(c)) != CTL_OK)
		return st;
	printf("database %s: reachable\n", c->cfg.db_url);
	enum gh_err e = migrate_status(c->db, c->cfg.sql_dir, NULL, &pending);
	if (e != GH_OK)
		return ctl_fail(e, "migration status");
	if (pending > 0) {
		printf("migrations: %d pending (run: gatehousectl migrate up)\n", pending);
		return CTL_FAIL;
	}
	printf("migrations: up to date\n");
	return ctl_check_user_store(c);
}

static const struct ctl_command {
	const char *word1, *word2;
	enum ctl_status (*run)(struct ctl *, int, char **);
	const char *usage;
} ctl_commands[] = {
	{"init", NULL, cmd_init, "init"},
	{"migrate", NULL, cmd_migrate, "migrate up | down [N] | status"},
	{"user", "add", cmd_user_add,
	    "user add NAME [--email E] [--role R]... [--password-stdin | --random-password]"},
	{"user", "list", cmd_user_list, "user list"},
	{"user", "show", cmd_user_show, "user show NAME"},
	{"user", "passwd", cmd_user_passwd, "user passwd NAME [--password-stdin]"},
	{"user", "disable", cmd_user_disable, "user disable NAME"},
	{"user", "enable", cmd_user_enable, "user enable NAME"},
	{"user", "roles", cmd_user_roles, "user roles NAME ROLE[,ROLE...]"},
	{"user", "sync", cmd_user_sync, "user sync [--dry-run]"},
	{"role", "add", cmd_role_add, "role add NAME [DESCRIPTION]"},
	{"role", "list", cmd_role_list, "role list"},
	{"session", "list", cmd_session_list, "session list [NAME]"},
	{"session", "revoke", cmd_session_revoke, "session revoke ID | --user NAME"},
	{"purge", NULL, cmd_purge, "purge [--keep SECONDS]"},
	{"backup", NULL, cmd_backup, "backup FILE"},
	{"check", NULL, cmd_check, "check"},
};

static void
ctl_usage(FILE *out)
{
	fprintf(out, "usage: gatehousectl [--config FILE] COMMAND\ncommands:\n");
	for (size_t i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++)
		fprintf(out, "  %s\n", ctl_commands[i].usage);
}

int
main(int argc, char **argv)
{
	const char *config_path = NULL;
	struct ctl c;
	char err[1024];
	int i = 1;
	enum ctl_status st = CTL_USAGE;

	memset(&c, 0, sizeof(c));
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config_path = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			config_path = argv[i] + 9;
			i++;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			ctl_usage(stdout);
			return CTL_OK;
		} else {
			ctl_usage(stderr);
			return CTL_USAGE;
		}
	}
	if (i >= argc) {
		ctl_usage(stderr);
		return CTL_USAGE;
	}
	for (size_t k = 0; k < sizeof(ctl_commands) / sizeof(ctl_commands[0]); k++) {
		const struct ctl_command *cmd = &ctl_commands[k];
		if (strcmp(argv[i], cmd->word1) != 0)
			continue;
		int skip = 0;
		if (cmd->word2 != NULL) {
			if (i + 1 >= argc || strcmp(argv[i + 1], cmd->word2) != 0)
				continue;
			skip = 1;
		}
		log_init("gatehousectl", LOG_WARNING, false);
		if (config_load(&c.cfg, config_path, err, sizeof(err)) != GH_OK) {
			fprintf(stderr, "gatehousectl: %s\n", err);
			return CTL_FAIL;
		}
		st = cmd->run(&c, argc - i - skip, argv + i + skip);
		if (st == CTL_USAGE)
			fprintf(stderr, "usage: gatehousectl %s\n", cmd->usage);
		db_close(c.db);
		config_cleanup(&c.cfg);
		return st;
	}
	ctl_usage(stderr);
	return CTL_USAGE;
}
