/*
 * db_pgsql_text.h: what the PostgreSQL driver reads as text
 * (db_pgsql_text.c): its URLs, for the transport rule, and the SQL whose
 * "?" placeholders become $1..$n; for db_pgsql.c alone.
 */
#ifndef GH_DB_PGSQL_TEXT_H
#define GH_DB_PGSQL_TEXT_H

#include "buf.h"
#include "db_driver.h"

/* pg_url_problem is the driver's url_problem (db_driver.h). */
const char *pg_url_problem(const char *url);
/* pg_rewrite appends sql to out with each "?" outside literals, quoted
 * identifiers and comments made $1, $2...; *n gets their count.  GH_ETOOBIG
 * over PG_MAX_PARAMS, GH_EINVAL for an unterminated quote or comment. */
enum gh_err pg_rewrite(const char *sql, struct buf *out, int *n);

#define PG_MAX_PARAMS 65535

#endif
