/*
 * signkey.h: Gatehouse's own signing keys, in the folder [sso] keys_dir.
 *
 * Each key is one file "<kid>.pem" holding its private key (PEM, PKCS#8,
 * mode 0600, written under a temporary name and renamed, never logged); an
 * EC P-256 key signs ES256, an RSA key (3072 bits when made here, 2048 to
 * 8192 when read) RS256.  The kid says when the key was made:
 * "YYYYMMDDTHHMMSSZ-<8 lowercase hex>" (UTC), so the order of the keys and
 * their times travel with the files.
 *
 * The newest key is the active one: it signs.  An older key is "rotated":
 * it signs nothing more but stays published (at <prefix>/jwks.json) until
 * every token it may have signed has expired, that is until its successor's
 * creation time plus the longest lifetime of a token Gatehouse signs; then
 * it is "expired" and may be retired (its file removed).
 *
 * gatehousectl keys generate | list | rotate | retire drives these (ctl_keys.c);
 * gatehouse-sso loads them at start (signkey_load).
 */
#ifndef GH_SIGNKEY_H
#define GH_SIGNKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct config;

#define SIGNKEY_KID_MAX 32  /* "20261127T174500Z-0123abcd" is 25 */
#define SIGNKEY_MAX_KEYS 16 /* key files in the folder at most */

enum signkey_alg { SIGNKEY_ES256, SIGNKEY_RS256 };
enum signkey_state { SIGNKEY_ACTIVE, SIGNKEY_ROTATED, SIGNKEY_EXPIRED };

struct signkey {
	char kid[SIGNKEY_KID_MAX + 1];
	enum signkey_alg alg;
	int64_t created_at;      /* from the kid, Unix seconds */
	int64_t published_until; /* SIGNKEY_ACTIVE: INT64_MAX */
	enum signkey_state state;
	char *pem; /* the private key, NUL-terminated; wiped by the cleanup */
	size_t pem_len;
};

/* The keys of a folder, newest first: keys[0] is the active one. */
struct signkey_set {
	struct signkey *keys;
	size_t nkeys;
};

/* signkey_load reads every "<kid>.pem" of dir into *out (zeroed first),
 * newest first, the state of each computed for time now and lifetime (the
 * longest lifetime in seconds of a token Gatehouse signs, signkey_lifetime).
 * A file that is not a private key of a known kind, a kid that is not well
 * formed, a file with any permission for group or others, a symbolic link,
 * another file in the folder (a leftover ".<kid>.tmp" too), more than
 * SIGNKEY_MAX_KEYS keys, or a folder writable by group or others is an
 * error naming the file (GH_ECONFIG, message in err); GH_EIO when the folder
 * or a file cannot be read.  An empty or missing folder is GH_ENOTFOUND
 * (message in err).  It waits while gatehousectl adds or removes a key. */
enum gh_err signkey_load(const char *dir, int64_t now, int64_t lifetime, struct signkey_set *out,
    char *err, size_t errlen);
/* signkey_cleanup wipes and frees set; harmless on a zeroed one. */
void signkey_cleanup(struct signkey_set *set);
/* signkey_active returns the active key, or NULL when set is empty. */
const struct signkey *signkey_active(const struct signkey_set *set);
/* signkey_published tells whether key k belongs in the published JWKS. */
bool signkey_published(const struct signkey *k);

/* signkey_generate makes a new key of alg in dir (created 0700 if missing,
 * its parent is not), named for time now, and writes its kid into kid_out.
 * GH_EEXISTS when a key of that second or a later one exists already (it
 * would not be the newest); GH_EIO, GH_ECRYPTO with err. */
enum gh_err signkey_generate(const char *dir, enum signkey_alg alg, int64_t now,
    char kid_out[SIGNKEY_KID_MAX + 1], char *err, size_t errlen);
/* signkey_retire removes the file of kid from dir, after loading the folder
 * as signkey_load (whose errors it returns).  GH_EINVAL when kid is not
 * well formed; GH_ENOTFOUND when there is no such key; GH_EDENIED when it
 * is the active key (always), or is still published and force is false. */
enum gh_err signkey_retire(const char *dir, const char *kid, int64_t now, int64_t lifetime,
    bool force, char *err, size_t errlen);

/*
 * The public keys file ([sso] public_keys_file, signkey_publish.c): the
 * JWKS document of the published keys, the same text gatehouse-sso serves
 * at <prefix>/jwks.json, kept beside the folder by gatehousectl so that
 * gatehouse-check, which only verifies, never reads a private key.
 *
 * signkey_jwks makes that document for set (its keys that
 * signkey_published): JSON text in *out, which the caller frees; an empty
 * set gives {"keys":[]}.  GH_OK, GH_ENOMEM, or GH_EINVAL for a key
 * jwks_add_json refuses.  signkey_publish writes it to path, replacing the
 * file at once (a temporary file in its folder, renamed over it), mode
 * 0644: GH_OK, or GH_EIO (or signkey_jwks's error) with the reason, naming
 * path, in err.
 */
enum gh_err signkey_jwks(const struct signkey_set *set, char **out);
enum gh_err signkey_publish(
    const char *path, const struct signkey_set *set, char *err, size_t errlen);

/* signkey_alg_name is "ES256" or "RS256". */
const char *signkey_alg_name(enum signkey_alg alg);
/* signkey_state_name is "active", "rotated" or "expired". */
const char *signkey_state_name(enum signkey_state state);
/* signkey_kid_valid tells whether kid is "YYYYMMDDTHHMMSSZ-<8 lowercase
 * hex>" of a real UTC time from 1970 on. */
bool signkey_kid_valid(const char *kid);

/* signkey_lifetime is the longest lifetime in seconds of a token Gatehouse
 * signs under cfg: how long a rotated key stays published after its
 * successor was made.  The one place that knows which tokens those are
 * ([sso] out_lifetime, [token] access_lifetime). */
int64_t signkey_lifetime(const struct config *cfg);

#endif
