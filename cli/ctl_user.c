/*
 * ctl_user.c: gatehousectl user ...: adding, showing and changing users
 * (the changes that end sessions go through account.h), and the sync of
 * an external user store.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "crypto.h"
#include "ctl.h"
#include "extuser.h"
#include "lockout.h"
#include "session.h"

/* The arguments of user add. */
struct ctl_user_add_args {
	const char *name, *email, *how;
	char roles[1024]; /* comma-separated */
};

/* Reads the arguments of user add into a: CTL_OK, or CTL_USAGE (with a
 * message for a bad name). */
static enum ctl_status
ctl_user_add_parse(const struct ctl *c, struct ctl_user_add_args *a)
{
	static const struct option opts[] = {
	    {"email", required_argument, NULL, 'e'},
	    {"role", required_argument, NULL, 'r'},
	    {"password-stdin", no_argument, NULL, 's'},
	    {"random-password", no_argument, NULL, 'R'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	a->email = NULL;
	a->how = "prompt";
	a->roles[0] = '\0';
	optind = 0; /* GNU getopt: start over, argv[0] is the command word */
	while ((ch = getopt_long(c->argc, c->argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			a->email = optarg;
			break;
		case 's':
			a->how = "stdin";
			break;
		case 'R':
			a->how = "random";
			break;
		case 'r': {
			size_t l = strlen(a->roles);
			int n = snprintf(
			    a->roles + l, sizeof(a->roles) - l, "%s%s", l ? "," : "", optarg);
			if (n < 0 || (size_t)n >= sizeof(a->roles) - l)
				return CTL_USAGE;
			break;
		}
		default:
			return CTL_USAGE;
		}
	}
	if (optind != c->argc - 1)
		return CTL_USAGE;
	a->name = c->argv[optind];
	if (!user_valid_username(a->name)) {
		fprintf(stderr,
		    "gatehousectl: invalid user name (1-64 of letters, digits, . _ @ + -)\n");
		return CTL_USAGE;
	}
	return CTL_OK;
}

enum ctl_status
cmd_user_add_args(const struct ctl *c)
{
	struct ctl_user_add_args a;

	return ctl_user_add_parse(c, &a);
}

enum ctl_status
cmd_user_add(struct ctl *c)
{
	struct ctl_user_add_args a;
	char hash[PASSWORD_HASH_MAX];
	int64_t id;
	enum ctl_status st;
	enum gh_err e;

	/* Parsed again: cmd_user_add_args accepted them before the database
	 * was opened. */
	if ((st = ctl_user_add_parse(c, &a)) != CTL_OK)
		return st;
	if ((st = ctl_roles_exist(c, a.roles)) != CTL_OK)
		return st;
	/* Refuse a taken name before asking for a password. */
	struct user u = {0};
	if (user_find(c->db, a.name, &u) == GH_OK) {
		user_cleanup(&u);
		fprintf(stderr, "gatehousectl: user %s already exists\n", a.name);
		return CTL_EXISTS;
	}
	/* A generated password is shown only once the user exists. */
	char plain[CTL_PASSWORD_MAX];
	bool show = strcmp(a.how, "random") == 0;
	if ((st = ctl_hash_new_password(c, a.how, hash, show ? plain : NULL)) != CTL_OK)
		return st;
	e = account_add(c->db, a.name, a.email, hash, a.roles, ctl_actor(c), &id);
	crypto_wipe(hash, sizeof(hash));
	if (e == GH_OK && show)
		printf("%s\n", plain);
	if (show)
		crypto_wipe(plain, sizeof(plain));
	if (e == GH_EEXISTS)
		fprintf(stderr, "gatehousectl: user name or e-mail already taken\n");
	if (e != GH_OK)
		return e == GH_EEXISTS ? CTL_EXISTS : ctl_fail(e, "user add");
	fprintf(stderr, "user %s added (id %lld)\n", a.name, (long long)id);
	return CTL_OK;
}

/* One line of user list: "ID NAME EMAIL STATUS ROLES" ("-" for none). */
static enum gh_err
ctl_print_user(const struct user_row *r, void *arg)
{
	(void)arg;
	printf("%lld %s %s %s %s\n", (long long)r->id, r->username,
	    r->email != NULL ? r->email : "-", r->status, r->roles[0] != '\0' ? r->roles : "-");
	return GH_OK;
}

enum ctl_status
cmd_user_list(struct ctl *c)
{
	enum gh_err e = user_list(c->db, ctl_print_user, NULL);

	return e == GH_OK ? CTL_OK : ctl_fail(e, "user list");
}

enum ctl_status
cmd_user_show(struct ctl *c)
{
	struct user u = {0};
	enum ctl_status st;

	if ((st = ctl_find_user(c, c->argv[1], &u)) != CTL_OK)
		return st;
	printf("id: %lld\nusername: %s\nemail: %s\nstatus: %s\nroles: %s\ncreated_at: %lld\n"
	       "last_login_at: %lld\nfailed_login_attempts: %lld\nlocked_until: %lld\n"
	       "locked: %s\n",
	    (long long)u.id, u.username, u.email ? u.email : "", u.status, u.roles,
	    (long long)u.created_at, (long long)u.last_login_at, (long long)u.failed_login_attempts,
	    (long long)u.locked_until, lockout_is_locked(&u, (int64_t)time(NULL)) ? "yes" : "no");
	user_cleanup(&u);
	return CTL_OK;
}

enum ctl_status
cmd_user_passwd_args(const struct ctl *c)
{
	return c->argc == 2 || strcmp(c->argv[2], "--password-stdin") == 0 ? CTL_OK : CTL_USAGE;
}

enum ctl_status
cmd_user_passwd(struct ctl *c)
{
	const char *how = c->argc == 3 ? "stdin" : "prompt";
	char hash[PASSWORD_HASH_MAX];
	struct user u = {0};
	enum ctl_status st;
	enum gh_err e;

	if ((st = ctl_find_user(c, c->argv[1], &u)) != CTL_OK)
		return st;
	st = ctl_hash_new_password(c, how, hash, NULL);
	if (st == CTL_OK) {
		e = account_set_password(c->db, u.id, hash, ctl_actor(c));
		st = e == GH_OK ? CTL_OK : ctl_fail(e, "user passwd");
	}
	crypto_wipe(hash, sizeof(hash));
	user_cleanup(&u);
	return st;
}

static enum ctl_status
ctl_user_set_status(struct ctl *c, const char *name, bool active)
{
	struct user u = {0};
	enum ctl_status st;
	enum gh_err e;

	if ((st = ctl_find_user(c, name, &u)) != CTL_OK)
		return st;
	/* A disabled user's sessions end now, not at their timeout. */
	e = active ? account_enable(c->db, u.id, ctl_actor(c))
	           : account_disable(c->db, u.id, ctl_actor(c));
	user_cleanup(&u);
	return e == GH_OK ? CTL_OK : ctl_fail(e, "user status");
}

enum ctl_status
cmd_user_disable(struct ctl *c)
{
	return ctl_user_set_status(c, c->argv[1], false);
}

enum ctl_status
cmd_user_enable(struct ctl *c)
{
	return ctl_user_set_status(c, c->argv[1], true);
}

/* user unlock: the one place an account's lockout is ended by hand. */
enum ctl_status
cmd_user_unlock(struct ctl *c)
{
	struct user u = {0};
	enum ctl_status st;
	enum gh_err e;

	if ((st = ctl_find_user(c, c->argv[1], &u)) != CTL_OK)
		return st;
	e = account_unlock(c->db, u.id, ctl_actor(c));
	if (e == GH_OK)
		fprintf(stderr, "user %s unlocked (%lld failures before)\n", u.username,
		    (long long)u.failed_login_attempts);
	user_cleanup(&u);
	return e == GH_OK ? CTL_OK : ctl_fail(e, "user unlock");
}

enum ctl_status
cmd_user_sync_args(const struct ctl *c)
{
	return c->argc == 1 || strcmp(c->argv[1], "--dry-run") == 0 ? CTL_OK : CTL_USAGE;
}

/* user sync: disables the shadow rows of users gone from the external store
 * or inactive there (extuser_sync).  An unreachable store changes nothing. */
enum ctl_status
cmd_user_sync(struct ctl *c)
{
	struct extuser_sync_stats stats;
	struct db *users = NULL;
	bool dry_run = c->argc == 2;
	enum gh_err e;

	e = db_open(c->cfg.users_url, c->cfg.users_password, c->cfg.db_busy_timeout_ms, &users);
	if (e != GH_OK) {
		fprintf(stderr,
		    "gatehousectl: user sync: %s: [users] url: cannot connect to %s: %s; "
		    "nobody disabled\n",
		    c->cfg.path, c->cfg.users_url, gh_strerror(e));
		return CTL_FAIL;
	}
	e = extuser_sync(c->db, users, &c->cfg, ctl_actor(c), dry_run, stdout, &stats);
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

enum ctl_status
cmd_user_roles(struct ctl *c)
{
	struct user u = {0};
	enum ctl_status st;
	enum gh_err e;

	if ((st = ctl_find_user(c, c->argv[1], &u)) != CTL_OK)
		return st;
	/* A privilege change ends the user's sessions (they log in again). */
	e = account_set_roles(c->db, u.id, c->argv[2], ctl_actor(c));
	user_cleanup(&u);
	if (e == GH_ENOTFOUND)
		fprintf(stderr, "gatehousectl: unknown role in %s\n", c->argv[2]);
	return e == GH_OK ? CTL_OK : e == GH_ENOTFOUND ? CTL_NOTFOUND : ctl_fail(e, "user roles");
}
