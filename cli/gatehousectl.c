/*
 * gatehousectl: the administrator's command line.
 *
 * Each command is one function, in the ctl_*.c file of its group, and one
 * entry in the table below, which also says how many arguments it takes
 * and what it needs (enum ctl_need).  main counts the arguments, lets the
 * command check them further (its cmd_*_args), and only then provides
 * what it needs: a usage error found there opens nothing, and a command
 * starts with the database in hand.  Exit statuses are part of the interface (scripts
 * rely on them): 0 success, 1 failure (database, configuration),
 * 2 usage, 3 not found, 4 already exists, 5 refused by the password policy.
 * Passwords are read from the terminal or from standard input, never from
 * the command line, where any user could see them in ps.
 */
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "log.h"

/* What a command needs, provided by ctl_provide in this order once its
 * arguments are checked; the command itself does none of it. */
enum ctl_need {
	/* [users] source = external, or a usage error (user sync). */
	CTL_NEEDS_EXTERNAL = 1 << 0,
	/* The folder of a SQLite database, made when missing (init). */
	CTL_NEEDS_DB_FOLDER = 1 << 1,
	/* [database] url opened into c->db. */
	CTL_NEEDS_DB = 1 << 2,
};

/* A command: its words, how many arguments follow them (args: least and
 * most), its own check of them (may be NULL), what it needs, the function
 * that runs it and its usage line. */
struct ctl_command {
	const char *word1, *word2;
	int args[2];
	enum ctl_status (*check)(const struct ctl *);
	unsigned needs;
	enum ctl_status (*run)(struct ctl *);
	const char *usage;
};

#define CTL_ARGS_ANY INT_MAX /* args[1]: the command counts them itself */

static const struct ctl_command ctl_commands[] = {
    {"init", NULL, .args = {0, 0}, .needs = CTL_NEEDS_DB_FOLDER | CTL_NEEDS_DB, .run = cmd_init,
        .usage = "init"},
    {"migrate", "up", .args = {0, 0}, .needs = CTL_NEEDS_DB, .run = cmd_migrate_up,
        .usage = "migrate up"},
    {"migrate", "down", .args = {0, 1}, .check = cmd_migrate_down_args, .needs = CTL_NEEDS_DB,
        .run = cmd_migrate_down, .usage = "migrate down [N]"},
    {"migrate", "status", .args = {0, 0}, .needs = CTL_NEEDS_DB, .run = cmd_migrate_status,
        .usage = "migrate status"},
    {"user", "add", .args = {1, CTL_ARGS_ANY}, .check = cmd_user_add_args, .needs = CTL_NEEDS_DB,
        .run = cmd_user_add,
        .usage = "user add NAME [--email E] [--role R]... [--password-stdin | "
                 "--random-password]"},
    {"user", "list", .args = {0, 0}, .needs = CTL_NEEDS_DB, .run = cmd_user_list,
        .usage = "user list"},
    {"user", "show", .args = {1, 1}, .needs = CTL_NEEDS_DB, .run = cmd_user_show,
        .usage = "user show NAME"},
    {"user", "passwd", .args = {1, 2}, .check = cmd_user_passwd_args, .needs = CTL_NEEDS_DB,
        .run = cmd_user_passwd, .usage = "user passwd NAME [--password-stdin]"},
    {"user", "disable", .args = {1, 1}, .needs = CTL_NEEDS_DB, .run = cmd_user_disable,
        .usage = "user disable NAME"},
    {"user", "enable", .args = {1, 1}, .needs = CTL_NEEDS_DB, .run = cmd_user_enable,
        .usage = "user enable NAME"},
    {"user", "unlock", .args = {1, 1}, .needs = CTL_NEEDS_DB, .run = cmd_user_unlock,
        .usage = "user unlock NAME"},
    {"user", "roles", .args = {2, 2}, .needs = CTL_NEEDS_DB, .run = cmd_user_roles,
        .usage = "user roles NAME ROLE[,ROLE...]"},
    {"user", "sync", .args = {0, 1}, .check = cmd_user_sync_args,
        .needs = CTL_NEEDS_EXTERNAL | CTL_NEEDS_DB, .run = cmd_user_sync,
        .usage = "user sync [--dry-run]"},
    {"role", "add", .args = {1, 2}, .check = cmd_role_add_args, .needs = CTL_NEEDS_DB,
        .run = cmd_role_add, .usage = "role add NAME [DESCRIPTION]"},
    {"role", "list", .args = {0, 0}, .needs = CTL_NEEDS_DB, .run = cmd_role_list,
        .usage = "role list"},
    {"session", "list", .args = {0, 1}, .needs = CTL_NEEDS_DB, .run = cmd_session_list,
        .usage = "session list [NAME]"},
    {"session", "revoke", .args = {1, 2}, .check = cmd_session_revoke_args, .needs = CTL_NEEDS_DB,
        .run = cmd_session_revoke, .usage = "session revoke ID | --user NAME"},
    {"token", "add", .args = {1, CTL_ARGS_ANY}, .check = cmd_token_add_args, .needs = CTL_NEEDS_DB,
        .run = cmd_token_add,
        .usage = "token add USER --name N [--expires DURATION|never] [--role R]..."},
    {"token", "list", .args = {0, 1}, .needs = CTL_NEEDS_DB, .run = cmd_token_list,
        .usage = "token list [USER]"},
    {"token", "revoke", .args = {1, 2}, .check = cmd_token_revoke_args, .needs = CTL_NEEDS_DB,
        .run = cmd_token_revoke, .usage = "token revoke HANDLE | --user USER"},
    {"purge", NULL, .args = {0, 2}, .check = cmd_purge_args, .needs = CTL_NEEDS_DB,
        .run = cmd_purge, .usage = "purge [--keep SECONDS]"},
    {"audit", "list", .args = {0, CTL_ARGS_ANY}, .check = cmd_audit_list_args,
        .needs = CTL_NEEDS_DB, .run = cmd_audit_list,
        .usage = "audit list [--user NAME] [--event E] [--since T] [--until T] "
                 "[--result success|failure] [--format table|csv|json]"},
    {"backup", NULL, .args = {1, 1}, .check = cmd_backup_args, .needs = CTL_NEEDS_DB,
        .run = cmd_backup, .usage = "backup FILE"},
    /* Gatehouse's signing keys ([sso] keys_dir): no database. */
    {"keys", "generate", .args = {0, 2}, .check = cmd_keys_alg_args, .run = cmd_keys_generate,
        .usage = "keys generate [--alg ES256|RS256]"},
    {"keys", "rotate", .args = {0, 2}, .check = cmd_keys_alg_args, .run = cmd_keys_rotate,
        .usage = "keys rotate [--alg ES256|RS256]"},
    {"keys", "list", .args = {0, 0}, .run = cmd_keys_list, .usage = "keys list"},
    {"keys", "retire", .args = {1, 2}, .check = cmd_keys_retire_args, .run = cmd_keys_retire,
        .usage = "keys retire KID [--force]"},
    {"keys", "publish", .args = {0, 0}, .run = cmd_keys_publish, .usage = "keys publish"},
    /* No needs: it opens the database itself, to report on it. */
    {"check", NULL, .args = {0, 0}, .run = cmd_check, .usage = "check"},
};

/* Provides what cmd needs (enum ctl_need, in its order) into c, with the
 * message of the first that fails; CTL_OK or its exit status. */
static enum ctl_status
ctl_provide(struct ctl *c, const struct ctl_command *cmd)
{
	const char *path;

	if ((cmd->needs & CTL_NEEDS_EXTERNAL) && c->cfg.users_source != CONFIG_USERS_EXTERNAL) {
		fprintf(stderr, "gatehousectl: %s%s%s: %s: [users] source is not external\n",
		    cmd->word1, cmd->word2 != NULL ? " " : "", cmd->word2 != NULL ? cmd->word2 : "",
		    c->cfg.path);
		return CTL_USAGE;
	}
	if ((cmd->needs & CTL_NEEDS_DB_FOLDER) && (path = ctl_sqlite_path(c->cfg.db_url)) != NULL &&
	    ctl_mkdirs_for(path) != 0) {
		fprintf(stderr, "gatehousectl: cannot create the folder of %s: %s\n", path,
		    strerror(errno));
		return CTL_FAIL;
	}
	if (cmd->needs & CTL_NEEDS_DB)
		return ctl_open_db(c);
	return CTL_OK;
}

/* Runs cmd on c->argv: its arguments counted and checked, then what it
 * needs provided. */
static enum ctl_status
ctl_run(struct ctl *c, const struct ctl_command *cmd)
{
	enum ctl_status st;

	if (c->argc - 1 < cmd->args[0] || c->argc - 1 > cmd->args[1])
		return CTL_USAGE;
	if (cmd->check != NULL && (st = cmd->check(c)) != CTL_OK)
		return st;
	if ((st = ctl_provide(c, cmd)) != CTL_OK)
		return st;
	return cmd->run(c);
}

static void
ctl_usage(FILE *out)
{
	fprintf(out, "usage: gatehousectl [--config FILE] COMMAND\ncommands:\n");
	for (size_t i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++)
		fprintf(out, "  %s\n", ctl_commands[i].usage);
}

/* The usage of the commands whose first word is word (a group without its
 * second word, "migrate"), or of all when none has it. */
static void
ctl_group_usage(const char *word)
{
	bool any = false;

	for (size_t i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++) {
		if (strcmp(ctl_commands[i].word1, word) != 0)
			continue;
		fprintf(stderr, "usage: gatehousectl %s\n", ctl_commands[i].usage);
		any = true;
	}
	if (!any)
		ctl_usage(stderr);
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
		c.argc = argc - i - skip;
		c.argv = argv + i + skip;
		st = ctl_run(&c, cmd);
		if (st == CTL_USAGE)
			fprintf(stderr, "usage: gatehousectl %s\n", cmd->usage);
		db_close(c.db);
		config_cleanup(&c.cfg);
		return st;
	}
	ctl_group_usage(argv[i]);
	return CTL_USAGE;
}
