/*
 * fuzz_template: loads an arbitrary template and renders it with variables
 * holding markup.  The output must never contain the raw markup of a value:
 * escaping is automatic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct template_var vars[] = {
		{"name", "<script>x</script>"},
		{"flag", "1"},
		{"empty", ""},
	};
	struct template_set *set = template_set_new();
	char err[256], *text = malloc(size + 1);
	struct buf out;

	if (set == NULL || text == NULL)
		goto out;
	memcpy(text, data, size);
	text[size] = '\0';
	buf_init(&out);
	if (template_set_add(set, "t", text, err, sizeof(err)) == GH_OK &&
	    template_render(set, "t", vars, 3, &out) == GH_OK && !out.err &&
	    strstr(text, "<script>x") == NULL && strstr(out.data, "<script>x") != NULL)
		__builtin_trap();
	buf_cleanup(&out);
out:
	template_set_free(set);
	free(text);
	return 0;
}
