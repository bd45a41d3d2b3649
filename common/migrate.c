/*
 * migrate.c: the schema migration runner (see migrate.h).
 *
 * The folder SQL_DIR/<dialect>/ holds "NNNN_name.up.sql" and, for each,
 * "NNNN_name.down.sql"; other files (a grants folder, editor backups) are
 * ignored.  Every run first reads all migration files and the applied rows
 * of schema_migrations and checks them against each other: an applied
 * migration whose up file changed (its SHA-256 differs from the recorded
 * checksum) or vanished stops the run before any SQL is executed.  Each
 * migration then runs in its own transaction together with its row in
 * schema_migrations, so a failing one leaves the schema as it was before it
 * (a migration file must therefore not hold BEGIN or COMMIT itself).
 *
 * That holds on SQLite and PostgreSQL, whose DDL is transactional.  On
 * MariaDB/MySQL every CREATE, ALTER or DROP commits at once, whatever
 * transaction is open: a migration failing half-way keeps the statements
 * before the failure and is not recorded, so running it again meets what
 * it already made.  The runner logs that, and MySQL migrations are written
 * so that their down file cleans up a half-applied up (DROP ... IF EXISTS).
 * Only the bookkeeping row and the data statements of a migration are
 * rolled back there.  The dialect's own SQL is limited to finding and
 * creating schema_migrations: one struct migrate_sql per dialect.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "db.h"
#include "log.h"
#include "migrate.h"

#define MIGRATE_MAX_FILE (16 * 1024 * 1024)
#define MIGRATE_MAX_NAME 128

struct migration {
	int64_t version;
	char stem[MIGRATE_MAX_NAME]; /* "0001_init" */
	const char *name;            /* the part after "NNNN_", inside stem */
	char *up;                    /* contents of the up file */
	bool has_down;
	char checksum[CRYPTO_SHA256_HEX_LEN + 1];
	/* From schema_migrations. */
	bool applied;
	bool changed;
};

struct applied {
	int64_t version;
	char checksum[CRYPTO_SHA256_HEX_LEN + 1];
	char name[MIGRATE_MAX_NAME];
};

/* What differs by dialect. */
struct migrate_sql {
	/* Whether schema_migrations exists in the current database or schema
	 * (a server may hold other Gatehouse databases): its count. */
	const char *table_exists;
	const char *create_table;
	bool ddl_commits; /* CREATE, ALTER and DROP commit at once (see above) */
};

static const struct migrate_sql migrate_sqls[DB_NDIALECTS] = {
    [DB_SQLITE] =
        {
            .table_exists = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                            "name = 'schema_migrations'",
            .create_table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                            "version INTEGER PRIMARY KEY, "
                            "name TEXT NOT NULL, "
                            "checksum TEXT NOT NULL, "
                            "applied_at INTEGER NOT NULL)",
        },
    [DB_MYSQL] =
        {
            .table_exists = "SELECT count(*) FROM information_schema.tables WHERE "
                            "table_schema = DATABASE() AND table_name = 'schema_migrations'",
            .create_table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                            "version BIGINT NOT NULL PRIMARY KEY, "
                            "name VARCHAR(255) NOT NULL, "
                            "checksum CHAR(64) NOT NULL, "
                            "applied_at BIGINT NOT NULL"
                            ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
            .ddl_commits = true,
        },
    [DB_POSTGRESQL] =
        {
            .table_exists = "SELECT count(*) FROM information_schema.tables WHERE "
                            "table_schema = current_schema() AND "
                            "table_name = 'schema_migrations'",
            .create_table = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                            "version BIGINT PRIMARY KEY, "
                            "name VARCHAR(255) NOT NULL, "
                            "checksum CHAR(64) NOT NULL, "
                            "applied_at BIGINT NOT NULL)",
        },
};

struct migrate_set {
	const struct migrate_sql *sql; /* the database's dialect's */
	char dir[4096];
	struct migration *m; /* sorted by version */
	size_t n;
	struct applied *a; /* applied rows without a file */
	size_t na_orphan;
	bool changed; /* some applied migration changed on disk */
};

static void
migrate_set_cleanup(struct migrate_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->m[i].up);
	free(s->m);
	free(s->a);
	memset(s, 0, sizeof(*s));
}

/* migrate_read_file reads path into a NUL-terminated heap string. */
static enum gh_err
migrate_read_file(const char *path, char **out)
{
	FILE *f;
	struct stat sb;
	char *p = NULL;
	size_t n;
	enum gh_err e = GH_EIO;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		log_msg(LOG_ERR, "migrate: %s: %s", path, strerror(errno));
		return GH_EIO;
	}
	if (fstat(fileno(f), &sb) == -1) {
		log_msg(LOG_ERR, "migrate: %s: %s", path, strerror(errno));
		goto out;
	}
	if (sb.st_size < 0 || sb.st_size > MIGRATE_MAX_FILE) {
		log_msg(LOG_ERR, "migrate: %s: larger than %d bytes", path, MIGRATE_MAX_FILE);
		e = GH_ETOOBIG;
		goto out;
	}
	if ((p = malloc((size_t)sb.st_size + 1)) == NULL) {
		log_msg(LOG_ERR, "migrate: out of memory");
		e = GH_ENOMEM;
		goto out;
	}
	n = fread(p, 1, (size_t)sb.st_size, f);
	if (n != (size_t)sb.st_size || ferror(f)) {
		log_msg(LOG_ERR, "migrate: %s: short read", path);
		goto out;
	}
	p[n] = '\0';
	if (strlen(p) != n) {
		log_msg(LOG_ERR, "migrate: %s: contains a NUL byte", path);
		e = GH_EINVAL;
		goto out;
	}
	*out = p;
	p = NULL;
	e = GH_OK;
out:
	free(p);
	fclose(f);
	return e;
}

/* migrate_parse_name splits "NNNN_name.up.sql" (kind "up") or
 * "NNNN_name.down.sql"; false when fname is not a migration of that kind. */
static bool
migrate_parse_name(
    const char *fname, const char *suffix, int64_t *version, char *stem, size_t stemlen)
{
	size_t len = strlen(fname), slen = strlen(suffix), i, digits;
	int64_t v = 0;

	if (len <= slen || strcmp(fname + len - slen, suffix) != 0)
		return false;
	len -= slen;
	for (digits = 0; digits < len && fname[digits] >= '0' && fname[digits] <= '9'; digits++)
		v = v * 10 + (fname[digits] - '0');
	if (digits == 0 || digits > 9 || digits + 1 >= len || fname[digits] != '_')
		return false;
	for (i = digits + 1; i < len; i++) {
		char c = fname[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		        c == '_' || c == '-'))
			return false;
	}
	if (len >= stemlen)
		return false;
	memcpy(stem, fname, len);
	stem[len] = '\0';
	*version = v;
	return true;
}

static int
migrate_cmp(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

static struct migration *
migrate_find(struct migrate_set *s, int64_t version)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->m[i].version == version)
			return &s->m[i];
	return NULL;
}

/* migrate_scan reads the migration files of dir into s (sorted). */
static enum gh_err
migrate_scan(struct migrate_set *s)
{
	DIR *d;
	struct dirent *de;
	struct migration *m;
	char stem[MIGRATE_MAX_NAME], path[4096 + 256];
	int64_t version;
	size_t i, cap = 0;
	enum gh_err e = GH_OK;
	int r;

	if ((d = opendir(s->dir)) == NULL) {
		log_msg(LOG_ERR, "migrate: %s: %s", s->dir, strerror(errno));
		return errno == ENOENT ? GH_ENOTFOUND : GH_EIO;
	}
	while ((de = readdir(d)) != NULL) {
		if (!migrate_parse_name(de->d_name, ".up.sql", &version, stem, sizeof(stem)))
			continue;
		if (migrate_find(s, version) != NULL) {
			log_msg(LOG_ERR, "migrate: %s: two migrations numbered %lld", s->dir,
			    (long long)version);
			e = GH_ECONFIG;
			goto out;
		}
		if (s->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct migration *nm = realloc(s->m, ncap * sizeof(*nm));
			if (nm == NULL) {
				log_msg(LOG_ERR, "migrate: out of memory");
				e = GH_ENOMEM;
				goto out;
			}
			s->m = nm;
			cap = ncap;
		}
		m = &s->m[s->n];
		memset(m, 0, sizeof(*m));
		m->version = version;
		memcpy(m->stem, stem, sizeof(stem));
		s->n++;
		r = snprintf(path, sizeof(path), "%s/%s.up.sql", s->dir, m->stem);
		if (r < 0 || (size_t)r >= sizeof(path)) {
			log_msg(LOG_ERR, "migrate: %s: path too long", s->dir);
			e = GH_ETOOBIG;
			goto out;
		}
		if ((e = migrate_read_file(path, &m->up)) != GH_OK)
			goto out;
		crypto_sha256_hex(m->up, strlen(m->up), m->checksum);
		r = snprintf(path, sizeof(path), "%s/%s.down.sql", s->dir, m->stem);
		if (r < 0 || (size_t)r >= sizeof(path)) {
			e = GH_ETOOBIG;
			goto out;
		}
		m->has_down = access(path, R_OK) == 0;
	}
	qsort(s->m, s->n, sizeof(*s->m), migrate_cmp);
	/* name points into stem: set it once the array no longer moves. */
	for (i = 0; i < s->n; i++)
		s->m[i].name = strchr(s->m[i].stem, '_') + 1;
out:
	closedir(d);
	return e;
}

/* migrate_table_exists tells whether schema_migrations exists. */
static enum gh_err
migrate_table_exists(struct db *db, const struct migrate_sql *sql, bool *exists)
{
	struct db_stmt *st;
	enum gh_err e;
	bool row;

	*exists = false;
	if ((e = db_prepare(db, sql->table_exists, &st)) != GH_OK)
		return e;
	if ((e = db_step(st, &row)) == GH_OK && row)
		*exists = db_column_int64(st, 0) > 0;
	db_done(st);
	return e;
}

/* migrate_load reads the files and the applied rows into s and checks them.
 * create: make schema_migrations when missing (up, down) or not (status). */
static enum gh_err
migrate_load(struct db *db, const char *sql_dir, bool create, struct migrate_set *s)
{
	struct db_stmt *st = NULL;
	struct migration *m;
	struct applied *a;
	const char *txt;
	size_t cap = 0;
	enum gh_err e;
	bool row, exists;
	int r;

	memset(s, 0, sizeof(*s));
	if (sql_dir == NULL) {
		log_msg(LOG_ERR, "migrate: no sql_dir configured");
		return GH_ECONFIG;
	}
	s->sql = &migrate_sqls[db_dialect(db)];
	r = snprintf(s->dir, sizeof(s->dir), "%s/%s", sql_dir, db_dialect_name(db_dialect(db)));
	if (r < 0 || (size_t)r >= sizeof(s->dir)) {
		log_msg(LOG_ERR, "migrate: sql_dir too long");
		return GH_ETOOBIG;
	}
	if ((e = migrate_scan(s)) != GH_OK)
		return e;
	if (create) {
		if ((e = db_exec(db, s->sql->create_table)) != GH_OK)
			return e;
	} else {
		if ((e = migrate_table_exists(db, s->sql, &exists)) != GH_OK || !exists)
			return e;
	}

	if ((e = db_prepare(db,
	         "SELECT version, name, checksum FROM schema_migrations "
	         "ORDER BY version",
	         &st)) != GH_OK)
		return e;
	while ((e = db_step(st, &row)) == GH_OK && row) {
		int64_t v = db_column_int64(st, 0);
		if ((m = migrate_find(s, v)) != NULL) {
			m->applied = true;
			txt = db_column_text(st, 2);
			if (txt == NULL || !crypto_equal(m->checksum, txt)) {
				log_msg(LOG_ERR,
				    "migrate: %s/%s.up.sql was changed after it was "
				    "applied; restore it (or revert it with the old file first)",
				    s->dir, m->stem);
				m->changed = true;
				s->changed = true;
			}
			continue;
		}
		/* Applied, but its file is gone: the code is older than the schema. */
		if (s->na_orphan == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct applied *na = realloc(s->a, ncap * sizeof(*na));
			if (na == NULL) {
				log_msg(LOG_ERR, "migrate: out of memory");
				e = GH_ENOMEM;
				break;
			}
			s->a = na;
			cap = ncap;
		}
		a = &s->a[s->na_orphan++];
		memset(a, 0, sizeof(*a));
		a->version = v;
		txt = db_column_text(st, 1);
		snprintf(a->name, sizeof(a->name), "%04lld_%s", (long long)v, txt ? txt : "");
	}
	db_done(st);
	return e;
}

/* migrate_check refuses to go on when the files and the table disagree. */
static enum gh_err
migrate_check(const struct migrate_set *s)
{
	if (s->changed)
		return GH_ECHANGED;
	if (s->na_orphan > 0) {
		log_msg(LOG_ERR, "migrate: migration %s is applied but has no file in %s",
		    s->a[0].name, s->dir);
		return GH_ENOTFOUND;
	}
	return GH_OK;
}

/* One migration's script and bookkeeping, for migrate_apply. */
struct migrate_step {
	const struct migration *m;
	const char *script; /* the up or the down file */
	bool up;
	bool ran; /* migrate_apply was called: the transaction was open */
};

/* migrate_apply runs a migration step (db_transact's fn). */
static enum gh_err
migrate_apply(struct db *db, void *arg)
{
	struct migrate_step *step = arg;
	const struct migration *m = step->m;
	enum gh_err e;

	step->ran = true;
	if ((e = db_exec(db, step->script)) != GH_OK)
		return e;
	if (step->up)
		return db_run(db,
		    "INSERT INTO schema_migrations (version, name, checksum, "
		    "applied_at) VALUES (?, ?, ?, ?)",
		    DB_INT64(m->version), DB_TEXT(m->name), DB_TEXT(m->checksum),
		    DB_INT64((int64_t)time(NULL)));
	return db_run(db, "DELETE FROM schema_migrations WHERE version = ?", DB_INT64(m->version));
}

/* migrate_run runs one migration's script and its bookkeeping in a
 * transaction. */
static enum gh_err
migrate_run(struct db *db, const struct migrate_set *s, const struct migration *m, bool up)
{
	struct migrate_step step = {.m = m, .script = m->up, .up = up};
	char path[4096 + 256], *down = NULL;
	enum gh_err e;
	int r;

	if (!up) {
		r = snprintf(path, sizeof(path), "%s/%s.down.sql", s->dir, m->stem);
		if (r < 0 || (size_t)r >= sizeof(path))
			return GH_ETOOBIG;
		if ((e = migrate_read_file(path, &down)) != GH_OK)
			return e;
		step.script = down;
	}
	/* A failure once the transaction was open was rolled back. */
	if ((e = db_transact(db, migrate_apply, &step)) != GH_OK && step.ran) {
		if (s->sql->ddl_commits)
			log_msg(LOG_ERR,
			    "migrate: %s %s failed; MySQL cannot roll back the DDL that ran "
			    "before the failure: check the schema (a down file cleans up a "
			    "half-applied up)",
			    m->stem, up ? "up" : "down");
		else
			log_msg(LOG_ERR, "migrate: %s %s failed; rolled back", m->stem,
			    up ? "up" : "down");
	}
	free(down);
	return e;
}

enum gh_err
migrate_up(struct db *db, const char *sql_dir, FILE *out, int *applied)
{
	struct migrate_set s;
	size_t i;
	int count = 0;
	enum gh_err e;

	if (applied != NULL)
		*applied = 0;
	if ((e = migrate_load(db, sql_dir, true, &s)) != GH_OK || (e = migrate_check(&s)) != GH_OK)
		goto out;
	for (i = 0; i < s.n; i++) {
		if (s.m[i].applied)
			continue;
		if ((e = migrate_run(db, &s, &s.m[i], true)) != GH_OK)
			goto out;
		count++;
		if (out != NULL)
			fprintf(out, "applied %s\n", s.m[i].stem);
	}
out:
	if (applied != NULL)
		*applied = count;
	migrate_set_cleanup(&s);
	return e;
}

enum gh_err
migrate_down(struct db *db, const char *sql_dir, int n, FILE *out)
{
	struct migrate_set s;
	size_t i;
	int todo;
	enum gh_err e;

	if (n < 0)
		return GH_EINVAL;
	if ((e = migrate_load(db, sql_dir, true, &s)) != GH_OK || (e = migrate_check(&s)) != GH_OK)
		goto out;
	/* Every down file needed must be there before the first one runs. */
	for (i = s.n, todo = n; i > 0 && todo > 0; i--) {
		if (!s.m[i - 1].applied)
			continue;
		if (!s.m[i - 1].has_down) {
			log_msg(
			    LOG_ERR, "migrate: %s/%s.down.sql is missing", s.dir, s.m[i - 1].stem);
			e = GH_ENOTFOUND;
			goto out;
		}
		todo--;
	}
	for (i = s.n, todo = n; i > 0 && todo > 0; i--) {
		if (!s.m[i - 1].applied)
			continue;
		if ((e = migrate_run(db, &s, &s.m[i - 1], false)) != GH_OK)
			goto out;
		todo--;
		if (out != NULL)
			fprintf(out, "reverted %s\n", s.m[i - 1].stem);
	}
out:
	migrate_set_cleanup(&s);
	return e;
}

enum gh_err
migrate_status(struct db *db, const char *sql_dir, FILE *out, int *pending)
{
	struct migrate_set s;
	size_t i;
	int count = 0;
	enum gh_err e;

	if (pending != NULL)
		*pending = 0;
	if ((e = migrate_load(db, sql_dir, false, &s)) != GH_OK)
		goto out;
	for (i = 0; i < s.na_orphan; i++)
		if (out != NULL)
			fprintf(out, "%s applied (no file)\n", s.a[i].name);
	for (i = 0; i < s.n; i++) {
		if (!s.m[i].applied)
			count++;
		if (out != NULL)
			fprintf(out, "%s %s\n", s.m[i].stem,
			    s.m[i].changed   ? "changed"
			    : s.m[i].applied ? "applied"
			                     : "pending");
	}
	if (pending != NULL)
		*pending = count;
	if (s.changed)
		e = GH_ECHANGED;
out:
	migrate_set_cleanup(&s);
	return e;
}
