/*
 * migrate.h: the schema migration runner.
 *
 * Migrations are files "NNNN_name.up.sql" and "NNNN_name.down.sql" in
 * SQL_DIR/<dialect>/.  Applied ones are recorded in schema_migrations
 * (version, name, checksum = SHA-256 of the up file, applied_at).  "up"
 * applies every pending one in order, each in its own transaction; an applied
 * migration whose file changed is refused (GH_ECHANGED) before anything runs.
 * "down" reverts the last n applied ones.
 */
#ifndef GH_MIGRATE_H
#define GH_MIGRATE_H

#include <stdio.h>

#include "db.h"
#include "err.h"

/* migrate_up applies all pending migrations; prints one line per migration to
 * out (may be NULL).  *applied (may be NULL) receives the count. */
enum gh_err migrate_up(struct db *db, const char *sql_dir, FILE *out, int *applied);
/* migrate_down reverts the last n applied migrations. */
enum gh_err migrate_down(struct db *db, const char *sql_dir, int n, FILE *out);
/* migrate_status prints each migration with "applied" or "pending"; *pending
 * (may be NULL) receives the number not applied. */
enum gh_err migrate_status(struct db *db, const char *sql_dir, FILE *out, int *pending);

#endif
