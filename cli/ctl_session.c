/*
 * ctl_session.c: gatehousectl session list and session revoke (through
 * account.h, which records the revocation in the audit trail).
 */
#include <stdio.h>
#include <string.h>

#include "account.h"
#include "ctl.h"
#include "session.h"

/* One line of session list: "ID USER created=T seen=T expires=T METHOD IP". */
static enum gh_err
ctl_print_session(const struct session_row *r, void *arg)
{
	(void)arg;
	printf("%s %s created=%lld seen=%lld expires=%lld %s %s\n", r->id, r->username,
	    (long long)r->created_at, (long long)r->last_seen_at, (long long)r->expires_at,
	    r->auth_method, r->ip);
	return GH_OK;
}

enum ctl_status
cmd_session_list(struct ctl *c)
{
	enum gh_err e =
	    session_list(c->db, c->argc == 2 ? c->argv[1] : "", ctl_print_session, NULL);

	return e == GH_OK ? CTL_OK : ctl_fail(e, "session list");
}

enum ctl_status
cmd_session_revoke_args(const struct ctl *c)
{
	if (c->argc == 3)
		return strcmp(c->argv[1], "--user") == 0 ? CTL_OK : CTL_USAGE;
	return strcmp(c->argv[1], "--user") == 0 ? CTL_USAGE : CTL_OK;
}

enum ctl_status
cmd_session_revoke(struct ctl *c)
{
	enum ctl_status st;
	int64_t n = 0;
	enum gh_err e;

	if (c->argc == 3) {
		struct user u = {0};
		if ((st = ctl_find_user(c, c->argv[2], &u)) != CTL_OK)
			return st;
		e = account_revoke_sessions(c->db, u.id, ctl_actor(c), &n);
		user_cleanup(&u);
		if (e == GH_OK)
			fprintf(stderr, "%lld sessions revoked\n", (long long)n);
	} else {
		e = account_revoke_session(c->db, c->argv[1], ctl_actor(c));
		if (e == GH_ENOTFOUND) {
			fprintf(
			    stderr, "gatehousectl: no live session has the id %s\n", c->argv[1]);
			return CTL_NOTFOUND;
		}
	}
	return e == GH_OK ? CTL_OK : ctl_fail(e, "session revoke");
}
