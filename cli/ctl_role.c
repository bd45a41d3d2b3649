/*
 * ctl_role.c: gatehousectl role add and role list.
 */

#include <stdio.h>

#include "ctl.h"

enum ctl_status
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

/* One line of role list: "NAME DESCRIPTION". */
static enum gh_err
ctl_print_role(const struct role_row *r, void *arg)
{
	(void)arg;
	printf("%s%s%s\n", r->name, r->description[0] != '\0' ? " " : "", r->description);
	return GH_OK;
}

enum ctl_status
cmd_role_list(struct ctl *c, int argc, char **argv)
{
	enum ctl_status st;
	enum gh_err e;

	if (argc != 1)
		return CTL_USAGE;
	if ((st = ctl_open_db(c)) != CTL_OK)
		return st;
	e = role_list(c->db, ctl_print_role, NULL);
	return e == GH_OK ? CTL_OK : ctl_fail(e, "role list");
}
