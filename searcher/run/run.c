/* run.c - running a parsed query: BM25 search through the shim (with the
 * stale-reader retry), passage records decoded into results with
 * highlights and snippets, exact counts, and BM25 explanations. */
#include "search_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sou/record.h"

struct sou_results {
    sou_hits hits;             /* records live here; results point into them */
    sou_result *items;
    size_t n;
    uint64_t estimated, lower, upper;
};

void sou_search_options_default(sou_search_options *o)
{
    memset(o, 0, sizeof *o);
    o->limit = 10;
    o->k1 = SOU_BM25_K1_DEFAULT;
    o->b = SOU_BM25_B_DEFAULT;
    o->min_normlen = SOU_BM25_MIN_NORMLEN_DEFAULT;
    o->snippet_chars = SOU_SNIPPET_CHARS_DEFAULT;
}

static int check_options(const sou_search_options *o, sou_error *err)
{
    if (!(o->k1 >= 0) || !isfinite(o->k1))
        return sou_error_set(err, SOU_EINVAL, "BM25 k1 must be >= 0 (got %g)", o->k1);
    if (!(o->b >= 0 && o->b <= 1))
        return sou_error_set(err, SOU_EINVAL, "BM25 b must be in [0, 1] (got %g)", o->b);
    if (!(o->min_normlen >= 0) || !isfinite(o->min_normlen))
        return sou_error_set(err, SOU_EINVAL, "BM25 min_normlen must be >= 0 (got %g)",
                             o->min_normlen);
    return 0;
}

void sou_results_free(sou_results *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) {
        free((void *)r->items[i].highlights);
        free((void *)r->items[i].snippet);
        free((void *)r->items[i].snippet_highlights);
    }
    free(r->items);
    sou_hits_free(&r->hits);
    free(r);
}

size_t sou_results_size(const sou_results *r) { return r ? r->n : 0; }

const sou_result *sou_results_get(const sou_results *r, size_t i)
{
    return r && i < r->n ? &r->items[i] : NULL;
}

uint64_t sou_results_matches_estimated(const sou_results *r) { return r->estimated; }
uint64_t sou_results_matches_lower(const sou_results *r) { return r->lower; }
uint64_t sou_results_matches_upper(const sou_results *r) { return r->upper; }

typedef struct search_ctx {
    const sou_query *query;
    sou_search_params params;
    sou_hits *hits;
} search_ctx;

static int search_fn(sou_index *ix, void *vctx, sou_error *err)
{
    search_ctx *c = vctx;
    sou_hits_free(c->hits);
    memset(c->hits, 0, sizeof *c->hits);
    c->params.phrase_check = sou_phrase_holds;   /* indexes without positions */
    c->params.phrase_ctx = ix->checker;
    return sou_reader_search(ix->reader, c->query, &c->params, c->hits, err);
}

static void params_from(const sou_search_options *o, sou_search_params *p)
{
    memset(p, 0, sizeof *p);
    p->offset = o->offset;
    p->limit = o->limit;
    p->collapse = o->collapse;
    p->k1 = o->k1;
    p->b = o->b;
    p->min_normlen = o->min_normlen;
    p->skip_doclen = !o->with_doclen;
}

static int fill_result(sou_index *ix, const sou_search_query *q,
                       const sou_search_options *o, const sou_hit *h,
                       sou_result *res, sou_error *err)
{
    sou_record rec;
    if (sou_record_decode(h->data, h->data_len, &rec))
        return sou_error_set(err, SOU_ECORRUPT,
                             "passage record of document %u is corrupt", h->docid);
    res->source = rec.source;
    res->source_len = rec.source_len;
    res->ordinal = rec.ordinal;
    res->title = rec.title;
    res->title_len = rec.title_len;
    res->score = h->score;
    res->start = rec.start;
    res->end = rec.end;
    res->text = rec.text;
    res->text_len = rec.text_len;
    res->docid = h->docid;
    res->doclen = h->doclen;
    sou_highlight *hl;
    size_t nhl;
    int rc = sou_highlight_passage(q, ix->hl_analyzer, rec.text, rec.text_len, &hl, &nhl);
    if (rc) return sou_error_set(err, rc, "highlighting: %s", sou_strerror(rc));
    res->highlights = hl;
    res->n_highlights = nhl;
    if (o->snippet_chars) {
        char *snip;
        size_t slen, nss;
        sou_highlight *ss;
        rc = sou_snippet_make(rec.text, rec.text_len, hl, nhl, o->snippet_chars,
                              &snip, &slen, &ss, &nss);
        if (rc) return sou_error_set(err, rc, "snippet: %s", sou_strerror(rc));
        res->snippet = snip;
        res->snippet_len = slen;
        res->snippet_highlights = ss;
        res->n_snippet_highlights = nss;
    }
    return 0;
}

int sou_search_run(sou_index *ix, const sou_search_query *q,
                   const sou_search_options *opts, sou_results **out,
                   sou_error *err)
{
    *out = NULL;
    sou_search_options def;
    if (!opts) {
        sou_search_options_default(&def);
        opts = &def;
    }
    int rc = check_options(opts, err);
    if (rc) return rc;
    sou_results *r = calloc(1, sizeof *r);
    if (!r) return sou_error_set(err, SOU_ENOMEM, "out of memory");
    if (!q->root) {   /* nothing to match */
        *out = r;
        return 0;
    }
    search_ctx c = {q->root, {0}, &r->hits};
    params_from(opts, &c.params);
    if (opts->limit == 0 || opts->exact_count) {
        uint64_t n;
        if ((rc = sou_index_doccount(ix, &n, err))) goto fail;
        if (opts->limit == 0) c.params.limit = n;
        if (opts->exact_count) c.params.check_at_least = n;
        if (n == 0) {
            *out = r;
            return 0;
        }
    }
    if ((rc = sou_index_retry(ix, search_fn, &c, err))) goto fail;
    r->estimated = r->hits.matches_estimated;
    r->lower = r->hits.matches_lower;
    r->upper = r->hits.matches_upper;
    if (r->hits.n) {
        r->items = calloc(r->hits.n, sizeof *r->items);
        if (!r->items) {
            rc = sou_error_set(err, SOU_ENOMEM, "out of memory");
            goto fail;
        }
    }
    for (size_t i = 0; i < r->hits.n; i++) {
        r->n = i + 1;   /* so free releases what fill_result made */
        if ((rc = fill_result(ix, q, opts, &r->hits.hits[i], &r->items[i], err)))
            goto fail;
    }
    *out = r;
    return 0;
fail:
    sou_results_free(r);
    return rc;
}

int sou_search_count(sou_index *ix, const sou_search_query *q, int collapse,
                     uint64_t *out, sou_error *err)
{
    *out = 0;
    if (!q->root) return 0;
    uint64_t n;
    int rc = sou_index_doccount(ix, &n, err);
    if (rc || n == 0) return rc;
    sou_hits hits = {0};
    search_ctx c = {q->root, {0}, &hits};
    c.params.limit = 0;
    c.params.collapse = collapse;
    c.params.k1 = SOU_BM25_K1_DEFAULT;
    c.params.b = SOU_BM25_B_DEFAULT;
    c.params.min_normlen = SOU_BM25_MIN_NORMLEN_DEFAULT;
    c.params.check_at_least = n;
    c.params.skip_doclen = 1;
    rc = sou_index_retry(ix, search_fn, &c, err);
    if (!rc) *out = hits.matches_estimated;
    sou_hits_free(&hits);
    return rc;
}

/* ---- explain ---- */

typedef struct explain_ctx {
    const sou_search_query *q;
    uint32_t docid;
    sou_explain_part *parts;
    uint64_t doccount;
    double avlength;
} explain_ctx;

static int explain_fn(sou_index *ix, void *vctx, sou_error *err)
{
    explain_ctx *c = vctx;
    int rc = sou_reader_doccount(ix->reader, &c->doccount, err);
    if (!rc) rc = sou_reader_avlength(ix->reader, &c->avlength, err);
    for (size_t i = 0; !rc && i < c->q->nterms; i++) {
        const sou_query_term_info *t = &c->q->terms[i];
        sou_explain_part *p = &c->parts[i];
        p->term = t->term;
        p->len = t->len;
        rc = sou_reader_termfreq(ix->reader, t->term, t->len, &p->termfreq, err);
        if (!rc) rc = sou_reader_wdf(ix->reader, c->docid, t->term, t->len, &p->wdf, err);
    }
    return rc;
}

int sou_search_explain(sou_index *ix, const sou_search_query *q,
                       const sou_search_options *opts,
                       const sou_results *r, size_t i,
                       sou_explain_part *parts, uint64_t *doccount,
                       double *avlength, sou_error *err)
{
    sou_search_options def;
    if (!opts) {
        sou_search_options_default(&def);
        opts = &def;
    }
    const sou_result *res = sou_results_get(r, i);
    if (!res) return sou_error_set(err, SOU_EINVAL, "no result %zu", i);
    if (!opts->with_doclen)
        return sou_error_set(err, SOU_EINVAL, "explain needs results run with with_doclen");
    explain_ctx c = {q, res->docid, parts, 0, 0};
    int rc = sou_index_retry(ix, explain_fn, &c, err);
    if (rc) return rc;
    /* Xapian's BM25Weight (k2 = 0, k3 = 1), term by term. */
    double N = (double)c.doccount, k1 = opts->k1, b = opts->b;
    double len_factor = (b == 0 || k1 == 0 || c.avlength == 0) ? 0 : 1 / c.avlength;
    double normlen = fmax(res->doclen * len_factor, opts->min_normlen);
    for (size_t k = 0; k < q->nterms; k++) {
        sou_explain_part *p = &parts[k];
        double tf = (double)p->termfreq, wqf = q->terms[k].wqf;
        double tw = (N - tf + 0.5) / (tf + 0.5);
        if (tw < 2) tw = tw * 0.5 + 1;
        p->idf = log(tw);
        double termweight = p->idf * (2 * wqf / (1 + wqf)) * (k1 + 1);
        double wdf = p->wdf;
        double denom = k1 * (normlen * b + (1 - b)) + wdf;
        p->weight = wdf > 0 && denom > 0 ? termweight * wdf / denom : 0;
    }
    if (doccount) *doccount = c.doccount;
    if (avlength) *avlength = c.avlength;
    return 0;
}
