/*
 * err.c: names for the library's error values (see err.h).
 */
#include "err.h"

const char *
gh_strerror(enum gh_err e)
{
	switch (e) {
	case GH_OK:
		return "success";
	case GH_ENOMEM:
		return "out of memory";
	case GH_EINVAL:
		return "malformed input";
	case GH_ETOOBIG:
		return "input too large";
	case GH_ENOTFOUND:
		return "not found";
	case GH_EEXISTS:
		return "already exists";
	case GH_EDB:
		return "database error";
	case GH_EIO:
		return "input/output error";
	case GH_ECONFIG:
		return "configuration error";
	case GH_ECRYPTO:
		return "cryptography error";
	case GH_EDENIED:
		return "access denied";
	case GH_EPOLICY:
		return "password policy violated";
	case GH_ECHANGED:
		return "applied migration changed";
	}
	return "unknown error";
}
