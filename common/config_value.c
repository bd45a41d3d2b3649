/*
 * config_value.c: the text of one configuration value into what it means
 * (numbers with their units, booleans), and reading a file a value names;
 * for the loader, config.c and config_apply.c (declared in
 * config_keys.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config_keys.h"
#include "crypto.h"

/*
 * Parses a decimal integer (negative only when allow_neg) with an optional
 * suffix from units (NULL-terminated, compared ignoring case; no suffix
 * means 1; units NULL allows none) into *out.  Returns false for anything
 * else, or when the value overflows.
 */

bool
config_parse_number(const char *s, const struct config_unit *units, bool allow_neg, long long *out)
{
	const char *p = s;
	bool neg = false;
	long long v = 0, mult = 1;
	int d;

	if (allow_neg && *p == '-') {
		neg = true;
		p++;
	}
	if (!config_is_digit(*p))
		return false;
	for (; config_is_digit(*p); p++) {
		d = *p - '0';
		if (v > (LLONG_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (*p != '\0') {
		if (units == NULL)
			return false;
		for (; units->suffix != NULL; units++)
			if (strcasecmp(p, units->suffix) == 0)
				break;
		if (units->suffix == NULL)
			return false;
		mult = units->mult;
	}
	if (v > LLONG_MAX / mult)
		return false;
	v *= mult;
	*out = neg ? -v : v;
	return true;
}

static const struct config_unit config_duration_units[] = {
    {"s", 1},
    {"m", 60},
    {"h", 60 * 60},
    {"d", DAY},
    {NULL, 0},
};

static const struct config_unit config_duration_ms_units[] = {
    {"ms", 1},
    {"s", 1000},
    {"m", 60 * 1000},
    {NULL, 0},
};

static const struct config_unit config_size_units[] = {
    {"k", 1024},
    {"kib", 1024},
    {"m", 1024 * 1024},
    {"mib", 1024 * 1024},
    {NULL, 0},
};

bool
config_parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* The suffixes a number of type t may carry, or NULL. */
const struct config_unit *
config_units(enum config_type t)
{
	switch (t) {
	case CT_DURATION:
		return config_duration_units;
	case CT_DURATION_MS:
		return config_duration_ms_units;
	case CT_SIZE:
		return config_size_units;
	default:
		return NULL;
	}
}

const char *
config_type_name(enum config_type t)
{
	switch (t) {
	case CT_INT:
		return "an integer";
	case CT_DURATION:
		return "a duration (seconds, or a number with s, m, h or d)";
	case CT_DURATION_MS:
		return "a duration (milliseconds, or a number with ms, s or m)";
	case CT_SIZE:
		return "a size (bytes, or a number with K, KiB, M or MiB)";
	default:
		return "a value";
	}
}

const char *
config_unit_name(enum config_type t)
{
	switch (t) {
	case CT_DURATION:
		return " seconds";
	case CT_DURATION_MS:
		return " milliseconds";
	case CT_SIZE:
		return " bytes";
	default:
		return "";
	}
}

/*
 * Reads at most max bytes of path into a fresh heap buffer (NUL-terminated,
 * length in *len).  Returns 0, ERANGE when the file holds more than max
 * bytes, or the errno of the failure.
 */
int
config_read_file(const char *path, size_t max, char **out, size_t *len)
{
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd, saved;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return errno;
	if ((buf = malloc(max + 2)) == NULL) {
		close(fd);
		return ENOMEM;
	}
	for (;;) {
		r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			saved = errno;
			crypto_wipe(buf, n);
			free(buf);
			close(fd);
			return saved;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			crypto_wipe(buf, n);
			free(buf);
			close(fd);
			return ERANGE;
		}
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}
