/*
 * db_mysql_url.h: reading a mysql:// URL (db_mysql_url.c), for the MariaDB
 * driver (db_mysql.c) alone.
 */
#ifndef GH_DB_MYSQL_URL_H
#define GH_DB_MYSQL_URL_H

#include "db_driver.h"

/* The parts of a mysql:// URL, each a heap string or NULL. */
struct my_url {
	char *user;
	char *host;
	char *db;
	char *socket;
	char *sslrootcert;
	enum db_tls tls;
	unsigned int port;
};

/* my_url_parse splits url into u (my_url_cleanup after); GH_ECONFIG with
 * *why (a phrase for "the URL ...") when it is malformed or breaks the
 * transport rule, GH_ENOMEM. */
enum gh_err my_url_parse(const char *url, struct my_url *u, const char **why);
void my_url_cleanup(struct my_url *u);
/* my_url_problem is the driver's url_problem (db_driver.h). */
const char *my_url_problem(const char *url);

#endif
