/*
 * signkey_impl.h: what the signing keys' files share; private to them.
 * signkey.c reads the folder back (signkey_load, the states of the keys),
 * signkey_file.c changes it (signkey_generate, signkey_retire) and holds
 * its lock.  How the folder is kept is told at the top of each file.
 */
#ifndef GH_SIGNKEY_IMPL_H
#define GH_SIGNKEY_IMPL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "signkey.h"

#define SIGNKEY_TIME_LEN 16 /* "YYYYMMDDTHHMMSSZ" */
#define SIGNKEY_KID_LEN 25  /* the time, '-', 8 hex */

_Static_assert(SIGNKEY_KID_LEN <= SIGNKEY_KID_MAX, "SIGNKEY_KID_MAX is too small");

/* signkey_errf (signkey.c) writes a message into err (may be NULL); a
 * message cut short by errlen is still a message. */
__attribute__((format(printf, 3, 4))) void signkey_errf(
    char *err, size_t errlen, const char *fmt, ...);

/* signkey_time_parse (signkey.c) reads the "YYYYMMDDTHHMMSSZ" at s (its
 * first SIGNKEY_TIME_LEN chars) into *t: false when it is not a real UTC
 * time from 1970 on (30 February, 24:00 and a leap second are refused). */
bool signkey_time_parse(const char *s, int64_t *t);

/* signkey_load_dir (signkey.c) is signkey_load on the folder d, opened
 * from dir and locked by the caller (signkey_dir_lock), into *out, zeroed
 * by the caller; on failure *out may hold keys already: the caller cleans
 * it up (signkey_cleanup). */
enum gh_err signkey_load_dir(DIR *d, const char *dir, int64_t now, int64_t lifetime,
    struct signkey_set *out, char *err, size_t errlen);

/* signkey_dir_lock (signkey_file.c) opens dir into *d and locks it (flock:
 * LOCK_SH to read, LOCK_EX to change it), waiting for the holder of a
 * conflicting lock.  GH_ENOTFOUND when dir does not exist, GH_EIO; with a
 * message in err.  The caller closes *d (closedir), which unlocks it. */
enum gh_err signkey_dir_lock(const char *dir, int how, DIR **d, char *err, size_t errlen);

#endif
