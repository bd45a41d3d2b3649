/*
 * db_mysql_stmt.c: the statements of the MariaDB driver (see db_mysql.c
 * for the whole driver, db_mysql_impl.h for what its files share).
 *
 * Every statement is a server-side prepared statement (mysql_stmt_*).
 * Parameters are kept in growable buffers owned by the statement and bound
 * when it runs; an unbound one is NULL.  Results are stored on the client
 * (mysql_stmt_store_result), so that other statements may run while one is
 * being read, and every column is fetched as text into a growable buffer:
 * a value longer than its buffer grows it and is fetched again.  Only an
 * INSERT, UPDATE, DELETE or REPLACE sets the connection's count of changed
 * rows, as SQLite's changes() counts only those.  A failure is logged once,
 * with the statement's SQL text, never its values.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db_mysql_impl.h"
#include "log.h"

#define MY_COL_INITIAL 64 /* bytes of a column buffer before it grows */

struct my_param {
	char *buf; /* text, owned */
	size_t cap;
	unsigned long len;
	long long i;
};

struct my_col {
	char *buf;  /* NUL-terminated text of the current row, owned */
	size_t cap; /* bound as cap - 1 bytes, keeping room for the NUL */
	unsigned long len;
	my_bool is_null;
	my_bool error;
};

struct my_stmt {
	struct my_conn *c;
	MYSQL_STMT *st;
	char *sql; /* for logs */
	unsigned int nparams, ncols;
	MYSQL_BIND *pbind;
	struct my_param *params;
	MYSQL_BIND *cbind;
	struct my_col *cols;
	bool dml; /* INSERT, UPDATE, DELETE or REPLACE: counts changes */
	bool executed;
	bool stored; /* a result set is held on the client */
	bool row;    /* a row is fetched */
};

static enum gh_err
my_stmt_fail(struct my_stmt *s, const char *what)
{
	return my_fail(s->c, mysql_stmt_errno(s->st), mysql_stmt_error(s->st), what, s->sql);
}

void
my_stmt_finalize(void *stmt)
{
	struct my_stmt *s = stmt;
	unsigned int i;

	if (s == NULL)
		return;
	if (s->st != NULL)
		mysql_stmt_close(s->st);
	for (i = 0; s->params != NULL && i < s->nparams; i++)
		free(s->params[i].buf);
	for (i = 0; s->cols != NULL && i < s->ncols; i++)
		free(s->cols[i].buf);
	free(s->params);
	free(s->pbind);
	free(s->cols);
	free(s->cbind);
	free(s->sql);
	free(s);
}

/* my_bind_col points column i's result binding at its buffer. */
static void
my_bind_col(struct my_stmt *s, unsigned int i)
{
	MYSQL_BIND *b = &s->cbind[i];

	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = s->cols[i].buf;
	b->buffer_length = s->cols[i].cap - 1;
	b->length = &s->cols[i].len;
	b->is_null = &s->cols[i].is_null;
	b->error = &s->cols[i].error;
}

/* my_is_dml tells whether sql starts with a word whose affected-row count
 * db_changes reports (as SQLite's changes() counts only those). */
static bool
my_is_dml(const char *sql)
{
	static const char *const words[] = {"INSERT", "UPDATE", "DELETE", "REPLACE"};
	size_t i, n;

	sql += strspn(sql, " \t\r\n(");
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = strlen(words[i]);
		if (strncasecmp(sql, words[i], n) == 0 &&
		    (sql[n] == ' ' || sql[n] == '\t' || sql[n] == '\r' || sql[n] == '\n'))
			return true;
	}
	return false;
}

enum gh_err
my_stmt_prepare(void *conn, const char *sql, void **out)
{
	struct my_conn *c = conn;
	struct my_stmt *s;
	unsigned int i;
	enum gh_err e;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->sql = strdup(sql)) == NULL ||
	    (s->st = mysql_stmt_init(c->mysql)) == NULL) {
		e = GH_ENOMEM;
		goto fail;
	}
	s->c = c;
	if (mysql_stmt_prepare(s->st, sql, strlen(sql)) != 0) {
		e = my_stmt_fail(s, "prepare");
		goto fail;
	}
	s->dml = my_is_dml(sql);
	s->nparams = mysql_stmt_param_count(s->st);
	s->ncols = mysql_stmt_field_count(s->st);
	if (s->nparams > 0 && ((s->pbind = calloc(s->nparams, sizeof(*s->pbind))) == NULL ||
	                          (s->params = calloc(s->nparams, sizeof(*s->params))) == NULL)) {
		e = GH_ENOMEM;
		goto fail;
	}
	for (i = 0; i < s->nparams; i++)
		s->pbind[i].buffer_type = MYSQL_TYPE_NULL;
	if (s->ncols > 0) {
		if ((s->cbind = calloc(s->ncols, sizeof(*s->cbind))) == NULL ||
		    (s->cols = calloc(s->ncols, sizeof(*s->cols))) == NULL) {
			e = GH_ENOMEM;
			goto fail;
		}
		for (i = 0; i < s->ncols; i++) {
			if ((s->cols[i].buf = malloc(MY_COL_INITIAL)) == NULL) {
				e = GH_ENOMEM;
				goto fail;
			}
			s->cols[i].cap = MY_COL_INITIAL;
			my_bind_col(s, i);
		}
		if (mysql_stmt_bind_result(s->st, s->cbind) != 0) {
			e = my_stmt_fail(s, "prepare");
			goto fail;
		}
	}
	*out = s;
	return GH_OK;
fail:
	if (e == GH_ENOMEM)
		log_msg(LOG_ERR, "mysql: out of memory");
	my_stmt_finalize(s);
	return e;
}

/* my_param returns parameter idx (from 1), or NULL (logged) when out of
 * range. */
static struct my_param *
my_param(struct my_stmt *s, int idx)
{
	if (idx < 1 || (unsigned int)idx > s->nparams) {
		log_msg(LOG_ERR, "mysql: bind \"%s\": no parameter %d", s->sql, idx);
		return NULL;
	}
	return &s->params[idx - 1];
}

enum gh_err
my_stmt_bind_text(void *stmt, int idx, const char *str)
{
	struct my_stmt *s = stmt;
	struct my_param *p;
	MYSQL_BIND *b;
	size_t n = strlen(str);

	if ((p = my_param(s, idx)) == NULL)
		return GH_EINVAL;
	if (n > ULONG_MAX - 1 || n >= SIZE_MAX / 2) {
		log_msg(LOG_ERR, "mysql: bind \"%s\": value too long", s->sql);
		return GH_ETOOBIG;
	}
	if (!db_reserve(&p->buf, &p->cap, n + 1)) {
		log_msg(LOG_ERR, "mysql: out of memory");
		return GH_ENOMEM;
	}
	memcpy(p->buf, str, n + 1);
	p->len = (unsigned long)n;
	b = &s->pbind[idx - 1];
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = p->buf;
	b->buffer_length = p->len;
	b->length = &p->len;
	return GH_OK;
}

enum gh_err
my_stmt_bind_int64(void *stmt, int idx, int64_t v)
{
	struct my_stmt *s = stmt;
	struct my_param *p;
	MYSQL_BIND *b;

	if ((p = my_param(s, idx)) == NULL)
		return GH_EINVAL;
	p->i = (long long)v;
	b = &s->pbind[idx - 1];
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = &p->i;
	return GH_OK;
}

enum gh_err
my_stmt_bind_null(void *stmt, int idx)
{
	struct my_stmt *s = stmt;

	if (my_param(s, idx) == NULL)
		return GH_EINVAL;
	memset(&s->pbind[idx - 1], 0, sizeof(s->pbind[idx - 1]));
	s->pbind[idx - 1].buffer_type = MYSQL_TYPE_NULL;
	return GH_OK;
}

/* my_refetch grows the buffers of the current row's truncated columns and
 * fetches those columns again. */
static enum gh_err
my_refetch(struct my_stmt *s)
{
	struct my_col *col;
	unsigned int i;

	for (i = 0; i < s->ncols; i++) {
		col = &s->cols[i];
		if (col->is_null || col->len < col->cap)
			continue;
		if (col->len >= SIZE_MAX / 2) {
			log_msg(LOG_ERR, "mysql: step \"%s\": column %u too long", s->sql, i);
			return GH_ETOOBIG;
		}
		if (!db_reserve(&col->buf, &col->cap, (size_t)col->len + 1)) {
			log_msg(LOG_ERR, "mysql: out of memory");
			return GH_ENOMEM;
		}
		my_bind_col(s, i);
		if (mysql_stmt_fetch_column(s->st, &s->cbind[i], i, 0) != 0)
			return my_stmt_fail(s, "fetch");
	}
	/* Later rows are fetched into the grown buffers. */
	if (mysql_stmt_bind_result(s->st, s->cbind) != 0)
		return my_stmt_fail(s, "fetch");
	return GH_OK;
}

enum gh_err
my_stmt_step(void *stmt, bool *row)
{
	struct my_stmt *s = stmt;
	unsigned int i;
	my_ulonglong id;
	enum gh_err e;
	int rc;

	*row = false;
	s->row = false;
	if (!s->executed) {
		if (s->c->gone)
			return GH_EDB; /* logged when it was lost */
		if (s->nparams > 0 && mysql_stmt_bind_param(s->st, s->pbind) != 0)
			return my_stmt_fail(s, "bind");
		if (mysql_stmt_execute(s->st) != 0)
			return my_stmt_fail(s, "step");
		s->executed = true;
		if (s->ncols == 0) {
			if (s->dml)
				s->c->changes = (int64_t)mysql_stmt_affected_rows(s->st);
			if ((id = mysql_stmt_insert_id(s->st)) != 0)
				s->c->insert_id = (int64_t)id;
			return GH_OK;
		}
		if (mysql_stmt_store_result(s->st) != 0)
			return my_stmt_fail(s, "step");
		s->stored = true;
	}
	if (!s->stored)
		return GH_OK;
	rc = mysql_stmt_fetch(s->st);
	if (rc == MYSQL_NO_DATA)
		return GH_OK;
	if (rc == 1)
		return my_stmt_fail(s, "fetch");
	if (rc == MYSQL_DATA_TRUNCATED && (e = my_refetch(s)) != GH_OK)
		return e;
	for (i = 0; i < s->ncols; i++)
		if (!s->cols[i].is_null)
			s->cols[i].buf[s->cols[i].len] = '\0';
	s->row = true;
	*row = true;
	return GH_OK;
}

const char *
my_stmt_column_text(void *stmt, int col)
{
	struct my_stmt *s = stmt;

	if (!s->row || col < 0 || (unsigned int)col >= s->ncols || s->cols[col].is_null)
		return NULL;
	return s->cols[col].buf;
}

int64_t
my_stmt_column_int64(void *stmt, int col)
{
	const char *t = my_stmt_column_text(stmt, col);

	return t != NULL ? (int64_t)strtoll(t, NULL, 10) : 0;
}

bool
my_stmt_column_is_null(void *stmt, int col)
{
	return my_stmt_column_text(stmt, col) == NULL;
}

int
my_stmt_param_count(void *stmt)
{
	return (int)((struct my_stmt *)stmt)->nparams;
}

int
my_stmt_column_count(void *stmt)
{
	return (int)((struct my_stmt *)stmt)->ncols;
}

void
my_stmt_reset(void *stmt)
{
	struct my_stmt *s = stmt;
	unsigned int i;

	if (s->stored)
		(void)mysql_stmt_free_result(s->st);
	s->executed = false;
	s->stored = false;
	s->row = false;
	for (i = 0; i < s->nparams; i++) {
		memset(&s->pbind[i], 0, sizeof(s->pbind[i]));
		s->pbind[i].buffer_type = MYSQL_TYPE_NULL;
	}
}
