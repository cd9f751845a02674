/* index_dump.c - prints every passage of a sou index, one line each,
 * sorted: "source<TAB>ordinal<TAB>start<TAB>end<TAB>text bytes". The
 * reliability tests compare these dumps (an index after a kill or a full
 * disk against a clean run). Reads through the store shim, not the
 * searcher, so it checks what is on disk. Exit 0, or 1 if the index does
 * not open or a record does not decode.
 *
 * usage: sou_rel_dump INDEX_DIR_OR_STUB
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sou/record.h"
#include "sou/store.h"

typedef struct line { char *s; } line;

static int line_cmp(const void *a, const void *b)
{
    return strcmp(((const line *)a)->s, ((const line *)b)->s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s INDEX_DIR_OR_STUB\n", argv[0]);
        return 2;
    }
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/sou.stub", argv[1]);
    const char *open_path = stat(path, &st) == 0 ? path : argv[1];
    sou_error err = { 0, "" };
    sou_reader *r = NULL;
    const char *shards[1] = { open_path };
    if (sou_reader_open(shards, 1, NULL, &r, &err) != 0) {
        fprintf(stderr, "sou_rel_dump: %s: %s\n", open_path, err.msg);
        return 1;
    }
    sou_qpool *pool = NULL;
    sou_hits hits = { 0 };
    sou_search_params sp = { .limit = 100000000, .k1 = 1.2, .b = 0.75 };
    if (sou_qpool_new(&pool) != 0 ||
        sou_reader_search(r, sou_query_all(pool), &sp, &hits, &err) != 0) {
        fprintf(stderr, "sou_rel_dump: search: %s\n", err.msg);
        return 1;
    }
    line *lines = calloc(hits.n + 1, sizeof *lines);
    int rc = 0;
    for (size_t i = 0; i < hits.n; i++) {
        sou_record rec;
        if (sou_record_decode(hits.hits[i].data, hits.hits[i].data_len, &rec)) {
            fprintf(stderr, "sou_rel_dump: docid %u: corrupt record\n",
                    hits.hits[i].docid);
            rc = 1;
            continue;
        }
        size_t n = rec.source_len + 80;
        lines[i].s = malloc(n);
        snprintf(lines[i].s, n, "%.*s\t%llu\t%llu\t%llu\t%zu", (int)rec.source_len,
                 rec.source, (unsigned long long)rec.ordinal,
                 (unsigned long long)rec.start, (unsigned long long)rec.end,
                 rec.text_len);
    }
    size_t n = 0;
    for (size_t i = 0; i < hits.n; i++)
        if (lines[i].s) lines[n++] = lines[i];
    qsort(lines, n, sizeof *lines, line_cmp);
    for (size_t i = 0; i < n; i++) {
        puts(lines[i].s);
        free(lines[i].s);
    }
    free(lines);
    sou_hits_free(&hits);
    sou_qpool_free(pool);
    sou_reader_close(r);
    return rc;
}
