/* test_props.c - properties of the analyzer output over the sample corpus
 * (every line and each whole file), the real corpus when given, random byte
 * strings (fixed seed) and hostile inputs:
 *   - offsets inside the input, start < end, both on code point boundaries
 *     as ICU's U8_NEXT decodes (an invalid sequence counts as one
 *     character spanning its maximal subpart);
 *   - positions never decrease; terms are non-empty valid UTF-8 within the
 *     documented length limit;
 *   - every Han run of a line (folded) is found as bigrams at consecutive
 *     positions, so any Han substring is a bigram phrase;
 *   - the Traditional form of a line (ICU's Simplified-Traditional
 *     transliterator) gives the same terms as the line;
 *   - NUL bytes, invalid UTF-8, 1 MB single tokens never stop the stream.
 * Usage: test_props FILE... */
#include "testutil.h"

#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>
#include <unicode/utrans.h>

static sou_analyzer *an;
static tlist l1, l2;
static unsigned char *boundary;
static size_t boundary_cap;
static size_t nchecked, nhan_runs, nt2s;
static UTransliterator *s2t, *t2s;
static size_t nasym;

static void check_basic(const char *s, size_t n, const tlist *l)
{
    if (n + 1 > boundary_cap) {
        boundary_cap = n + 1;
        boundary = realloc(boundary, boundary_cap);
    }
    memset(boundary, 0, n + 1);
    for (int32_t i = 0; (size_t)i < n;) {
        boundary[i] = 1;
        UChar32 c;
        U8_NEXT((const uint8_t *)s, i, (int32_t)n, c);
        (void)c;
    }
    boundary[n] = 1;
    uint32_t last = 0;
    for (size_t i = 0; i < l->n; i++) {
        const tterm *t = &l->v[i];
        CHECK(t->start < t->end && t->end <= n, "offsets [%zu,%zu) of %zu", t->start, t->end, n);
        if (t->end <= n) {
            CHECK(boundary[t->start] && boundary[t->end], "offset not on a boundary [%zu,%zu)",
                  t->start, t->end);
        }
        CHECK(t->pos >= last, "position decreased %u -> %u", last, t->pos);
        last = t->pos;
        CHECK(t->len > 0 && t->len <= SOU_MAX_TERM_BYTES + 1, "term length %zu", t->len);
        int32_t j = 0, tl = (int32_t)(t->len < 79 ? t->len : 79);
        while (j < tl) {
            UChar32 c;
            U8_NEXT((const uint8_t *)t->term, j, tl, c);
            CHECK(c >= 0, "term is not valid UTF-8");
            if (c < 0) break;
        }
    }
    nchecked++;
}

static int has_bigram_at(const tlist *l, uint32_t pos, const char *b, size_t bl)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].pos == pos && l->v[i].kind == SOU_TERM_CJK_BIGRAM && l->v[i].len == bl &&
            memcmp(l->v[i].term, b, bl) == 0)
            return 1;
    return 0;
}

/* Each Han run of the line, folded, must appear as consecutive bigrams. */
static void check_han_runs(const char *s, size_t n, const tlist *l)
{
    int32_t i = 0;
    while ((size_t)i < n) {
        int32_t start = i;
        UChar32 c;
        UErrorCode st = U_ZERO_ERROR;
        U8_NEXT((const uint8_t *)s, i, (int32_t)n, c);
        if (c < 0 || uscript_getScript(c, &st) != USCRIPT_HAN) continue;
        int32_t end = i, k = 1;
        while ((size_t)end < n && k < 12) {
            int32_t j = end;
            U8_NEXT((const uint8_t *)s, j, (int32_t)n, c);
            st = U_ZERO_ERROR;
            if (c < 0 || uscript_getScript(c, &st) != USCRIPT_HAN) break;
            end = j;
            k++;
        }
        i = end;
        if (k < 2) continue;
        size_t fl;
        char *f = sou_analyzer_fold(an, s + start, (size_t)(end - start), &fl);
        /* folded code point boundaries */
        size_t cps[64], nc = 0;
        for (int32_t j = 0; (size_t)j < fl && nc < 63;) {
            cps[nc++] = (size_t)j;
            UChar32 d;
            U8_NEXT((const uint8_t *)f, j, (int32_t)fl, d);
        }
        cps[nc] = fl;
        int found = 0;
        for (size_t t = 0; t < l->n && !found; t++) {
            if (l->v[t].kind != SOU_TERM_CJK_BIGRAM) continue;
            uint32_t p = l->v[t].pos;
            size_t m = 0;
            while (m + 1 < nc &&
                   has_bigram_at(l, p + (uint32_t)m, f + cps[m], cps[m + 2 > nc ? nc : m + 2] - cps[m]))
                m++;
            if (m + 1 == nc) found = 1;
        }
        CHECK(found, "Han run not found as consecutive bigrams: %.*s", (int)fl, f);
        nhan_runs++;
        free(f);
    }
}

static void check_t2s(const char *s, size_t n)
{
    UChar u[4096];
    int32_t un;
    UErrorCode st = U_ZERO_ERROR;
    if (n > 1000) return;
    u_strFromUTF8WithSub(u, 4096, &un, s, (int32_t)n, 0xFFFD, NULL, &st);
    if (U_FAILURE(st)) return;
    /* character by character: ICU's transform also converts vocabulary
     * (什么 -> 甚麼), which no character fold can undo (DESIGN.md) */
    UChar tu[8192];
    int32_t tun = 0;
    for (int32_t i = 0; i < un;) {
        int32_t a = i;
        UChar32 c;
        U16_NEXT(u, i, un, c);
        (void)c;
        UChar one[16];
        int32_t len = i - a, lim = len;
        memcpy(one, u + a, (size_t)len * sizeof(UChar));
        utrans_transUChars(s2t, one, &len, 16, 0, &lim, &st);
        if (U_FAILURE(st) || tun + len > 8192) return;
        /* keep characters whose ICU round trip is not the identity: S2T
         * gives 沉 -> 沈 but T2S keeps 沈 (also a Simplified character) */
        UChar back[16];
        int32_t blen = len, blim = len;
        memcpy(back, one, (size_t)len * sizeof(UChar));
        utrans_transUChars(t2s, back, &blen, 16, 0, &blim, &st);
        if (U_FAILURE(st)) return;
        if (blen != i - a || memcmp(back, u + a, (size_t)blen * sizeof(UChar)) != 0) {
            memcpy(one, u + a, (size_t)(i - a) * sizeof(UChar));
            len = i - a;
            nasym++;
        }
        memcpy(tu + tun, one, (size_t)len * sizeof(UChar));
        tun += len;
    }
    memcpy(u, tu, (size_t)(tun < 4096 ? tun : 4096) * sizeof(UChar));
    if (tun > 4096) return;
    un = tun;
    char t[16384];
    int32_t tn;
    u_strToUTF8(t, sizeof t, &tn, u, un, &st);
    if (U_FAILURE(st)) return;
    analyze(an, s, n, &l1);
    analyze(an, t, (size_t)tn, &l2);
    int same = l1.n == l2.n;
    for (size_t i = 0; same && i < l1.n; i++)
        same = l1.v[i].len == l2.v[i].len && memcmp(l1.v[i].term, l2.v[i].term, l1.v[i].len < 79 ? l1.v[i].len : 79) == 0 &&
               l1.v[i].pos == l2.v[i].pos && l1.v[i].kind == l2.v[i].kind &&
               l1.v[i].flags == l2.v[i].flags;
    CHECK(same, "Traditional form analyzes differently:\n  %.*s\n  %.*s", (int)n, s, tn, t);
    nt2s++;
}

static void check_line(const char *s, size_t n)
{
    analyze(an, s, n, &l1);
    check_basic(s, n, &l1);
    tlist keep = l1;
    l1 = (tlist){0};
    check_han_runs(s, n, &keep);
    free(keep.v);
    check_t2s(s, n);
}

/* a text (a line, or a JSON Lines record): the whole, then line by line
 * for the Han-run and Traditional checks (they are quadratic in terms) */
static void check_text(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    if (memchr(s, '\n', n) == NULL) {
        check_line(s, n);
        return;
    }
    analyze(an, s, n, &l1);
    check_basic(s, n, &l1);
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '\n') j++;
        check_line(s + i, j - i);
        i = j + 1;
    }
}

int main(int argc, char **argv)
{
    if (skip_missing(&argc, &argv)) return 77; /* ctest SKIP_RETURN_CODE */
    if (sou_analyzer_new(NULL, &an)) return 1;
    UParseError pe;
    UErrorCode st = U_ZERO_ERROR;
    s2t = utrans_openU(u"Simplified-Traditional", -1, UTRANS_FORWARD, NULL, 0, &pe, &st);
    t2s = utrans_openU(u"Traditional-Simplified", -1, UTRANS_FORWARD, NULL, 0, &pe, &st);
    if (U_FAILURE(st)) {
        fprintf(stderr, "cannot open Simplified-Traditional: %s\n", u_errorName(st));
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        for_each_text(argv[i], check_text, NULL);
        size_t n;
        char *whole = tl_read_file(argv[i], &n);
        if (whole && n < (64u << 20)) {
            analyze(an, whole, n, &l1);
            check_basic(whole, n, &l1);
        }
        free(whole);
    }
    /* random byte strings, biased to UTF-8 structure */
    srand(4242);
    static const unsigned char bytes[] = {'a', 'Z', '1', ' ', '.', '\'', '_', 0, 0x80, 0x8f,
                                          0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe4, 0xed, 0xef,
                                          0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0xbd};
    char buf[600];
    for (int r = 0; r < 20000; r++) {
        size_t n = (size_t)rand() % sizeof buf;
        for (size_t k = 0; k < n; k++)
            buf[k] = (char)(rand() % 3 ? bytes[rand() % sizeof bytes] : rand() % 256);
        analyze(an, buf, n, &l1);
        check_basic(buf, n, &l1);
    }
    /* hostile inputs: 1 MB single tokens of several kinds, each followed by
     * text that must still be analyzed */
    {
        size_t big = 1u << 20;
        char *b = malloc(big + 64);
        const char *fill[] = {"a", "7", "网", "\xcc\x81", "\xff", "_", "\xf0\x9f\x98\x80"};
        for (size_t f = 0; f < sizeof fill / sizeof *fill; f++) {
            size_t fl = strlen(fill[f]), n = 0;
            while (n + fl <= big) {
                memcpy(b + n, fill[f], fl);
                n += fl;
            }
            memcpy(b + n, " tail", 5);
            n += 5;
            analyze(an, b, n, &l1);
            check_basic(b, n, &l1);
            CHECK(l1.n > 0 && l1.v[l1.n - 2].len == 4 && memcmp(l1.v[l1.n - 2].term, "tail", 4) == 0 &&
                      l1.v[l1.n - 2].start == n - 4,
                  "text after a 1 MB token of '%s' was lost", fill[f]);
        }
        /* NUL bytes everywhere */
        for (size_t k = 0; k < 1000; k++) memcpy(b + 2 * k, k % 2 ? "x\0" : "y\0", 2);
        analyze(an, b, 2000, &l1);
        check_basic(b, 2000, &l1);
        CHECK(l1.n == 2000, "NUL-separated words: %zu terms, want 2000 (word + stem each)", l1.n);
        free(b);
    }
    printf("%zu texts checked, %zu Han runs found as bigram phrases, %zu T2S pairs (%zu chars "
           "kept: ICU round trip not identity), %d failures\n",
           nchecked, nhan_runs, nt2s, nasym, tl_failures);
    utrans_close(s2t);
    utrans_close(t2s);
    sou_analyzer_free(an);
    free(l1.v);
    free(l2.v);
    free(boundary);
    return tl_failures ? 1 : 0;
}
