/*
 * ctl_token.c: gatehousectl token add, list and revoke: personal access
 * tokens (pat.h).  add prints the token once, alone on its line of
 * standard output (for a script to capture), and everything else on
 * standard error; list never prints a token (there is none to print: only
 * its hash is stored), it shows each by its handle.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "ctl.h"
#include "pat.h"

/* The arguments of token add. */
struct ctl_token_add_args {
	const char *user, *name;
	int64_t lifetime; /* seconds; 0: never expires */
	char roles[PAT_ROLES_MAX + 1];
};

/* Reads the arguments of token add into a: CTL_OK, or CTL_USAGE (with a
 * message when the usage line would not say why). */
static enum ctl_status
ctl_token_add_parse(const struct ctl *c, struct ctl_token_add_args *a)
{
	static const struct option opts[] = {
	    {"name", required_argument, NULL, 'n'},
	    {"expires", required_argument, NULL, 'e'},
	    {"role", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	size_t l;
	int ch, n;

	a->name = NULL;
	a->lifetime = PAT_LIFETIME_DEFAULT;
	a->roles[0] = '\0';
	optind = 0; /* GNU getopt: start over, argv[0] is the command word */
	while ((ch = getopt_long(c->argc, c->argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			a->name = optarg;
			break;
		case 'e':
			if (!pat_parse_lifetime(optarg, &a->lifetime)) {
				fprintf(stderr,
				    "gatehousectl: --expires %s: a number and its unit (s, m, h, "
				    "d, "
				    "w: 90d, 12h), at most 3650d, or never\n",
				    optarg);
				return CTL_USAGE;
			}
			break;
		case 'r':
			if (!role_valid_name(optarg)) {
				fprintf(
				    stderr, "gatehousectl: --role %s: invalid role name\n", optarg);
				return CTL_USAGE;
			}
			l = strlen(a->roles);
			n = snprintf(
			    a->roles + l, sizeof(a->roles) - l, "%s%s", l ? "," : "", optarg);
			if (n < 0 || (size_t)n >= sizeof(a->roles) - l)
				return CTL_USAGE;
			break;
		default:
			return CTL_USAGE;
		}
	}
	if (optind != c->argc - 1 || a->name == NULL)
		return CTL_USAGE;
	a->user = c->argv[optind];
	if (!user_valid_username(a->user)) {
		fprintf(stderr,
		    "gatehousectl: invalid user name (1-64 of letters, digits, . _ @ + -)\n");
		return CTL_USAGE;
	}
	if (!pat_valid_name(a->name)) {
		fprintf(stderr, "gatehousectl: invalid token name (1-64 printable ASCII "
		                "characters, no space first or last)\n");
		return CTL_USAGE;
	}
	return CTL_OK;
}

enum ctl_status
cmd_token_add_args(const struct ctl *c)
{
	struct ctl_token_add_args a;

	return ctl_token_add_parse(c, &a);
}

/* The first role of the comma-separated roles that have lacks (NULL when
 * none), copied into out. */
static const char *
ctl_token_role_lacking(const char *roles, const char *have, char *out, size_t outlen)
{
	const char *s, *e;
	size_t n;

	for (s = roles; *s != '\0'; s = *e == ',' ? e + 1 : e) {
		if ((e = strchr(s, ',')) == NULL)
			e = s + strlen(s);
		n = (size_t)(e - s);
		if (n > 0 && !access_roles_has_n(have, s, n)) {
			snprintf(out, outlen, "%.*s", (int)n, s);
			return out;
		}
	}
	return NULL;
}

enum ctl_status
cmd_token_add(struct ctl *c)
{
	struct ctl_token_add_args a;
	char token[PAT_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1], when[CTL_TIME_MAX];
	char lacking[128];
	struct user u = {0};
	struct pat_new p;
	enum ctl_status st;
	enum gh_err e;

	/* Parsed again: cmd_token_add_args accepted them before the database
	 * was opened. */
	if ((st = ctl_token_add_parse(c, &a)) != CTL_OK)
		return st;
	if ((st = ctl_find_user(c, a.user, &u)) != CTL_OK)
		return st;
	/* Said here by name; pat_create checks it again in its transaction. */
	if (ctl_token_role_lacking(a.roles, u.roles, lacking, sizeof(lacking)) != NULL) {
		fprintf(stderr,
		    "gatehousectl: user %s does not hold the role %s: a token gets only roles "
		    "its user has\n",
		    u.username, lacking);
		user_cleanup(&u);
		return CTL_FAIL;
	}
	p = (struct pat_new){.user_id = u.id,
	    .name = a.name,
	    .roles = a.roles,
	    .expires_at = a.lifetime != 0 ? (int64_t)time(NULL) + a.lifetime : 0};
	e = pat_create(c->db, &p, ctl_actor(c), token, id);
	if (e == GH_OK) {
		printf("%s\n", token);
		fflush(stdout);
		crypto_wipe(token, sizeof(token));
		snprintf(when, sizeof(when), "never");
		if (p.expires_at != 0)
			ctl_iso_time(p.expires_at, when);
		fprintf(stderr,
		    "token %.*s \"%s\" added for %s, expires %s: it is shown only this once and "
		    "cannot be shown again\n",
		    PAT_HANDLE_LEN, id, a.name, u.username, when);
		if (strcmp(u.status, "active") != 0)
			fprintf(stderr,
			    "note: user %s is %s: the token is refused until the user "
			    "is enabled\n",
			    u.username, u.status);
	} else if (e == GH_EEXISTS) {
		fprintf(stderr, "gatehousectl: user %s has a token named \"%s\" already\n",
		    u.username, a.name);
	} else if (e == GH_EDENIED) {
		fprintf(stderr, "gatehousectl: user %s no longer holds every role asked for\n",
		    u.username);
	} else if (e == GH_ENOTFOUND) {
		fprintf(stderr, "gatehousectl: user %s is gone\n", u.username);
	}
	user_cleanup(&u);
	if (e == GH_OK || e == GH_EEXISTS || e == GH_EDENIED || e == GH_ENOTFOUND)
		return ctl_status_of(e);
	return ctl_fail(e, "token add");
}

/* One line of token list: "HANDLE USER STATE created=T expires=T|never
 * used=T|never revoked=T|- roles=R|- name=NAME" (the name last: it may
 * hold spaces). */
static enum gh_err
ctl_print_token(const struct pat_row *r, void *arg)
{
	char created[CTL_TIME_MAX], expires[CTL_TIME_MAX], used[CTL_TIME_MAX];
	char revoked[CTL_TIME_MAX];
	int64_t now = *(const int64_t *)arg;
	const char *state = r->revoked_at != 0                           ? "revoked"
	                    : r->expires_at != 0 && r->expires_at <= now ? "expired"
	                    : !r->user_active                            ? "inactive"
	                                                                 : "active";

	ctl_iso_time(r->created_at, created);
	snprintf(expires, sizeof(expires), "never");
	snprintf(used, sizeof(used), "never");
	snprintf(revoked, sizeof(revoked), "-");
	if (r->expires_at != 0)
		ctl_iso_time(r->expires_at, expires);
	if (r->last_used_at != 0)
		ctl_iso_time(r->last_used_at, used);
	if (r->revoked_at != 0)
		ctl_iso_time(r->revoked_at, revoked);
	printf("%s %s %s created=%s expires=%s used=%s revoked=%s roles=%s name=%s\n", r->handle,
	    r->username, state, created, expires, used, revoked,
	    r->roles[0] != '\0' ? r->roles : "-", r->name);
	return GH_OK;
}

enum ctl_status
cmd_token_list(struct ctl *c)
{
	int64_t now = (int64_t)time(NULL);
	struct user u = {0};
	enum ctl_status st;
	enum gh_err e;

	if (c->argc == 2 && (st = ctl_find_user(c, c->argv[1], &u)) != CTL_OK)
		return st;
	e = pat_list(c->db, u.username, ctl_print_token, &now);
	user_cleanup(&u);
	return e == GH_OK ? CTL_OK : ctl_fail(e, "token list");
}

enum ctl_status
cmd_token_revoke_args(const struct ctl *c)
{
	if (c->argc == 3)
		return strcmp(c->argv[1], "--user") == 0 ? CTL_OK : CTL_USAGE;
	if (strcmp(c->argv[1], "--user") == 0)
		return CTL_USAGE;
	if (!pat_valid_handle(c->argv[1])) {
		fprintf(stderr,
		    "gatehousectl: %s is not a token's handle (12 hex digits, as token list "
		    "shows) nor its id (64)\n",
		    c->argv[1]);
		return CTL_USAGE;
	}
	return CTL_OK;
}

enum ctl_status
cmd_token_revoke(struct ctl *c)
{
	struct user u = {0};
	enum ctl_status st;
	int64_t n = 0;
	enum gh_err e;

	if (c->argc == 3) {
		if ((st = ctl_find_user(c, c->argv[2], &u)) != CTL_OK)
			return st;
		e = pat_revoke_user(c->db, u.id, ctl_actor(c), &n);
		user_cleanup(&u);
		if (e == GH_OK)
			fprintf(stderr, "%lld tokens revoked\n", (long long)n);
		return e == GH_OK ? CTL_OK : ctl_fail(e, "token revoke");
	}
	e = pat_revoke(c->db, c->argv[1], ctl_actor(c), NULL);
	if (e == GH_ENOTFOUND) {
		fprintf(stderr, "gatehousectl: no token not yet revoked has the handle %s\n",
		    c->argv[1]);
		return CTL_NOTFOUND;
	}
	if (e == GH_EINVAL) /* several tokens have it: pat.c said so */
		return CTL_FAIL;
	if (e == GH_OK)
		fprintf(stderr, "token %s revoked\n", c->argv[1]);
	return e == GH_OK ? CTL_OK : ctl_fail(e, "token revoke");
}
