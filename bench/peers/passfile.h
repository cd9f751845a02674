/* bench/peers/passfile.h - reader for the bench "passage file", the one list
 * of passages that every engine in the benchmark indexes (C and C++).
 *
 * bench-export-passages writes it from a sou index, so sou, stock Xapian and
 * both FTS5 tables hold exactly the same passage texts under the same ids.
 * Format, one record per passage, NUL-safe (lengths, not terminators):
 *
 *   "P <id> <ordinal> <source_len> <title_len> <text_len>\n"
 *   <source bytes><title bytes><text bytes>"\n"
 *
 * ids are 1, 2, 3, ... in file order; an engine's docid/rowid is the id.
 */
#ifndef BENCH_PASSFILE_H
#define BENCH_PASSFILE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bench_passage {
    unsigned long id, ordinal;
    char *source; size_t source_len;
    char *title; size_t title_len;
    char *text; size_t text_len;
    char *buf; size_t cap;       /* owns source/title/text */
} bench_passage;

/* Read the next record into p (reusing its buffer). Returns 1 on a record,
 * 0 at end of file, -1 on a malformed file or allocation failure. */
static inline int bench_passage_read(FILE *f, bench_passage *p)
{
    unsigned long id, ordinal;
    size_t sl, tl, xl;
    int c = fgetc(f);
    if (c == EOF) return 0;
    if (c != 'P' || fscanf(f, " %lu %lu %zu %zu %zu", &id, &ordinal, &sl, &tl, &xl) != 5
        || fgetc(f) != '\n')
        return -1;
    size_t need = sl + tl + xl + 3;
    if (need > p->cap) {
        char *nb = (char *)realloc(p->buf, need);
        if (!nb) return -1;
        p->buf = nb;
        p->cap = need;
    }
    /* each field gets a NUL after it (for printing); lengths stay exact */
    p->source = p->buf;
    p->title = p->source + sl + 1;
    p->text = p->title + tl + 1;
    if (fread(p->source, 1, sl, f) != sl || fread(p->title, 1, tl, f) != tl
        || fread(p->text, 1, xl, f) != xl || fgetc(f) != '\n')
        return -1;
    p->source[sl] = p->title[tl] = p->text[xl] = 0;
    p->id = id; p->ordinal = ordinal;
    p->source_len = sl; p->title_len = tl; p->text_len = xl;
    return 1;
}

static inline void bench_passage_free(bench_passage *p)
{
    free(p->buf);
    memset(p, 0, sizeof *p);
}

#endif
