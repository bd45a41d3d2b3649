/*
 * test_template.h: what the template tests share: the last load error and
 * adding one template from memory.
 */
#ifndef GH_TEST_TEMPLATE_H
#define GH_TEST_TEMPLATE_H

#include "template.h"

static char errmsg[512];

/* add adds one template to set; returns the error. */
static inline enum gh_err
add(struct template_set *set, const char *name, const char *text)
{
	errmsg[0] = '\0';
	return template_set_add(set, name, text, errmsg, sizeof(errmsg));
}

#define NV(v) (sizeof(v) / sizeof((v)[0]))

#endif
