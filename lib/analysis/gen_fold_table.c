/* gen_fold_table.c - build-time generator of the analyzer's folding tables.
 *
 * Usage: sou-gen-fold-table OUTPUT.c
 *
 * For every BMP code point it writes the character's properties
 * (charprops.h) and its folded form when it stands alone: NFKC_Casefold,
 * and NFKC_Casefold followed by ICU's "Traditional-Simplified" transform
 * (applied to each Han character of the result, then NFKC_Casefold again,
 * repeated until stable so folding is idempotent). ICU's transform also has
 * word rules that convert a Traditional character differently by context
 * (螢幕 > 荧幕, yet 螢 > 萤): the character-level fold indexes 螢幕 as 萤幕,
 * and the query 荧幕 would miss it. Such rules are written out as word
 * pairs (both sides folded per character: 萤幕 / 荧幕) that the searcher
 * tries as alternatives (sou_analyzer_word_pairs). They are not merged into
 * the character fold: that would join common distinct characters (划/画,
 * 向/响, 炼/练/链, 度/镀 all meet in some rule). Supplementary code points
 * whose folding is not the identity, or that lack a normalization boundary
 * before them, go into a sorted exception list. The run-time analyzer uses
 * these tables and calls unorm2 only for sequences that need context.
 */
#include "charprops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/utf8.h>
#include <unicode/utrans.h>
#include <unicode/ustring.h>
#include <unicode/uversion.h>

/* ---- effective word-break classes, probed from ICU ----------------------
 * ICU tailors UAX#29 (in ICU 72 '@' behaves as ALetter and ':' is not
 * MidLetter), so the fast segmenter must not trust the Unicode property.
 * For every character the fast path could handle, probe ICU's root word
 * iterator in a few contexts and keep the character fast only if it
 * behaves exactly like one of the classes the fast rules implement. */
static UBreakIterator *probe_bi;

static void die(const char *what, UErrorCode st);

enum { P_AL, P_NU, P_EX, P_ML, P_MN, P_MNL, P_OTHER, P_NONE };

/* contexts: aX Xa 1X X1 _X X_ aXa 1X1 a.X 1.X XX; bit set = one segment */
static const char *const probe_ctx[] = {"aX", "Xa", "1X", "X1", "_X", "X_", "aXa", "1X1",
                                        "a.X", "1.X", "XX"};
static const unsigned probe_sig[] = {
    /* AL */ 0x5ff, /* NU */ 0x6ff, /* EX */ 0x4ff, /* ML */ 0x040,
    /* MN */ 0x080, /* MNL */ 0x0c0, /* OTHER */ 0x000};

static unsigned probe_signature(UChar32 c)
{
    unsigned sig = 0;
    for (int k = 0; k < 11; k++) {
        UChar u[16];
        int32_t n = 0;
        for (const char *p = probe_ctx[k]; *p; p++) {
            if (*p == 'X')
                U16_APPEND_UNSAFE(u, n, c);
            else
                u[n++] = (UChar)*p;
        }
        UErrorCode st = U_ZERO_ERROR;
        ubrk_setText(probe_bi, u, n, &st);
        if (U_FAILURE(st)) die("ubrk_setText", st);
        ubrk_first(probe_bi);
        if (ubrk_next(probe_bi) == n) sig |= 1u << k;
    }
    return sig;
}

static uint16_t effective_props(UChar32 c, uint16_t p)
{
    if (p & SOU_CP_CJKFAST) {
        /* must not join any non-CJK neighbour */
        if (probe_signature(c) & 0x3f) p &= (uint16_t)~SOU_CP_CJKFAST;
    }
    if (!(p & SOU_CP_FAST)) return p;
    unsigned sig = probe_signature(c), wb = p & SOU_CP_WB_MASK;
    int cls = P_NONE;
    for (int k = 0; k < P_NONE; k++)
        if (sig == probe_sig[k]) cls = k;
    if (sig == 0x400) cls = P_OTHER; /* only joins itself (spaces: WB3d) */
    static const unsigned wb_of[] = {U_WB_ALETTER, U_WB_NUMERIC, U_WB_EXTENDNUMLET,
                                     U_WB_MIDLETTER, U_WB_MIDNUM, U_WB_MIDNUMLET};
    p &= (uint16_t)~(SOU_CP_FAST | SOU_CP_SEP | SOU_CP_WB_MASK);
    if (cls == P_NONE) return (uint16_t)(p | wb);
    if (cls == P_OTHER) {
        if (wb != U_WB_OTHER && wb != U_WB_WSEGSPACE && wb != U_WB_CR && wb != U_WB_LF &&
            wb != U_WB_NEWLINE && wb != U_WB_DOUBLE_QUOTE)
            wb = U_WB_OTHER;
        return (uint16_t)(p | wb | SOU_CP_FAST | SOU_CP_SEP);
    }
    if (cls == P_MNL && wb == U_WB_SINGLE_QUOTE) return (uint16_t)(p | wb | SOU_CP_FAST);
    return (uint16_t)(p | wb_of[cls] | SOU_CP_FAST);
}

static uint32_t *pool;
static size_t pool_len, pool_cap;

static const UNormalizer2 *nfkc_cf;
static UTransliterator *t2s;

static void die(const char *what, UErrorCode st)
{
    fprintf(stderr, "sou-gen-fold-table: %s: %s\n", what, u_errorName(st));
    exit(1);
}

/* UTF-16 -> code points; returns count. */
static int to_cps(const UChar *s, int32_t n, uint32_t *out, int cap)
{
    int k = 0;
    for (int32_t i = 0; i < n;) {
        UChar32 c;
        U16_NEXT(s, i, n, c);
        if (k < cap) out[k] = (uint32_t)c;
        k++;
    }
    return k;
}

static int32_t normalize(const UChar *in, int32_t n, UChar *out, int32_t cap)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t r = unorm2_normalize(nfkc_cf, in, n, out, cap, &st);
    if (U_FAILURE(st)) die("unorm2_normalize", st);
    return r;
}

static int is_han(UChar32 c)
{
    UErrorCode st = U_ZERO_ERROR;
    return uscript_getScript(c, &st) == USCRIPT_HAN;
}

/* Traditional->Simplified on each Han code point of s (in place). */
static int32_t t2s_chars(UChar *s, int32_t n, int32_t cap)
{
    UChar out[256];
    int32_t k = 0;
    for (int32_t i = 0; i < n;) {
        UChar32 c;
        int32_t start = i;
        U16_NEXT(s, i, n, c);
        if (is_han(c)) {
            UChar buf[64];
            int32_t len = i - start, limit = len;
            memcpy(buf, s + start, (size_t)len * sizeof(UChar));
            UErrorCode st = U_ZERO_ERROR;
            utrans_transUChars(t2s, buf, &len, 64, 0, &limit, &st);
            if (U_FAILURE(st)) die("utrans_transUChars", st);
            memcpy(out + k, buf, (size_t)len * sizeof(UChar));
            k += len;
        } else {
            memcpy(out + k, s + start, (size_t)(i - start) * sizeof(UChar));
            k += i - start;
        }
    }
    if (k > cap) die("t2s overflow", U_BUFFER_OVERFLOW_ERROR);
    memcpy(s, out, (size_t)k * sizeof(UChar));
    return k;
}

/* Fold one code point; returns the folded UTF-16 length in out. */
static int32_t fold(UChar32 c, int with_t2s, UChar *out, int32_t cap)
{
    UChar in[2];
    int32_t n = 0;
    U16_APPEND_UNSAFE(in, n, c);
    int32_t r = normalize(in, n, out, cap);
    if (!with_t2s) return r;
    for (int round = 0; round < 4; round++) {
        UChar a[256], b[256];
        memcpy(a, out, (size_t)r * sizeof(UChar));
        int32_t m = t2s_chars(a, r, 256);
        m = normalize(a, m, b, 256);
        if (m == r && memcmp(b, out, (size_t)r * sizeof(UChar)) == 0) break;
        memcpy(out, b, (size_t)m * sizeof(UChar));
        r = m;
    }
    return r;
}

/* Han code points of one side of a rule ("螢幕"); 0 if anything else. */
static int rule_side(const UChar *s, int32_t n, UChar32 *cps, int cap)
{
    int k = 0;
    for (int32_t i = 0; i < n;) {
        UChar32 c;
        U16_NEXT(s, i, n, c);
        if (c == ' ') continue;
        if (c > 0xFFFF || !is_han(c) || k == cap) return 0;
        cps[k++] = c;
    }
    return k;
}

/* UTF-8 of the character-level t2s fold of cps (BMP, single code point
 * folds only); 0 if a fold is not a single code point. */
static int fold_utf8(const UChar32 *cps, int n, const uint32_t *simp, char *out, size_t cap)
{
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        uint32_t v = simp[cps[i]];
        if (v & 0x80000000u) return 0;
        if (k + 4 >= cap) return 0;
        U8_APPEND_UNSAFE(out, k, (UChar32)v);
    }
    out[k] = 0;
    return 1;
}

/* Write every plain "SRC > DST;" rule of ICU's Traditional-Simplified
 * transform whose Han sides have the same length (2+) and whose folded
 * sides differ, as {"fold(SRC)", "fold(DST)"}; duplicates dropped. Other
 * rules (variables, filters, contexts, single characters) are skipped. */
static size_t write_word_pairs(FILE *f, const uint32_t *simp)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t n = utrans_toRules(t2s, 0, NULL, 0, &st);
    if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st)) die("utrans_toRules", st);
    UChar *rules = malloc(((size_t)n + 1) * sizeof *rules);
    if (!rules) die("out of memory", U_MEMORY_ALLOCATION_ERROR);
    st = U_ZERO_ERROR;
    utrans_toRules(t2s, 0, rules, n + 1, &st);
    if (U_FAILURE(st)) die("utrans_toRules", st);
    char (*seen)[2][256] = NULL;
    size_t nseen = 0, capseen = 0;
    fprintf(f, "const char *const sou_fold_word_pairs[][2] = {\n");
    for (int32_t i = 0; i < n;) {
        int32_t e = i;
        while (e < n && rules[e] != ';' && rules[e] != '\n') e++;
        int32_t gt = -1;
        for (int32_t k = i; k < e; k++)
            if (rules[k] == '>') { gt = k; break; }
        UChar32 src[64], dst[64];
        int ns = gt > i ? rule_side(rules + i, gt - i, src, 64) : 0;
        int nd = gt > i ? rule_side(rules + gt + 1, e - gt - 1, dst, 64) : 0;
        char a[256], b[256];
        if (ns >= 2 && ns == nd && fold_utf8(src, ns, simp, a, sizeof a) &&
            fold_utf8(dst, nd, simp, b, sizeof b) && strcmp(a, b) != 0) {
            int dup = 0;
            for (size_t k = 0; k < nseen && !dup; k++)
                dup = strcmp(seen[k][0], a) == 0 && strcmp(seen[k][1], b) == 0;
            if (!dup) {
                if (nseen == capseen) {
                    capseen = capseen ? capseen * 2 : 256;
                    seen = realloc(seen, capseen * sizeof *seen);
                    if (!seen) die("out of memory", U_MEMORY_ALLOCATION_ERROR);
                }
                strcpy(seen[nseen][0], a);
                strcpy(seen[nseen][1], b);
                nseen++;
                fprintf(f, "{\"%s\", \"%s\"},\n", a, b);
            }
        }
        i = e + 1;
    }
    fprintf(f, "{0, 0}};\nconst size_t sou_fold_word_pair_count = %zu;\n\n", nseen);
    free(seen);
    free(rules);
    return nseen;
}

static uint32_t encode(UChar32 c, const UChar *s, int32_t n)
{
    uint32_t cps[64];
    int k = to_cps(s, n, cps, 64);
    if (k > 64) die("fold too long", U_BUFFER_OVERFLOW_ERROR);
    if (k == 1) return cps[0];
    if (pool_len + (size_t)k > pool_cap) {
        pool_cap = pool_cap ? pool_cap * 2 : 4096;
        pool = realloc(pool, pool_cap * sizeof *pool);
        if (!pool) die("out of memory", U_MEMORY_ALLOCATION_ERROR);
    }
    uint32_t off = (uint32_t)pool_len;
    memcpy(pool + pool_len, cps, (size_t)k * sizeof *cps);
    pool_len += (size_t)k;
    (void)c;
    return 0x80000000u | ((uint32_t)k << 24) | off;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: sou-gen-fold-table OUTPUT.c\n");
        return 2;
    }
    UErrorCode st = U_ZERO_ERROR;
    nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
    if (U_FAILURE(st)) die("unorm2_getNFKCCasefoldInstance", st);
    UParseError pe;
    static const UChar id[] = u"Traditional-Simplified";
    t2s = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, &pe, &st);
    if (U_FAILURE(st)) die("utrans_openU(Traditional-Simplified)", st);

    probe_bi = ubrk_open(UBRK_WORD, "root", NULL, 0, &st);
    if (U_FAILURE(st)) die("ubrk_open", st);
    static uint16_t props[65536];
    static uint32_t plain[65536], simp[65536];
    for (UChar32 c = 0; c < 0x10000; c++) {
        props[c] = effective_props(c, sou_charprops_compute(c, nfkc_cf));
        if (c >= 0xD800 && c <= 0xDFFF) {
            plain[c] = simp[c] = 0xFFFD;
            continue;
        }
        UChar out[256];
        int32_t n = fold(c, 0, out, 256);
        plain[c] = encode(c, out, n);
        n = fold(c, 1, out, 256);
        simp[c] = encode(c, out, n);
    }

    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    UVersionInfo v;
    char ver[U_MAX_VERSION_STRING_LENGTH];
    u_getVersion(v);
    u_versionToString(v, ver);
    fprintf(f, "/* Generated by gen_fold_table.c with ICU %s. Do not edit. */\n", ver);
    fprintf(f, "#include \"fold_table.h\"\n\n");
    fprintf(f, "const char sou_fold_icu_version[] = \"%s\";\n\n", ver);
    fprintf(f, "const uint16_t sou_fold_props[65536] = {");
    for (int c = 0; c < 0x10000; c++)
        fprintf(f, "%s%u,", c % 16 ? "" : "\n", props[c]);
    fprintf(f, "\n};\n\nconst uint32_t sou_fold_map_plain[65536] = {");
    for (int c = 0; c < 0x10000; c++)
        fprintf(f, "%s0x%x,", c % 12 ? "" : "\n", plain[c]);
    fprintf(f, "\n};\n\nconst uint32_t sou_fold_map_t2s[65536] = {");
    for (int c = 0; c < 0x10000; c++)
        fprintf(f, "%s0x%x,", c % 12 ? "" : "\n", simp[c]);
    fprintf(f, "\n};\n\n");
    size_t npairs = write_word_pairs(f, simp);
    fprintf(stderr, "sou-gen-fold-table: %zu word pairs from ICU's Traditional-Simplified "
            "rules\n", npairs);

    /* Supplementary exceptions (generated after the BMP so pool offsets of
     * the BMP maps above are already final; the pool is written last). */
    fprintf(f, "const sou_fold_supp sou_fold_supp_table[] = {\n");
    size_t nsupp = 0;
    for (UChar32 c = 0x10000; c <= 0x10FFFF; c++) {
        UChar out[256];
        int bb = unorm2_hasBoundaryBefore(nfkc_cf, c);
        int32_t n = fold(c, 0, out, 256);
        int id1 = n == 2 && U16_IS_LEAD(out[0]) && U16_GET_SUPPLEMENTARY(out[0], out[1]) == c;
        int han = is_han(c);
        UChar out2[256];
        int32_t n2 = han ? fold(c, 1, out2, 256) : n;
        if (!han) memcpy(out2, out, (size_t)n * sizeof(UChar));
        int id2 = n2 == 2 && U16_IS_LEAD(out2[0]) && U16_GET_SUPPLEMENTARY(out2[0], out2[1]) == c;
        if (id1 && id2 && bb) continue;
        uint32_t e1 = encode(c, out, n), e2 = encode(c, out2, n2);
        fprintf(f, "{0x%x,0x%x,0x%x,%d},\n", (unsigned)c, e1, e2, bb);
        nsupp++;
    }
    fprintf(f, "};\nconst size_t sou_fold_supp_count = %zu;\n\n", nsupp);
    fprintf(f, "const uint32_t sou_fold_pool[] = {");
    for (size_t i = 0; i < pool_len; i++)
        fprintf(f, "%s0x%x,", i % 12 ? "" : "\n", pool[i]);
    fprintf(f, "\n0 /* end */};\n");
    if (fclose(f) != 0) {
        perror(argv[1]);
        return 1;
    }
    utrans_close(t2s);
    ubrk_close(probe_bi);
    free(pool);
    return 0;
}
