/*
 * log.c: one-line log messages for the web server's error log and syslog
 * (see log.h).
 *
 * Each line reads "<progname>: <level>: message".  Inside a request the
 * thread's FastCGI stderr stream (set with log_set_stream) receives it, so it
 * lands in the web server's error log next to the request; outside a request
 * it goes to the process's stderr.  With syslog on, the same message also
 * goes to syslog(3) under the LOG_AUTHPRIV facility.  A message is formatted
 * into a bounded stack buffer (no allocation) and control characters in it
 * are replaced, so a value taken from a request can neither split a line nor
 * forge another one for fail2ban.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <fcgiapp.h>

#include "log.h"

#define LOG_LINE_MAX 2048

static char log_progname[64] = "gatehouse";
static int log_level = LOG_INFO;
static bool log_syslog;
static _Thread_local struct FCGX_Stream *log_stream;

static const char *
log_level_name(int level)
{
	switch (level) {
	case LOG_EMERG:
		return "emergency";
	case LOG_ALERT:
		return "alert";
	case LOG_CRIT:
		return "critical";
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void
log_init(const char *progname, int level, bool use_syslog)
{
	const char *base;
	int n;

	if (progname != NULL && *progname != '\0') {
		base = strrchr(progname, '/');
		base = base != NULL && base[1] != '\0' ? base + 1 : progname;
		n = snprintf(log_progname, sizeof(log_progname), "%s", base);
		if (n < 0 || (size_t)n >= sizeof(log_progname))
			log_progname[sizeof(log_progname) - 1] = '\0'; /* a shorter name is fine */
	}
	log_level = level;
	if (use_syslog && !log_syslog)
		openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	else if (!use_syslog && log_syslog)
		closelog();
	log_syslog = use_syslog;
}

void
log_set_stream(struct FCGX_Stream *err)
{
	log_stream = err;
}

void
log_msg(int level, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX], line[LOG_LINE_MAX + 128];
	va_list ap;
	size_t i;
	int n;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		snprintf(msg, sizeof(msg), "(unprintable log message)");
	else if ((size_t)n >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4); /* say it was cut */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = ' ';

	/* One write per line, so lines of concurrent threads do not mix. */
	n = snprintf(line, sizeof(line), "%s: %s: %s\n", log_progname, log_level_name(level), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) { /* cannot happen: line has room for all */
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (log_stream != NULL)
		FCGX_PutStr(line, n, log_stream);
	else
		fwrite(line, 1, (size_t)n, stderr);
	if (log_syslog)
		syslog(level | LOG_AUTHPRIV, "%s: %s", log_level_name(level), msg);
}

int
log_level_parse(const char *name)
{
	static const struct {
		const char *name;
		int level;
	} tab[] = {
	    {"error", LOG_ERR},
	    {"warning", LOG_WARNING},
	    {"info", LOG_INFO},
	    {"debug", LOG_DEBUG},
	};
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcasecmp(name, tab[i].name) == 0)
			return tab[i].level;
	return -1;
}
