/*
 * ctl_db.c: gatehousectl init, migrate, purge, backup and check: the database
 * as a whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "ctl.h"
#include "extuser.h"
#include "jwt_access.h"
#include "migrate.h"
#include "partner.h"
#include "refresh.h"
#include "session.h"
#include "signkey.h"
#include "throttle.h"

enum ctl_status
cmd_init(struct ctl *c)
{
	int applied = 0;

	enum gh_err e = migrate_up(c->db, c->cfg.sql_dir, stdout, &applied);
	if (e != GH_OK)
		return ctl_fail(e, "migrate up");
	printf("database ready (%d migrations applied)\n", applied);
	return CTL_OK;
}

enum ctl_status
cmd_migrate_up(struct ctl *c)
{
	enum gh_err e = migrate_up(c->db, c->cfg.sql_dir, stdout, NULL);

	return e == GH_OK ? CTL_OK : ctl_fail(e, "migrate");
}

enum ctl_status
cmd_migrate_down_args(const struct ctl *c)
{
	return c->argc == 2 && atoi(c->argv[1]) < 1 ? CTL_USAGE : CTL_OK;
}

enum ctl_status
cmd_migrate_down(struct ctl *c)
{
	enum gh_err e =
	    migrate_down(c->db, c->cfg.sql_dir, c->argc == 2 ? atoi(c->argv[1]) : 1, stdout);

	return e == GH_OK ? CTL_OK : ctl_fail(e, "migrate");
}

/* Fails (status 1) when a migration is pending, for scripts. */
enum ctl_status
cmd_migrate_status(struct ctl *c)
{
	int pending = 0;
	enum gh_err e = migrate_status(c->db, c->cfg.sql_dir, stdout, &pending);

	if (e != GH_OK)
		return ctl_fail(e, "migrate");
	return pending > 0 ? CTL_FAIL : CTL_OK;
}

enum ctl_status
cmd_purge_args(const struct ctl *c)
{
	if (c->argc == 3 && strcmp(c->argv[1], "--keep") == 0)
		return atoll(c->argv[2]) < 0 ? CTL_USAGE : CTL_OK;
	return c->argc == 1 ? CTL_OK : CTL_USAGE;
}

/* The audit rows older than [audit] retention (0: kept for ever). */
static enum ctl_status
ctl_purge_audit(struct ctl *c)
{
	int64_t deleted = 0;
	enum gh_err e;

	if (c->cfg.audit_retention == 0)
		return CTL_OK;
	e = audit_purge(c->db, (int64_t)time(NULL) - c->cfg.audit_retention, &deleted);
	if (e != GH_OK)
		return ctl_fail(e, "purge: audit entries");
	printf("%lld audit entries purged\n", (long long)deleted);
	return CTL_OK;
}

enum ctl_status
cmd_purge(struct ctl *c)
{
	int64_t keep = c->argc == 3 ? atoll(c->argv[2]) : 0, deleted = 0;
	enum gh_err e;

	e = session_purge(c->db, keep, &deleted);
	if (e != GH_OK)
		return ctl_fail(e, "purge");
	printf("%lld sessions purged\n", (long long)deleted);
	e = throttle_purge(c->db, &c->cfg, (int64_t)time(NULL), &deleted);
	if (e != GH_OK)
		return ctl_fail(e, "purge");
	printf("%lld throttle rows purged\n", (long long)deleted);
	e = partner_jti_purge(c->db, (int64_t)time(NULL), &deleted);
	if (e != GH_OK)
		return ctl_fail(e, "purge");
	printf("%lld single sign-on jti records purged\n", (long long)deleted);
	e = refresh_purge(c->db, (int64_t)time(NULL), keep, &deleted);
	if (e != GH_OK)
		return ctl_fail(e, "purge");
	printf("%lld refresh tokens purged\n", (long long)deleted);
	e = jwt_access_purge(c->db, (int64_t)time(NULL), &deleted);
	if (e != GH_OK)
		return ctl_fail(e, "purge");
	printf("%lld revoked access token records purged\n", (long long)deleted);
	return ctl_purge_audit(c);
}

/* With [users] source = external: connect and run the lookup once. */
static enum ctl_status
ctl_check_user_store(struct ctl *c)
{
	struct db *users;
	enum gh_err e;

	if (c->cfg.users_source != CONFIG_USERS_EXTERNAL)
		return CTL_OK;
	e = db_open(c->cfg.users_url, c->cfg.users_password, c->cfg.db_busy_timeout_ms, &users);
	if (e != GH_OK) {
		printf("%s: [users] url: cannot connect to %s: %s\n", c->cfg.path, c->cfg.users_url,
		    gh_strerror(e));
		return CTL_FAIL;
	}
	e = extuser_probe(users, &c->cfg, stdout);
	db_close(users);
	return e == GH_OK ? CTL_OK : CTL_FAIL;
}

enum ctl_status
cmd_backup_args(const struct ctl *c)
{
	if (ctl_sqlite_path(c->cfg.db_url) == NULL) {
		fprintf(stderr,
		    "gatehousectl: backup copies SQLite databases; for MariaDB/MySQL use "
		    "mysqldump --single-transaction, for PostgreSQL pg_dump -Fc\n");
		return CTL_USAGE;
	}
	return CTL_OK;
}

enum ctl_status
cmd_backup(struct ctl *c)
{
	enum gh_err e = db_backup(c->db, c->argv[1]);

	if (e == GH_EEXISTS)
		fprintf(stderr, "gatehousectl: %s exists already\n", c->argv[1]);
	else if (e == GH_OK)
		printf("backup written to %s\n", c->argv[1]);
	return e == GH_OK ? CTL_OK : e == GH_EEXISTS ? CTL_EXISTS : ctl_fail(e, "backup");
}

/* ctl_check_sso reads what gatehouse-sso reads at start: the partners'
 * key files and, when a partner is sent tokens, Gatehouse's signing keys. */
static enum ctl_status
ctl_check_sso(struct ctl *c)
{
	char err[1024];
	struct partner_set partners;
	struct signkey_set keys;
	bool outbound = false;
	enum gh_err e;

	if (c->cfg.npartners == 0)
		return CTL_OK;
	if (partner_load(&c->cfg, &partners, err, sizeof(err)) != GH_OK) {
		printf("%s: %s\n", c->cfg.path, err);
		return CTL_FAIL;
	}
	printf("partners: %zu, key files readable\n", c->cfg.npartners);
	partner_cleanup(&partners);
	for (size_t i = 0; i < c->cfg.npartners; i++)
		outbound = outbound || c->cfg.partners[i].sso_url != NULL;
	if (!outbound)
		return CTL_OK;
	e = signkey_load(c->cfg.sso_keys_dir, (int64_t)time(NULL), signkey_lifetime(&c->cfg), &keys,
	    err, sizeof(err));
	if (e == GH_ENOTFOUND)
		printf("%s: a partner has sso_url, but there is no signing key in %s "
		       "(gatehousectl keys generate)\n",
		    c->cfg.path, c->cfg.sso_keys_dir);
	else if (e != GH_OK)
		printf("%s: [sso] keys_dir: %s\n", c->cfg.path, err);
	else if (c->cfg.sso_issuer == NULL)
		printf("%s: [sso] issuer: needed to sign tokens for partners\n", c->cfg.path);
	else
		printf("signing keys: %zu, active %s\n", keys.nkeys, signkey_active(&keys)->kid);
	signkey_cleanup(&keys);
	return e == GH_OK && c->cfg.sso_issuer != NULL ? CTL_OK : CTL_FAIL;
}

/* ctl_check_public_keys reads what gatehouse-check reads at start, the
 * public keys file, and warns when it is not what the keys folder would
 * publish now (gatehousectl keys publish writes it anew). */
static enum ctl_status
ctl_check_public_keys(struct ctl *c)
{
	const char *path = c->cfg.sso_public_keys_file;
	char err[1024], *want = NULL, *have = NULL;
	struct jwt_access_keys pub;
	struct signkey_set keys;
	size_t len = 0;
	enum gh_err e = jwt_access_keys_load(&c->cfg, &pub, err, sizeof(err));

	if (e != GH_OK) {
		printf("%s: [sso] public_keys_file: %s\n", c->cfg.path, err);
		return CTL_FAIL;
	}
	printf("public keys file %s: %zu keys%s\n", path, pub.es256.nkeys + pub.rs256.nkeys,
	    pub.loaded ? "" : " (the check refuses every access token)");
	jwt_access_keys_cleanup(&pub);
	e = signkey_load(c->cfg.sso_keys_dir, (int64_t)time(NULL), signkey_lifetime(&c->cfg), &keys,
	    err, sizeof(err));
	if ((e == GH_OK || e == GH_ENOTFOUND) && signkey_jwks(&keys, &want) == GH_OK &&
	    (access(path, F_OK) == 0 || keys.nkeys > 0) &&
	    (jwks_read_file(path, &have, &len, err, sizeof(err)) != GH_OK ||
	        strcmp(have, want) != 0))
		printf("warning: %s is not what %s publishes now (run: gatehousectl keys "
		       "publish)\n",
		    path, c->cfg.sso_keys_dir);
	free(want);
	free(have);
	signkey_cleanup(&keys);
	return CTL_OK;
}

enum ctl_status
cmd_check(struct ctl *c)
{
	const char *why;
	enum ctl_status st;
	int pending = 0;

	printf("config %s: ok\n", c->cfg.path);
	if (c->cfg.allow_weak_hashing && config_hashing_is_weak(&c->cfg))
		printf("warning: [login] allow_weak_hashing: hash costs below the minimum, for "
		       "tests only\n");
	if ((why = config_secret_missing(&c->cfg)) != NULL) {
		printf("%s: %s\n", c->cfg.path, why);
		return CTL_FAIL;
	}
	if ((st = ctl_open_db(c)) != CTL_OK)
		return st;
	printf("database %s: reachable\n", c->cfg.db_url);
	enum gh_err e = migrate_status(c->db, c->cfg.sql_dir, NULL, &pending);
	if (e != GH_OK)
		return ctl_fail(e, "migration status");
	if (pending > 0) {
		printf("migrations: %d pending (run: gatehousectl migrate up)\n", pending);
		return CTL_FAIL;
	}
	printf("migrations: up to date\n");
	if ((st = ctl_check_sso(c)) != CTL_OK || (st = ctl_check_public_keys(c)) != CTL_OK)
		return st;
	return ctl_check_user_store(c);
}
