/* fuzz_analyzer.c - fuzz target for the analyzer (sou/analyzer.h).
 *
 * The first input byte picks the analyzer options (stemming, T2S folding,
 * bigrams, dictionary words); the rest is the text. For every term the
 * target checks the contract of sou/analyzer.h: byte range inside the input,
 * start <= end, both ends on character boundaries (never inside a
 * well-formed multi-byte sequence), positions non-decreasing, term bytes
 * non-empty valid UTF-8 and within the length limits, kinds known, stems
 * "Z"-prefixed and nothing else starting with an ASCII capital (terms.h).
 * It also checks that a second run gives the same terms (no state leaks
 * between runs of one handle), that a callback's stop request is honoured,
 * and that sou_analyzer_fold returns valid UTF-8.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "sou/analyzer.h"
#include "sou/error.h"

/* Xapian refuses terms longer than this (its btree key limit). */
#define XAPIAN_MAX_TERM 245

static sou_analyzer *analyzers[16];

typedef struct check_ctx {
    size_t len;
    const uint8_t *inside;
    uint32_t last_pos;
    unsigned long count;
    uint64_t hash;        /* of every field of every term, for the rerun */
    unsigned long stop_after;  /* 0: never stop */
} check_ctx;

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static int check_term(void *vctx, const sou_term *t)
{
    check_ctx *c = vctx;
    FUZZ_CHECK(t->start <= t->end, "start %zu end %zu", t->start, t->end);
    FUZZ_CHECK(t->end <= c->len, "end %zu len %zu", t->end, c->len);
    FUZZ_CHECK(!c->inside[t->start], "start %zu cuts a character", t->start);
    FUZZ_CHECK(!c->inside[t->end], "end %zu cuts a character", t->end);
    FUZZ_CHECK(c->count == 0 || t->pos >= c->last_pos,
               "position %u after %u", t->pos, c->last_pos);
    FUZZ_CHECK(t->term != NULL && t->len > 0, "empty term at %zu", t->start);
    FUZZ_CHECK(fuzz_utf8_valid(t->term, t->len), "term at %zu not UTF-8",
               t->start);
    FUZZ_CHECK(t->len <= XAPIAN_MAX_TERM, "term of %zu bytes", t->len);
    FUZZ_CHECK(t->kind >= SOU_TERM_WORD && t->kind <= SOU_TERM_CJK_WORD,
               "kind %d", (int)t->kind);
    if (t->kind == SOU_TERM_WORD || t->kind == SOU_TERM_NUMBER)
        FUZZ_CHECK(t->len <= SOU_MAX_TERM_BYTES, "word of %zu bytes", t->len);
    if (t->kind == SOU_TERM_STEM)
        FUZZ_CHECK(t->term[0] == 'Z' && t->len >= 2 &&
                   t->len <= SOU_MAX_TERM_BYTES + 1,
                   "stem '%.*s'", (int)t->len, t->term);
    else
        FUZZ_CHECK(!(t->term[0] >= 'A' && t->term[0] <= 'Z'),
                   "unprefixed term starts with a capital: '%.*s'",
                   (int)t->len, t->term);
    c->last_pos = t->pos;
    c->count++;
    uint64_t h = c->hash;
    h = mix(h, t->term, t->len);
    h = mix(h, &t->pos, sizeof t->pos);
    h = mix(h, &t->start, sizeof t->start);
    h = mix(h, &t->end, sizeof t->end);
    h = mix(h, &t->kind, sizeof t->kind);
    h = mix(h, &t->flags, sizeof t->flags);
    c->hash = h;
    if (c->stop_after && c->count >= c->stop_after) return 1;
    return 0;
}

static sou_analyzer *analyzer_for(unsigned flags)
{
    flags &= 15;
    if (!analyzers[flags]) {
        sou_analyzer_options o;
        sou_analyzer_options_default(&o);
        o.stem = flags & 1;
        o.fold_traditional = (flags >> 1) & 1;
        o.cjk_bigrams = (flags >> 2) & 1;
        o.cjk_words = (flags >> 3) & 1;
        int rc = sou_analyzer_new(&o, &analyzers[flags]);
        FUZZ_CHECK(rc == 0, "sou_analyzer_new: %s", sou_strerror(rc));
    }
    return analyzers[flags];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    unsigned flags = data[0];
    /* Most inputs use the defaults (all on): that is what indexes see. */
    sou_analyzer *a = analyzer_for((flags & 0x80) ? flags : 15);
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    uint8_t *inside = fuzz_utf8_inside_map(text, len);
    check_ctx c = { len, inside, 0, 0, 1469598103934665603ULL, 0 };
    int rc = sou_analyzer_run(a, text, len, check_term, &c);
    FUZZ_CHECK(rc == 0 || rc == SOU_ENOMEM, "run returned %d", rc);

    /* Same handle again: identical stream. */
    check_ctx c2 = { len, inside, 0, 0, 1469598103934665603ULL, 0 };
    rc = sou_analyzer_run(a, text, len, check_term, &c2);
    FUZZ_CHECK(rc == 0 || rc == SOU_ENOMEM, "rerun returned %d", rc);
    if (rc == 0)
        FUZZ_CHECK(c.count == c2.count && c.hash == c2.hash,
                   "rerun differs: %lu vs %lu terms", c.count, c2.count);

    /* Stop in the middle: SOU_ESTOPPED, and the handle stays usable. */
    if (c.count > 1) {
        check_ctx c3 = { len, inside, 0, 0, 0, c.count / 2 };
        rc = sou_analyzer_run(a, text, len, check_term, &c3);
        FUZZ_CHECK(rc == SOU_ESTOPPED, "stop request gave %d", rc);
        FUZZ_CHECK(c3.count == c.count / 2, "%lu terms after stop",
                   c3.count);
    }
    free(inside);

    size_t flen = 0;
    char *folded = sou_analyzer_fold(a, text, len, &flen);
    if (folded) {
        FUZZ_CHECK(folded[flen] == '\0', "fold not NUL-terminated");
        FUZZ_CHECK(fuzz_utf8_valid(folded, flen), "fold not UTF-8");
        free(folded);
    }
    return 0;
}
