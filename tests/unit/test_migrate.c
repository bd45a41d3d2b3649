/*
 * test_migrate.c: the migration runner, on a temporary copy of the real
 * migrations of sql/<dialect>, on every database (test_backend.h): SQLite,
 * then throwaway MariaDB and PostgreSQL servers, emptied before each test.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "migrate.h"
#include "test.h"
#include "test_backend.h"

static char tmpdir[PATH_MAX];
static char sqldir[PATH_MAX + 16];  /* tmpdir/sql */
static char dialdir[PATH_MAX + 32]; /* tmpdir/sql/<dialect> */
static int nreal;                   /* migrations in the real folder */

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static void
append_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "a")) == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

/* fresh sets up an empty database and a copy of the real migrations. */
static struct db *
fresh(void)
{
	char src[PATH_MAX], from[2 * PATH_MAX], to[2 * PATH_MAX];
	char data[65536];
	struct dirent *de;
	struct db *db = NULL;
	DIR *d;
	FILE *in, *out;
	size_t n;

	snprintf(tmpdir, sizeof(tmpdir), "%s/gh-test-migrate-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(sqldir, sizeof(sqldir), "%s/sql", tmpdir);
	snprintf(dialdir, sizeof(dialdir), "%s/%s", sqldir, test_cur->dialect);
	if (mkdir(sqldir, 0700) != 0 || mkdir(dialdir, 0700) != 0) {
		perror("mkdir");
		exit(2);
	}
	snprintf(src, sizeof(src), "%s/sql/%s", test_srcdir(), test_cur->dialect);
	if ((d = opendir(src)) == NULL) {
		perror(src);
		exit(2);
	}
	nreal = 0;
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".sql") == NULL)
			continue;
		if (strstr(de->d_name, ".up.sql") != NULL)
			nreal++;
		snprintf(from, sizeof(from), "%s/%s", src, de->d_name);
		snprintf(to, sizeof(to), "%s/%s", dialdir, de->d_name);
		if ((in = fopen(from, "r")) == NULL || (out = fopen(to, "w")) == NULL) {
			perror(from);
			exit(2);
		}
		while ((n = fread(data, 1, sizeof(data), in)) > 0)
			fwrite(data, 1, n, out);
		fclose(in);
		fclose(out);
	}
	closedir(d);
	if (!test_backend_reset(test_cur) || (db = test_backend_open(test_cur, 1000)) == NULL) {
		fprintf(stderr, "cannot empty and open the %s database\n", test_cur->name);
		exit(2);
	}
	return db;
}

/* cleanup closes db and removes the temporary tree. */
static void
cleanup(struct db *db)
{
	char cmd[PATH_MAX + 32];

	db_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

static bool
table_exists(struct db *db, const char *name)
{
	return test_table_exists(db, name);
}

static int64_t
count_applied(struct db *db)
{
	struct db_stmt *st;
	bool row = false;
	int64_t n = -1;

	if (db_prepare(db, "SELECT count(*) FROM schema_migrations", &st) == GH_OK &&
	    db_step(st, &row) == GH_OK && row)
		n = db_column_int64(st, 0);
	db_done(st);
	return n;
}

TEST(status_before_up_all_pending_and_nothing_written)
{
	struct db *db = fresh();
	int pending = -1;

	CHECK(migrate_status(db, sqldir, NULL, &pending) == GH_OK);
	CHECK(nreal >= 1);
	CHECK(pending == nreal);
	CHECK(!table_exists(db, "schema_migrations"));
	cleanup(db);
}

TEST(up_applies_real_migrations_then_nothing_pending)
{
	struct db *db = fresh();
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int applied = -1, pending = -1;

	CHECK(migrate_up(db, sqldir, out, &applied) == GH_OK);
	fflush(out);
	CHECK(applied == nreal);
	CHECK(text != NULL && strstr(text, "applied 0001_init\n") != NULL);
	CHECK(table_exists(db, "users") && table_exists(db, "sessions"));
	CHECK(count_applied(db) == nreal);
	CHECK(migrate_status(db, sqldir, NULL, &pending) == GH_OK);
	CHECK(pending == 0);
	CHECK(migrate_up(db, sqldir, NULL, &applied) == GH_OK);
	CHECK(applied == 0);
	fclose(out);
	free(text);
	cleanup(db);
}

TEST(up_records_name_and_checksum)
{
	struct db *db = fresh();
	struct db_stmt *st;
	bool row = false;

	CHECK(migrate_up(db, sqldir, NULL, NULL) == GH_OK);
	CHECK(db_prepare(db,
	          "SELECT version, name, length(checksum), applied_at "
	          "FROM schema_migrations ORDER BY version",
	          &st) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK(db_column_int64(st, 0) == 1);
	CHECK_STR(db_column_text(st, 1), "init");
	CHECK(db_column_int64(st, 2) == 64);
	CHECK(db_column_int64(st, 3) > 1700000000);
	db_done(st);
	cleanup(db);
}

TEST(changed_migration_refused_before_anything_runs)
{
	struct db *db = fresh();
	int applied = -1, pending = -1;

	CHECK(migrate_up(db, sqldir, NULL, NULL) == GH_OK);
	append_file(dialdir, "0001_init.up.sql", "\n-- edited after it was applied\n");
	write_file(dialdir, "0099_more.up.sql", "CREATE TABLE more (x INTEGER);\n");
	write_file(dialdir, "0099_more.down.sql", "DROP TABLE more;\n");
	CHECK(migrate_up(db, sqldir, NULL, &applied) == GH_ECHANGED);
	CHECK(applied == 0);
	CHECK(!table_exists(db, "more"));
	CHECK(migrate_status(db, sqldir, NULL, &pending) == GH_ECHANGED);
	CHECK(migrate_down(db, sqldir, 1, NULL) == GH_ECHANGED);
	CHECK(table_exists(db, "users"));
	cleanup(db);
}

TEST(down_then_up_works)
{
	struct db *db = fresh();
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int applied = -1, pending = -1;

	CHECK(migrate_up(db, sqldir, NULL, NULL) == GH_OK);
	CHECK(migrate_down(db, sqldir, nreal, out) == GH_OK);
	fflush(out);
	CHECK(text != NULL && strstr(text, "reverted 0001_init\n") != NULL);
	CHECK(!table_exists(db, "users"));
	CHECK(count_applied(db) == 0);
	CHECK(migrate_status(db, sqldir, NULL, &pending) == GH_OK);
	CHECK(pending == nreal);
	CHECK(migrate_up(db, sqldir, NULL, &applied) == GH_OK);
	CHECK(applied == nreal);
	CHECK(table_exists(db, "users"));
	fclose(out);
	free(text);
	cleanup(db);
}

TEST(down_reverts_only_the_last_n)
{
	struct db *db = fresh();
	int pending = -1;

	write_file(dialdir, "0098_a.up.sql", "CREATE TABLE a (x INTEGER);\n");
	write_file(dialdir, "0098_a.down.sql", "DROP TABLE a;\n");
	write_file(dialdir, "0099_b.up.sql", "CREATE TABLE b (x INTEGER);\n");
	write_file(dialdir, "0099_b.down.sql", "DROP TABLE b;\n");
	CHECK(migrate_up(db, sqldir, NULL, NULL) == GH_OK);
	CHECK(table_exists(db, "a") && table_exists(db, "b"));
	CHECK(migrate_down(db, sqldir, 1, NULL) == GH_OK);
	CHECK(table_exists(db, "a") && !table_exists(db, "b"));
	CHECK(migrate_status(db, sqldir, NULL, &pending) == GH_OK);
	CHECK(pending == 1);
	CHECK(migrate_down(db, sqldir, 0, NULL) == GH_OK);
	CHECK(table_exists(db, "a"));
	CHECK(migrate_down(db, sqldir, -1, NULL) == GH_EINVAL);
	cleanup(db);
}

TEST(failing_migration_rolled_back)
{
	struct db *db = fresh();
	int applied = -1;

	write_file(dialdir, "0099_bad.up.sql",
	    "CREATE TABLE half (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n");
	write_file(dialdir, "0099_bad.down.sql", "DROP TABLE half;\n");
	CHECK(migrate_up(db, sqldir, NULL, &applied) == GH_EDB);
	CHECK(applied == nreal); /* the good ones before it stay applied */
	CHECK(table_exists(db, "users"));
	/* MySQL commits DDL at once: the table made before the failure stays
	 * (migrate.c), but the migration is not recorded. */
	if (strcmp(test_cur->dialect, "mysql") == 0)
		CHECK(table_exists(db, "half"));
	else
		CHECK(!table_exists(db, "half"));
	CHECK(count_applied(db) == nreal);
	cleanup(db);
}

TEST(down_without_down_file_refused)
{
	struct db *db = fresh();

	write_file(dialdir, "0099_nodown.up.sql", "CREATE TABLE nodown (x INTEGER);\n");
	CHECK(migrate_up(db, sqldir, NULL, NULL) == GH_OK);
	CHECK(migrate_down(db, sqldir, 2, NULL) == GH_ENOTFOUND);
	CHECK(table_exists(db, "nodown") && table_exists(db, "users"));
	cleanup(db);
}

TEST(applied_migration_without_file_refused)
{
	struct db *db = fresh();
	char path[PATH_MAX + 64];
	int applied = -1;

	write_file(dialdir, "0099_gone.up.sql", "CREATE TABLE gone (x INTEGER);\n");
	CHECK(migrate_up(db, sqldir, NULL, NULL) == GH_OK);
	snprintf(path, sizeof(path), "%s/0099_gone.up.sql", dialdir);
	unlink(path);
	write_file(dialdir, "0100_next.up.sql", "CREATE TABLE next (x INTEGER);\n");
	CHECK(migrate_up(db, sqldir, NULL, &applied) == GH_ENOTFOUND);
	CHECK(!table_exists(db, "next"));
	cleanup(db);
}

TEST(duplicate_version_refused)
{
	struct db *db = fresh();

	write_file(dialdir, "0099_a.up.sql", "CREATE TABLE a (x INTEGER);\n");
	write_file(dialdir, "0099_b.up.sql", "CREATE TABLE b (x INTEGER);\n");
	CHECK(migrate_up(db, sqldir, NULL, NULL) == GH_ECONFIG);
	CHECK(!table_exists(db, "users"));
	cleanup(db);
}

TEST(migrations_run_in_number_order_and_other_files_ignored)
{
	struct db *db = fresh();

	/* 0010 needs 0009's table; readdir order is not sorted. */
	write_file(dialdir, "0010_second.up.sql", "INSERT INTO first VALUES (1);\n");
	write_file(dialdir, "0009_first.up.sql", "CREATE TABLE first (x INTEGER);\n");
	write_file(dialdir, "README", "not a migration\n");
	write_file(dialdir, "0011_backup.up.sql~", "SELECT nonsense;\n");
	write_file(dialdir, "0012_bad name.up.sql", "SELECT nonsense;\n");
	CHECK(migrate_up(db, sqldir, NULL, NULL) == GH_OK);
	CHECK(count_applied(db) == nreal + 2);
	cleanup(db);
}

TEST(missing_sql_dir_refused)
{
	struct db *db = fresh();

	CHECK(migrate_up(db, "/nonexistent/sql", NULL, NULL) == GH_ENOTFOUND);
	CHECK(migrate_up(db, NULL, NULL, NULL) == GH_ECONFIG);
	cleanup(db);
}

TEST(schema_has_every_table)
{
	static const char *const tables[] = {"users", "roles", "user_roles", "sessions",
	    "refresh_tokens", "revoked_jti", "sso_jti", "verification_tokens", "recovery_codes",
	    "security_log", "throttle", "personal_access_tokens"};
	struct db *db = fresh();
	struct db_stmt *st;
	size_t i;
	bool row = false;

	CHECK(migrate_up(db, sqldir, NULL, NULL) == GH_OK);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if (!table_exists(db, tables[i]))
			fprintf(stderr, "%s: no table %s\n", test_cur->name, tables[i]);
		CHECK(table_exists(db, tables[i]));
	}
	CHECK(db_prepare(db, "SELECT name, description FROM roles", &st) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row);
	CHECK_STR(db_column_text(st, 0), "admin");
	db_done(st);
	CHECK(migrate_down(db, sqldir, nreal, NULL) == GH_OK);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		CHECK(!table_exists(db, tables[i]));
	cleanup(db);
}

static void
suite(void)
{
	RUN(schema_has_every_table);
	RUN(status_before_up_all_pending_and_nothing_written);
	RUN(up_applies_real_migrations_then_nothing_pending);
	RUN(up_records_name_and_checksum);
	RUN(changed_migration_refused_before_anything_runs);
	RUN(down_then_up_works);
	RUN(down_reverts_only_the_last_n);
	RUN(failing_migration_rolled_back);
	RUN(down_without_down_file_refused);
	RUN(applied_migration_without_file_refused);
	RUN(duplicate_version_refused);
	RUN(migrations_run_in_number_order_and_other_files_ignored);
	RUN(missing_sql_dir_refused);
}

int
main(void)
{
	return test_backend_main(TEST_EVERY_BACKEND, NULL, suite, NULL);
}
