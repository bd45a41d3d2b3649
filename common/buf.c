/*
 * buf.c: the growable text buffer every piece of Gatehouse builds its output
 * in (see buf.h for the contract).
 *
 * The buffer is always NUL-terminated, every size computation is checked for
 * overflow, and a failed append sets the sticky err flag instead of returning
 * an error, so a caller can chain appends and check once at the end.  Memory
 * may hold secrets (tokens, form values), so it is wiped before it is freed,
 * also when the buffer grows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"

/* The header's declaration carries no format attribute; this one does. */
__attribute__((format(printf, 2, 0))) void buf_vprintf(struct buf *b, const char *fmt, va_list ap);

/* What data points to before the first allocation; never written to. */
static char buf_empty[1];

#define BUF_MIN_CAP 64

void
buf_init(struct buf *b)
{
	b->data = buf_empty;
	b->len = 0;
	b->cap = 0;
	b->max = 0;
	b->err = false;
}

void
buf_cleanup(struct buf *b)
{
	if (b->cap > 0) {
		crypto_wipe(b->data, b->cap);
		free(b->data);
	}
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	if (b->cap > 0) {
		crypto_wipe(b->data, b->len);
		b->data[0] = '\0';
	}
	b->len = 0;
	b->err = false;
}

/*
 * buf_reserve makes room for n more bytes plus the NUL.  On failure (over
 * max, size overflow, no memory) it sets err, leaves the contents alone and
 * returns false.
 */
static bool
buf_reserve(struct buf *b, size_t n)
{
	size_t need, ncap;
	char *p;

	if (b->err)
		return false;
	if (n > SIZE_MAX - 1 - b->len)
		goto fail;
	if (b->max != 0 && b->len + n > b->max)
		goto fail;
	need = b->len + n + 1;
	if (need <= b->cap)
		return true;

	ncap = b->cap < BUF_MIN_CAP ? BUF_MIN_CAP : b->cap;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	/* Not realloc: the old block may hold a secret and must be wiped. */
	if ((p = malloc(ncap)) == NULL)
		goto fail;
	memcpy(p, b->data, b->len + 1);
	if (b->cap > 0) {
		crypto_wipe(b->data, b->cap);
		free(b->data);
	}
	b->data = p;
	b->cap = ncap;
	return true;
fail:
	b->err = true;
	return false;
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0 || !buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	if (s != NULL)
		buf_append(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	size_t room;
	int n;

	if (b->err)
		return;
	room = b->cap > 0 ? b->cap - b->len : 0;
	va_copy(cp, ap);
	n = vsnprintf(room > 0 ? b->data + b->len : NULL, room, fmt, cp);
	va_end(cp);
	if (n < 0) {
		if (b->cap > 0)
			b->data[b->len] = '\0';
		b->err = true;
		return;
	}
	if ((size_t)n >= room) {
		/* Did not fit: undo the partial output, grow, print again. */
		if (b->cap > 0)
			b->data[b->len] = '\0';
		if (!buf_reserve(b, (size_t)n))
			return;
		room = b->cap - b->len;
		va_copy(cp, ap);
		n = vsnprintf(b->data + b->len, room, fmt, cp);
		va_end(cp);
		if (n < 0 || (size_t)n >= room) {
			b->data[b->len] = '\0';
			b->err = true;
			return;
		}
	} else if (b->max != 0 && b->len + (size_t)n > b->max) {
		b->data[b->len] = '\0';
		b->err = true;
		return;
	}
	b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
buf_put_html(struct buf *b, const char *s)
{
	const char *run;

	if (s == NULL)
		return;
	for (run = s; *s != '\0'; s++) {
		const char *ent;

		switch (*s) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			ent = "&#39;";
			break;
		default:
			continue;
		}
		buf_append(b, run, (size_t)(s - run));
		buf_puts(b, ent);
		run = s + 1;
	}
	buf_append(b, run, (size_t)(s - run));
}

void
buf_put_urlenc(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char esc[3];

	if (s == NULL)
		return;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			buf_putc(b, (char)*p);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[*p >> 4];
		esc[2] = hex[*p & 0x0f];
		buf_append(b, esc, sizeof(esc));
	}
}

char *
buf_steal(struct buf *b)
{
	char *s;

	if (b->err) {
		buf_cleanup(b);
		return NULL;
	}
	if (b->cap == 0)
		s = strdup("");
	else
		s = b->data;
	buf_init(b);
	return s;
}
