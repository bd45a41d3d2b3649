/*
 * gatehousectl: the administrator's command line.
 *
 * Each command is one function, in the ctl_*.c file of its group, and one
 * line in the table below.  Exit statuses are part of the interface
 * (scripts rely on them): 0 success, 1 failure (database, configuration),
 * 2 usage, 3 not found, 4 already exists, 5 refused by the password policy.
 * Passwords are read from the terminal or from standard input, never from
 * the command line, where any user could see them in ps.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "log.h"

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

