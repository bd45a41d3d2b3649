/*
 * db_pgsql_text.c: the text the PostgreSQL driver reads (db_pgsql_text.h):
 * URLs through libpq's own parser, for the transport rule of
 * db_url_problem, and the rewrite of "?" placeholders.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db_pgsql_text.h"

/* pg_hosts_local tells whether every entry of the comma-separated host
 * list is on this machine (an empty entry is libpq's default socket). */
static bool
pg_hosts_local(const char *list)
{
	char host[256];
	const char *p, *end;
	size_t n;

	for (p = list;; p = end + 1) {
		end = p + strcspn(p, ",");
		n = (size_t)(end - p);
		if (n > 0 && *p != '/' && *p != '@') {
			if (n >= sizeof(host))
				return false;
			memcpy(host, p, n);
			host[n] = '\0';
			if (!db_host_is_loopback(host))
				return false;
		}
		if (*end == '\0')
			return true;
	}
}

/* pg_option returns the value of option key in opts, NULL when unset. */
static const char *
pg_option(const PQconninfoOption *opts, const char *key)
{
	for (; opts->keyword != NULL; opts++)
		if (strcmp(opts->keyword, key) == 0)
			return opts->val != NULL && opts->val[0] != '\0' ? opts->val : NULL;
	return NULL;
}

const char *
pg_url_problem(const char *url)
{
	PQconninfoOption *opts;
	const char *host, *hostaddr, *mode, *why;
	char *err = NULL;
	bool local;

	if ((opts = PQconninfoParse(url, &err)) == NULL) {
		PQfreemem(err);
		return err != NULL ? "must be a URL libpq takes"
		                   : "could not be read: out of memory";
	}
	host = pg_option(opts, "host");
	hostaddr = pg_option(opts, "hostaddr");
	if (host == NULL && hostaddr == NULL) {
		host = getenv("PGHOST");
		hostaddr = getenv("PGHOSTADDR");
	}
	if ((mode = pg_option(opts, "sslmode")) == NULL)
		mode = getenv("PGSSLMODE");
	local = (host == NULL || pg_hosts_local(host)) &&
	        (hostaddr == NULL || pg_hosts_local(hostaddr)) &&
	        !(host == NULL && hostaddr == NULL &&
	            (pg_option(opts, "service") != NULL || getenv("PGSERVICE") != NULL));
	why = db_tls_problem(local, db_tls_mode(mode));
	PQconninfoFree(opts);
	return why;
}

/* pg_dollar_tag returns the length of a dollar-quote tag ("$$", "$x$") at
 * s, 0 when s does not start one. */
static size_t
pg_dollar_tag(const char *s)
{
	size_t i = 1;

	if (s[0] != '$')
		return 0;
	if (s[1] >= '0' && s[1] <= '9')
		return 0;
	while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
	       (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || (unsigned char)s[i] >= 0x80)
		i++;
	return s[i] == '$' ? i + 1 : 0;
}

static bool
pg_ident_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '$' || (unsigned char)ch >= 0x80;
}

/* pg_rewrite copies sql into out with each "?" outside literals, quoted
 * identifiers and comments replaced by $1, $2...; *n receives their number. */
enum gh_err
pg_rewrite(const char *sql, struct buf *out, int *n)
{
	const char *p = sql, *end;
	size_t tag;
	int depth;
	bool esc;

	*n = 0;
	while (*p != '\0') {
		if (*p == '?') {
			if (*n == PG_MAX_PARAMS)
				return GH_ETOOBIG;
			buf_printf(out, "$%d", ++*n);
			p++;
		} else if (*p == '\'' || *p == '"') {
			/* E'..' takes backslash escapes; '' and "" double up. */
			esc = *p == '\'' && p > sql && (p[-1] == 'E' || p[-1] == 'e') &&
			      (p - 1 == sql || !pg_ident_char(p[-2]));
			for (end = p + 1; *end != '\0'; end++) {
				if (esc && *end == '\\' && end[1] != '\0')
					end++;
				else if (*end == *p && end[1] == *p)
					end++;
				else if (*end == *p)
					break;
			}
			if (*end == '\0')
				return GH_EINVAL;
			buf_append(out, p, (size_t)(end + 1 - p));
			p = end + 1;
		} else if (p[0] == '-' && p[1] == '-') {
			end = p + strcspn(p, "\n");
			buf_append(out, p, (size_t)(end - p));
			p = end;
		} else if (p[0] == '/' && p[1] == '*') {
			/* PostgreSQL's block comments nest. */
			for (end = p + 2, depth = 1; *end != '\0' && depth > 0; end++) {
				if (end[0] == '/' && end[1] == '*')
					depth++, end++;
				else if (end[0] == '*' && end[1] == '/')
					depth--, end++;
			}
			if (depth > 0)
				return GH_EINVAL;
			buf_append(out, p, (size_t)(end - p));
			p = end;
		} else if (*p == '$' && (p == sql || !pg_ident_char(p[-1])) &&
		           (tag = pg_dollar_tag(p)) > 0) {
			for (end = p + tag; *end != '\0' && strncmp(end, p, tag) != 0; end++)
				;
			if (*end == '\0')
				return GH_EINVAL;
			buf_append(out, p, (size_t)(end + tag - p));
			p = end + tag;
		} else {
			buf_putc(out, *p++);
		}
	}
	return out->err ? GH_ENOMEM : GH_OK;
}
