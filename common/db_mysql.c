/*
 * db_mysql.c: the MariaDB/MySQL driver of the database layer (db.h,
 * db_driver.h), over MariaDB Connector/C (Debian's
 * default-libmysqlclient-dev).
 *
 * URLs: "mysql://user@host[:port]/db" over TCP, and
 * "mysql://user@localhost/db?socket=/run/mysqld/mysqld.sock" over a Unix
 * socket (as with the mysql client, host "localhost" means the socket; the
 * default one when no socket is given).  User, database and the values of
 * the options may be percent-encoded.  The password comes from db_open's
 * argument only: a URL carrying one is refused, and no URL is ever logged.
 *
 * TLS takes libpq's option names, so that both server databases are set up
 * alike: sslmode=disable (the default: no TLS), require (TLS, certificate
 * not verified; with sslrootcert, verified as verify-ca), verify-ca
 * (MYSQL_OPT_SSL_CA: the chain up to sslrootcert) or verify-full (and the
 * host name, MYSQL_OPT_SSL_VERIFY_SERVER_CERT), each with
 * MYSQL_OPT_SSL_ENFORCE.  The verifying modes need sslrootcert: the client
 * library has no CA store of its own to fall back on.  A connection that
 * should be encrypted and is not (mysql_get_ssl_cipher) is refused.  A host
 * not on this machine needs one of them or an explicit sslmode=disable
 * (db_url_problem).
 *
 * Every statement is a server-side prepared statement (mysql_stmt_*),
 * its parameters bound and its results fetched as text: db_mysql_stmt.c.
 * This file holds the connection and the driver table; db_mysql_impl.h is
 * what the driver's files share.
 *
 * The session is set up for one SQL text shared with SQLite and
 * PostgreSQL: utf8mb4, UTC, READ COMMITTED, a strict sql_mode with
 * ANSI_QUOTES ("name" is an identifier), PIPES_AS_CONCAT (|| joins text) and
 * NO_BACKSLASH_ESCAPES ('\' is an ordinary character, as in standard SQL).
 * The connection flag CLIENT_FOUND_ROWS makes an UPDATE count the rows it
 * matched, as the other drivers do, not only those it changed.
 *
 * Timeouts (db.h): connecting gives up after DB_CONNECT_TIMEOUT_S; a lock
 * wait after the busy timeout (innodb_lock_wait_timeout, whole seconds, at
 * least 1); a statement is stopped by the server after the busy timeout +
 * DB_STATEMENT_EXTRA_MS (max_statement_time: MariaDB only, skipped where the
 * server does not know it), and the client stops waiting for an answer
 * DB_CLIENT_GRACE_MS after that (MYSQL_OPT_READ_TIMEOUT/WRITE_TIMEOUT), so a
 * hung server cannot hang a worker.  Automatic reconnection is off: a lost
 * connection (server gone, connection killed, timeout) is reported through
 * gone() and db.c reopens it; ping() is mysql_ping, which then only asks;
 * socket() is the connection's, which db.c polls between statements.
 * A failure is logged here, once, with the statement's SQL text, never its
 * values; a duplicate key is GH_EEXISTS and not logged.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "db_mysql_impl.h"
#include "db_mysql_url.h"
#include "log.h"

#define MY_SQL_MODE                                                                  \
	"STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE," \
	"NO_ENGINE_SUBSTITUTION,ANSI_QUOTES,PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES"

static pthread_once_t my_once = PTHREAD_ONCE_INIT;
static int my_library_rc;

/* mysql_library_init is not thread-safe: run it once, before any
 * mysql_init (which would otherwise call it in whichever thread came). */
static void
my_library_init(void)
{
	my_library_rc = mysql_library_init(0, NULL, NULL);
}

/* my_is_gone tells whether error number no leaves the connection unusable. */
static bool
my_is_gone(unsigned int no)
{
	switch (no) {
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_COMMANDS_OUT_OF_SYNC:
	case ER_CONNECTION_KILLED:
	case ER_SERVER_SHUTDOWN:
	case ER_NORMAL_SHUTDOWN:
		return true;
	default:
		return false;
	}
}

/* my_fail: see db_mysql_impl.h. */
enum gh_err
my_fail(struct my_conn *c, unsigned int no, const char *msg, const char *what, const char *sql)
{
	if (no == ER_DUP_ENTRY || no == ER_DUP_ENTRY_WITH_KEY_NAME)
		return GH_EEXISTS;
	if (my_is_gone(no))
		c->gone = true;
	snprintf(c->errmsg, sizeof(c->errmsg), "%s (%u)", msg, no);
	log_msg(LOG_ERR, "mysql: %s%s%s%s: %s", what, sql ? " \"" : "", sql ? sql : "",
	    sql ? "\"" : "", c->errmsg);
	return no == CR_OUT_OF_MEMORY ? GH_ENOMEM : GH_EDB;
}

static enum gh_err
my_conn_fail(struct my_conn *c, const char *what, const char *sql)
{
	return my_fail(c, mysql_errno(c->mysql), mysql_error(c->mysql), what, sql);
}

/* my_tls sets c's TLS options for u (see the top of this file). */
static enum gh_err
my_tls(struct my_conn *c, const struct my_url *u)
{
	my_bool on = 1;

	if (u->tls == DB_TLS_UNSET || u->tls == DB_TLS_DISABLE)
		return GH_OK;
	if (mysql_options(c->mysql, MYSQL_OPT_SSL_ENFORCE, &on) != 0 ||
	    (u->sslrootcert != NULL &&
	        mysql_options(c->mysql, MYSQL_OPT_SSL_CA, u->sslrootcert) != 0) ||
	    (u->tls == DB_TLS_VERIFY_FULL &&
	        mysql_options(c->mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on) != 0)) {
		log_msg(LOG_ERR, "mysql: cannot set the TLS options");
		return GH_EDB;
	}
	return GH_OK;
}

/* my_query runs one statement without parameters or rows (session set-up). */
static enum gh_err
my_query(struct my_conn *c, const char *sql)
{
	if (mysql_real_query(c->mysql, sql, strlen(sql)) != 0)
		return my_conn_fail(c, "query", sql);
	return GH_OK;
}

static void
my_close(void *conn)
{
	struct my_conn *c = conn;

	if (c == NULL)
		return;
	if (c->mysql != NULL)
		mysql_close(c->mysql);
	free(c);
}

/* my_session sets up a new connection (see the top of this file). */
static enum gh_err
my_session(struct my_conn *c, int64_t busy_ms)
{
	char sql[256];
	int64_t lock_s = (busy_ms + 999) / 1000, stmt_ms = busy_ms + DB_STATEMENT_EXTRA_MS;
	enum gh_err e;
	int r;

	if (lock_s < 1)
		lock_s = 1;
	/* Only numbers computed here go into these texts. */
	r = snprintf(sql, sizeof(sql),
	    "SET SESSION sql_mode = '" MY_SQL_MODE "', time_zone = '+00:00', "
	    "innodb_lock_wait_timeout = %lld",
	    (long long)lock_s);
	if (r < 0 || (size_t)r >= sizeof(sql)) {
		log_msg(LOG_ERR, "mysql: session set-up too long");
		return GH_EINVAL;
	}
	if ((e = my_query(c, sql)) != GH_OK ||
	    (e = my_query(c, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")) != GH_OK)
		return e;
	r = snprintf(sql, sizeof(sql), "SET SESSION max_statement_time = %lld.%03lld",
	    (long long)(stmt_ms / 1000), (long long)(stmt_ms % 1000));
	if (r < 0 || (size_t)r >= sizeof(sql))
		return GH_EINVAL;
	if (mysql_real_query(c->mysql, sql, strlen(sql)) != 0) {
		/* MySQL has no max_statement_time: the read timeout still holds. */
		if (mysql_errno(c->mysql) != ER_UNKNOWN_SYSTEM_VARIABLE)
			return my_conn_fail(c, "query", sql);
	}
	return GH_OK;
}

static enum gh_err
my_open(const char *url, const char *password, int64_t busy_ms, void **out)
{
	struct my_url u;
	struct my_conn *c = NULL;
	unsigned int connect_s = DB_CONNECT_TIMEOUT_S, rw_s, local_infile = 0;
	int64_t rw_ms;
	my_bool reconnect = 0;
	const char *why;
	enum gh_err e;

	*out = NULL;
	if (busy_ms < 0)
		busy_ms = 0;
	if (busy_ms > INT_MAX)
		busy_ms = INT_MAX;
	rw_ms = busy_ms + DB_STATEMENT_EXTRA_MS + DB_CLIENT_GRACE_MS;
	rw_s = (unsigned int)((rw_ms + 999) / 1000);
	if ((e = my_url_parse(url, &u, &why)) != GH_OK) {
		log_msg(LOG_ERR, "mysql: the database URL %s", why);
		return e;
	}
	pthread_once(&my_once, my_library_init);
	if (my_library_rc != 0) {
		log_msg(LOG_ERR, "mysql: cannot initialize the client library");
		e = GH_EDB;
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->mysql = mysql_init(NULL)) == NULL) {
		log_msg(LOG_ERR, "mysql: out of memory");
		e = GH_ENOMEM;
		goto out;
	}
	if (mysql_options(c->mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s) != 0 ||
	    mysql_options(c->mysql, MYSQL_OPT_READ_TIMEOUT, &rw_s) != 0 ||
	    mysql_options(c->mysql, MYSQL_OPT_WRITE_TIMEOUT, &rw_s) != 0 ||
	    mysql_options(c->mysql, MYSQL_OPT_RECONNECT, &reconnect) != 0 ||
	    mysql_options(c->mysql, MYSQL_OPT_LOCAL_INFILE, &local_infile) != 0 ||
	    mysql_options(c->mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0) {
		log_msg(LOG_ERR, "mysql: cannot set connection options");
		e = GH_EDB;
		goto out;
	}
	if ((e = my_tls(c, &u)) != GH_OK)
		goto out;
	if (mysql_real_connect(c->mysql, u.host, u.user, password, u.db, u.port, u.socket,
	        CLIENT_FOUND_ROWS) == NULL) {
		log_msg(LOG_ERR, "mysql: cannot connect to database \"%s\": %s (%u)", u.db,
		    mysql_error(c->mysql), mysql_errno(c->mysql));
		e = GH_EDB;
		goto out;
	}
	if (u.tls != DB_TLS_UNSET && u.tls != DB_TLS_DISABLE &&
	    mysql_get_ssl_cipher(c->mysql) == NULL) {
		log_msg(LOG_ERR,
		    "mysql: the connection to database \"%s\" is not encrypted "
		    "(sslmode needs TLS)",
		    u.db);
		e = GH_EDB;
		goto out;
	}
	if ((e = my_session(c, busy_ms)) != GH_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	my_close(c);
	my_url_cleanup(&u);
	return e;
}

static enum gh_err
my_exec(void *conn, const char *sql)
{
	struct my_conn *c = conn;
	MYSQL_RES *res;
	enum gh_err e = GH_OK;
	int status;

	/* Several statements per query only here, never for prepared ones. */
	if (mysql_set_server_option(c->mysql, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0)
		return my_conn_fail(c, "exec", NULL);
	status = mysql_real_query(c->mysql, sql, strlen(sql));
	for (;;) {
		if (status != 0) {
			/* A script ending in a comment leaves an empty last query. */
			if (mysql_errno(c->mysql) != ER_EMPTY_QUERY)
				e = my_conn_fail(c, "exec", NULL);
			break;
		}
		if ((res = mysql_store_result(c->mysql)) != NULL) {
			mysql_free_result(res);
		} else if (mysql_field_count(c->mysql) == 0) {
			c->changes = (int64_t)mysql_affected_rows(c->mysql);
			if (mysql_insert_id(c->mysql) != 0)
				c->insert_id = (int64_t)mysql_insert_id(c->mysql);
		} else {
			e = my_conn_fail(c, "exec", NULL);
			break;
		}
		if ((status = mysql_next_result(c->mysql)) == -1)
			break;
	}
	if (!c->gone && mysql_set_server_option(c->mysql, MYSQL_OPTION_MULTI_STATEMENTS_OFF) != 0 &&
	    e == GH_OK)
		e = my_conn_fail(c, "exec", NULL);
	return e;
}

static int64_t
my_changes(void *conn)
{
	return ((struct my_conn *)conn)->changes;
}

static int64_t
my_last_insert_id(void *conn)
{
	return ((struct my_conn *)conn)->insert_id;
}

static const char *
my_errmsg(void *conn)
{
	return ((struct my_conn *)conn)->errmsg;
}

static bool
my_gone(void *conn)
{
	return ((struct my_conn *)conn)->gone;
}

static enum gh_err
my_ping(void *conn)
{
	struct my_conn *c = conn;

	/* Automatic reconnection is off: mysql_ping only asks. */
	if (c->gone || mysql_ping(c->mysql) != 0) {
		c->gone = true;
		return GH_EDB;
	}
	return GH_OK;
}

static int
my_socket_fd(void *conn)
{
	struct my_conn *c = conn;

	return c->gone ? -1 : (int)mysql_get_socket(c->mysql);
}

const struct db_driver db_mysql_driver = {
    .scheme = "mysql",
    .dialect = DB_MYSQL,
    .begin = "BEGIN", /* rows are locked as they are written, up to the busy timeout */
    .open = my_open,
    .close = my_close,
    .exec = my_exec,
    .prepare = my_stmt_prepare,
    .finalize = my_stmt_finalize,
    .bind_text = my_stmt_bind_text,
    .bind_int64 = my_stmt_bind_int64,
    .bind_null = my_stmt_bind_null,
    .param_count = my_stmt_param_count,
    .step = my_stmt_step,
    .column_text = my_stmt_column_text,
    .column_int64 = my_stmt_column_int64,
    .column_is_null = my_stmt_column_is_null,
    .column_count = my_stmt_column_count,
    .reset = my_stmt_reset,
    .changes = my_changes,
    .last_insert_id = my_last_insert_id,
    .errmsg = my_errmsg,
    .gone = my_gone,
    .ping = my_ping,
    .socket = my_socket_fd,
    .url_problem = my_url_problem,
};
