/*
 * fuzz_config: config_load_string on an arbitrary file.  Either it loads, or
 * it fails with a message; never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512], *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&cfg, 0, sizeof(cfg));
	if (config_load_string(&cfg, "fuzz.conf", text, err, sizeof(err)) == GH_OK)
		config_cleanup(&cfg);
	else if (err[0] == '\0')
		__builtin_trap(); /* a refusal must say why */
	free(text);
	return 0;
}
