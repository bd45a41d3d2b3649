/*
 * test_config.h: what the configuration's test programs share
 * (test_config.c, test_config_keys.c, test_config_db_url.c,
 * test_config_partner.c): loading a text as "t.conf", telling whether a
 * text is refused with a given message, writing a temporary file (for
 * *_file secrets), and clearing the GATEHOUSE_* variables that would leak
 * in from outside.  Its includers define _POSIX_C_SOURCE (mkstemp, fdopen,
 * setenv).
 */
#ifndef GH_TEST_CONFIG_H
#define GH_TEST_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define SECRET40 "0123456789abcdef0123456789abcdef01234567"

static char errbuf[1024];

/* Loads text as "t.conf"; returns the error (message in errbuf). */
static inline enum gh_err
load(struct config *cfg, const char *text)
{
	errbuf[0] = '\0';
	return config_load_string(cfg, "t.conf", text, errbuf, sizeof(errbuf));
}

/* Tells whether text is refused with exactly the message want. */
static inline bool
refused(const char *text, const char *want)
{
	struct config cfg;
	enum gh_err e = load(&cfg, text);

	if (e == GH_OK) {
		fprintf(stderr, "accepted, wanted \"%s\"\n", want);
		config_cleanup(&cfg);
		return false;
	}
	if (e != GH_ECONFIG || strcmp(errbuf, want) != 0) {
		fprintf(stderr, "got %d \"%s\"\nwanted \"%s\"\n", (int)e, errbuf, want);
		return false;
	}
	/* A failed load leaves cfg cleaned up. */
	return cfg.prefix == NULL && cfg.rules == NULL && cfg.path == NULL &&
	       cfg.partners == NULL && cfg.npartners == 0;
}

/* Writes content to a fresh temporary file; its name goes into path. */
static inline bool
write_temp(char *path, size_t pathlen, const char *content, size_t len)
{
	const char *dir = getenv("TMPDIR");
	FILE *f;
	int fd, n;

	n = snprintf(path, pathlen, "%s/gh_test_config.XXXXXX", dir && *dir ? dir : "/tmp");
	if (n < 0 || (size_t)n >= pathlen)
		return false;
	if ((fd = mkstemp(path)) < 0)
		return false;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return false;
	}
	if (fwrite(content, 1, len, f) != len) {
		fclose(f);
		return false;
	}
	return fclose(f) == 0;
}

/* Unsets every GATEHOUSE_* variable, so none leaks in from outside. */
static inline void
clear_gatehouse_env(void)
{
	extern char **environ;
	char name[256];
	size_t i, n;
	int found;

	do {
		found = 0;
		for (i = 0; environ != NULL && environ[i] != NULL; i++) {
			if (strncmp(environ[i], "GATEHOUSE_", 10) != 0)
				continue;
			n = strcspn(environ[i], "=");
			if (n >= sizeof(name))
				continue;
			memcpy(name, environ[i], n);
			name[n] = '\0';
			unsetenv(name);
			found = 1;
			break;
		}
	} while (found);
}

#endif
