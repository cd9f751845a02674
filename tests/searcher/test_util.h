/* test_util.h - helpers shared by the searcher tests (CHECK comes from
 * sou_testlib), running a query for every match, naming a passage by
 * "relative/path:ordinal", and the highlight-coverage property. */
#ifndef SOU_TEST_SEARCH_UTIL_H
#define SOU_TEST_SEARCH_UTIL_H

#include <stdio.h>

#include "sou/analyzer.h"
#include "sou/search.h"

#include "testlib.h"   /* CHECK, tl_checks, tl_failures */

/* Open the index at dir or exit(2). */
sou_index *t_open(const char *dir);

/* Parse + run text with limit 0 (every match); opts may be NULL. Returns
 * the results or NULL (with *rc and err set). */
sou_results *t_run(sou_index *ix, const char *text, unsigned flags,
                   const sou_search_options *opts, sou_search_query **qout,
                   int *rc, sou_error *err);

/* "zh-cn/network.txt:3": the source id after its last "corpus/" (or the
 * whole id) and the ordinal. Writes into buf, returns buf. */
const char *t_name(const sou_result *r, char *buf, size_t cap);

/* Every highlight span of r (in text and in snippet) is covered exactly
 * by analyzer tokens whose term is one of q's weighted terms; and every
 * snippet span has the same bytes as some text span. Returns the number
 * of violations (reported). */
int t_check_highlights(sou_analyzer *an, const sou_search_query *q,
                       const sou_result *r, const char *what);

#endif
