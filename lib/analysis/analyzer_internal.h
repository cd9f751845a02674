/* analyzer_internal.h - hooks into the analyzer for sou's own tests and
 * benchmarks. Not a public API. */
#ifndef SOU_ANALYZER_INTERNAL_H
#define SOU_ANALYZER_INTERNAL_H

#include "sou/analyzer.h"

/* on != 0: segment every block with ICU's word break iterator over the
 * whole folded block (the reference); 0 (default): the fast path, which
 * must produce exactly the same terms. */
void sou_analyzer_set_pure_icu(sou_analyzer *a, int on);

/* Counters since creation, for tests and benchmarks. */
typedef struct sou_analyzer_stats {
    uint64_t chars, fast_chunks, icu_chunks, cjk_runs_segmented;
    uint64_t stem_hits, stem_misses;
} sou_analyzer_stats;
void sou_analyzer_get_stats(const sou_analyzer *a, sou_analyzer_stats *out);

#endif
