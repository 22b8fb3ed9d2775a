/*
 * select.h: the select stage's expression language, for other stages that
 * take a `when:` condition (the synth stage routes documents with it).
 * See core/stage_select.c for the grammar. A compiled expression is
 * immutable and may be shared between threads.
 */
#ifndef CORPUSD_CORE_SELECT_H
#define CORPUSD_CORE_SELECT_H

#include "core/doc.h"

int select_compile(const char *src, void **out, cd_err *e);
int select_match(const void *compiled, const doc *d);
void select_free(void *compiled);

#endif
