/*
 * err.h: the one error convention of the Gatehouse library.
 *
 * Every function that can fail returns enum gh_err: GH_OK (0) for success,
 * another value naming what went wrong.  A failure is logged once, where it
 * is detected, and passed up unchanged.  gh_strerror() names each value.
 */
#ifndef GH_ERR_H
#define GH_ERR_H

enum gh_err {
	GH_OK = 0,
	GH_ENOMEM,    /* allocation failed */
	GH_EINVAL,    /* malformed input (a request answers 400) */
	GH_ETOOBIG,   /* input over a configured limit (400/413) */
	GH_ENOTFOUND, /* no such row, key, file or session */
	GH_EEXISTS,   /* unique key already taken */
	GH_EDB,       /* database error (a request answers 500/503) */
	GH_EIO,       /* file or stream error */
	GH_ECONFIG,   /* bad configuration (set-up error: the program exits) */
	GH_ECRYPTO,   /* hashing or random source failed */
	GH_EDENIED,   /* authentication or authorization refused */
	GH_EPOLICY,   /* a password breaks the policy (length, breached list) */
	GH_ECHANGED,  /* an applied migration was changed on disk */
};

/* gh_strerror returns a static, human readable name for e. */
const char *gh_strerror(enum gh_err e);

#endif
