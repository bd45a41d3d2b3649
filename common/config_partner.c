/*
 * config_partner.c: step 3 of loading gatehouse.conf (see config.c) for
 * the "[partner NAME]" sections: each partner's slots parsed into a struct
 * config_partner by the code of the fixed sections (config_set_slot), then
 * the checks that involve two of its keys (the rules are the comments of
 * struct config_partner in config.h and the [partner NAME] part of
 * gatehouse.conf(5)).  An error names the partner's key and the line that
 * set it, or the partner's header line when the key is missing.  The key
 * files a partner names are not read here: gatehouse-sso reads them when
 * it starts.  Also config_partner_find and the partners' cleanup.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_loader.h"

/* The shortest HMAC secret of each HS* algorithm: as long as its hash. */
static const size_t config_hs_secret_min[] = {
    [CONFIG_HS256] = 32, [CONFIG_HS384] = 48, [CONFIG_HS512] = 64};

static bool
config_alg_is_hmac(enum config_alg alg)
{
	return alg == CONFIG_HS256 || alg == CONFIG_HS384 || alg == CONFIG_HS512;
}

/* The index of a partner's key by its name (one of the table's). */
static size_t
config_partner_key_index(const char *name)
{
	bool file_key;

	return (size_t)config_partner_key_find(name, &file_key);
}

/* config_partner_is_set tells whether the file or the environment set key
 * name of partner t (a default does not count). */
static bool
config_partner_is_set(const struct config_partner_text *t, const char *name)
{
	return t->slots[config_partner_key_index(name)].raw != NULL;
}

/*
 * Refuses key name of partner t (NULL: the partner as a whole) with the
 * reason fmt: where it was set, or on t's header line when it was not.
 */
__attribute__((format(printf, 4, 5))) static enum gh_err
config_partner_fail(struct config_loader *l, const struct config_partner_text *t, const char *name,
    const char *fmt, ...)
{
	struct config_origin header = {t->line, ""};
	const struct config_slot *slot = NULL;
	struct config_key k = {.section = t->section, .name = ""};
	char why[512];
	va_list ap;
	size_t i;
	int n;

	if (name != NULL) {
		i = config_partner_key_index(name);
		k = config_partner_key(t, i);
		slot = &t->slots[i];
	}
	va_start(ap, fmt);
	n = vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (n < 0)
		why[0] = '\0';
	if (slot != NULL && slot->raw != NULL)
		return config_fail(l, &k, slot->is_file, &slot->where, "%s", why);
	return config_fail(l, &k, false, &header, "%s", why);
}

/* The keys that verify a partner's tokens, which its algorithm decides. */
static enum gh_err
config_partner_check_alg(
    struct config_loader *l, const struct config_partner_text *t, const struct config_partner *p)
{
	const char *alg =
	    config_partner_keys[config_partner_key_index("algorithm")].choices[p->algorithm];
	size_t min;

	if (config_alg_is_hmac(p->algorithm)) {
		min = config_hs_secret_min[p->algorithm];
		if (p->secret == NULL)
			return config_partner_fail(l, t, "secret",
			    "required by algorithm %s: at least %zu bytes (secret_file "
			    "recommended)",
			    alg, min);
		if (strlen(p->secret) < min)
			return config_partner_fail(
			    l, t, "secret", "must be at least %zu bytes long for %s", min, alg);
		if (p->public_key_file != NULL)
			return config_partner_fail(l, t, "public_key_file",
			    "not used by %s, which verifies with secret: remove it", alg);
		if (p->jwks_file != NULL)
			return config_partner_fail(l, t, "jwks_file",
			    "not used by %s, which verifies with secret: remove it", alg);
		return GH_OK;
	}
	if (p->secret != NULL)
		return config_partner_fail(l, t, "secret",
		    "not used by %s, which verifies with public_key_file or jwks_file: remove it",
		    alg);
	if (p->public_key_file != NULL && p->jwks_file != NULL)
		return config_partner_fail(
		    l, t, "jwks_file", "public_key_file is also set; set one of them only");
	if (p->public_key_file == NULL && p->jwks_file == NULL)
		return config_partner_fail(
		    l, t, "public_key_file", "%s needs public_key_file or jwks_file", alg);
	return GH_OK;
}

/* config_role_map_gives tells whether a "theirs:ours" pair of map (checked
 * already) gives the role ours. */
static bool
config_role_map_gives(const char *map, const char *ours)
{
	const char *p = map, *colon;
	size_t n, m = strlen(ours);

	for (;;) {
		p += strspn(p, " ");
		if (*p == '\0')
			return false;
		n = strcspn(p, " ");
		for (colon = p + n - 1; colon > p && *colon != ':'; colon--)
			;
		if ((size_t)(p + n - colon - 1) == m && memcmp(colon + 1, ours, m) == 0)
			return true;
		p += n;
	}
}

/* config_redirect_allows tells whether target is a path ("/", not "//":
 * checked already) or one of the entries of redirect, or starts with one
 * that ends in "/". */
static bool
config_redirect_allows(const char *redirect, const char *target)
{
	const char *p = redirect;
	size_t n;

	if (target[0] == '/')
		return true;
	for (;;) {
		p += strspn(p, " ");
		if (*p == '\0')
			return false;
		n = strcspn(p, " ");
		if ((strlen(target) == n || p[n - 1] == '/') && strncmp(target, p, n) == 0)
			return true;
		p += n;
	}
}

/* The checks that involve two of partner t's keys, parsed into p. */
static enum gh_err
config_partner_check(
    struct config_loader *l, const struct config_partner_text *t, const struct config_partner *p)
{
	enum gh_err e;

	if (p->issuer == NULL && p->sso_url == NULL)
		return config_partner_fail(l, t, NULL,
		    "sets neither issuer (inbound SSO) nor sso_url (outbound SSO), so it does "
		    "nothing");
	if (p->issuer != NULL && p->audience == NULL)
		return config_partner_fail(l, t, "audience", "required when issuer is set");
	if (p->issuer != NULL && !config_partner_is_set(t, "algorithm"))
		return config_partner_fail(l, t, "algorithm", "required when issuer is set");
	if (config_partner_is_set(t, "algorithm") &&
	    (e = config_partner_check_alg(l, t, p)) != GH_OK)
		return e;
	if (p->role_map != NULL && p->role_claim == NULL)
		return config_partner_fail(
		    l, t, "role_map", "needs role_claim (the claim holding the partner's roles)");
	if (p->role_map != NULL && !p->allow_admin && config_role_map_gives(p->role_map, "admin"))
		return config_partner_fail(l, t, "role_map",
		    "gives the role admin, which needs allow_admin = true in this section");
	if (!config_redirect_allows(p->redirect != NULL ? p->redirect : "", p->default_redirect))
		return config_partner_fail(l, t, "default_redirect",
		    "must be a path starting with a single / or one of the redirect entries (or "
		    "start with one that ends in /)");
	return GH_OK;
}

/* Parses partner t's slots (or the defaults) into p, then checks them. */
static enum gh_err
config_partner_apply(
    struct config_loader *l, const struct config_partner_text *t, struct config_partner *p)
{
	struct config_key k;
	enum gh_err e;
	size_t i;

	if ((p->name = strdup(t->name)) == NULL)
		return config_nomem(l);
	for (i = 0; i < config_partner_nkeys; i++) {
		k = config_partner_key(t, i);
		if ((e = config_set_slot(l, &k, p, &t->slots[i])) != GH_OK)
			return e;
	}
	if (p->out_audience == NULL && (p->out_audience = strdup(t->name)) == NULL)
		return config_nomem(l);
	/* An outbound token is signed by the keys that sign access tokens: its
	 * audience tells them apart (jwt_access.h). */
	const char *own = config_token_audience(l->cfg);
	if (own != NULL && strcmp(p->out_audience, own) == 0)
		return config_partner_fail(l, t, "out_audience",
		    "is the audience of Gatehouse's access tokens ([token] audience or [sso] "
		    "issuer): choose another");
	return config_partner_check(l, t, p);
}

enum gh_err
config_partners_apply(struct config_loader *l)
{
	struct config *cfg = l->cfg;
	enum gh_err e;
	size_t i;

	if (l->npartners == 0)
		return GH_OK;
	if ((cfg->partners = calloc(l->npartners, sizeof(*cfg->partners))) == NULL)
		return config_nomem(l);
	for (i = 0; i < l->npartners; i++) {
		cfg->npartners = i + 1;
		if ((e = config_partner_apply(l, &l->partners[i], &cfg->partners[i])) != GH_OK)
			return e;
	}
	return GH_OK;
}

void
config_partners_free(struct config *cfg)
{
	struct config_partner *p;
	size_t i, j;

	for (i = 0; i < cfg->npartners; i++) {
		p = &cfg->partners[i];
		for (j = 0; j < config_partner_nkeys; j++) {
			char **field = (char **)((char *)p + config_partner_keys[j].off);

			if (config_partner_keys[j].type == CT_SECRET) {
				config_free_wiped(*field);
				*field = NULL;
			} else if (config_partner_keys[j].type == CT_STRING) {
				free(*field);
				*field = NULL;
			}
		}
		free(p->name);
	}
	free(cfg->partners);
	cfg->partners = NULL;
	cfg->npartners = 0;
}

const char *
config_token_audience(const struct config *cfg)
{
	return cfg->token_audience != NULL ? cfg->token_audience : cfg->sso_issuer;
}

const struct config_partner *
config_partner_find(const struct config *cfg, const char *name)
{
	size_t i;

	if (cfg == NULL || name == NULL)
		return NULL;
	for (i = 0; i < cfg->npartners; i++)
		if (strcmp(cfg->partners[i].name, name) == 0)
			return &cfg->partners[i];
	return NULL;
}
