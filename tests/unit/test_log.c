/*
 * test_log.c: unit tests for common/log.c.  Lines written to the process's
 * stderr are captured through a temporary file; lines for a request go to an
 * in-memory FastCGI stream built on libfcgi's public FCGX_Stream fields.
 */
#include <pthread.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "buf.h"
#include "log.h"
#include "test.h"
#include "test_stream.h"

/* Capturing the process's stderr. */
static FILE *cap_file;
static int cap_saved = -1;

static void
cap_start(void)
{
	fflush(stderr);
	cap_file = tmpfile();
	cap_saved = dup(2);
	dup2(fileno(cap_file), 2);
}

/* cap_stop restores stderr and returns what was written (static storage). */
static const char *
cap_stop(void)
{
	static char text[8192];
	size_t n;

	fflush(stderr);
	dup2(cap_saved, 2);
	close(cap_saved);
	rewind(cap_file);
	n = fread(text, 1, sizeof(text) - 1, cap_file);
	text[n] = '\0';
	fclose(cap_file);
	return text;
}

TEST(level_parse_knows_the_four_names)
{
	CHECK(log_level_parse("error") == LOG_ERR);
	CHECK(log_level_parse("warning") == LOG_WARNING);
	CHECK(log_level_parse("info") == LOG_INFO);
	CHECK(log_level_parse("debug") == LOG_DEBUG);
	CHECK(log_level_parse("DEBUG") == LOG_DEBUG);
}

TEST(level_parse_refuses_unknown_names)
{
	CHECK(log_level_parse("verbose") == -1);
	CHECK(log_level_parse("") == -1);
	CHECK(log_level_parse("info ") == -1);
	CHECK(log_level_parse(NULL) == -1);
}

TEST(line_reads_progname_level_message)
{
	log_init("/usr/libexec/gatehouse/gatehouse-login", LOG_INFO, false);
	cap_start();
	log_msg(LOG_WARNING, "login failed for %s from %s", "alice", "192.0.2.1");
	CHECK_STR(cap_stop(), "gatehouse-login: warning: login failed for alice from 192.0.2.1\n");
}

TEST(messages_below_the_level_are_dropped)
{
	log_init("gh", LOG_WARNING, false);
	cap_start();
	log_msg(LOG_INFO, "not shown");
	log_msg(LOG_DEBUG, "not shown");
	log_msg(LOG_ERR, "shown");
	CHECK_STR(cap_stop(), "gh: error: shown\n");
}

TEST(control_characters_cannot_forge_a_second_line)
{
	log_init("gh", LOG_DEBUG, false);
	cap_start();
	log_msg(LOG_INFO, "user %s", "x\r\ngh: info: login ok for admin");
	CHECK_STR(cap_stop(), "gh: info: user x  gh: info: login ok for admin\n");
}

TEST(overlong_message_is_cut_on_one_line)
{
	static char big[5000];
	const char *out;

	memset(big, 'a', sizeof(big) - 1);
	log_init("gh", LOG_DEBUG, false);
	cap_start();
	log_msg(LOG_INFO, "%s", big);
	out = cap_stop();
	CHECK(strncmp(out, "gh: info: aaa", 13) == 0);
	CHECK(strlen(out) < 2200);
	CHECK(strstr(out, "...\n") != NULL);
	CHECK(strchr(out, '\n') == out + strlen(out) - 1);
}

TEST(request_stream_receives_lines_instead_of_stderr)
{
	struct mem_stream m;

	log_init("gh", LOG_DEBUG, false);
	mem_open(&m);
	cap_start();
	log_set_stream(&m.s);
	log_msg(LOG_ERR, "database unreachable: %s", "connection refused on the socket");
	log_set_stream(NULL);
	log_msg(LOG_INFO, "back on stderr");
	CHECK_STR(cap_stop(), "gh: info: back on stderr\n");
	CHECK_STR(
	    mem_text(&m), "gh: error: database unreachable: connection refused on the socket\n");
	buf_cleanup(&m.out);
}

static void *
other_thread(void *arg)
{
	log_msg(LOG_INFO, "from another thread");
	return arg;
}

TEST(stream_is_per_thread)
{
	struct mem_stream m;
	pthread_t t;

	log_init("gh", LOG_DEBUG, false);
	mem_open(&m);
	cap_start();
	log_set_stream(&m.s);
	pthread_create(&t, NULL, other_thread, NULL);
	pthread_join(t, NULL);
	log_msg(LOG_INFO, "from the request thread");
	log_set_stream(NULL);
	CHECK_STR(cap_stop(), "gh: info: from another thread\n");
	CHECK_STR(mem_text(&m), "gh: info: from the request thread\n");
	buf_cleanup(&m.out);
}

int
main(void)
{
	RUN(level_parse_knows_the_four_names);
	RUN(level_parse_refuses_unknown_names);
	RUN(line_reads_progname_level_message);
	RUN(messages_below_the_level_are_dropped);
	RUN(control_characters_cannot_forge_a_second_line);
	RUN(overlong_message_is_cut_on_one_line);
	RUN(request_stream_receives_lines_instead_of_stderr);
	RUN(stream_is_per_thread);
	return test_summary();
}
