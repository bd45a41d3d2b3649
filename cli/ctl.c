/*
 * ctl.c: the helpers the commands of gatehousectl share (see ctl.h).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "ctl.h"

enum ctl_status
ctl_status_of(enum gh_err e)
{
	switch (e) {
	case GH_OK:
		return CTL_OK;
	case GH_ENOTFOUND:
		return CTL_NOTFOUND;
	case GH_EEXISTS:
		return CTL_EXISTS;
	case GH_EPOLICY:
		return CTL_POLICY;
	default:
		return CTL_FAIL;
	}
}

enum ctl_status
ctl_fail(enum gh_err e, const char *what)
{
	fprintf(stderr, "gatehousectl: %s: %s\n", what, gh_strerror(e));
	return ctl_status_of(e);
}

/* Path of a sqlite: URL, or NULL for other databases. */
const char *
ctl_sqlite_path(const char *url)
{
	if (strncmp(url, "sqlite://", 9) == 0)
		return url + 9;
	if (strncmp(url, "sqlite:", 7) == 0)
		return url + 7;
	return NULL;
}

/* Creates the folders above path (mode 0750), like mkdir -p of its dirname. */
int
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

enum ctl_status
ctl_open_db(struct ctl *c)
{
	enum gh_err e =
	    db_open(c->cfg.db_url, c->cfg.db_password, c->cfg.db_busy_timeout_ms, &c->db);

	if (e != GH_OK) {
		fprintf(stderr, "gatehousectl: %s: [database] url: cannot open the database: %s\n",
		    c->cfg.path, gh_strerror(e));
		return CTL_FAIL;
	}
	return CTL_OK;
}

void
ctl_iso_time(int64_t t, char out[CTL_TIME_MAX])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, CTL_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, CTL_TIME_MAX, "%lld", (long long)t);
}

/* Reads one line without echo from the terminal, or from stdin. */
bool
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
enum ctl_status
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
enum ctl_status
ctl_hash_new_password(
    struct ctl *c, const char *how, char hash[PASSWORD_HASH_MAX], char plain[CTL_PASSWORD_MAX])
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

enum ctl_status
ctl_find_user(struct ctl *c, const char *name, struct user *u)
{
	enum gh_err e = user_find(c->db, name, u);

	if (e == GH_ENOTFOUND)
		fprintf(stderr, "gatehousectl: no user %s\n", name);
	else if (e != GH_OK)
		return ctl_fail(e, "looking up the user");
	return ctl_status_of(e);
}

const struct audit_actor *
ctl_actor(struct ctl *c)
{
	struct passwd *pw;
	uid_t uid;
	int n;

	if (c->actor.by != NULL)
		return &c->actor;
	uid = getuid();
	pw = getpwuid(uid);
	if (pw != NULL)
		n = snprintf(c->by, sizeof(c->by), "gatehousectl:%s", pw->pw_name);
	else
		n = snprintf(c->by, sizeof(c->by), "gatehousectl:%lu", (unsigned long)uid);
	if (n < 0 || (size_t)n >= sizeof(c->by))
		snprintf(c->by, sizeof(c->by), "gatehousectl:%lu", (unsigned long)uid);
	c->actor.by = c->by;
	return &c->actor;
}

/* Checks that every role of the comma-separated list exists, so that a user
 * is never added with half its roles. */
enum ctl_status
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
			fprintf(stderr,
			    "gatehousectl: no role %s (add it with: gatehousectl role add %s)\n",
			    name, name);
			return CTL_NOTFOUND;
		}
	}
	return CTL_OK;
}
