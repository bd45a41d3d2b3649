/*
 * db_pgsql.c: the PostgreSQL driver of the database layer (db.h,
 * db_driver.h), over libpq.
 *
 * URLs: anything libpq takes as a URI, "postgresql://user@host:port/db",
 * "postgresql://user@/db?host=/run/postgresql" for a Unix socket folder,
 * with any libpq parameter in the query (sslmode, connect_timeout...).  The
 * password comes from db_open's argument, passed to PQconnectdbParams after
 * the URL so that it wins; without one, libpq's own ways apply (~/.pgpass).
 * No URL is ever logged: libpq's messages name the host and port.
 *
 * TLS is libpq's (sslmode, sslrootcert...).  The transport rule of
 * db_url_problem is applied to what libpq will use: the URL's host and
 * hostaddr lists (every entry must be on this machine: a socket folder, an
 * abstract socket "@...", "localhost" or a loopback address), else
 * $PGHOST/$PGHOSTADDR, and its sslmode, else $PGSSLMODE.  A service
 * (?service=, $PGSERVICE) may hold a host this cannot see: with one, a URL
 * naming no host counts as one on another host.
 *
 * Statements are named server-side prepared statements ("gh1", "gh2"... per
 * connection).  The "?" placeholders are rewritten to $1..$n outside string
 * literals ('...', E'...', $tag$...$tag$), quoted identifiers and comments;
 * so "?" cannot be used as an operator (jsonb's ?, ?| and ?&: use the
 * jsonb_exists functions).  The parameter types are left to the server,
 * which infers them from where they are used; every value is sent as text
 * (an int64 as its decimal digits).  A result is read whole into the
 * client; column values are libpq's text, booleans "t"/"f" read as 1/0.
 *
 * Nothing waits without a bound: every query is sent asynchronously and its
 * answer awaited with poll(2) until the statement timeout (db.h: busy +
 * DB_STATEMENT_EXTRA_MS, also set as the session's statement_timeout, with
 * lock_timeout = busy) plus DB_CLIENT_GRACE_MS.  A server that does not
 * answer by then, a broken connection (PQstatus CONNECTION_BAD) or an error
 * of SQLSTATE class 08 or 57P0x marks the connection gone, and db.c opens a
 * new one; ping() sends an empty query; socket() is PQsocket, which db.c
 * polls between statements (a terminated backend's FATAL message and the
 * end of the stream show there).  A failure is logged here, once, with the
 * statement's SQL text and the server's primary message (never DETAIL,
 * which may quote values); a unique violation (23505) is GH_EEXISTS and not
 * logged.  Notices are logged at debug level only.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "db_driver.h"
#include "db_pgsql_text.h"
#include "log.h"

struct pg_conn {
	PGconn *pg;
	bool gone; /* the connection is unusable */
	int64_t changes;
	int64_t wait_ms; /* longest wait for an answer */
	unsigned int next_name;
	char errmsg[512];
};

struct pg_param {
	char *buf; /* text, owned */
	size_t cap;
	bool set; /* false: NULL */
};

struct pg_stmt {
	struct pg_conn *c;
	char name[16];
	char *sql; /* the text as written, for logs */
	int nparams;
	struct pg_param *params;
	const char **values; /* for PQsendQueryPrepared */
	PGresult *res;
	int nrows;
	int row; /* the current row, -1 before the first */
	bool executed;
};

/* pg_notice keeps the server's notices ("already exists, skipping") out of
 * stderr. */
static void
pg_notice(void *arg, const char *message)
{
	(void)arg;
	log_msg(LOG_DEBUG, "pgsql: %.*s", (int)strcspn(message, "\n"), message);
}

/* pg_fail maps a failed result res (NULL: a failure of the connection) of
 * what on sql (may be NULL) to an error, logging it unless it is a unique
 * violation, and marks the connection gone when it is unusable. */
static enum gh_err
pg_fail(struct pg_conn *c, const PGresult *res, const char *what, const char *sql)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (state != NULL && strcmp(state, "23505") == 0)
		return GH_EEXISTS;
	if (msg == NULL)
		msg = PQerrorMessage(c->pg);
	if (PQstatus(c->pg) == CONNECTION_BAD ||
	    (state != NULL && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0)))
		c->gone = true;
	snprintf(c->errmsg, sizeof(c->errmsg), "%.*s%s%s%s", (int)strcspn(msg, "\n"), msg,
	    state ? " (" : "", state ? state : "", state ? ")" : "");
	log_msg(LOG_ERR, "pgsql: %s%s%s%s: %s", what, sql ? " \"" : "", sql ? sql : "",
	    sql ? "\"" : "", c->errmsg);
	return GH_EDB;
}

/* pg_collect collects the answer to the query just sent: the first failed
 * result, or else the last one (*out, the caller clears it; NULL when the
 * connection failed).  It waits at most c->wait_ms; past that the
 * connection is gone, and that is logged. */
static enum gh_err
pg_collect(struct pg_conn *c, PGresult **out, const char *what, const char *sql)
{
	int64_t deadline = db_now_ms() + c->wait_ms, left;
	struct pollfd pfd;
	PGresult *keep = NULL, *r;
	ExecStatusType st;
	int n;

	*out = NULL;
	for (;;) {
		while (PQisBusy(c->pg)) {
			if ((left = deadline - db_now_ms()) <= 0) {
				c->gone = true;
				snprintf(c->errmsg, sizeof(c->errmsg), "no answer within %lld ms",
				    (long long)c->wait_ms);
				log_msg(LOG_ERR, "pgsql: %s%s%s%s: %s", what, sql ? " \"" : "",
				    sql ? sql : "", sql ? "\"" : "", c->errmsg);
				PQclear(keep);
				return GH_EDB;
			}
			pfd.fd = PQsocket(c->pg);
			pfd.events = POLLIN;
			pfd.revents = 0;
			if (pfd.fd < 0)
				break;
			n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
			if (n < 0 && errno != EINTR) {
				c->gone = true;
				snprintf(c->errmsg, sizeof(c->errmsg), "poll: %s", strerror(errno));
				log_msg(LOG_ERR, "pgsql: %s: %s", what, c->errmsg);
				PQclear(keep);
				return GH_EDB;
			}
			if (n > 0 && !PQconsumeInput(c->pg))
				break; /* PQgetResult reports it */
		}
		if ((r = PQgetResult(c->pg)) == NULL)
			break;
		st = PQresultStatus(keep);
		if (keep != NULL && (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE ||
		                        st == PGRES_NONFATAL_ERROR)) {
			PQclear(r);
		} else {
			PQclear(keep);
			keep = r;
		}
		if (PQstatus(c->pg) == CONNECTION_BAD)
			break;
	}
	*out = keep;
	return GH_OK;
}

/* pg_wait collects the answer to the query just sent (see pg_collect) and
 * fails, logged, unless it is a success (*out, the caller clears it). */
static enum gh_err
pg_wait(struct pg_conn *c, PGresult **out, const char *what, const char *sql)
{
	PGresult *keep;
	ExecStatusType st;
	enum gh_err e;

	*out = NULL;
	if ((e = pg_collect(c, &keep, what, sql)) != GH_OK)
		return e;
	if (keep == NULL)
		return pg_fail(c, NULL, what, sql);
	st = PQresultStatus(keep);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		e = pg_fail(c, keep, what, sql);
		PQclear(keep);
		return e;
	}
	*out = keep;
	return GH_OK;
}

/* pg_simple runs sql (no parameters) and forgets its result. */
static enum gh_err
pg_simple(struct pg_conn *c, const char *sql)
{
	PGresult *res;
	enum gh_err e;

	if (!PQsendQuery(c->pg, sql))
		return pg_fail(c, NULL, "query", sql);
	if ((e = pg_wait(c, &res, "query", sql)) == GH_OK)
		PQclear(res);
	return e;
}

/* pg_changes_from records the row count of a finished INSERT, UPDATE or
 * DELETE (other commands have none and leave it). */
static void
pg_changes_from(struct pg_conn *c, const PGresult *res)
{
	const char *n = PQcmdTuples((PGresult *)res);

	if (PQresultStatus(res) == PGRES_COMMAND_OK && n != NULL && n[0] != '\0')
		c->changes = (int64_t)strtoll(n, NULL, 10);
}

static void
pg_close(void *conn)
{
	struct pg_conn *c = conn;

	if (c == NULL)
		return;
	PQfinish(c->pg);
	free(c);
}

static enum gh_err
pg_open(const char *url, const char *password, int64_t busy_ms, void **out)
{
	struct pg_conn *c;
	const char *keys[8], *vals[8];
	char connect_s[16], sql[160];
	int64_t stmt_ms;
	int n = 0, r;
	enum gh_err e;

	*out = NULL;
	if (busy_ms < 0)
		busy_ms = 0;
	if (busy_ms > INT_MAX)
		busy_ms = INT_MAX;
	stmt_ms = busy_ms + DB_STATEMENT_EXTRA_MS;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_msg(LOG_ERR, "pgsql: out of memory");
		return GH_ENOMEM;
	}
	c->wait_ms = stmt_ms + DB_CLIENT_GRACE_MS;
	snprintf(connect_s, sizeof(connect_s), "%d", DB_CONNECT_TIMEOUT_S);
	/* Later entries override earlier ones: the URL may change the
	 * timeout and the name, not the encoding or the password. */
	keys[n] = "connect_timeout", vals[n++] = connect_s;
	keys[n] = "application_name", vals[n++] = "gatehouse";
	keys[n] = "dbname", vals[n++] = url;
	keys[n] = "client_encoding", vals[n++] = "UTF8";
	if (password != NULL)
		keys[n] = "password", vals[n++] = password;
	keys[n] = NULL, vals[n] = NULL;
	c->pg = PQconnectdbParams(keys, vals, 1);
	if (c->pg == NULL) {
		free(c);
		log_msg(LOG_ERR, "pgsql: out of memory");
		return GH_ENOMEM;
	}
	if (PQstatus(c->pg) != CONNECTION_OK) {
		log_msg(LOG_ERR, "pgsql: cannot connect: %.*s",
		    (int)strcspn(PQerrorMessage(c->pg), "\n"), PQerrorMessage(c->pg));
		e = GH_EDB;
		goto fail;
	}
	PQsetNoticeProcessor(c->pg, pg_notice, NULL);
	/* Only numbers computed here go into this text. */
	r = snprintf(sql, sizeof(sql),
	    "SET statement_timeout = %lld; SET lock_timeout = %lld; SET TIME ZONE 'UTC'",
	    (long long)stmt_ms, (long long)(busy_ms > 0 ? busy_ms : 1));
	if (r < 0 || (size_t)r >= sizeof(sql)) {
		e = GH_EINVAL;
		goto fail;
	}
	if ((e = pg_simple(c, sql)) != GH_OK)
		goto fail;
	*out = c;
	return GH_OK;
fail:
	pg_close(c);
	return e;
}

static enum gh_err
pg_exec(void *conn, const char *sql)
{
	struct pg_conn *c = conn;
	PGresult *res;
	enum gh_err e;

	if (c->gone)
		return GH_EDB;
	if (!PQsendQuery(c->pg, sql))
		return pg_fail(c, NULL, "exec", NULL);
	if ((e = pg_wait(c, &res, "exec", NULL)) != GH_OK)
		return e;
	pg_changes_from(c, res);
	PQclear(res);
	return GH_OK;
}

static void
pg_finalize(void *stmt)
{
	struct pg_stmt *s = stmt;
	int i;

	if (s == NULL)
		return;
	/* The server's statement ends with the connection (db.h). */
	PQclear(s->res);
	for (i = 0; s->params != NULL && i < s->nparams; i++)
		free(s->params[i].buf);
	free(s->params);
	free(s->values);
	free(s->sql);
	free(s);
}

static enum gh_err
pg_prepare(void *conn, const char *sql, void **out)
{
	struct pg_conn *c = conn;
	struct pg_stmt *s = NULL;
	struct buf text;
	PGresult *res;
	enum gh_err e;

	*out = NULL;
	buf_init(&text);
	if (c->gone) {
		e = GH_EDB;
		goto fail;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->sql = strdup(sql)) == NULL) {
		e = GH_ENOMEM;
		goto fail;
	}
	s->c = c;
	s->row = -1;
	if ((e = pg_rewrite(sql, &text, &s->nparams)) != GH_OK) {
		if (e == GH_ENOMEM)
			goto fail;
		log_msg(LOG_ERR, "pgsql: prepare \"%s\": %s", sql,
		    e == GH_ETOOBIG ? "too many parameters" : "unterminated quote or comment");
		goto fail;
	}
	if (s->nparams > 0 &&
	    ((s->params = calloc((size_t)s->nparams, sizeof(*s->params))) == NULL ||
	        (s->values = calloc((size_t)s->nparams, sizeof(*s->values))) == NULL)) {
		e = GH_ENOMEM;
		goto fail;
	}
	snprintf(s->name, sizeof(s->name), "gh%u", ++c->next_name);
	if (!PQsendPrepare(c->pg, s->name, text.data, s->nparams, NULL)) {
		e = pg_fail(c, NULL, "prepare", sql);
		goto fail;
	}
	if ((e = pg_wait(c, &res, "prepare", sql)) != GH_OK)
		goto fail;
	PQclear(res);
	buf_cleanup(&text);
	*out = s;
	return GH_OK;
fail:
	if (e == GH_ENOMEM)
		log_msg(LOG_ERR, "pgsql: out of memory");
	buf_cleanup(&text);
	pg_finalize(s);
	return e;
}

/* pg_param returns parameter idx (from 1), or NULL (logged) when out of
 * range. */
static struct pg_param *
pg_param(struct pg_stmt *s, int idx)
{
	if (idx < 1 || idx > s->nparams) {
		log_msg(LOG_ERR, "pgsql: bind \"%s\": no parameter %d", s->sql, idx);
		return NULL;
	}
	return &s->params[idx - 1];
}

/* pg_set copies n bytes of str into parameter p. */
static enum gh_err
pg_set(struct pg_param *p, const char *str, size_t n)
{
	if (n >= SIZE_MAX / 2) {
		log_msg(LOG_ERR, "pgsql: bind: value too long");
		return GH_ETOOBIG;
	}
	if (!db_reserve(&p->buf, &p->cap, n + 1)) {
		log_msg(LOG_ERR, "pgsql: out of memory");
		return GH_ENOMEM;
	}
	memcpy(p->buf, str, n);
	p->buf[n] = '\0';
	p->set = true;
	return GH_OK;
}

static enum gh_err
pg_bind_text(void *stmt, int idx, const char *str)
{
	struct pg_param *p = pg_param(stmt, idx);

	if (p == NULL)
		return GH_EINVAL;
	return pg_set(p, str, strlen(str));
}

static enum gh_err
pg_bind_int64(void *stmt, int idx, int64_t v)
{
	struct pg_param *p = pg_param(stmt, idx);
	char num[24];
	int r;

	if (p == NULL)
		return GH_EINVAL;
	r = snprintf(num, sizeof(num), "%lld", (long long)v);
	if (r < 0 || (size_t)r >= sizeof(num))
		return GH_EINVAL;
	return pg_set(p, num, (size_t)r);
}

static enum gh_err
pg_bind_null(void *stmt, int idx)
{
	struct pg_param *p = pg_param(stmt, idx);

	if (p == NULL)
		return GH_EINVAL;
	p->set = false;
	return GH_OK;
}

static enum gh_err
pg_step(void *stmt, bool *row)
{
	struct pg_stmt *s = stmt;
	struct pg_conn *c = s->c;
	enum gh_err e;
	int i;

	*row = false;
	if (!s->executed) {
		if (c->gone)
			return GH_EDB; /* logged when it was lost */
		for (i = 0; i < s->nparams; i++)
			s->values[i] = s->params[i].set ? s->params[i].buf : NULL;
		if (!PQsendQueryPrepared(c->pg, s->name, s->nparams, s->values, NULL, NULL, 0))
			return pg_fail(c, NULL, "step", s->sql);
		if ((e = pg_wait(c, &s->res, "step", s->sql)) != GH_OK)
			return e;
		s->executed = true;
		s->row = -1;
		s->nrows = PQresultStatus(s->res) == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
		pg_changes_from(c, s->res);
	}
	if (s->row + 1 < s->nrows) {
		s->row++;
		*row = true;
	} else {
		s->row = s->nrows;
	}
	return GH_OK;
}

static const char *
pg_column_text(void *stmt, int col)
{
	struct pg_stmt *s = stmt;

	if (s->res == NULL || s->row < 0 || s->row >= s->nrows || col < 0 ||
	    col >= PQnfields(s->res) || PQgetisnull(s->res, s->row, col))
		return NULL;
	return PQgetvalue(s->res, s->row, col);
}

static int64_t
pg_column_int64(void *stmt, int col)
{
	const char *t = pg_column_text(stmt, col);

	if (t == NULL)
		return 0;
	if (t[0] == 't' && t[1] == '\0')
		return 1;
	return (int64_t)strtoll(t, NULL, 10);
}

static bool
pg_column_is_null(void *stmt, int col)
{
	return pg_column_text(stmt, col) == NULL;
}

static int
pg_param_count(void *stmt)
{
	return ((struct pg_stmt *)stmt)->nparams;
}

static int
pg_column_count(void *stmt)
{
	struct pg_stmt *s = stmt;

	return s->res != NULL ? PQnfields(s->res) : -1;
}

static void
pg_reset(void *stmt)
{
	struct pg_stmt *s = stmt;
	int i;

	PQclear(s->res);
	s->res = NULL;
	s->executed = false;
	s->nrows = 0;
	s->row = -1;
	for (i = 0; i < s->nparams; i++)
		s->params[i].set = false;
}

static int64_t
pg_changes(void *conn)
{
	return ((struct pg_conn *)conn)->changes;
}

/* pg_lastval runs SELECT lastval(), quietly: it fails when no sequence was
 * used on this connection yet. */
static int64_t
pg_lastval(struct pg_conn *c, bool *ok)
{
	PGresult *res = NULL;
	int64_t id = 0;

	*ok = false;
	if (!PQsendQuery(c->pg, "SELECT lastval()") ||
	    pg_collect(c, &res, "query", "SELECT lastval()") != GH_OK)
		return 0;
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		id = (int64_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		*ok = true;
	}
	PQclear(res);
	return id;
}

static int64_t
pg_last_insert_id(void *conn)
{
	struct pg_conn *c = conn;
	int64_t id;
	bool intx, ok;

	if (c->gone)
		return 0;
	/* lastval() failing would abort an open transaction: fence it. */
	intx = PQtransactionStatus(c->pg) == PQTRANS_INTRANS;
	if (intx && pg_simple(c, "SAVEPOINT gh_lastval") != GH_OK)
		return 0;
	id = pg_lastval(c, &ok);
	if (intx)
		(void)pg_simple(c, ok ? "RELEASE SAVEPOINT gh_lastval"
		                      : "ROLLBACK TO SAVEPOINT gh_lastval; "
		                        "RELEASE SAVEPOINT gh_lastval");
	return ok ? id : 0;
}

static const char *
pg_errmsg(void *conn)
{
	return ((struct pg_conn *)conn)->errmsg;
}

static enum gh_err
pg_ping(void *conn)
{
	struct pg_conn *c = conn;
	PGresult *res = NULL;
	bool ok;

	/* An empty query: the cheapest round trip. */
	ok = !c->gone && PQsendQuery(c->pg, "") && pg_collect(c, &res, "ping", NULL) == GH_OK &&
	     PQresultStatus(res) == PGRES_EMPTY_QUERY;
	PQclear(res);
	if (!ok)
		c->gone = true;
	return ok ? GH_OK : GH_EDB;
}

/* pg_notified hands every notification libpq holds to fn. */
static void
pg_notified(struct pg_conn *c, void (*fn)(const char *payload, void *arg), void *arg)
{
	PGnotify *n;

	while ((n = PQnotifies(c->pg)) != NULL) {
		fn(n->extra != NULL ? n->extra : "", arg);
		PQfreemem(n);
	}
}

static enum gh_err
pg_notifications(void *conn, int timeout_ms, void (*fn)(const char *payload, void *arg), void *arg)
{
	struct pg_conn *c = conn;
	struct pollfd pfd;
	int n;

	if (c->gone)
		return GH_EDB;
	pg_notified(c, fn, arg); /* those a ping or the LISTEN brought along */
	pfd.fd = PQsocket(c->pg);
	pfd.events = POLLIN;
	pfd.revents = 0;
	while ((n = poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (n < 0 || (n > 0 && !PQconsumeInput(c->pg)) || PQstatus(c->pg) == CONNECTION_BAD) {
		c->gone = true;
		snprintf(c->errmsg, sizeof(c->errmsg), "%.*s",
		    (int)strcspn(PQerrorMessage(c->pg), "\n"), PQerrorMessage(c->pg));
		log_msg(LOG_ERR, "pgsql: waiting for notifications: %s", c->errmsg);
		return GH_EDB;
	}
	pg_notified(c, fn, arg);
	return GH_OK;
}

static bool
pg_gone(void *conn)
{
	struct pg_conn *c = conn;

	return c->gone || PQstatus(c->pg) == CONNECTION_BAD;
}

static int
pg_socket(void *conn)
{
	struct pg_conn *c = conn;

	return c->gone ? -1 : PQsocket(c->pg);
}

const struct db_driver db_pgsql_driver = {
    .scheme = "postgresql",
    .alias = "postgres",
    .dialect = DB_POSTGRESQL,
    .begin = "BEGIN", /* rows are locked as they are written, up to the busy timeout */
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .bind_text = pg_bind_text,
    .bind_int64 = pg_bind_int64,
    .bind_null = pg_bind_null,
    .param_count = pg_param_count,
    .step = pg_step,
    .column_text = pg_column_text,
    .column_int64 = pg_column_int64,
    .column_is_null = pg_column_is_null,
    .column_count = pg_column_count,
    .reset = pg_reset,
    .changes = pg_changes,
    .last_insert_id = pg_last_insert_id,
    .errmsg = pg_errmsg,
    .gone = pg_gone,
    .ping = pg_ping,
    .socket = pg_socket,
    .notifications = pg_notifications,
    .url_problem = pg_url_problem,
};
