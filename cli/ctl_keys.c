/*
 * ctl_keys.c: gatehousectl keys generate, rotate, list, retire and
 * publish: Gatehouse's own signing keys, one file each in [sso] keys_dir
 * (signkey.h).  They need no database.  Every change writes the public
 * keys file ([sso] public_keys_file) anew, which gatehouse-check reads
 * instead of the folder.  gatehouse-sso and gatehouse-check read the keys
 * when they start, so every change ends with a reminder to restart them;
 * no key material is ever printed.
 *
 * The files are left owned by whoever ran the command: run it as the
 * account gatehouse-sso runs as, or chown the folder after (a note says so
 * when root ran it).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "signkey.h"

#define CTL_KEYS_ERR_MAX 1024

/* The algorithm named by s ("ES256", "RS256"); false for another. */
static bool
ctl_keys_alg_parse(const char *s, enum signkey_alg *alg)
{
	if (strcmp(s, "ES256") == 0)
		*alg = SIGNKEY_ES256;
	else if (strcmp(s, "RS256") == 0)
		*alg = SIGNKEY_RS256;
	else
		return false;
	return true;
}

/* The --alg of keys generate and rotate: true and *alg when given, false
 * when not (argc 1). */
static bool
ctl_keys_alg(const struct ctl *c, enum signkey_alg *alg)
{
	return c->argc == 3 && ctl_keys_alg_parse(c->argv[2], alg);
}

enum ctl_status
cmd_keys_alg_args(const struct ctl *c)
{
	enum signkey_alg alg;

	if (c->argc == 1)
		return CTL_OK;
	if (c->argc != 3 || strcmp(c->argv[1], "--alg") != 0)
		return CTL_USAGE;
	if (!ctl_keys_alg_parse(c->argv[2], &alg)) {
		fprintf(
		    stderr, "gatehousectl: unknown algorithm %s (ES256 or RS256)\n", c->argv[2]);
		return CTL_USAGE;
	}
	return CTL_OK;
}

/* Loads [sso] keys_dir into set as gatehouse-sso would now; the status of
 * signkey_load (GH_ENOTFOUND for no key), its message in err. */
static enum gh_err
ctl_keys_load(struct ctl *c, struct signkey_set *set, char err[CTL_KEYS_ERR_MAX])
{
	return signkey_load(c->cfg.sso_keys_dir, (int64_t)time(NULL), signkey_lifetime(&c->cfg),
	    set, err, CTL_KEYS_ERR_MAX);
}

/* The reminder after every change. */
static void
ctl_keys_restart_note(const char *why)
{
	printf("restart gatehouse-sso and gatehouse-check %s: they read the keys when they "
	       "start\n",
	    why);
}

/* Writes [sso] public_keys_file for the keys of the folder now, and says
 * so; what: the command, for messages. */
static enum ctl_status
ctl_keys_publish(struct ctl *c, const char *what)
{
	const char *path = c->cfg.sso_public_keys_file;
	char err[CTL_KEYS_ERR_MAX];
	struct signkey_set set;
	size_t n = 0;
	enum gh_err e = ctl_keys_load(c, &set, err);

	if (e != GH_OK && e != GH_ENOTFOUND) {
		fprintf(stderr, "gatehousectl: %s: %s\n", what, err);
		return CTL_FAIL;
	}
	e = signkey_publish(path, &set, err, sizeof(err));
	for (size_t i = 0; i < set.nkeys; i++)
		n += signkey_published(&set.keys[i]);
	signkey_cleanup(&set);
	if (e != GH_OK) {
		fprintf(stderr, "gatehousectl: %s: %s\n", what, err);
		return CTL_FAIL;
	}
	printf("public keys file %s written: %zu key%s\n", path, n, n == 1 ? "" : "s");
	return CTL_OK;
}

/* Makes the new active key of alg, then loads the folder back (as
 * gatehouse-sso will) and reports; what: "keys generate" or "keys rotate". */
static enum ctl_status
ctl_keys_make(struct ctl *c, enum signkey_alg alg, const char *what)
{
	const char *dir = c->cfg.sso_keys_dir;
	char kid[SIGNKEY_KID_MAX + 1], err[CTL_KEYS_ERR_MAX];
	struct signkey_set set;
	const struct signkey *k;
	enum gh_err e;

	e = signkey_generate(dir, alg, (int64_t)time(NULL), kid, err, sizeof(err));
	if (e == GH_EEXISTS) {
		fprintf(stderr, "gatehousectl: %s: %s; try again in a second\n", what, err);
		return CTL_EXISTS;
	}
	if (e != GH_OK) {
		fprintf(stderr, "gatehousectl: %s: %s\n", what, err);
		return CTL_FAIL;
	}
	printf("key %s (%s) written to %s/%s.pem: the active key\n", kid, signkey_alg_name(alg),
	    dir, kid);
	if ((e = ctl_keys_load(c, &set, err)) != GH_OK) {
		fprintf(stderr, "gatehousectl: %s: the folder does not load back: %s\n", what, err);
		return CTL_FAIL;
	}
	k = signkey_active(&set);
	if (strcmp(k->kid, kid) != 0) {
		fprintf(
		    stderr, "gatehousectl: %s: %s is not the newest key of %s\n", what, kid, dir);
		signkey_cleanup(&set);
		return CTL_FAIL;
	}
	for (size_t i = 1; i < set.nkeys && set.keys[i].state == SIGNKEY_ROTATED; i++) {
		char until[CTL_TIME_MAX];
		ctl_iso_time(set.keys[i].published_until, until);
		printf("key %s rotated: published until %s\n", set.keys[i].kid, until);
	}
	signkey_cleanup(&set);
	if (geteuid() == 0)
		fprintf(stderr,
		    "gatehousectl: note: %s/%s.pem belongs to root: chown the folder and its keys "
		    "to "
		    "the account gatehouse-sso runs as\n",
		    dir, kid);
	if (ctl_keys_publish(c, what) != CTL_OK)
		return CTL_FAIL;
	ctl_keys_restart_note("now to sign with it");
	return CTL_OK;
}

enum ctl_status
cmd_keys_generate(struct ctl *c)
{
	enum signkey_alg alg = SIGNKEY_ES256;
	char err[CTL_KEYS_ERR_MAX];
	struct signkey_set set;
	enum gh_err e;

	(void)ctl_keys_alg(c, &alg);
	e = ctl_keys_load(c, &set, err);
	if (e == GH_OK) {
		fprintf(stderr,
		    "gatehousectl: keys generate: %s has a key already (%s, active): use keys "
		    "rotate\n",
		    c->cfg.sso_keys_dir, signkey_active(&set)->kid);
		signkey_cleanup(&set);
		return CTL_EXISTS;
	}
	if (e != GH_ENOTFOUND) {
		fprintf(stderr, "gatehousectl: keys generate: %s\n", err);
		return CTL_FAIL;
	}
	return ctl_keys_make(c, alg, "keys generate");
}

enum ctl_status
cmd_keys_rotate(struct ctl *c)
{
	char err[CTL_KEYS_ERR_MAX];
	struct signkey_set set;
	enum signkey_alg alg;
	enum gh_err e;

	e = ctl_keys_load(c, &set, err);
	if (e == GH_ENOTFOUND) {
		fprintf(stderr,
		    "gatehousectl: keys rotate: %s has no key to rotate: use keys generate\n",
		    c->cfg.sso_keys_dir);
		return CTL_NOTFOUND;
	}
	if (e != GH_OK) {
		fprintf(stderr, "gatehousectl: keys rotate: %s\n", err);
		return CTL_FAIL;
	}
	/* Without --alg, the algorithm of the active key: the partners take it. */
	alg = signkey_active(&set)->alg;
	signkey_cleanup(&set);
	(void)ctl_keys_alg(c, &alg);
	return ctl_keys_make(c, alg, "keys rotate");
}

enum ctl_status
cmd_keys_list(struct ctl *c)
{
	char err[CTL_KEYS_ERR_MAX], created[CTL_TIME_MAX], until[CTL_TIME_MAX];
	struct signkey_set set;
	enum gh_err e = ctl_keys_load(c, &set, err);

	if (e != GH_OK) {
		fprintf(stderr, "gatehousectl: keys list: %s\n", err);
		return e == GH_ENOTFOUND ? CTL_NOTFOUND : CTL_FAIL;
	}
	for (size_t i = 0; i < set.nkeys; i++) {
		const struct signkey *k = &set.keys[i];
		ctl_iso_time(k->created_at, created);
		if (k->state == SIGNKEY_ACTIVE)
			snprintf(until, sizeof(until), "-");
		else
			ctl_iso_time(k->published_until, until);
		printf("%s %s %s %s %s\n", k->kid, signkey_alg_name(k->alg),
		    signkey_state_name(k->state), created, until);
	}
	signkey_cleanup(&set);
	return CTL_OK;
}

/* The KID of keys retire, and whether --force is given, in either order. */
static const char *
ctl_keys_retire_kid(const struct ctl *c, bool *force)
{
	const char *kid = NULL;

	*force = false;
	for (int i = 1; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--force") == 0 && !*force)
			*force = true;
		else if (c->argv[i][0] != '-' && kid == NULL)
			kid = c->argv[i];
		else
			return NULL;
	}
	return kid;
}

enum ctl_status
cmd_keys_retire_args(const struct ctl *c)
{
	bool force;
	const char *kid = ctl_keys_retire_kid(c, &force);

	if (kid == NULL)
		return CTL_USAGE;
	if (!signkey_kid_valid(kid)) {
		fprintf(stderr,
		    "gatehousectl: not a key id: %s (YYYYMMDDTHHMMSSZ-xxxxxxxx, as keys list "
		    "prints)\n",
		    kid);
		return CTL_USAGE;
	}
	return CTL_OK;
}

enum ctl_status
cmd_keys_retire(struct ctl *c)
{
	char err[CTL_KEYS_ERR_MAX];
	bool force;
	const char *kid = ctl_keys_retire_kid(c, &force);
	enum gh_err e = signkey_retire(c->cfg.sso_keys_dir, kid, (int64_t)time(NULL),
	    signkey_lifetime(&c->cfg), force, err, sizeof(err));

	if (e != GH_OK) {
		fprintf(stderr, "gatehousectl: keys retire: %s\n", err);
		return e == GH_ENOTFOUND ? CTL_NOTFOUND : CTL_FAIL;
	}
	printf("key %s retired: %s/%s.pem removed\n", kid, c->cfg.sso_keys_dir, kid);
	if (ctl_keys_publish(c, "keys retire") != CTL_OK)
		return CTL_FAIL;
	ctl_keys_restart_note("so that they no longer take it");
	return CTL_OK;
}

enum ctl_status
cmd_keys_publish(struct ctl *c)
{
	enum ctl_status st = ctl_keys_publish(c, "keys publish");

	if (st == CTL_OK)
		ctl_keys_restart_note("if the keys changed");
	return st;
}
