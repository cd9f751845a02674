/* tests/indexer_inputs/check.h - minimal assertion helpers: count
 * failures, print where, keep going so one run shows every failing row. */
#ifndef SOU_TEST_CHECK_H
#define SOU_TEST_CHECK_H
#include <stdio.h>
#include <string.h>

#include "testlib.h"   /* CHECK, tl_failures */

#define CHECK_MEM(a, alen, b, blen, what) do { size_t _al = (alen), _bl = (blen); \
    if (_al != _bl || memcmp((a), (b), _al) != 0) { tl_failures++; \
    fprintf(stderr, "%s:%d: %s: got [%.*s] (%zu) want [%.*s] (%zu)\n", __FILE__, __LINE__, \
            (what), (int)(_al > 300 ? 300 : _al), (a), _al, (int)(_bl > 300 ? 300 : _bl), (b), _bl); } } while (0)
#define CHECK_DONE() (tl_failures ? (fprintf(stderr, "%d check(s) failed\n", tl_failures), 1) \
                                    : (printf("all checks passed\n"), 0))
#endif
