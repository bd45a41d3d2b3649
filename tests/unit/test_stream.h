/*
 * test_stream.h: an in-memory FastCGI output stream for unit tests, built
 * on libfcgi's public FCGX_Stream fields: what is written collects in a
 * buf, through a small chunk so that FCGX_PutStr has to refill; with fail
 * set, every flush fails as a closed connection does (EPIPE).
 */
#ifndef GH_TEST_STREAM_H
#define GH_TEST_STREAM_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <fcgiapp.h>

#include "buf.h"

struct mem_stream {
	FCGX_Stream s;
	unsigned char chunk[32]; /* small, so FCGX_PutStr has to refill */
	struct buf out;
	bool fail;
};

static void
mem_empty(FCGX_Stream *s, int do_close)
{
	struct mem_stream *m = s->data;

	if (m->fail) {
		s->isClosed = 1;
		s->FCGI_errno = EPIPE;
		s->stop = s->wrNext;
		return;
	}
	buf_append(&m->out, m->chunk, (size_t)(s->wrNext - m->chunk));
	s->wrNext = m->chunk;
}

static void
mem_open(struct mem_stream *m)
{
	memset(m, 0, sizeof(*m));
	m->s.wrNext = m->chunk;
	m->s.stop = m->chunk + sizeof(m->chunk);
	m->s.emptyBuffProc = mem_empty;
	m->s.data = m;
	buf_init(&m->out);
}

/* mem_text flushes the stream and returns what was written. */
static const char *
mem_text(struct mem_stream *m)
{
	mem_empty(&m->s, 0);
	return m->out.data;
}

#endif
