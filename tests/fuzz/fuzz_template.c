/*
 * fuzz_template: loads an arbitrary template and renders it twice in a
 * layout, once with a value and a list ("rows", columns "cell" and "name")
 * full of markup and once with harmless ones of the same truth and length
 * (sections render the same).  Escaping is automatic, so both outputs must
 * hold exactly as many '<' and '"' characters: any more in the first would
 * be markup that came from a value.  (The template text itself may spell
 * "<script>", e.g. around a comment tag: that is the author's markup.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
count(const struct buf *b, char c)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->data[i] == c;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct template_var hostile[] = {
	    {"name", "<script>\"x\"</script>"},
	    {"flag", "1"},
	    {"empty", ""},
	};
	const struct template_var harmless[] = {
	    {"name", "plain text"},
	    {"flag", "1"},
	    {"empty", ""},
	};
	static const char *const cols[] = {"cell", "name"};
	static const char *const hostile_cells[] = {"<b>\"", "<i>", NULL, "\"<"};
	static const char *const harmless_cells[] = {"b", "i", NULL, "x"};
	const struct template_list hostile_rows = {"rows", cols, 2, hostile_cells, 2};
	const struct template_list harmless_rows = {"rows", cols, 2, harmless_cells, 2};
	struct template_set *set = template_set_new();
	char err[256], *text = malloc(size + 1);
	struct buf a, b;

	buf_init(&a);
	buf_init(&b);
	if (set == NULL || text == NULL)
		goto out;
	memcpy(text, data, size);
	text[size] = '\0';
	if (template_set_add(set, "layout", "{{{content}}}", err, sizeof(err)) == GH_OK &&
	    template_set_add(set, "t", text, err, sizeof(err)) == GH_OK &&
	    template_page_lists(set, "t", hostile, 3, &hostile_rows, 1, &a) == GH_OK &&
	    template_page_lists(set, "t", harmless, 3, &harmless_rows, 1, &b) == GH_OK && !a.err &&
	    !b.err && (count(&a, '<') != count(&b, '<') || count(&a, '"') != count(&b, '"')))
		__builtin_trap();
out:
	buf_cleanup(&a);
	buf_cleanup(&b);
	template_set_free(set);
	free(text);
	return 0;
}
