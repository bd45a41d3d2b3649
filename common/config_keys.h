/*
 * config_keys.h: the keys gatehouse.conf knows, shared by the loader
 * (config.c, config_ini.c, config_apply.c) and the table (config_keys.c);
 * private to them.
 */
#ifndef GH_CONFIG_KEYS_H
#define GH_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/usr/local/etc"
#endif
#ifndef DATADIR
#define DATADIR "/usr/local/share"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/usr/local/var"
#endif

#define DAY (24 * 60 * 60)         /* seconds */
#define CONFIG_KEYS_MAX 64         /* room in the loader; config_keys.c asserts it */
#define CONFIG_PARTNER_KEYS_MAX 24 /* the same for the keys of a partner */

enum config_type {
	CT_STRING,      /* char *, any text without control characters */
	CT_SECRET,      /* char *, also settable as "KEY_file", wiped at cleanup */
	CT_BOOL,        /* bool: true/false, yes/no, on/off, 1/0 */
	CT_INT,         /* int or int64_t (by size): decimal, within min..max */
	CT_LEVEL,       /* int: a log level name, see log_level_parse */
	CT_DURATION,    /* int64_t seconds: N, Ns, Nm, Nh or Nd, within min..max */
	CT_DURATION_MS, /* int64_t milliseconds: N, Nms, Ns or Nm, within min..max */
	CT_SIZE,        /* size_t bytes: N, NK, NKiB, NM, NMiB, within min..max */
	CT_RULES,       /* struct access_rule *: repeatable, order kept */
	CT_ENUM,        /* int (a config.h enum): one of the key's choices, its index */
};

/* A check on a string value beyond its type: NULL if fine, else a reason. */
typedef const char *config_check_fn(const char *value);

struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	size_t off;      /* offset of the field in struct config (config_keys[]) or in
	                    struct config_partner (config_partner_keys[]) */
	size_t size;     /* size of that field */
	const char *def; /* default, parsed like a value; NULL: none */
	long long min, max;
	config_check_fn *check;     /* CT_STRING, CT_SECRET: may be NULL */
	const char *const *choices; /* CT_ENUM: its words, NULL-terminated */
};

static inline bool
config_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A suffix of a number and what it multiplies by ("m": 60 for durations). */
struct config_unit {
	const char *suffix;
	long long mult;
};

/* config_value.c.  config_parse_number parses a decimal integer (negative
 * only when allow_neg) with an optional suffix from units (NULL-terminated,
 * compared ignoring case; none means 1; units NULL allows none); false for
 * anything else or an overflow.  config_units gives the suffixes of a type
 * (NULL: none), config_type_name and config_unit_name its words for
 * messages.  (config_read_file is in config.h.) */
bool config_parse_number(
    const char *s, const struct config_unit *units, bool allow_neg, long long *out);
bool config_parse_bool(const char *v, bool *out);
const struct config_unit *config_units(enum config_type t);
const char *config_type_name(enum config_type t);
const char *config_unit_name(enum config_type t);

/* The known keys, config_nkeys of them, in the order of gatehouse.conf(5).
 * config_finish() in config_apply.c holds the checks that involve two keys. */
extern const struct config_key config_keys[];
extern const size_t config_nkeys;
/* The keys of a "[partner NAME]" section, config_partner_nkeys of them, in
 * the same order; their section is "partner".  config_partner.c holds the
 * checks that involve two of them. */
extern const struct config_key config_partner_keys[];
extern const size_t config_partner_nkeys;

#endif
