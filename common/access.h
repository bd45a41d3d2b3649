/*
 * access.h: the check's access rules.
 *
 * A rule is one line of words: zero or more conditions "host:PATTERN" (an
 * fnmatch(3) pattern, compared without case) and "path:PATTERN", then
 * exactly one action: "bypass" (let everyone through), "require:login" (any
 * valid session) or "require:role:NAME" (a session whose user holds role
 * NAME).  In a path pattern "*" matches any run of characters but "/", "**"
 * any run, "?" one character but "/", and every other character itself; a
 * pattern that ends in "/" then "*" covers that folder's whole tree (as if
 * it ended in "**").  A
 * path pattern starts with "/" or "**".  Rules are tried in order; the first
 * whose conditions all match decides.  When none matches, access is denied;
 * so it is when the path is not one ("/..." after clean-up) or when a rule
 * with a host: condition is reached and the Host cannot be parsed.
 */
#ifndef GH_ACCESS_H
#define GH_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

enum access_action {
	ACCESS_BYPASS,
	ACCESS_LOGIN,
	ACCESS_ROLE,
};

struct access_rule {
	char *host; /* NULL: any host */
	char *path; /* NULL: any path */
	enum access_action action;
	char *role; /* for ACCESS_ROLE */
};

/* access_rule_parse parses one rule line into r (caller cleans up with
 * access_rule_cleanup).  On error returns GH_EINVAL with a reason in why. */
enum gh_err access_rule_parse(const char *line, struct access_rule *r, const char **why);
void access_rule_cleanup(struct access_rule *r);
/* access_match returns the first rule matching host and path (host compared
 * case-insensitively and without a ":port"), or NULL to deny: no rule
 * matches, path does not start with "/", or a host: rule is reached with a
 * host that is empty, over 255 bytes or otherwise unparsable. */
const struct access_rule *access_match(
    const struct access_rule *rules, size_t n, const char *host, const char *path);
/* access_roles_has tells whether the comma-separated list roles holds role. */
bool access_roles_has(const char *roles, const char *role);
/* access_roles_has_n is access_roles_has for the role role[0..rl). */
bool access_roles_has_n(const char *roles, const char *role, size_t rl);

#endif
