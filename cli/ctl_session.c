/*
 * ctl_session.c: gatehousectl session list and session revoke.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "session.h"

enum ctl_status
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

enum ctl_status
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
