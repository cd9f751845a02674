/* test_fastpath.c - the fast segmenter must give exactly the terms of the
 * pure ICU word-break path: on every line (or JSON Lines record) of the
 * files named on the command line, on each whole file, and on random
 * strings over an alphabet of the characters where the rules differ
 * (apostrophes, dots, underscores, quotes, Hebrew, kana, Hangul, combining
 * marks, ZWJ, emoji, full-width forms). Usage: test_fastpath FILE... */
#include "analyzer_internal.h"
#include "testutil.h"

static sou_analyzer *fast, *ref;
static tlist lf, lr;
static size_t ntexts, nterms;

static void compare(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    analyze(fast, s, n, &lf);
    analyze(ref, s, n, &lr);
    ntexts++;
    nterms += lr.n;
    size_t m = lf.n < lr.n ? lf.n : lr.n;
    for (size_t i = 0; i < m; i++) {
        tterm *x = &lf.v[i], *y = &lr.v[i];
        if (x->len != y->len || memcmp(x->term, y->term, x->len < 79 ? x->len : 79) ||
            x->pos != y->pos || x->start != y->start || x->end != y->end ||
            x->kind != y->kind || x->flags != y->flags) {
            tl_failures++;
            fprintf(stderr,
                    "fast/ICU differ at term %zu: fast \"%.*s\" pos %u [%zu,%zu) kind %d / "
                    "icu \"%.*s\" pos %u [%zu,%zu) kind %d\n  text: %.*s\n",
                    i, (int)x->len, x->term, x->pos, x->start, x->end, x->kind, (int)y->len,
                    y->term, y->pos, y->start, y->end, y->kind, (int)(n < 300 ? n : 300), s);
            return;
        }
    }
    if (lf.n != lr.n) {
        tl_failures++;
        fprintf(stderr, "fast/ICU term counts differ: %zu vs %zu\n  text: %.*s\n", lf.n, lr.n,
                (int)(n < 300 ? n : 300), s);
    }
}

static const char *const alphabet[] = {
    "a", "b", "Z", "é", "1", "9", "0", "'", "’", ".", ",", ":", ";", "_", "-", "\"", " ",
    "\n", "\r", "(", ")", "/", "+", "#", "*", "网", "絡", "中文", "设定", "的", "ひら", "が",
    "カタ", "ー", "한국", "가", "ᄀ", "\xcc\x81", "\xe2\x80\x8d", "\xe2\x80\x8c",
    "\xc2\xad", "א", "ב", "ש", "Ｕ", "ｓ", "１", "，", "。", "：", "😀", "©", "\xf0\x9f\x87\xa8",
    "\xf0\xa0\x80\x80", "ไทย", "\xef\xbc\x87", "\xe2\x80\xa4", "\x00", "\xff", "\xe4\xbd",
    "Σ", "ß", "ﬁ", "½", "①", "㈱", "\xe3\x82\x99", "\t", "@", "$", "%",
};

int main(int argc, char **argv)
{
    if (skip_missing(&argc, &argv)) return 77; /* ctest SKIP_RETURN_CODE */
    sou_analyzer_options o;
    sou_analyzer_options_default(&o);
    if (sou_analyzer_new(&o, &fast) || sou_analyzer_new(&o, &ref)) return 1;
    sou_analyzer_set_pure_icu(ref, 1);
    for (int i = 1; i < argc; i++) {
        size_t before = ntexts;
        for_each_text(argv[i], compare, NULL);
        size_t n;
        char *whole = tl_read_file(argv[i], &n);
        if (whole && n < (64u << 20)) compare(NULL, whole, n);
        free(whole);
        printf("%s: %zu texts compared\n", argv[i], ntexts - before);
    }
    /* random strings, fixed seed */
    srand(12345);
    char buf[4096];
    size_t na = sizeof alphabet / sizeof *alphabet;
    for (int round = 0; round < 20000; round++) {
        size_t len = 0, pieces = 1 + (size_t)rand() % 40;
        for (size_t p = 0; p < pieces; p++) {
            size_t k = (size_t)rand() % na;
            size_t l = strlen(alphabet[k]) ? strlen(alphabet[k]) : 1; /* "\x00": one NUL */
            memcpy(buf + len, alphabet[k], l);
            len += l;
        }
        compare(NULL, buf, len);
    }
    /* without dictionary words and bigrams the fast path skips ICU for
     * CJK runs: check that variant too on the random strings */
    sou_analyzer_free(fast);
    sou_analyzer_free(ref);
    o.cjk_words = 0;
    o.cjk_bigrams = 0;
    o.fold_traditional = 0;
    if (sou_analyzer_new(&o, &fast) || sou_analyzer_new(&o, &ref)) return 1;
    sou_analyzer_set_pure_icu(ref, 1);
    for (int round = 0; round < 5000; round++) {
        size_t len = 0, pieces = 1 + (size_t)rand() % 40;
        for (size_t p = 0; p < pieces; p++) {
            size_t k = (size_t)rand() % na;
            size_t l = strlen(alphabet[k]) ? strlen(alphabet[k]) : 1;
            memcpy(buf + len, alphabet[k], l);
            len += l;
        }
        compare(NULL, buf, len);
    }
    printf("%zu texts, %zu terms compared, %d failures\n", ntexts, nterms, tl_failures);
    sou_analyzer_free(fast);
    sou_analyzer_free(ref);
    free(lf.v);
    free(lr.v);
    return tl_failures ? 1 : 0;
}
