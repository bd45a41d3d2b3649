/*
 * config_loader.h: the state of one load of gatehouse.conf, shared by the
 * loader's files; private to them.  config.c runs the load (and the
 * environment step) and owns the error messages, config_ini.c reads the
 * file's lines into the slots, config_apply.c parses the slots into struct
 * config and runs the checks that involve two keys, config_partner.c does
 * the same for the "[partner NAME]" sections.  The steps are told at the
 * top of config.c.
 */
#ifndef GH_CONFIG_LOADER_H
#define GH_CONFIG_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "config_keys.h"
#include "err.h"

#define CONFIG_LINE_MAX 4096 /* longest line, also of a *_file */
#define CONFIG_ENV_MAX 96    /* longest environment variable name */

/* Where a value came from. */
struct config_origin {
	int line;                 /* line in the file; 0: not from the file */
	char env[CONFIG_ENV_MAX]; /* the variable's name, or "" */
};

/* The text of one key's value before it is parsed. */
struct config_slot {
	char *raw;    /* NULL: not set, the default applies */
	bool is_file; /* raw names a file ("KEY_file") */
	struct config_origin where;
};

/* One "rule" value before it is parsed. */
struct config_rule_text {
	char *raw;
	struct config_origin where;
};

/* One "[partner NAME]" section before its values are parsed; its slots
 * are those of config_partner_keys[]. */
struct config_partner_text {
	char name[CONFIG_PARTNER_NAME_MAX + 1];
	char section[sizeof("partner ") + CONFIG_PARTNER_NAME_MAX]; /* for messages */
	int line;                                                   /* of its header */
	struct config_slot slots[CONFIG_PARTNER_KEYS_MAX];
};

struct config_loader {
	struct config *cfg;
	const char *name; /* the file's name, for messages */
	char *err;
	size_t errlen;
	struct config_slot slots[CONFIG_KEYS_MAX];
	struct config_rule_text *rules;
	size_t nrules, caprules;
	struct config_partner_text *partners; /* in the file's order */
	size_t npartners, cappartners;
};

/* config_partner_key gives the i-th key of config_partner_keys[] as the
 * messages about partner t name it: its section is "partner NAME" (valid
 * while t is). */
static inline struct config_key
config_partner_key(const struct config_partner_text *t, size_t i)
{
	struct config_key k = config_partner_keys[i];

	k.section = t->section;
	return k;
}

/* config.c.  config_fail writes "WHERE: reason" into l->err, WHERE being
 * "FILE:LINE: [section] key" (k may be NULL for a line that is no key, and
 * its name "" for a section as a whole: "FILE:LINE: [section]"; file_key
 * adds "_file" to the key's name), "environment NAME" or, for a default
 * (where NULL), "FILE: [section] key"; it returns GH_ECONFIG.
 * config_nomem writes "FILE: out of memory" and returns GH_ENOMEM.
 * config_free_wiped wipes and frees s (any value may be a secret; NULL is
 * harmless).  config_rule_add appends a copy of raw to l's "rule" texts,
 * config_rules_clear wipes and frees them all. */
__attribute__((format(printf, 5, 6))) enum gh_err config_fail(struct config_loader *l,
    const struct config_key *k, bool file_key, const struct config_origin *where, const char *fmt,
    ...);
enum gh_err config_nomem(struct config_loader *l);
void config_free_wiped(char *s);
enum gh_err config_rule_add(
    struct config_loader *l, const char *raw, const struct config_origin *where);
void config_rules_clear(struct config_loader *l);

/* config_ini.c.  config_parse_text reads the file text[0..len) into l's
 * slots, rules and partners (step 1).  config_trim trims spaces, tabs and
 * CRs from both ends of s in place and returns its new start.
 * config_key_find finds key name in section, *file_key telling whether
 * name was "KEY_file" for a secret KEY: the index in config_keys[], or -1;
 * config_partner_key_find is the same for a partner's key, in
 * config_partner_keys[]. */
enum gh_err config_parse_text(struct config_loader *l, const char *text, size_t len);
char *config_trim(char *s);
long config_key_find(const char *section, const char *name, bool *file_key);
long config_partner_key_find(const char *name, bool *file_key);

/* config_apply.c.  config_apply parses every slot (or the key's default)
 * into l->cfg, reading the files "KEY_file" slots name, then runs the
 * checks that involve two keys and sets derived defaults, then does the
 * same for the partners (step 3).  config_set_slot parses the value of
 * slot (or, when it is not set, k's default, if any) into the field of
 * base (a struct config or a struct config_partner) that key k describes;
 * an error names k (with its section) and where the value came from. */
enum gh_err config_apply(struct config_loader *l);
enum gh_err config_set_slot(struct config_loader *l, const struct config_key *k, void *base,
    const struct config_slot *slot);

/* config_partner.c.  config_partners_apply is step 3 for the partners:
 * fills l->cfg->partners from l->partners and runs the checks that
 * involve two of a partner's keys.  config_partners_free frees cfg's
 * partners, wiping their secrets. */
enum gh_err config_partners_apply(struct config_loader *l);
void config_partners_free(struct config *cfg);

#endif
