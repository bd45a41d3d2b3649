/*
 * ctl_audit.c: gatehousectl audit list: the audit trail (audit.h), filtered
 * by user, event, time and result, as a table for people, CSV for a
 * spreadsheet or JSON lines for programs.
 *
 * Times on the command line are Unix seconds or an ISO 8601 date or time in
 * UTC (2026-03-01, 2026-03-01T12:00, 2026-03-01T12:00:00Z); --until with a
 * date alone means the end of that day.  Output times are ISO 8601 UTC.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strptime, timegm */
#endif
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "ctl.h"

enum ctl_audit_format { CTL_AUDIT_TABLE, CTL_AUDIT_CSV, CTL_AUDIT_JSON };

/* The arguments of audit list. */
struct ctl_audit_args {
	const char *user; /* NULL: every user */
	struct audit_filter f;
	enum ctl_audit_format format;
};

/* ctl_audit_time parses s (see above) into *t: true when it is one of the
 * forms; end: a date alone means its last second. */
static bool
ctl_audit_time(const char *s, bool end, int64_t *t)
{
	struct tm tm;
	const char *p;
	char *rest;
	long long v;
	time_t r;

	if (s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s)) {
		v = strtoll(s, &rest, 10);
		if (*rest != '\0' || v < 0 || strlen(s) > 12)
			return false;
		*t = v;
		return true;
	}
	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%d", &tm)) == NULL || strlen(s) < 10)
		return false;
	if (*p == '\0') {
		if (end) {
			tm.tm_hour = 23;
			tm.tm_min = 59;
			tm.tm_sec = 59;
		}
	} else if (*p == 'T' || *p == ' ') {
		const char *q = strptime(p + 1, "%H:%M:%S", &tm);
		if (q == NULL)
			q = strptime(p + 1, "%H:%M", &tm);
		if (q == NULL || (*q != '\0' && strcmp(q, "Z") != 0))
			return false;
	} else
		return false;
	if (tm.tm_year < 70 || (r = timegm(&tm)) == (time_t)-1)
		return false;
	*t = (int64_t)r;
	return true;
}

/* ctl_audit_parse reads the arguments of audit list into a: CTL_OK or
 * CTL_USAGE (with a message saying which value is wrong). */
static enum ctl_status
ctl_audit_parse(const struct ctl *c, struct ctl_audit_args *a)
{
	static const struct option opts[] = {
	    {"user", required_argument, NULL, 'u'},
	    {"event", required_argument, NULL, 'e'},
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 't'},
	    {"result", required_argument, NULL, 'r'},
	    {"format", required_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	enum audit_type type;
	int ch;

	memset(a, 0, sizeof(*a));
	a->format = CTL_AUDIT_TABLE;
	optind = 0; /* GNU getopt: start over, argv[0] is the command word */
	opterr = 0;
	while ((ch = getopt_long(c->argc, c->argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			a->user = optarg;
			break;
		case 'e':
			if (!audit_type_parse(optarg, &type)) {
				fprintf(
				    stderr, "gatehousectl: audit list: unknown event %s\n", optarg);
				return CTL_USAGE;
			}
			a->f.event = optarg;
			break;
		case 's':
		case 't':
			if (!ctl_audit_time(
			        optarg, ch == 't', ch == 's' ? &a->f.since : &a->f.until)) {
				fprintf(stderr,
				    "gatehousectl: audit list: %s: not Unix seconds nor an ISO "
				    "date (2026-03-01, 2026-03-01T12:00:00Z)\n",
				    optarg);
				return CTL_USAGE;
			}
			break;
		case 'r':
			if (strcmp(optarg, "success") != 0 && strcmp(optarg, "failure") != 0) {
				fprintf(stderr,
				    "gatehousectl: audit list: --result is success or failure\n");
				return CTL_USAGE;
			}
			a->f.result = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "table") == 0)
				a->format = CTL_AUDIT_TABLE;
			else if (strcmp(optarg, "csv") == 0)
				a->format = CTL_AUDIT_CSV;
			else if (strcmp(optarg, "json") == 0)
				a->format = CTL_AUDIT_JSON;
			else {
				fprintf(stderr,
				    "gatehousectl: audit list: --format is table, csv or json\n");
				return CTL_USAGE;
			}
			break;
		default:
			return CTL_USAGE;
		}
	}
	return optind == c->argc ? CTL_OK : CTL_USAGE;
}

enum ctl_status
cmd_audit_list_args(const struct ctl *c)
{
	struct ctl_audit_args a;

	return ctl_audit_parse(c, &a);
}

/* One line of the table: TIME EVENT RESULT USER IP REASON CONTEXT, "-" for
 * what is empty (the user agent is in CSV and JSON only). */
static enum gh_err
ctl_audit_table_row(const struct audit_row *r, void *arg)
{
	char when[CTL_TIME_MAX], user[32];
	const char *name = r->username;

	(void)arg;
	ctl_iso_time(r->at, when);
	if (name[0] == '\0' && r->user_id > 0) {
		snprintf(user, sizeof(user), "#%lld", (long long)r->user_id);
		name = user;
	}
	printf("%s %-16s %-7s %-16s %-15s %-14s %s\n", when, r->event, r->result,
	    name[0] != '\0' ? name : "-", r->ip[0] != '\0' ? r->ip : "-",
	    r->reason[0] != '\0' ? r->reason : "-", r->context[0] != '\0' ? r->context : "-");
	return GH_OK;
}

/* ctl_audit_csv_field writes s as one CSV field (RFC 4180): in quotes, the
 * quotes doubled, when it holds a comma, a quote, a line break or a
 * leading or trailing space; a field that a spreadsheet would take for a
 * formula (starting with = + - @ or a tab) gets a ' in front (OWASP's
 * advice on CSV injection). */
static void
ctl_audit_csv_field(const char *s, bool last)
{
	size_t n = strlen(s);
	bool formula = n > 0 && strchr("=+-@\t", s[0]) != NULL;
	bool quote =
	    strpbrk(s, ",\"\r\n") != NULL || formula || (n > 0 && (s[0] == ' ' || s[n - 1] == ' '));

	if (quote)
		putchar('"');
	if (formula)
		putchar('\'');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	if (quote)
		putchar('"');
	putchar(last ? '\n' : ',');
}

static enum gh_err
ctl_audit_csv_row(const struct audit_row *r, void *arg)
{
	char when[CTL_TIME_MAX], id[24], uid[24];

	(void)arg;
	ctl_iso_time(r->at, when);
	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	snprintf(uid, sizeof(uid), "%lld", (long long)r->user_id);
	ctl_audit_csv_field(id, false);
	ctl_audit_csv_field(when, false);
	ctl_audit_csv_field(r->event, false);
	ctl_audit_csv_field(r->result, false);
	ctl_audit_csv_field(r->user_id > 0 ? uid : "", false);
	ctl_audit_csv_field(r->username, false);
	ctl_audit_csv_field(r->ip, false);
	ctl_audit_csv_field(r->user_agent, false);
	ctl_audit_csv_field(r->reason, false);
	ctl_audit_csv_field(r->context, true);
	return GH_OK;
}

/* s as a JSON string, null when empty. */
static json_t *
ctl_audit_json_text(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

/* One JSON object per line; the context is an object (its text as a
 * string should it not parse). */
static enum gh_err
ctl_audit_json_row(const struct audit_row *r, void *arg)
{
	char when[CTL_TIME_MAX];
	json_t *o, *ctx = NULL;
	char *text;

	(void)arg;
	ctl_iso_time(r->at, when);
	if (r->context[0] != '\0' && (ctx = json_loads(r->context, 0, NULL)) == NULL)
		ctx = json_string(r->context);
	o = json_pack("{s:I, s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
	    (json_int_t)r->id, "time", when, "at", (json_int_t)r->at, "event", r->event, "result",
	    r->result, "user_id", r->user_id > 0 ? json_integer(r->user_id) : json_null(), "user",
	    ctl_audit_json_text(r->username), "ip", ctl_audit_json_text(r->ip), "user_agent",
	    ctl_audit_json_text(r->user_agent), "reason", ctl_audit_json_text(r->reason), "context",
	    ctx != NULL ? ctx : json_null());
	text = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (text == NULL) {
		fprintf(stderr, "gatehousectl: audit list: cannot write row %lld as JSON\n",
		    (long long)r->id);
		return GH_ENOMEM;
	}
	puts(text);
	free(text);
	return GH_OK;
}

enum ctl_status
cmd_audit_list(struct ctl *c)
{
	static enum gh_err (*const rows[])(const struct audit_row *, void *) = {
	    [CTL_AUDIT_TABLE] = ctl_audit_table_row,
	    [CTL_AUDIT_CSV] = ctl_audit_csv_row,
	    [CTL_AUDIT_JSON] = ctl_audit_json_row,
	};
	struct ctl_audit_args a;
	enum ctl_status st;
	enum gh_err e;

	if ((st = ctl_audit_parse(c, &a)) != CTL_OK)
		return st;
	if (a.user != NULL) {
		struct user u = {0};
		if ((st = ctl_find_user(c, a.user, &u)) != CTL_OK)
			return st;
		a.f.user_id = u.id;
		user_cleanup(&u);
	}
	if (a.format == CTL_AUDIT_CSV)
		printf("id,time,event,result,user_id,user,ip,user_agent,reason,context\n");
	e = audit_list(c->db, &a.f, rows[a.format], NULL);
	if (fflush(stdout) != 0 && e == GH_OK)
		e = GH_EIO;
	return e == GH_OK ? CTL_OK : ctl_fail(e, "audit list");
}
