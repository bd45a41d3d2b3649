/*
 * db_mysql_url.c: the mysql:// URLs of the MariaDB driver (the form and the
 * options are described at the top of db_mysql.c): split and percent-
 * decoded, the TLS options read, the transport rule of db_url_problem
 * applied.  Never logs: the callers say what is wrong, with the file and
 * line when it comes from the configuration.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db_mysql_url.h"
#include "url.h"

void
my_url_cleanup(struct my_url *u)
{
	free(u->user);
	free(u->host);
	free(u->db);
	free(u->socket);
	free(u->sslrootcert);
	memset(u, 0, sizeof(*u));
}

/* my_decode returns a heap copy of s[0..n) with %XX decoded (url_decode),
 * NULL on a bad escape, a NUL byte or no memory (*nomem tells which). */
static char *
my_decode(const char *s, size_t n, bool *nomem)
{
	char *out;

	*nomem = false;
	if ((out = malloc(n + 1)) == NULL) {
		*nomem = true;
		return NULL;
	}
	if (url_decode(s, n, out, false) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* my_url_tls_problem checks u's TLS options and the transport rule. */
static const char *
my_url_tls_problem(const struct my_url *u)
{
	bool local = u->host == NULL || db_host_is_loopback(u->host);

	if (u->tls == DB_TLS_ALLOW || u->tls == DB_TLS_PREFER)
		return "must have sslmode disable, require, verify-ca or verify-full";
	if ((u->tls == DB_TLS_VERIFY_CA || u->tls == DB_TLS_VERIFY_FULL) && u->sslrootcert == NULL)
		return "must name the CA with sslrootcert=/path/to/ca.pem for sslmode verify-ca "
		       "or verify-full";
	if (u->sslrootcert != NULL && (u->tls == DB_TLS_UNSET || u->tls == DB_TLS_DISABLE))
		return "has sslrootcert without an sslmode that uses it (verify-full, verify-ca)";
	return db_tls_problem(local, u->tls);
}

/* my_url_parse splits url; GH_ECONFIG with *why (a phrase for "the URL
 * ...") when it is malformed or breaks the transport rule, GH_ENOMEM. */
enum gh_err
my_url_parse(const char *url, struct my_url *u, const char **why)
{
	const char *p, *auth_end, *host, *host_end, *port, *path_end, *q, *next, *eq;
	char **dst, *mode = NULL;
	unsigned long v;
	char *end;
	bool nomem = false;

	*why = "must be mysql://user@host:port/db or mysql://user@localhost/db?socket=/path";

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "mysql://", 8) != 0)
		goto fail;
	p = url + 8;
	host_end = p + strcspn(p, "/?");
	/* userinfo: everything up to the last '@' before the path. */
	auth_end = NULL;
	for (q = p; q < host_end; q++)
		if (*q == '@')
			auth_end = q;
	host = p;
	if (auth_end != NULL) {
		if (memchr(p, ':', (size_t)(auth_end - p)) != NULL) {
			*why = "must not hold a password: use password_file";
			goto fail;
		}
		if (auth_end > p &&
		    (u->user = my_decode(p, (size_t)(auth_end - p), &nomem)) == NULL)
			goto fail;
		host = auth_end + 1;
	}
	/* host[:port], the host possibly "[v6]". */
	port = NULL;
	if (*host == '[') {
		if ((q = memchr(host, ']', (size_t)(host_end - host))) == NULL)
			goto fail;
		if ((u->host = my_decode(host + 1, (size_t)(q - host - 1), &nomem)) == NULL)
			goto fail;
		if (q + 1 < host_end) {
			if (q[1] != ':')
				goto fail;
			port = q + 2;
		}
	} else {
		q = memchr(host, ':', (size_t)(host_end - host));
		if (q != NULL)
			port = q + 1;
		else
			q = host_end;
		if (q > host && (u->host = my_decode(host, (size_t)(q - host), &nomem)) == NULL)
			goto fail;
	}
	if (port != NULL) {
		errno = 0;
		v = strtoul(port, &end, 10);
		if (port == host_end || end != host_end || errno != 0 || v == 0 || v > 65535 ||
		    *port < '0' || *port > '9')
			goto fail;
		u->port = (unsigned int)v;
	}
	/* /database: required. */
	if (*host_end != '/')
		goto fail;
	p = host_end + 1;
	path_end = p + strcspn(p, "?");
	if (path_end == p || memchr(p, '/', (size_t)(path_end - p)) != NULL)
		goto fail;
	if ((u->db = my_decode(p, (size_t)(path_end - p), &nomem)) == NULL)
		goto fail;
	/* ?key=value&...: socket, sslmode, sslrootcert. */
	for (p = *path_end == '?' ? path_end + 1 : path_end; *p != '\0'; p = next) {
		q = p + strcspn(p, "&");
		next = *q == '&' ? q + 1 : q;
		if ((eq = memchr(p, '=', (size_t)(q - p))) == NULL)
			goto fail;
		if ((size_t)(eq - p) == 6 && strncmp(p, "socket", 6) == 0) {
			dst = &u->socket;
		} else if ((size_t)(eq - p) == 7 && strncmp(p, "sslmode", 7) == 0) {
			dst = &mode;
		} else if ((size_t)(eq - p) == 11 && strncmp(p, "sslrootcert", 11) == 0) {
			dst = &u->sslrootcert;
		} else {
			*why = "must have no options but socket, sslmode and sslrootcert";
			goto fail;
		}
		free(*dst);
		if ((*dst = my_decode(eq + 1, (size_t)(q - eq - 1), &nomem)) == NULL)
			goto fail;
	}
	u->tls = db_tls_mode(mode);
	free(mode);
	mode = NULL;
	if ((*why = my_url_tls_problem(u)) != NULL)
		goto fail;
	return GH_OK;
fail:
	free(mode);
	my_url_cleanup(u);
	if (nomem) {
		*why = "could not be read: out of memory";
		return GH_ENOMEM;
	}
	return GH_ECONFIG;
}

const char *
my_url_problem(const char *url)
{
	struct my_url u;
	const char *why;

	if (my_url_parse(url, &u, &why) != GH_OK)
		return why;
	my_url_cleanup(&u);
	return NULL;
}
