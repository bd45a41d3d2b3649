/*
 * ctl_role.c: gatehousectl role add and role list.
 */

#include <stdio.h>

#include "ctl.h"

enum ctl_status
cmd_role_add_args(const struct ctl *c)
{
	if (!role_valid_name(c->argv[1])) {
		fprintf(stderr, "gatehousectl: invalid role name (1-64 of letters, digits, _ -)\n");
		return CTL_USAGE;
	}
	return CTL_OK;
}

enum ctl_status
cmd_role_add(struct ctl *c)
{
	enum gh_err e = role_add(c->db, c->argv[1], c->argc == 3 ? c->argv[2] : "");

	if (e == GH_EEXISTS)
		fprintf(stderr, "gatehousectl: role %s already exists\n", c->argv[1]);
	return e == GH_OK ? CTL_OK : e == GH_EEXISTS ? CTL_EXISTS : ctl_fail(e, "role add");
}

/* One line of role list: "NAME DESCRIPTION". */
static enum gh_err
ctl_print_role(const struct role_row *r, void *arg)
{
	(void)arg;
	printf("%s%s%s\n", r->name, r->description[0] != '\0' ? " " : "", r->description);
	return GH_OK;
}

enum ctl_status
cmd_role_list(struct ctl *c)
{
	enum gh_err e = role_list(c->db, ctl_print_role, NULL);

	return e == GH_OK ? CTL_OK : ctl_fail(e, "role list");
}
