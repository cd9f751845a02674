/* test_search_oracle.c - recall and precision of substring queries against
 * a brute-force oracle over every indexed passage.
 *
 * With a fixed seed it samples >= 200 Han substrings (1-4 characters) and
 * >= 50 mixed strings (Han characters directly adjacent to one whole Latin
 * word, e.g. 使用Xapian, Xapian建立, 安装USB驱动) from the passages of the
 * index, runs each through libsou-search with no limit, and compares the
 * result set with the passages whose folded text contains the folded
 * string (for mixed strings: with a word boundary on the Latin side).
 * The oracle folds independently of sou's analyzer: ICU's NFKC_Casefold
 * normalizer, then ICU's "Traditional-Simplified" transliterator, over
 * whole passages. Every result's highlights are checked too.
 *
 * usage: test_search_oracle ORACLE_INDEX_DIR
 */
#define _GNU_SOURCE 1   /* memmem */
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>
#include <unicode/utrans.h>

#include "test_util.h"

#define HAN_SAMPLES 240
#define MIXED_SAMPLES 80
#define MIXED_MIN 50

typedef struct passage {
    uint32_t docid;
    char *text; size_t len;        /* original */
    char *folded; size_t flen;     /* ICU fold */
} passage;

static const UNormalizer2 *nfkc_cf;
static UTransliterator *t2s;

static char *icu_fold(const char *s, size_t len, size_t *out_len)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t n16 = 0;
    u_strFromUTF8WithSub(NULL, 0, &n16, s, (int32_t)len, 0xFFFD, NULL, &st);
    st = U_ZERO_ERROR;
    UChar *u = malloc((size_t)(n16 + 1) * sizeof *u);
    u_strFromUTF8WithSub(u, n16 + 1, &n16, s, (int32_t)len, 0xFFFD, NULL, &st);
    int32_t cap = n16 * 4 + 16;
    UChar *norm = malloc((size_t)cap * sizeof *norm);
    st = U_ZERO_ERROR;
    int32_t nn = unorm2_normalize(nfkc_cf, u, n16, norm, cap, &st);
    if (U_FAILURE(st)) { fprintf(stderr, "normalize: %s\n", u_errorName(st)); exit(2); }
    int32_t limit = nn;
    st = U_ZERO_ERROR;
    utrans_transUChars(t2s, norm, &nn, cap, 0, &limit, &st);
    if (U_FAILURE(st)) { fprintf(stderr, "transliterate: %s\n", u_errorName(st)); exit(2); }
    int32_t n8 = 0;
    st = U_ZERO_ERROR;
    u_strToUTF8(NULL, 0, &n8, norm, nn, &st);
    char *out = malloc((size_t)n8 + 1);
    st = U_ZERO_ERROR;
    u_strToUTF8(out, n8 + 1, &n8, norm, nn, &st);
    free(u);
    free(norm);
    *out_len = (size_t)n8;
    return out;
}

static uint64_t rng = 0x5eed0f50u;   /* fixed seed */
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int is_han(UChar32 c)
{
    UErrorCode st = U_ZERO_ERROR;
    return c >= 0 && uscript_getScript(c, &st) == USCRIPT_HAN;
}

static int is_ascii_alnum(UChar32 c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_cjk_script(UChar32 c)
{
    UErrorCode st = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript(c, &st);
    return sc == USCRIPT_HAN || sc == USCRIPT_HIRAGANA || sc == USCRIPT_KATAKANA ||
           sc == USCRIPT_HANGUL;
}

/* A character that would continue a Latin word (UAX#29 letters, digits,
 * ExtendNumLet, marks), as opposed to a boundary. */
static int word_char(UChar32 c)
{
    if (c < 0) return 0;
    if (c < 128) return is_ascii_alnum(c) || c == '_' || c == '@';   /* ICU: foo@bar */
    if (is_cjk_script(c)) return 0;
    return u_isalnum(c) || u_charType(c) == U_NON_SPACING_MARK ||
           u_charType(c) == U_CONNECTOR_PUNCTUATION;
}

static int mid_punct(UChar32 c)
{
    return c == '.' || c == '\'' || c == 0x2019 || c == ':' || c == ',' || c == ';';
}

/* code points of s with their byte offsets; cps[n] = -1 sentinel */
typedef struct cpvec { UChar32 *cp; size_t *off; size_t n; } cpvec;

static void decode(const char *s, size_t len, cpvec *v)
{
    v->cp = malloc((len + 2) * sizeof *v->cp);
    v->off = malloc((len + 2) * sizeof *v->off);
    v->n = 0;
    int32_t i = 0;
    while ((size_t)i < len) {
        UChar32 c;
        v->off[v->n] = (size_t)i;
        U8_NEXT(s, i, (int32_t)len, c);
        v->cp[v->n++] = c;
    }
    v->off[v->n] = len;
    v->cp[v->n] = -1;
}

static UChar32 cp_at(const cpvec *v, long i)
{
    return i < 0 || (size_t)i >= v->n ? -1 : v->cp[i];
}

/* No word continues across position i-1 | i (Latin side at index side). */
static int boundary_after(const cpvec *v, long i)
{
    UChar32 c = cp_at(v, i);
    if (word_char(c)) return 0;
    if (mid_punct(c) && word_char(cp_at(v, i + 1))) return 0;
    return 1;
}

static int boundary_before(const cpvec *v, long i)
{
    UChar32 c = cp_at(v, i - 1);
    if (word_char(c)) return 0;
    if (mid_punct(c) && word_char(cp_at(v, i - 2))) return 0;
    return 1;
}

typedef struct sample {
    char *s; size_t len;
    int latin_start, latin_end;
} sample;

typedef struct sampleset { sample *v; size_t n, cap; } sampleset;

static int add_sample(sampleset *set, const char *s, size_t len, int ls, int le)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->v[i].len == len && memcmp(set->v[i].s, s, len) == 0) return 0;
    if (set->n == set->cap) {
        set->cap = set->cap ? 2 * set->cap : 64;
        set->v = realloc(set->v, set->cap * sizeof *set->v);
    }
    char *c = malloc(len + 1);
    memcpy(c, s, len);
    c[len] = '\0';
    set->v[set->n++] = (sample){c, len, ls, le};
    return 1;
}

static void sample_han(const passage *ps, size_t np, sampleset *out)
{
    for (size_t tries = 0; out->n < HAN_SAMPLES && tries < 200000; tries++) {
        const passage *p = &ps[next_rand() % np];
        cpvec v;
        decode(p->text, p->len, &v);
        size_t want = 1 + out->n % 4;
        if (v.n >= want) {
            size_t start = next_rand() % (v.n - want + 1), k;
            for (k = 0; k < want && is_han(v.cp[start + k]); k++) {}
            if (k == want)
                add_sample(out, p->text + v.off[start], v.off[start + want] - v.off[start], 0, 0);
        }
        free(v.cp);
        free(v.off);
    }
}

/* Every Han+word / word+Han / Han+word+Han string (1-2 Han chars a side)
 * around a whole ASCII word directly adjacent to Han characters. */
static void mixed_candidates(const passage *ps, size_t np, sampleset *out)
{
    for (size_t pi = 0; pi < np; pi++) {
        const passage *p = &ps[pi];
        cpvec v;
        decode(p->text, p->len, &v);
        for (size_t i = 0; i < v.n;) {
            if (!is_ascii_alnum(v.cp[i])) { i++; continue; }
            size_t j = i;
            int letter = 0;
            while (j < v.n && is_ascii_alnum(v.cp[j])) {
                if (!(v.cp[j] >= '0' && v.cp[j] <= '9')) letter = 1;
                j++;
            }
            int lhan = is_han(cp_at(&v, (long)i - 1)), rhan = is_han(cp_at(&v, (long)j));
            int whole = (lhan || boundary_before(&v, (long)i)) &&
                        (rhan || boundary_after(&v, (long)j));
            if (letter && whole && (lhan || rhan)) {
                for (size_t k = 0; k <= 2; k++)
                    for (size_t m = 0; m <= 2; m++) {
                        if ((k == 0 && m == 0) || (k && !lhan) || (m && !rhan)) continue;
                        if (k == 2 && !is_han(cp_at(&v, (long)i - 2))) continue;
                        if (m == 2 && !is_han(cp_at(&v, (long)j + 1))) continue;
                        size_t a = v.off[i - k], b = v.off[j + m];
                        add_sample(out, p->text + a, b - a, k == 0, m == 0);
                    }
            }
            i = j;
        }
        free(v.cp);
        free(v.off);
    }
}

/* Does passage p contain sample s (folded: fs), with word boundaries on
 * its Latin side(s)? */
static int oracle_match(const passage *p, const cpvec *pv, const sample *s,
                        const char *fs, size_t flen)
{
    if (flen == 0 || flen > p->flen) return 0;
    for (const char *at = p->folded; (at = memmem(at, p->flen - (size_t)(at - p->folded), fs, flen));
         at++) {
        size_t b = (size_t)(at - p->folded), e = b + flen;
        long ci = -1, ce = -1;
        for (size_t k = 0; k <= pv->n; k++) {
            if (pv->off[k] == b) ci = (long)k;
            if (pv->off[k] == e) ce = (long)k;
        }
        if (ci < 0 || ce < 0) continue;   /* not on character boundaries */
        if (s->latin_start && !boundary_before(pv, ci)) continue;
        if (s->latin_end && !boundary_after(pv, ce)) continue;
        return 1;
    }
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s ORACLE_INDEX_DIR\n", argv[0]);
        return 2;
    }
    UErrorCode st = U_ZERO_ERROR;
    nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
    UChar id[32];
    u_uastrcpy(id, "Traditional-Simplified");
    t2s = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &st);
    if (U_FAILURE(st)) {
        fprintf(stderr, "ICU: %s\n", u_errorName(st));
        return 2;
    }
    sou_index *ix = t_open(argv[1]);
    sou_analyzer *an;
    if (sou_analyzer_new(NULL, &an)) return 2;

    /* every passage: a pure negative query of an absent term */
    sou_search_options o;
    sou_search_options_default(&o);
    o.limit = 0;
    o.snippet_chars = 0;
    sou_error err;
    int rc;
    sou_results *all = t_run(ix, "-zzqqxxyyzz", 0, &o, NULL, &rc, &err);
    if (rc) {
        fprintf(stderr, "listing passages: %s\n", err.msg);
        return 2;
    }
    uint64_t doccount;
    sou_index_doccount(ix, &doccount, &err);
    size_t np = sou_results_size(all);
    CHECK(np == doccount, "listing gave %zu of %llu passages", np, (unsigned long long)doccount);
    passage *ps = calloc(np, sizeof *ps);
    cpvec *pvs = calloc(np, sizeof *pvs);
    for (size_t i = 0; i < np; i++) {
        const sou_result *r = sou_results_get(all, i);
        ps[i].docid = r->docid;
        ps[i].text = malloc(r->text_len + 1);
        memcpy(ps[i].text, r->text, r->text_len);
        ps[i].len = r->text_len;
        ps[i].folded = icu_fold(r->text, r->text_len, &ps[i].flen);
        decode(ps[i].folded, ps[i].flen, &pvs[i]);
    }
    sou_results_free(all);
    /* deterministic order whatever the index layout */
    for (size_t i = 1; i < np; i++)
        for (size_t j = i; j > 0 && ps[j - 1].docid > ps[j].docid; j--) {
            passage t = ps[j]; ps[j] = ps[j - 1]; ps[j - 1] = t;
            cpvec u = pvs[j]; pvs[j] = pvs[j - 1]; pvs[j - 1] = u;
        }

    sampleset han = {0}, cand = {0}, mixed = {0};
    sample_han(ps, np, &han);
    mixed_candidates(ps, np, &cand);
    for (size_t i = 0; i < cand.n && mixed.n < MIXED_SAMPLES; i++) {
        size_t k = i + next_rand() % (cand.n - i);   /* seeded shuffle */
        sample t = cand.v[i]; cand.v[i] = cand.v[k]; cand.v[k] = t;
        add_sample(&mixed, cand.v[i].s, cand.v[i].len, cand.v[i].latin_start,
                   cand.v[i].latin_end);
    }
    CHECK(han.n >= 200, "only %zu Han samples", han.n);
    CHECK(mixed.n >= MIXED_MIN, "only %zu mixed samples (of %zu candidates)", mixed.n, cand.n);

    size_t lens[5] = {0};
    for (size_t i = 0; i < han.n; i++) lens[han.v[i].len / 3 <= 4 ? han.v[i].len / 3 : 0]++;
    uint32_t *got = malloc((np + 1) * sizeof *got);
    uint64_t expected_total = 0, found_total = 0, wrong_total = 0, missed_total = 0;
    sampleset *sets[2] = {&han, &mixed};
    for (int si = 0; si < 2; si++) {
        uint64_t exp = 0, wrong = 0, missed = 0;
        for (size_t i = 0; i < sets[si]->n; i++) {
            const sample *s = &sets[si]->v[i];
            size_t flen;
            char *fs = icu_fold(s->s, s->len, &flen);
            sou_search_query *q = NULL;
            sou_results *res = t_run(ix, s->s, 0, &o, &q, &rc, &err);
            CHECK(rc == 0, "query %s: %s", s->s, err.msg);
            size_t n = sou_results_size(res);
            for (size_t k = 0; k < n; k++) {
                const sou_result *r = sou_results_get(res, k);
                got[k] = r->docid;
                t_check_highlights(an, q, r, s->s);
                CHECK(r->n_highlights > 0, "query %s: result without highlight", s->s);
            }
            qsort(got, n, sizeof *got, cmp_u32);
            size_t gi = 0;
            for (size_t p = 0; p < np; p++) {
                int want = oracle_match(&ps[p], &pvs[p], s, fs, flen);
                while (gi < n && got[gi] < ps[p].docid) gi++;
                int have = gi < n && got[gi] == ps[p].docid;
                exp += want;
                if (want && !have) {
                    missed++;
                    CHECK(0, "query %s (%s): missed passage %u: %.80s", s->s,
                          sou_search_query_describe(q), ps[p].docid, ps[p].text);
                }
                if (have && !want) {
                    wrong++;
                    CHECK(0, "query %s (%s): wrong passage %u: %.80s", s->s,
                          sou_search_query_describe(q), ps[p].docid, ps[p].text);
                }
            }
            sou_results_free(res);
            sou_search_query_free(q);
            free(fs);
        }
        printf("%s: %zu queries, %llu expected matches, %llu missed, %llu wrong "
               "(recall %.4f, precision %.4f)\n",
               si == 0 ? "Han substrings" : "mixed Han+Latin", sets[si]->n,
               (unsigned long long)exp, (unsigned long long)missed, (unsigned long long)wrong,
               exp ? (double)(exp - missed) / exp : 1.0,
               exp - missed + wrong ? (double)(exp - missed) / (exp - missed + wrong) : 1.0);
        expected_total += exp;
        found_total += exp - missed;
        wrong_total += wrong;
        missed_total += missed;
    }
    printf("passages %zu; Han lengths 1:%zu 2:%zu 3:%zu 4:%zu; mixed candidates %zu\n", np,
           lens[1], lens[2], lens[3], lens[4], cand.n);
    printf("examples:");
    for (size_t i = 0; i < mixed.n && i < 8; i++) printf(" %s", mixed.v[i].s);
    printf("\n%d checks, %d failures\n", tl_checks, tl_failures);

    for (int si = 0; si < 2; si++) {
        for (size_t i = 0; i < sets[si]->n; i++) free(sets[si]->v[i].s);
        free(sets[si]->v);
    }
    for (size_t i = 0; i < cand.n; i++) free(cand.v[i].s);
    free(cand.v);
    for (size_t i = 0; i < np; i++) {
        free(ps[i].text);
        free(ps[i].folded);
        free(pvs[i].cp);
        free(pvs[i].off);
    }
    free(ps);
    free(pvs);
    free(got);
    utrans_close(t2s);
    sou_analyzer_free(an);
    sou_index_close(ix);
    (void)found_total; (void)wrong_total; (void)missed_total; (void)expected_total;
    return tl_failures ? 1 : 0;
}
