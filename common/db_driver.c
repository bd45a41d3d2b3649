/*
 * db_driver.c: the helpers db_driver.h offers the database drivers: a
 * monotonic clock, the growth of a parameter's or a column's buffer, and
 * the parts of the transport rule of db_url_problem (sslmode names,
 * loopback hosts, what a host on another machine needs) that the server
 * drivers apply to their own reading of a URL.  Nothing here logs.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db_driver.h"

int64_t
db_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool
db_reserve(char **buf, size_t *cap, size_t need)
{
	size_t ncap;
	char *nb;

	if (need <= *cap)
		return true;
	if (need > SIZE_MAX / 2)
		return false;
	for (ncap = *cap ? *cap : 32; ncap < need; ncap *= 2)
		;
	if ((nb = realloc(*buf, ncap)) == NULL)
		return false;
	*buf = nb;
	*cap = ncap;
	return true;
}

enum db_tls
db_tls_mode(const char *v)
{
	static const char *const names[] = {
	    [DB_TLS_DISABLE] = "disable",
	    [DB_TLS_ALLOW] = "allow",
	    [DB_TLS_PREFER] = "prefer",
	    [DB_TLS_REQUIRE] = "require",
	    [DB_TLS_VERIFY_CA] = "verify-ca",
	    [DB_TLS_VERIFY_FULL] = "verify-full",
	};
	size_t i;

	if (v == NULL)
		return DB_TLS_UNSET;
	for (i = DB_TLS_DISABLE; i <= DB_TLS_VERIFY_FULL; i++)
		if (strcmp(v, names[i]) == 0)
			return (enum db_tls)i;
	return DB_TLS_INVALID;
}

bool
db_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0)
		return true;
	/* inet_pton takes only the full dotted quad: "127.1" is a name. */
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

const char *
db_tls_problem(bool local, enum db_tls mode)
{
	switch (mode) {
	case DB_TLS_INVALID:
		return "must have sslmode disable, require, verify-ca or verify-full";
	case DB_TLS_UNSET:
		return local ? NULL
		             : "names a database on another host: add sslmode=verify-full and "
		               "sslrootcert=/path/to/ca.pem (sslmode=disable to send passwords "
		               "and sessions in clear)";
	case DB_TLS_ALLOW:
	case DB_TLS_PREFER:
		return local ? NULL
		             : "names a database on another host with an sslmode that falls back "
		               "to no TLS: use verify-full (or disable, said explicitly)";
	default:
		return NULL;
	}
}
