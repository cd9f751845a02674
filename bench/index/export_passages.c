/* bench/index/export_passages.c - write the passages of a sou index as the
 * bench passage file (bench/peers/passfile.h) that every peer indexes.
 *
 * Reading the passages back from the index sou built (through the store
 * shim, sou/store.h) guarantees that stock Xapian and both FTS5 tables get
 * exactly the passage texts, titles, sources and ordinals sou indexed, and
 * that passage ids line up across engines. Ids are 1..N in (source id,
 * ordinal) order, so the same documents give the same passage file (and the
 * bench the same seeded query mix) whatever the index layout or the order
 * in which the indexer's threads wrote them.
 *
 * usage: bench-export-passages INDEX OUTFILE
 *   INDEX: a sou index directory (its sou.stub lists the shards), a stub
 *   file, or one Xapian database directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "sou/error.h"
#include "sou/record.h"
#include "sou/store.h"

#define BATCH 20000

typedef struct item {
    char *data;
    size_t len;
    sou_record rec;   /* points into data */
} item;

static int cmp_item(const void *a, const void *b)
{
    return sou_record_order(&((const item *)a)->rec, &((const item *)b)->rec);
}

static int fail(const char *what, int rc, const sou_error *err)
{
    fprintf(stderr, "bench-export-passages: %s: %s%s%s\n", what, sou_strerror(rc),
            err && err->msg[0] ? ": " : "", err ? err->msg : "");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench-export-passages INDEX OUTFILE\n");
        return 2;
    }
    sou_error err = {0};
    sou_reader *r = NULL;
    /* a sou index directory is opened through its stub (indexer layout) */
    char stub[4096];
    struct stat st;
    snprintf(stub, sizeof stub, "%s/sou.stub", argv[1]);
    const char *shards[1] = {stat(stub, &st) == 0 ? stub : argv[1]};
    int rc = sou_reader_open(shards, 1, NULL, &r, &err);
    if (rc) return fail(argv[1], rc, &err);
    uint64_t total = 0;
    if ((rc = sou_reader_doccount(r, &total, &err))) return fail("doccount", rc, &err);
    sou_qpool *pool = NULL;
    if ((rc = sou_qpool_new(&pool))) return fail("qpool", rc, NULL);
    sou_query *all = sou_query_all(pool);
    if (!all) return fail("query", SOU_ENOMEM, NULL);
    FILE *out = fopen(argv[2], "wb");
    if (!out) {
        perror(argv[2]);
        return 1;
    }
    item *items = calloc(total ? total : 1, sizeof *items);
    if (!items) return fail("memory", SOU_ENOMEM, NULL);
    size_t n = 0;
    for (uint64_t off = 0; off < total; off += BATCH) {
        sou_search_params p = {0};
        p.offset = off;
        p.limit = BATCH;
        p.k1 = 1.2;
        p.b = 0.75;
        sou_hits hits = {0};
        if ((rc = sou_reader_search(r, all, &p, &hits, &err))) return fail("search", rc, &err);
        for (size_t i = 0; i < hits.n && n < total; i++) {
            item *it = &items[n++];
            it->data = hits.hits[i].data;   /* taken over */
            it->len = hits.hits[i].data_len;
            hits.hits[i].data = NULL;
            if ((rc = sou_record_decode(it->data, it->len, &it->rec)))
                return fail("record", rc, NULL);
        }
        sou_hits_free(&hits);
    }
    qsort(items, n, sizeof *items, cmp_item);
    unsigned long id = 0;
    for (size_t i = 0; i < n; i++) {
        const sou_record *rec = &items[i].rec;
        fprintf(out, "P %lu %llu %zu %zu %zu\n", ++id, (unsigned long long)rec->ordinal,
                rec->source_len, rec->title_len, rec->text_len);
        fwrite(rec->source, 1, rec->source_len, out);
        fwrite(rec->title, 1, rec->title_len, out);
        fwrite(rec->text, 1, rec->text_len, out);
        fputc('\n', out);
        free(items[i].data);
    }
    free(items);
    if (fclose(out)) {
        perror(argv[2]);
        return 1;
    }
    if (id != total) {
        fprintf(stderr, "bench-export-passages: read %lu passages of %llu\n", id,
                (unsigned long long)total);
        return 1;
    }
    sou_qpool_free(pool);
    sou_reader_close(r);
    fprintf(stderr, "bench-export-passages: %lu passages\n", id);
    return 0;
}
