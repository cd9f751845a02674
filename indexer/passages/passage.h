/* indexer/passages/passage.h - cutting a decoded document into passages.
 *
 * A passage is a byte range of the document text. Paragraphs (separated by
 * blank lines) are passages; a paragraph longer than max_chars code points
 * is cut at ICU sentence boundaries into windows of up to max_chars, and a
 * single sentence longer than max_chars is cut at the last word boundary
 * (else the last character boundary) before the limit: no text is lost.
 */
#ifndef SOU_INDEXER_PASSAGE_H
#define SOU_INDEXER_PASSAGE_H

#include <stddef.h>

#include "sou/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Default passage limit in code points. */
#define SOU_PASSAGE_CHARS_DEFAULT 600

/* Byte range [start, end) of the text given to sou_splitter_split. */
typedef struct sou_span { size_t start, end; } sou_span;

/* One per thread; holds ICU sentence and word iterators and the span array. */
typedef struct sou_splitter sou_splitter;

/* max_chars: passage limit in code points (0: SOU_PASSAGE_CHARS_DEFAULT).
 * Returns 0, SOU_ENOMEM or SOU_EINTERNAL (ICU failed to open). */
int sou_splitter_new(size_t max_chars, sou_splitter **out);
void sou_splitter_free(sou_splitter *s);   /* accepts NULL */

/* Split text (UTF-8; invalid bytes count as one character each and are
 * never split) into passages: paragraphs (blank-line separated), a
 * paragraph longer than max_chars cut at ICU sentence boundaries (a single
 * sentence longer than max_chars is cut at the last word/char boundary
 * before the limit: never lose text). Spans are trimmed of surrounding
 * whitespace, empty ones skipped, in order, non-overlapping. *spans is
 * owned by the splitter, valid until the next call or free.
 * Returns 0, SOU_ENOMEM, SOU_EINTERNAL (ICU error). */
int sou_splitter_split(sou_splitter *s, const char *text, size_t len,
                       const sou_span **spans, size_t *n);

#ifdef __cplusplus
}
#endif
#endif
