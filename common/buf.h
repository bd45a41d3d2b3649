/*
 * buf.h: the one growable text buffer of Gatehouse.
 *
 * Contract: data is always NUL-terminated (after buf_init it points to a
 * static "" until the first append); len never counts the NUL.  Sizes are
 * overflow-checked.  An append that fails (no memory, or over max when max
 * is non-zero) sets the sticky flag err and leaves the contents as they
 * were; later appends do nothing.  The caller checks err once at the end.
 * buf_cleanup() wipes and frees the memory and may be called twice.
 */
#ifndef GH_BUF_H
#define GH_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0: no limit; else appends beyond max bytes fail */
	bool err;
};

void buf_init(struct buf *b);
void buf_cleanup(struct buf *b);
/* buf_reset empties the buffer, keeps its memory and clears err. */
void buf_reset(struct buf *b);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
__attribute__((format(printf, 2, 3))) void buf_printf(struct buf *b, const char *fmt, ...);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* buf_put_html appends s with & < > " ' escaped for HTML text and attributes. */
void buf_put_html(struct buf *b, const char *s);
/* buf_put_urlenc appends s percent-encoded for a query string value. */
void buf_put_urlenc(struct buf *b, const char *s);
/* buf_steal returns the heap string (caller frees) and re-inits b; NULL if err. */
char *buf_steal(struct buf *b);

#endif
