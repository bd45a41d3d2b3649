/*
 * ctl.h: what the files of gatehousectl share: the exit statuses (part of
 * the interface: scripts rely on them), the state of a run, the helpers of
 * ctl.c and the commands, one file per group (ctl_db.c, ctl_user.c,
 * ctl_role.c, ctl_session.c, ctl_token.c, ctl_audit.c, ctl_keys.c), listed
 * in the table of gatehousectl.c.
 */
#ifndef GH_CTL_H
#define GH_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "audit.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "password.h"
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
#define CTL_TIME_MAX 32 /* ctl_iso_time's output, NUL included */

/* A run: the command's words and arguments, and what main provides. */
struct ctl {
	int argc;    /* of argv */
	char **argv; /* argv[0] is the command's last word, its arguments follow */
	struct config cfg;
	struct db *db; /* with CTL_NEEDS_DB (gatehousectl.c), else NULL */
	char by[96];   /* ctl_actor's "gatehousectl:<OS user>" */
	struct audit_actor actor;
};

/* The exit status for error e, and a message "gatehousectl: what: error". */
enum ctl_status ctl_status_of(enum gh_err e);
enum ctl_status ctl_fail(enum gh_err e, const char *what);
/* The path of a sqlite: URL, or NULL for other databases. */
const char *ctl_sqlite_path(const char *url);
/* Creates the folders above path (mode 0750), like mkdir -p of its dirname. */
int ctl_mkdirs_for(const char *path);
/* Opens [database] url into c->db (a message when it cannot); main does it
 * for the commands that need it, check for its report. */
enum ctl_status ctl_open_db(struct ctl *c);
/* Writes t (Unix seconds) as ISO 8601 UTC, "1970-01-01T00:00:00Z" (as a
 * number when it has no such form). */
void ctl_iso_time(int64_t t, char out[CTL_TIME_MAX]);
/* Reads one line, without echo when echo_off, after prompt (may be NULL). */
bool ctl_read_line(FILE *in, bool echo_off, const char *prompt, char *out, size_t outlen);
/* A new password, how: "stdin", "random" or "prompt" (twice on the
 * terminal), checked against the policy (CTL_POLICY when refused). */
enum ctl_status ctl_new_password(struct ctl *c, const char *how, char out[CTL_PASSWORD_MAX]);
/* The same, hashed; the password is copied to plain (may be NULL). */
enum ctl_status ctl_hash_new_password(
    struct ctl *c, const char *how, char hash[PASSWORD_HASH_MAX], char plain[CTL_PASSWORD_MAX]);
/* Looks up user name (a message when there is none: CTL_NOTFOUND). */
enum ctl_status ctl_find_user(struct ctl *c, const char *name, struct user *u);
/* Who runs this command, for the audit trail: by "gatehousectl:<name of
 * the real user id>" (its number when it has no name), no address. */
const struct audit_actor *ctl_actor(struct ctl *c);
/* Checks that every role of the comma-separated list exists. */
enum ctl_status ctl_roles_exist(struct ctl *c, const char *roles);

/* The commands: c->argv[0] is the command's last word, and main has checked
 * how many arguments follow it and provided what the command needs (see
 * the table in gatehousectl.c).  A cmd_*_args function checks the
 * arguments of its command further, before anything is opened: CTL_OK or
 * CTL_USAGE (with a message when the usage line would not say why). */
enum ctl_status cmd_init(struct ctl *c);
enum ctl_status cmd_migrate_up(struct ctl *c);
enum ctl_status cmd_migrate_down_args(const struct ctl *c);
enum ctl_status cmd_migrate_down(struct ctl *c);
enum ctl_status cmd_migrate_status(struct ctl *c);
enum ctl_status cmd_user_add_args(const struct ctl *c);
enum ctl_status cmd_user_add(struct ctl *c);
enum ctl_status cmd_user_list(struct ctl *c);
enum ctl_status cmd_user_show(struct ctl *c);
enum ctl_status cmd_user_passwd_args(const struct ctl *c);
enum ctl_status cmd_user_passwd(struct ctl *c);
enum ctl_status cmd_user_disable(struct ctl *c);
enum ctl_status cmd_user_enable(struct ctl *c);
enum ctl_status cmd_user_unlock(struct ctl *c);
enum ctl_status cmd_user_sync_args(const struct ctl *c);
enum ctl_status cmd_user_sync(struct ctl *c);
enum ctl_status cmd_user_roles(struct ctl *c);
enum ctl_status cmd_role_add_args(const struct ctl *c);
enum ctl_status cmd_role_add(struct ctl *c);
enum ctl_status cmd_role_list(struct ctl *c);
enum ctl_status cmd_session_list(struct ctl *c);
enum ctl_status cmd_session_revoke_args(const struct ctl *c);
enum ctl_status cmd_session_revoke(struct ctl *c);
enum ctl_status cmd_token_add_args(const struct ctl *c);
enum ctl_status cmd_token_add(struct ctl *c);
enum ctl_status cmd_token_list(struct ctl *c);
enum ctl_status cmd_token_revoke_args(const struct ctl *c);
enum ctl_status cmd_token_revoke(struct ctl *c);
enum ctl_status cmd_purge_args(const struct ctl *c);
enum ctl_status cmd_purge(struct ctl *c);
enum ctl_status cmd_backup_args(const struct ctl *c);
enum ctl_status cmd_backup(struct ctl *c);
enum ctl_status cmd_check(struct ctl *c);
enum ctl_status cmd_audit_list_args(const struct ctl *c);
enum ctl_status cmd_audit_list(struct ctl *c);
enum ctl_status cmd_keys_alg_args(const struct ctl *c);
enum ctl_status cmd_keys_generate(struct ctl *c);
enum ctl_status cmd_keys_rotate(struct ctl *c);
enum ctl_status cmd_keys_list(struct ctl *c);
enum ctl_status cmd_keys_retire_args(const struct ctl *c);
enum ctl_status cmd_keys_retire(struct ctl *c);
enum ctl_status cmd_keys_publish(struct ctl *c);

#endif
