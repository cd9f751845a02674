/* test_search_retry.c - white-box test of the stale-reader rule: a call
 * that reports SOU_ESTALE is retried after sou_reader_reopen, up to
 * SOU_SEARCH_STALE_RETRIES times, on a real index (a real stale error is
 * hard to provoke on demand: Xapian keeps the old revision readable until
 * a writer reuses its blocks). Also: a reader opened before a commit sees
 * the new passages after sou_index_reopen.
 *
 * usage: test_search_retry HAND_INDEX_DIR
 */
#include <stdlib.h>
#include <string.h>

#include "search_internal.h"
#include "sou/record.h"
#include "sou/terms.h"
#include "test_util.h"

typedef struct flaky { int stale_first, calls; } flaky;

static int flaky_fn(sou_index *ix, void *ctx, sou_error *err)
{
    flaky *f = ctx;
    f->calls++;
    if (f->calls <= f->stale_first)
        return sou_error_set(err, SOU_ESTALE, "simulated stale reader");
    uint64_t n;
    return sou_reader_doccount(ix->reader, &n, err);
}

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    /* work on a copy: this test commits to it */
    char dir[] = "/tmp/sou-test-retry-XXXXXX", cmd[4096];
    if (!mkdtemp(dir)) return 2;
    snprintf(cmd, sizeof cmd, "cp -r '%s/.' '%s/'", argv[1], dir);
    if (system(cmd)) return 2;
    sou_index *ix = t_open(dir);
    sou_error err = {0};

    flaky f = {2, 0};
    int rc = sou_index_retry(ix, flaky_fn, &f, &err);
    CHECK(rc == 0 && f.calls == 3, "2 stale then ok: rc %d after %d calls", rc, f.calls);
    f = (flaky){100, 0};
    rc = sou_index_retry(ix, flaky_fn, &f, &err);
    CHECK(rc == SOU_ESTALE && f.calls == 1 + SOU_SEARCH_STALE_RETRIES,
          "always stale: rc %d after %d calls", rc, f.calls);

    /* a commit after opening: visible after sou_index_reopen */
    sou_search_query *q;
    sou_results *res;
    rc = sou_search_query_parse(ix, "barks", 5, 0, &q, &err);
    CHECK(rc == 0, "parse: %s", err.msg);
    rc = sou_search_run(ix, q, NULL, &res, &err);
    size_t before = sou_results_size(res);
    sou_results_free(res);
    char shard[sizeof dir + 16];
    snprintf(shard, sizeof shard, "%s/shard-0", dir);
    sou_writer *w;
    rc = sou_writer_open(shard, &w, &err);
    CHECK(rc == 0, "writer: %s", err.msg);
    if (rc == 0) {
        sou_doc *d;
        sou_doc_new(&d);
        static const char text[] = "The new dog barks";
        sou_record r = {0, 0, sizeof text - 1, "retry/new.txt", 13, "", 0, text, sizeof text - 1};
        char *enc;
        size_t elen;
        sou_record_encode(&r, &enc, &elen);
        sou_doc_set_record(d, enc, elen);
        free(enc);
        sou_doc_add_posting(d, "barks", 5, 3);
        sou_doc_add_term(d, "Zbark", 5, 1);
        sou_doc_set_value(d, SOU_SLOT_SOURCE, "retry/new.txt", 13);
        sou_writer_add(w, d, &err);
        rc = sou_writer_commit(w, &err);
        CHECK(rc == 0, "commit: %s", err.msg);
        sou_doc_free(d);
        sou_writer_close(w);
    }
    rc = sou_index_reopen(ix, &err);
    CHECK(rc == 0, "reopen: %s", err.msg);
    rc = sou_search_run(ix, q, NULL, &res, &err);
    CHECK(rc == 0 && sou_results_size(res) == before + 1, "after reopen: %zu (before %zu)",
          sou_results_size(res), before);
    sou_results_free(res);
    sou_search_query_free(q);
    sou_index_close(ix);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) fprintf(stderr, "cannot remove %s\n", dir);
    printf("%d checks, %d failures\n", tl_checks, tl_failures);
    return tl_failures ? 1 : 0;
}
