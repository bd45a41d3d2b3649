/*
 * db_driver.h: what the database layer shares inside itself, between the
 * generic layer (db.c) and its drivers (db_sqlite.c, db_mysql.c,
 * db_pgsql.c); no other file includes it.  The public API is db.h.
 *
 * A driver is a struct db_driver, a table of functions over its own
 * connection and statement types (void * here); db.c keeps the list of the
 * drivers built and picks one by the URL's scheme.  The helpers below
 * (db_driver.c) are the parts of the transport rule of db_url_problem that
 * both server drivers apply to their own reading of a URL, a monotonic
 * clock and the growth of a buffer.
 */
#ifndef GH_DB_DRIVER_H
#define GH_DB_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

/*
 * The function table a driver provides (see db_sqlite.c).  The generic layer
 * calls it from one thread per connection.  Every entry that can fail logs
 * its failure once (never bound values or passwords) and returns GH_EDB, or
 * GH_EEXISTS for a unique-key violation (not logged), GH_ENOMEM or
 * GH_EINVAL.  finalize is called only before the connection is closed or
 * dropped, so a driver need not tell the server (the connection's end
 * frees what the server holds).  reset must not fail and must leave no
 * bindings: an unbound parameter is NULL.  column_text returns NULL for
 * NULL; column_int64 returns 0 for NULL and parses text, and booleans are 1
 * or 0.  gone (NULL for a driver whose connection cannot be lost) is asked
 * after a failure: true when the connection is unusable (the server went
 * away, killed it or did not answer in time); the generic layer then closes
 * it and opens a new one with the same url, password and busy timeout.
 * ping (NULL where gone is) asks the server whether the connection still
 * works, quietly, within the statement timeout: GH_OK or GH_EDB.  socket
 * (NULL where gone is) returns the connection's socket, for the generic
 * layer to poll(2) between statements (never to read or write), or -1 when
 * there is none.
 */
struct db_driver {
	const char *scheme; /* URL scheme, e.g. "sqlite" */
	const char *alias;  /* another scheme it takes, or NULL ("postgres") */
	enum db_dialect dialect;
	const char *begin; /* the statement that opens a transaction (db_begin) */
	enum gh_err (*open)(const char *url, const char *password, int64_t busy_ms, void **conn);
	void (*close)(void *conn);
	enum gh_err (*exec)(void *conn, const char *sql);
	enum gh_err (*prepare)(void *conn, const char *sql, void **stmt);
	void (*finalize)(void *stmt);
	enum gh_err (*bind_text)(void *stmt, int idx, const char *s);
	enum gh_err (*bind_int64)(void *stmt, int idx, int64_t v);
	enum gh_err (*bind_null)(void *stmt, int idx);
	int (*param_count)(void *stmt); /* the statement's parameters */
	enum gh_err (*step)(void *stmt, bool *row);
	const char *(*column_text)(void *stmt, int col);
	int64_t (*column_int64)(void *stmt, int col);
	bool (*column_is_null)(void *stmt, int col);
	int (*column_count)(void *stmt);
	void (*reset)(void *stmt);
	int64_t (*changes)(void *conn);
	int64_t (*last_insert_id)(void *conn);
	const char *(*errmsg)(void *conn);
	bool (*gone)(void *conn);
	enum gh_err (*ping)(void *conn);
	int (*socket)(void *conn);
	/* notifications (NULL but for PostgreSQL) waits up to timeout_ms for
	 * the notifications of the channels the connection LISTENs to and
	 * calls fn with the payload of each (those already received first);
	 * GH_EDB when the connection is unusable. */
	enum gh_err (*notifications)(
	    void *conn, int timeout_ms, void (*fn)(const char *payload, void *arg), void *arg);
	/* backup (NULL where the server has its own tools) copies the whole
	 * database, consistently, into a new file at path. */
	enum gh_err (*backup)(void *conn, const char *path);
	/* url_problem (NULL: any URL of the scheme is taken) is db_url_problem
	 * for the driver's URLs; it must not log, connect or resolve names. */
	const char *(*url_problem)(const char *url);
};

/* For the drivers' url_problem: the sslmode values (libpq's names) and the
 * transport rule of db_url_problem. */
enum db_tls {
	DB_TLS_UNSET, /* no sslmode given */
	DB_TLS_DISABLE,
	DB_TLS_ALLOW,       /* libpq only: TLS if the server insists */
	DB_TLS_PREFER,      /* libpq only (its default): TLS if the server has it */
	DB_TLS_REQUIRE,     /* TLS, the certificate not verified */
	DB_TLS_VERIFY_CA,   /* TLS, the certificate signed by the CA */
	DB_TLS_VERIFY_FULL, /* ... and naming the host */
	DB_TLS_INVALID
};
/* db_tls_mode parses an sslmode value (NULL: DB_TLS_UNSET). */
enum db_tls db_tls_mode(const char *v);
/* db_host_is_loopback tells whether host (a name or an address, IPv6
 * without brackets) is "localhost" or a loopback address literal. */
bool db_host_is_loopback(const char *host);
/* db_tls_problem applies the transport rule to a connection to a host on
 * this machine (local) or not, with sslmode mode; NULL when it holds. */
const char *db_tls_problem(bool local, enum db_tls mode);

/* For the drivers: db_now_ms returns a monotonic clock in milliseconds.
 * db_reserve grows the heap block *buf of *cap bytes (0: none yet) to at
 * least need bytes, doubling from *cap (from 32 when 0), as a parameter's
 * or a column's buffer grows; false when out of memory or need is not
 * below SIZE_MAX / 2, *buf and *cap then unchanged.  It does not log. */
int64_t db_now_ms(void);
bool db_reserve(char **buf, size_t *cap, size_t need);

extern const struct db_driver db_sqlite_driver;
extern const struct db_driver db_mysql_driver; /* with --with-mysql */
extern const struct db_driver db_pgsql_driver; /* with --with-pgsql */

#endif
