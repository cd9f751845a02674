/* query.c - the public query object: parse (syntax tree, then Xapian query
 * built with the index's analyzer), describe, list analyzed terms, free. */
#include "search_internal.h"

#include <stdlib.h>

void sou_search_query_free(sou_search_query *q)
{
    if (!q) return;
    sou_qpool_free(q->pool);
    free(q->description);
    for (size_t i = 0; i < q->nterms; i++) free((char *)q->terms[i].term);
    free(q->terms);
    for (size_t i = 0; i < q->nhl_terms; i++) free(q->hl_terms[i].term);
    free(q->hl_terms);
    free(q->patterns);
    free(q);
}

int sou_search_query_parse(sou_index *ix, const char *text, size_t len,
                           unsigned flags, sou_search_query **out,
                           sou_error *err)
{
    *out = NULL;
    if (!ix) return sou_error_set(err, SOU_EINVAL, "no index");
    if (flags & ~(unsigned)SOU_QUERY_LENIENT)
        return sou_error_set(err, SOU_EINVAL, "unknown query flags 0x%x", flags);
    sou_qast ast;
    int rc = sou_qast_parse(text, len, flags, &ast, err);
    if (rc) return rc;
    sou_search_query *q = calloc(1, sizeof *q);
    if (!q || sou_qpool_new(&q->pool)) {
        free(q);
        sou_qast_free(&ast);
        return sou_error_set(err, SOU_ENOMEM, "out of memory");
    }
    rc = sou_query_build(q, ix->analyzer, &ast, err);
    sou_qast_free(&ast);
    if (rc) {
        sou_search_query_free(q);
        return rc;
    }
    *out = q;
    return 0;
}

const char *sou_search_query_describe(const sou_search_query *q)
{
    return q->description;
}

size_t sou_search_query_term_count(const sou_search_query *q)
{
    return q->nterms;
}

const sou_query_term_info *sou_search_query_term(const sou_search_query *q,
                                                 size_t i)
{
    return i < q->nterms ? &q->terms[i] : NULL;
}
