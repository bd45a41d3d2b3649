/*
 * log.h: logging to the web server's error log and, when configured, syslog.
 *
 * Inside a request, lines go to the request's FastCGI stderr stream (the web
 * server writes them to its error log); outside a request to the process's
 * stderr.  With syslog on, every line is also sent to syslog(3) with the
 * program name, in a format fail2ban can match ("gatehouse: <event> ...").
 * Secrets are never passed to these functions.
 */
#ifndef GH_LOG_H
#define GH_LOG_H

#include <stdbool.h>
#include <syslog.h> /* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */

struct FCGX_Stream;

/* log_init sets the program name, the least important level to write and
 * whether syslog is used.  Call once in main before threads start. */
void log_init(const char *progname, int level, bool use_syslog);
/* log_set_stream sets this thread's request stderr (NULL: process stderr). */
void log_set_stream(struct FCGX_Stream *err);
__attribute__((format(printf, 2, 3))) void log_msg(int level, const char *fmt, ...);
/* log_level_parse maps "error", "warning", "info", "debug" to LOG_*; -1 if unknown. */
int log_level_parse(const char *name);

#endif
