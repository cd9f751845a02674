/* search_internal.h - structures shared by the parts of libsou-search
 * (index opening, query parsing/building, snippets, running). Not public. */
#ifndef SOU_SEARCH_INTERNAL_H
#define SOU_SEARCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sou/analyzer.h"
#include "sou/search.h"
#include "sou/store.h"

/* Phrases checked against passage records (run/phrase_check.c): one per
 * index handle, as it keeps an analyzer and the last analysis. */
typedef struct sou_phrase_checker sou_phrase_checker;
int sou_phrase_checker_new(sou_phrase_checker **out);
void sou_phrase_checker_free(sou_phrase_checker *c);   /* accepts NULL */
/* sou_phrase_check_cb (sou/store.h); ctx is a sou_phrase_checker. */
int sou_phrase_holds(void *ctx, const sou_phrase *ph, const sou_record *rec);

struct sou_index {
    sou_reader *reader;
    sou_analyzer *analyzer;
    /* The same analysis without ICU dictionary words: they only add
     * weight and are never highlighted, and the dictionary segmentation
     * was a quarter of the analyzer's instructions in highlighting. */
    sou_analyzer *hl_analyzer;
    sou_phrase_checker *checker;   /* for indexes without positions */
    char *identity;            /* the index's (== ours), NUL-terminated */
    char **shards;             /* resolved names given to the reader */
    size_t nshards;
};

/* Run fn(ix, ctx, err) and, when it reports a stale reader, reopen the
 * index and try again (SOU_SEARCH_STALE_RETRIES times). */
int sou_index_retry(sou_index *ix, int (*fn)(sou_index *, void *, sou_error *),
                    void *ctx, sou_error *err);

/* A term of a highlight pattern: `rel` is its position relative to the
 * pattern's first term. */
typedef struct sou_hl_term {
    char *term; size_t len;
    uint32_t rel;
} sou_hl_term;

/* What marks matched text in a passage: a single term (every occurrence),
 * a word prefix (wildcard), or a phrase (terms at fixed relative positions;
 * only whole occurrences are marked). */
typedef struct sou_hl_pattern {
    size_t first, n;           /* q->hl_terms[first .. first+n) */
    int prefix;                /* n == 1: term is a word prefix */
} sou_hl_pattern;

struct sou_search_query {
    sou_qpool *pool;
    sou_query *root;           /* NULL: matches nothing */
    char *description;
    sou_query_term_info *terms; size_t nterms, capterms;
    sou_hl_term *hl_terms; size_t nhl_terms, caphl_terms;
    sou_hl_pattern *patterns; size_t npatterns, cappatterns;
};

/* ---- query syntax tree (query/parse.c) ---- */
typedef enum sou_qnode_kind {
    SOU_QN_AND, SOU_QN_OR, SOU_QN_UNIT, SOU_QN_PHRASE
} sou_qnode_kind;
enum { SOU_QF_NONE = 0, SOU_QF_TITLE, SOU_QF_SOURCE };

typedef struct sou_qnode {
    sou_qnode_kind kind;
    int negated;               /* NOT / '-' in front */
    int field;                 /* SOU_QF_* */
    int wildcard;              /* UNIT ended with '*' */
    const char *text; size_t len;  /* UNIT/PHRASE: bytes of the query */
    size_t column;             /* 1-based, in characters */
    struct sou_qnode **kids; size_t nkids, capkids;
    struct sou_qnode *next_alloc;
} sou_qnode;

typedef struct sou_qast {
    sou_qnode *root;           /* an AND or OR node */
    sou_qnode *allocs;
} sou_qast;

int sou_qast_parse(const char *text, size_t len, unsigned flags,
                   sou_qast *out, sou_error *err);
void sou_qast_free(sou_qast *ast);

/* ---- building (query/build.c) ---- */
int sou_query_build(sou_search_query *q, sou_analyzer *an,
                    const sou_qast *ast, sou_error *err);

/* ---- highlights and snippets (snippets/snippet.c) ---- */
/* Spans of text[0..len) matched by q's patterns: sorted, merged. *out is
 * malloc'd (NULL when *n == 0). */
int sou_highlight_passage(const sou_search_query *q, sou_analyzer *an,
                          const char *text, size_t len,
                          sou_highlight **out, size_t *n);
/* Snippet of about `chars` code points around the best cluster of spans.
 * *snip malloc'd NUL-terminated; *sspans malloc'd (NULL if none). */
int sou_snippet_make(const char *text, size_t len,
                     const sou_highlight *spans, size_t nspans, size_t chars,
                     char **snip, size_t *snip_len,
                     sou_highlight **sspans, size_t *nsspans);

/* UTF-8 helpers (snippets/snippet.c): length of the sequence at s[i]
 * (1 for an invalid byte), and 1-based column of byte offset off. */
size_t sou_utf8_seqlen(const char *s, size_t len, size_t i);
size_t sou_utf8_column(const char *s, size_t len, size_t off);

#endif
