/*
 * db_mysql_impl.h: what the MariaDB driver's files share; private to them.
 * db_mysql.c holds the connection (set-up, TLS, session, errors) and the
 * driver table, db_mysql_stmt.c the prepared statements and their results,
 * db_mysql_url.c the URLs.  How the driver works is told at the top of
 * db_mysql.c.
 */
#ifndef GH_DB_MYSQL_IMPL_H
#define GH_DB_MYSQL_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <mysql.h>

#include "db_driver.h"

struct my_conn {
	MYSQL *mysql;
	bool gone; /* the connection is unusable */
	int64_t changes;
	int64_t insert_id;
	char errmsg[512];
};

/* my_fail (db_mysql.c) maps error no (message msg) of what on sql (may be
 * NULL) to an error, logging it unless it is a duplicate key, and marks c
 * gone when the error leaves the connection unusable. */
enum gh_err my_fail(
    struct my_conn *c, unsigned int no, const char *msg, const char *what, const char *sql);

/* db_mysql_stmt.c: the statement entries of the driver table (db_driver.h
 * says what each one does). */
enum gh_err my_stmt_prepare(void *conn, const char *sql, void **out);
void my_stmt_finalize(void *stmt);
enum gh_err my_stmt_bind_text(void *stmt, int idx, const char *str);
enum gh_err my_stmt_bind_int64(void *stmt, int idx, int64_t v);
enum gh_err my_stmt_bind_null(void *stmt, int idx);
int my_stmt_param_count(void *stmt);
enum gh_err my_stmt_step(void *stmt, bool *row);
const char *my_stmt_column_text(void *stmt, int col);
int64_t my_stmt_column_int64(void *stmt, int col);
bool my_stmt_column_is_null(void *stmt, int col);
int my_stmt_column_count(void *stmt);
void my_stmt_reset(void *stmt);

#endif
