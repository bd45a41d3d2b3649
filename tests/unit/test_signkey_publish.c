/*
 * test_signkey_publish.c: the public keys file (common/signkey_publish.c).
 * Keys are made with signkey_generate in a folder of a mkdtemp(3) one; the
 * file beside it must hold the JWKS of the keys published at the time of
 * writing, and nothing private, mode 0644, replaced whole (no temporary
 * file left), and a file that cannot be written is an error naming it.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#endif

#include <sys/stat.h>

#include "jwks.h"
#include "signkey.h"
#include "test.h"
#include "test_tmp.h"

#define T0 1795801500 /* 2026-11-27T17:45:00Z */
#define LIFETIME 60

static char root[64], dir[128], pub[160];
static char kid0[SIGNKEY_KID_MAX + 1], kid1[SIGNKEY_KID_MAX + 1];
static char errbuf[1024];

/* publish_at publishes dir's keys as loaded at now to pub. */
static enum gh_err
publish_at(int64_t now)
{
	struct signkey_set set;
	enum gh_err e = signkey_load(dir, now, LIFETIME, &set, errbuf, sizeof(errbuf));

	if (e == GH_OK)
		e = signkey_publish(pub, &set, errbuf, sizeof(errbuf));
	signkey_cleanup(&set);
	return e;
}

/* read_pub reads pub into text (size bytes); its length, or 0. */
static size_t
read_pub(char *text, size_t size)
{
	FILE *f = fopen(pub, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(text, 1, size - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	return n;
}

/* leftovers counts the temporary files "<pub>.XXXXXX" left in root. */
static int
leftovers(void)
{
	DIR *d = opendir(root);
	struct dirent *de;
	int n = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		n += strncmp(de->d_name, "keys.jwks.", 10) == 0;
	if (d != NULL)
		closedir(d);
	return n;
}

TEST(publish_writes_the_published_keys_readable_by_all)
{
	struct signkey_set set;
	struct jwks jwks;
	struct stat st;
	char text[8192], *want = NULL;
	size_t n;

	/* Both published at T0 + 150: the rotated kid0 until T0 + 160. */
	CHECK(publish_at(T0 + 150) == GH_OK);
	CHECK(stat(pub, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644);
	CHECK(signkey_load(dir, T0 + 150, LIFETIME, &set, errbuf, sizeof(errbuf)) == GH_OK);
	CHECK(signkey_jwks(&set, &want) == GH_OK);
	signkey_cleanup(&set);
	n = read_pub(text, sizeof(text));
	CHECK(want != NULL && strcmp(text, want) == 0); /* what jwks.json serves */
	free(want);
	CHECK(jwks_parse(text, n, &jwks, errbuf, sizeof(errbuf)) == GH_OK && jwks.nkeys == 2);
	CHECK(jwks_find(&jwks, kid0) != NULL && jwks_find(&jwks, kid1) != NULL);
	CHECK(strstr(text, "\"d\"") == NULL); /* no private part */
	jwks_cleanup(&jwks);
	CHECK(leftovers() == 0);
}

TEST(publish_replaces_the_file_without_an_expired_key)
{
	struct jwks jwks;

	CHECK(publish_at(T0 + 150) == GH_OK);
	/* At T0 + 160 kid0's publication has ended. */
	CHECK(publish_at(T0 + 160) == GH_OK);
	CHECK(jwks_load(pub, &jwks, errbuf, sizeof(errbuf)) == GH_OK && jwks.nkeys == 1 &&
	      jwks_find(&jwks, kid1) != NULL && jwks_find(&jwks, kid0) == NULL);
	jwks_cleanup(&jwks);
	CHECK(leftovers() == 0);
}

TEST(publish_of_no_key_writes_an_empty_list)
{
	struct signkey_set none = {0};
	char text[64];

	CHECK(signkey_publish(pub, &none, errbuf, sizeof(errbuf)) == GH_OK);
	read_pub(text, sizeof(text));
	CHECK_STR(text, "{\"keys\":[]}");
}

TEST(publish_to_a_missing_folder_fails_naming_the_file)
{
	struct signkey_set none = {0};
	char path[192];

	snprintf(path, sizeof(path), "%s/no/such/folder/keys.jwks", root);
	CHECK(signkey_publish(path, &none, errbuf, sizeof(errbuf)) == GH_EIO);
	CHECK(strncmp(errbuf, path, strlen(path)) == 0);
}

int
main(void)
{
	if (!tmp_make(root, sizeof(root), "test_signkey_publish"))
		return 1;
	umask(022);
	snprintf(dir, sizeof(dir), "%s/keys", root);
	snprintf(pub, sizeof(pub), "%s/keys.jwks", root);
	if (signkey_generate(dir, SIGNKEY_ES256, T0, kid0, errbuf, sizeof(errbuf)) != GH_OK ||
	    signkey_generate(dir, SIGNKEY_RS256, T0 + 100, kid1, errbuf, sizeof(errbuf)) != GH_OK) {
		fprintf(stderr, "signkey_generate: %s\n", errbuf);
		test_failed++;
		printf("not ok - set_up\n");
	} else {
		RUN(publish_writes_the_published_keys_readable_by_all);
		RUN(publish_replaces_the_file_without_an_expired_key);
		RUN(publish_of_no_key_writes_an_empty_list);
		RUN(publish_to_a_missing_folder_fails_naming_the_file);
	}
	tmp_remove(root, 1);
	return test_summary();
}
