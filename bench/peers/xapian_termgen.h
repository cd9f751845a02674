/* xapian_termgen.h - C entry point of the stock Xapian TermGenerator peer
 * used by bench/analyzer (see xapian_termgen.cc). */
#ifndef BENCH_XAPIAN_TERMGEN_H
#define BENCH_XAPIAN_TERMGEN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Index each text into a fresh Xapian::Document with FLAG_CJK_NGRAM and
 * the english stemmer; *terms gets the sum of distinct terms per document.
 * Returns 0, or -1 if Xapian threw. */
int peer_xapian_termgen(const char *const *texts, const size_t *lens, size_t n,
                        uint64_t *terms);

#ifdef __cplusplus
}
#endif
#endif
