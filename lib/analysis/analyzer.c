/* analyzer.c - the analyzer behind sou/analyzer.h: UTF-8 decoding, folding,
 * segmentation and term generation.
 *
 * The text is processed in blocks of about BLOCK_CHARS folded characters,
 * cut only after a whitespace character (a place where ICU always breaks and
 * no CJK run or word continues), so scratch memory stays small and hot.
 *
 * Per block:
 *   1. decode + fold (fold_block): each folded code point keeps the byte
 *      range of the original character(s) it came from. Standalone code
 *      points use the generated table (fold_table.c); a normalization
 *      segment that needs context (a starter followed by code points without
 *      a normalization boundary before them) goes through unorm2.
 *   2. segmentation into units (one unit = one position): a Latin/digit
 *      word or one CJK character. Reference path: ICU's word break iterator
 *      over the whole folded block. Fast path (default): the block is cut at
 *      hard separators (spaces, most punctuation: see charprops.h) into
 *      chunks; a chunk made only of "fast" characters is segmented by a
 *      direct implementation of the UAX#29 rules that can apply to them
 *      (WB5-WB13b without Hebrew/Katakana/Extend/Format), and its Han/Hiragana
 *      runs go alone through ICU's dictionary iterator (only when dictionary
 *      words are wanted); any other chunk goes whole through ICU. The test
 *      tests/analyzer/test_fastpath.c checks both give the same terms.
 *   3. emission: unigrams, bigrams, joins, dictionary words, words, stems.
 */
#include "analyzer_internal.h"
#include "charprops.h"
#include "fold_table.h"
#include "sou/error.h"

#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uversion.h>

enum {
    BLOCK_CHARS = 8192,
    /* A normalization segment longer than this is normalized in pieces, as
     * the Stream-Safe Text Format (UAX#15) does after 30 non-starters; this
     * bounds ICU's canonical reordering on adversarial input. */
    MAX_CONTEXT_CPS = 32,
    STEM_CACHE_SLOTS = 1 << 14,
    /* CJK runs repeat (headings, UI strings, set phrases): their dictionary
     * segmentation is cached per handle for runs of 3..RUN_CACHE_MAX_LEN */
    RUN_CACHE_SLOTS = 1 << 13,
    RUN_CACHE_MAX_LEN = 64,
    RUN_CACHE_ARENA = 1 << 20
};

enum { UNIT_CJK = 1, UNIT_WORD = 2 };

typedef struct unit {
    uint32_t cs, ce;   /* folded characters [cs, ce) */
    uint32_t wlen;     /* CJK: dictionary word of wlen (>= 3) chars starts here */
    uint32_t type;
} unit;

typedef struct stem_slot {
    uint32_t hash;
    uint32_t off;      /* into stem arena: word bytes then stem bytes */
    uint16_t wlen, slen;
} stem_slot;

typedef struct run_slot {
    uint32_t hash;
    uint32_t off;      /* into run arena: len UChars, then nwords (start, len) byte pairs */
    uint8_t len, nwords;
} run_slot;

struct sou_analyzer {
    sou_analyzer_options opts;
    char *stem_language;
    const uint32_t *map;
    const UNormalizer2 *nfkc_cf;
    struct sb_stemmer *stemmer;
    UBreakIterator *bi;
    int pure_icu;
    char identity[200];

    /* folded block */
    uint32_t *cp;
    uint16_t *props;
    size_t *ostart, *oend;
    size_t n, cap;

    unit *units;
    size_t nunits, ucap;

    UChar *u16;        /* UTF-16 of a chunk for ICU, and normalization scratch */
    uint32_t *u16pos;  /* u16 index -> folded char index */
    size_t u16cap;
    UChar *nbuf;
    size_t nbufcap;

    stem_slot *stems;
    char *arena;
    size_t arena_len, arena_cap, nstems;

    run_slot *runs;
    unsigned char *run_arena;
    size_t run_arena_len, nruns;

    uint32_t pos;
    sou_analyzer_stats stats;
};

const char *sou_term_kind_name(sou_term_kind kind)
{
    switch (kind) {
    case SOU_TERM_WORD: return "word";
    case SOU_TERM_NUMBER: return "number";
    case SOU_TERM_STEM: return "stem";
    case SOU_TERM_CJK_UNIGRAM: return "cjk_unigram";
    case SOU_TERM_CJK_BIGRAM: return "cjk_bigram";
    case SOU_TERM_CJK_JOIN: return "cjk_join";
    case SOU_TERM_CJK_WORD: return "cjk_word";
    }
    return "unknown";
}

void sou_analyzer_options_default(sou_analyzer_options *opts)
{
    opts->stem = 1;
    opts->stem_language = "english";
    opts->fold_traditional = 1;
    opts->cjk_bigrams = 1;
    opts->cjk_words = 1;
}

void sou_analyzer_set_pure_icu(sou_analyzer *a, int on) { a->pure_icu = on != 0; }

void sou_analyzer_get_stats(const sou_analyzer *a, sou_analyzer_stats *out) { *out = a->stats; }

int sou_analyzer_new(const sou_analyzer_options *opts, sou_analyzer **out)
{
    *out = NULL;
    sou_analyzer *a = calloc(1, sizeof *a);
    if (!a) return SOU_ENOMEM;
    if (opts)
        a->opts = *opts;
    else
        sou_analyzer_options_default(&a->opts);
    const char *lang = a->opts.stem_language ? a->opts.stem_language : "english";
    a->stem_language = strdup(lang);
    if (!a->stem_language) {
        free(a);
        return SOU_ENOMEM;
    }
    a->opts.stem_language = a->stem_language;
    a->map = a->opts.fold_traditional ? sou_fold_map_t2s : sou_fold_map_plain;
    int rc = 0;
    if (a->opts.stem) {
        a->stemmer = sb_stemmer_new(lang, "UTF_8");
        if (!a->stemmer) {
            rc = SOU_EINVAL; /* unknown language (or out of memory) */
            goto fail;
        }
        a->stems = calloc(STEM_CACHE_SLOTS, sizeof *a->stems);
        if (!a->stems) {
            rc = SOU_ENOMEM;
            goto fail;
        }
    }
    if (a->opts.cjk_words) {
        a->runs = calloc(RUN_CACHE_SLOTS, sizeof *a->runs);
        a->run_arena = malloc(RUN_CACHE_ARENA);
        if (!a->runs || !a->run_arena) {
            rc = SOU_ENOMEM;
            goto fail;
        }
    }
    UErrorCode st = U_ZERO_ERROR;
    a->nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
    if (U_FAILURE(st)) {
        rc = SOU_EINTERNAL;
        goto fail;
    }
    /* "root", not the default locale: under en_US_POSIX ICU loads
     * word_POSIX rules, where '.' does not join letters. */
    a->bi = ubrk_open(UBRK_WORD, "root", NULL, 0, &st);
    if (U_FAILURE(st)) {
        rc = st == U_MEMORY_ALLOCATION_ERROR ? SOU_ENOMEM : SOU_EINTERNAL;
        goto fail;
    }
    UVersionInfo v;
    char icu[U_MAX_VERSION_STRING_LENGTH], uni[U_MAX_VERSION_STRING_LENGTH];
    u_getVersion(v);
    u_versionToString(v, icu);
    if (strcmp(icu, sou_fold_icu_version) != 0) {
        /* the table was generated with another ICU than the one linked */
        rc = SOU_EINTERNAL;
        goto fail;
    }
    u_getUnicodeVersion(v);
    u_versionToString(v, uni);
    snprintf(a->identity, sizeof a->identity,
             "sou-analyzer/1 icu/%s unicode/%s stem=%s t2s=%d bigram=%d words=%d", icu, uni,
             a->opts.stem ? lang : "none", a->opts.fold_traditional ? 1 : 0,
             a->opts.cjk_bigrams ? 1 : 0, a->opts.cjk_words ? 1 : 0);
    *out = a;
    return 0;
fail:
    sou_analyzer_free(a);
    return rc;
}

void sou_analyzer_free(sou_analyzer *a)
{
    if (!a) return;
    if (a->stemmer) sb_stemmer_delete(a->stemmer);
    if (a->bi) ubrk_close(a->bi);
    free(a->stem_language);
    free(a->cp);
    free(a->props);
    free(a->ostart);
    free(a->oend);
    free(a->units);
    free(a->u16);
    free(a->u16pos);
    free(a->nbuf);
    free(a->stems);
    free(a->arena);
    free(a->runs);
    free(a->run_arena);
    free(a);
}

const char *sou_analyzer_identity(const sou_analyzer *a) { return a->identity; }

/* ---- decoding and folding ------------------------------------------------ */

/* Decode one code point at s[i] (i < len). Invalid sequences decode as
 * U+FFFD covering their maximal subpart (Unicode 15 ch. 3, "U+FFFD
 * Substitution of Maximal Subparts", as ICU and WHATWG do). */
static inline uint32_t decode_utf8(const unsigned char *s, size_t len, size_t i, size_t *n)
{
    unsigned b0 = s[i];
    if (b0 < 0x80) {
        *n = 1;
        return b0;
    }
    unsigned need, lo = 0x80, hi = 0xBF;
    uint32_t c;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
        c = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        c = b0 & 0x0F;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        c = b0 & 0x07;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else {
        *n = 1;
        return 0xFFFD;
    }
    size_t k = 1;
    for (unsigned j = 0; j < need; j++, k++) {
        if (i + k >= len) {
            *n = k;
            return 0xFFFD;
        }
        unsigned b = s[i + k];
        if (b < lo || b > hi) {
            *n = k;
            return 0xFFFD;
        }
        lo = 0x80;
        hi = 0xBF;
        c = (c << 6) | (b & 0x3F);
    }
    *n = k;
    return c;
}

static const sou_fold_supp *find_supp(uint32_t c)
{
    size_t lo = 0, hi = sou_fold_supp_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sou_fold_supp_table[mid].cp < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sou_fold_supp_count && sou_fold_supp_table[lo].cp == c ? &sou_fold_supp_table[lo]
                                                                      : NULL;
}

static inline int has_bb(uint32_t c)
{
    if (c < 0x10000) return (sou_fold_props[c] & SOU_CP_BB) != 0;
    const sou_fold_supp *e = find_supp(c);
    return e ? (int)e->bb : 1;
}

static inline uint16_t props_of(const sou_analyzer *a, uint32_t c)
{
    if (c < 0x10000) return sou_fold_props[c];
    return sou_charprops_compute((UChar32)c, a->nfkc_cf);
}

static int grow_chars(sou_analyzer *a, size_t need)
{
    if (need <= a->cap) return 0;
    size_t cap = a->cap ? a->cap : 1024;
    while (cap < need) cap *= 2;
    uint32_t *cp = realloc(a->cp, cap * sizeof *cp);
    if (cp) a->cp = cp;
    uint16_t *pr = realloc(a->props, cap * sizeof *pr);
    if (pr) a->props = pr;
    size_t *os = realloc(a->ostart, cap * sizeof *os);
    if (os) a->ostart = os;
    size_t *oe = realloc(a->oend, cap * sizeof *oe);
    if (oe) a->oend = oe;
    if (!cp || !pr || !os || !oe) return SOU_ENOMEM;
    a->cap = cap;
    return 0;
}

static inline void push_char(sou_analyzer *a, uint32_t c, size_t s, size_t e)
{
    size_t i = a->n++;
    a->cp[i] = c;
    a->props[i] = props_of(a, c);
    a->ostart[i] = s;
    a->oend[i] = e;
}

/* Append the folded form of one standalone code point. */
static int push_folded(sou_analyzer *a, uint32_t c, size_t s, size_t e)
{
    uint32_t v;
    if (c < 0x10000) {
        v = a->map[c];
    } else {
        const sou_fold_supp *x = find_supp(c);
        v = x ? (a->opts.fold_traditional ? x->t2s : x->plain) : c;
    }
    if (!(v & SOU_FOLD_MULTI)) {
        if (a->n >= a->cap && grow_chars(a, a->n + 1)) return SOU_ENOMEM;
        push_char(a, v, s, e);
        return 0;
    }
    size_t k = (v >> 24) & 0x7f;
    const uint32_t *p = sou_fold_pool + (v & 0xffffff);
    if (a->n + k > a->cap && grow_chars(a, a->n + k)) return SOU_ENOMEM;
    for (size_t j = 0; j < k; j++) push_char(a, p[j], s, e);
    return 0;
}

static int grow_u16(sou_analyzer *a, size_t need)
{
    if (need <= a->u16cap) return 0;
    size_t cap = a->u16cap ? a->u16cap : 1024;
    while (cap < need) cap *= 2;
    UChar *u = realloc(a->u16, cap * sizeof *u);
    if (u) a->u16 = u;
    uint32_t *m = realloc(a->u16pos, cap * sizeof *m);
    if (m) a->u16pos = m;
    if (!u || !m) return SOU_ENOMEM;
    a->u16cap = cap;
    return 0;
}

/* Normalize a segment that needs context: cps[0..k) from bytes [s, e). */
static int push_context(sou_analyzer *a, const uint32_t *cps, size_t k, size_t s, size_t e)
{
    if (grow_u16(a, 2 * k + 2)) return SOU_ENOMEM;
    int32_t n16 = 0;
    for (size_t j = 0; j < k; j++) U16_APPEND_UNSAFE(a->u16, n16, cps[j]);
    for (;;) {
        UErrorCode st = U_ZERO_ERROR;
        int32_t r = unorm2_normalize(a->nfkc_cf, a->u16, n16, a->nbuf, (int32_t)a->nbufcap, &st);
        if (st == U_BUFFER_OVERFLOW_ERROR) {
            UChar *nb = realloc(a->nbuf, ((size_t)r + 16) * sizeof *nb);
            if (!nb) return SOU_ENOMEM;
            a->nbuf = nb;
            a->nbufcap = (size_t)r + 16;
            continue;
        }
        if (U_FAILURE(st)) {
            /* cannot happen for valid UTF-16; keep the text unfolded */
            for (size_t j = 0; j < k; j++)
                if (push_folded(a, cps[j], s, e)) return SOU_ENOMEM;
            return 0;
        }
        if (a->n + (size_t)r > a->cap && grow_chars(a, a->n + (size_t)r)) return SOU_ENOMEM;
        for (int32_t i = 0; i < r;) {
            UChar32 c;
            U16_NEXT(a->nbuf, i, r, c);
            uint32_t f = (uint32_t)c;
            /* already NFKC_Casefold; apply T2S to Han characters */
            if (a->opts.fold_traditional && f < 0x10000 && (sou_fold_props[f] & SOU_CP_CJK) &&
                !(a->map[f] & SOU_FOLD_MULTI))
                f = a->map[f];
            push_char(a, f, s, e);
        }
        return 0;
    }
}

static inline int is_space_class(uint16_t p)
{
    unsigned wb = p & SOU_CP_WB_MASK;
    return wb == U_WB_WSEGSPACE || wb == U_WB_CR || wb == U_WB_LF || wb == U_WB_NEWLINE;
}

/* Decode and fold text[off..) into the block arrays; stop after min_chars
 * folded characters at the first whitespace. Returns the new offset, or
 * (size_t)-1 on allocation failure. */
static size_t fold_block(sou_analyzer *a, const unsigned char *t, size_t len, size_t off,
                         size_t min_chars)
{
    a->n = 0;
    size_t cn;
    uint32_t c = off < len ? decode_utf8(t, len, off, &cn) : 0;
    while (off < len) {
        if (a->n >= min_chars && is_space_class(a->props[a->n - 1])) break;
        size_t nx = off + cn, nn = 0;
        uint32_t next = nx < len ? decode_utf8(t, len, nx, &nn) : 0;
        if (nx >= len || has_bb(next)) {
            if (push_folded(a, c, off, nx)) return (size_t)-1;
            off = nx;
            c = next;
            cn = nn;
            continue;
        }
        /* context segment: c and the following code points without a
         * boundary before them */
        uint32_t seg[MAX_CONTEXT_CPS];
        size_t k = 0, s = off;
        seg[k++] = c;
        off = nx;
        c = next;
        cn = nn;
        while (off < len && k < MAX_CONTEXT_CPS && !has_bb(c)) {
            seg[k++] = c;
            off += cn;
            if (off < len) c = decode_utf8(t, len, off, &cn);
        }
        if (push_context(a, seg, k, s, off)) return (size_t)-1;
    }
    a->stats.chars += a->n;
    return off;
}

/* ---- segmentation into units ------------------------------------------- */

static int add_unit(sou_analyzer *a, uint32_t type, size_t cs, size_t ce)
{
    if (a->nunits >= a->ucap) {
        size_t cap = a->ucap ? a->ucap * 2 : 1024;
        unit *u = realloc(a->units, cap * sizeof *u);
        if (!u) return SOU_ENOMEM;
        a->units = u;
        a->ucap = cap;
    }
    unit *u = &a->units[a->nunits++];
    u->cs = (uint32_t)cs;
    u->ce = (uint32_t)ce;
    u->wlen = 0;
    u->type = type;
    return 0;
}

/* One segment [s, e) of ICU's word break output: CJK characters become one
 * unit each (a CJK piece of 3+ chars is a dictionary word), other pieces
 * with a letter or digit become word units. */
static int segment_units(sou_analyzer *a, size_t s, size_t e)
{
    size_t k = s;
    while (k < e) {
        size_t m = k;
        if (a->props[k] & SOU_CP_CJK) {
            while (m < e && (a->props[m] & SOU_CP_CJK)) m++;
            size_t first = a->nunits;
            for (size_t j = k; j < m; j++)
                if (add_unit(a, UNIT_CJK, j, j + 1)) return SOU_ENOMEM;
            if (m - k >= 3) a->units[first].wlen = (uint32_t)(m - k);
        } else {
            int alnum = 0;
            while (m < e && !(a->props[m] & SOU_CP_CJK)) alnum |= a->props[m++] & SOU_CP_ALNUM;
            if (alnum && add_unit(a, UNIT_WORD, k, m)) return SOU_ENOMEM;
        }
        k = m;
    }
    return 0;
}

/* Run ICU's word break iterator over folded chars [s, e); calls
 * segment_units per segment, or (dict_only) records dictionary words on
 * the CJK units already added for this run (first unit index first). */
static int icu_segments(sou_analyzer *a, size_t s, size_t e, int dict_only, size_t first)
{
    if (grow_u16(a, 2 * (e - s) + 1)) return SOU_ENOMEM;
    int32_t n16 = 0;
    for (size_t i = s; i < e; i++) {
        a->u16pos[n16] = (uint32_t)i;
        U16_APPEND_UNSAFE(a->u16, n16, a->cp[i]);
        if (a->cp[i] >= 0x10000) a->u16pos[n16 - 1] = (uint32_t)i;
    }
    a->u16pos[n16] = (uint32_t)e;
    UErrorCode st = U_ZERO_ERROR;
    ubrk_setText(a->bi, a->u16, n16, &st);
    if (U_FAILURE(st)) return st == U_MEMORY_ALLOCATION_ERROR ? SOU_ENOMEM : SOU_EINTERNAL;
    int32_t p = ubrk_first(a->bi), q;
    while ((q = ubrk_next(a->bi)) != UBRK_DONE) {
        size_t cs = a->u16pos[p], ce = a->u16pos[q];
        if (dict_only) {
            if (ce - cs >= 3) a->units[first + (cs - s)].wlen = (uint32_t)(ce - cs);
        } else if (segment_units(a, cs, ce)) {
            return SOU_ENOMEM;
        }
        p = q;
    }
    return 0;
}

/* The UAX#29 rules for a piece made only of ALetter, Numeric, MidLetter,
 * MidNum, MidNumLet, Single_Quote and ExtendNumLet characters. */
static int latin_segments(sou_analyzer *a, size_t s, size_t e)
{
    const uint16_t *pr = a->props;
    size_t i = s;
    while (i < e) {
        size_t j = i + 1;
        while (j < e) {
            unsigned x = pr[j - 1] & SOU_CP_WB_MASK, y = pr[j] & SOU_CP_WB_MASK;
            int xl = x == U_WB_ALETTER, xn = x == U_WB_NUMERIC, xe = x == U_WB_EXTENDNUMLET;
            int yl = y == U_WB_ALETTER, yn = y == U_WB_NUMERIC, ye = y == U_WB_EXTENDNUMLET;
            if ((xl || xn) && (yl || yn)) { j++; continue; }              /* WB5, 8, 9, 10 */
            if ((xl || xn || xe) && ye) { j++; continue; }                /* WB13a */
            if (xe && (yl || yn)) { j++; continue; }                      /* WB13b */
            if (j + 1 < e) {
                unsigned z = pr[j + 1] & SOU_CP_WB_MASK;
                int ymnl = y == U_WB_MIDNUMLET || y == U_WB_SINGLE_QUOTE;
                if (xl && z == U_WB_ALETTER && (ymnl || y == U_WB_MIDLETTER)) { j += 2; continue; } /* WB6/7 */
                if (xn && z == U_WB_NUMERIC && (ymnl || y == U_WB_MIDNUM)) { j += 2; continue; }  /* WB11/12 */
            }
            break;
        }
        int alnum = 0;
        for (size_t k = i; k < j; k++) alnum |= pr[k] & SOU_CP_ALNUM;
        if (alnum && add_unit(a, UNIT_WORD, i, j)) return SOU_ENOMEM;
        i = j;
    }
    return 0;
}

static inline int is_sep_at(const sou_analyzer *a, size_t i)
{
    uint16_t p = a->props[i];
    if (!(p & SOU_CP_SEP)) return 0;
    /* '"' joins Hebrew letters (WB7b): only a separator after a fast char */
    if ((p & SOU_CP_WB_MASK) == U_WB_DOUBLE_QUOTE && i > 0 && !(a->props[i - 1] & SOU_CP_FAST))
        return 0;
    return 1;
}

/* Dictionary words of the CJK run at folded chars [s, e) (BMP only), onto
 * the units from index first: from the run cache, or ICU (then cached). */
static int cjk_run_words(sou_analyzer *a, size_t s, size_t e, size_t first)
{
    size_t len = e - s;
    if (len > RUN_CACHE_MAX_LEN) {
        a->stats.cjk_runs_segmented++;
        return icu_segments(a, s, e, 1, first);
    }
    uint16_t key[RUN_CACHE_MAX_LEN];
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        key[i] = (uint16_t)a->cp[s + i];
        h = (h ^ key[i]) * 16777619u;
    }
    size_t mask = RUN_CACHE_SLOTS - 1, i = h & mask;
    for (;; i = (i + 1) & mask) {
        run_slot *sl = &a->runs[i];
        if (sl->len == 0) break;
        if (sl->hash == h && sl->len == len &&
            memcmp(a->run_arena + sl->off, key, len * sizeof *key) == 0) {
            const unsigned char *w = a->run_arena + sl->off + len * sizeof *key;
            for (size_t k = 0; k < sl->nwords; k++) a->units[first + w[2 * k]].wlen = w[2 * k + 1];
            return 0;
        }
    }
    a->stats.cjk_runs_segmented++;
    int rc = icu_segments(a, s, e, 1, first);
    if (rc) return rc;
    size_t nw = 0;
    unsigned char w[2 * RUN_CACHE_MAX_LEN];
    for (size_t k = 0; k < len; k++)
        if (a->units[first + k].wlen) {
            w[2 * nw] = (unsigned char)k;
            w[2 * nw + 1] = (unsigned char)a->units[first + k].wlen;
            nw++;
        }
    size_t need = len * sizeof *key + 2 * nw;
    if (a->nruns >= RUN_CACHE_SLOTS / 2 || a->run_arena_len + need > RUN_CACHE_ARENA) {
        memset(a->runs, 0, RUN_CACHE_SLOTS * sizeof *a->runs);
        a->nruns = 0;
        a->run_arena_len = 0;
        i = h & mask;
    }
    run_slot *sl = &a->runs[i];
    sl->hash = h;
    sl->off = (uint32_t)a->run_arena_len;
    sl->len = (uint8_t)len;
    sl->nwords = (uint8_t)nw;
    memcpy(a->run_arena + a->run_arena_len, key, len * sizeof *key);
    memcpy(a->run_arena + a->run_arena_len + len * sizeof *key, w, 2 * nw);
    a->run_arena_len += need;
    a->nruns++;
    return 0;
}

static int segment_fast(sou_analyzer *a)
{
    size_t n = a->n, i = 0;
    while (i < n) {
        if (is_sep_at(a, i)) {
            i++;
            continue;
        }
        size_t j = i;
        int slow = 0;
        while (j < n && !is_sep_at(a, j)) {
            if (!(a->props[j] & (SOU_CP_FAST | SOU_CP_CJKFAST))) slow = 1;
            j++;
        }
        if (slow) {
            a->stats.icu_chunks++;
            if (icu_segments(a, i, j, 0, 0)) return SOU_ENOMEM;
            i = j;
            continue;
        }
        a->stats.fast_chunks++;
        while (i < j) {
            size_t m = i;
            if (a->props[i] & SOU_CP_CJKFAST) {
                while (m < j && (a->props[m] & SOU_CP_CJKFAST)) m++;
                size_t first = a->nunits;
                for (size_t k = i; k < m; k++)
                    if (add_unit(a, UNIT_CJK, k, k + 1)) return SOU_ENOMEM;
                if (a->opts.cjk_words && m - i >= 3) {
                    int rc = cjk_run_words(a, i, m, first);
                    if (rc) return rc;
                }
            } else {
                while (m < j && !(a->props[m] & SOU_CP_CJKFAST)) m++;
                if (latin_segments(a, i, m)) return SOU_ENOMEM;
            }
            i = m;
        }
    }
    return 0;
}

/* ---- emission ------------------------------------------------------------ */

typedef struct emitter {
    sou_analyzer *a;
    const char *text;
    sou_term_cb cb;
    void *ctx;
    char buf[SOU_MAX_TERM_BYTES + 8];
} emitter;

/* UTF-8 of folded chars [s, e) appended to buf at *len, stopping before
 * SOU_MAX_TERM_BYTES would be exceeded. Returns 1 if truncated. */
static int encode_chars(const sou_analyzer *a, size_t s, size_t e, char *buf, size_t *len)
{
    size_t l = *len;
    for (size_t i = s; i < e; i++) {
        uint32_t c = a->cp[i];
        char tmp[4];
        size_t k;
        if (c < 0x80) {
            tmp[0] = (char)c;
            k = 1;
        } else if (c < 0x800) {
            tmp[0] = (char)(0xC0 | (c >> 6));
            tmp[1] = (char)(0x80 | (c & 0x3F));
            k = 2;
        } else if (c < 0x10000) {
            tmp[0] = (char)(0xE0 | (c >> 12));
            tmp[1] = (char)(0x80 | ((c >> 6) & 0x3F));
            tmp[2] = (char)(0x80 | (c & 0x3F));
            k = 3;
        } else {
            tmp[0] = (char)(0xF0 | (c >> 18));
            tmp[1] = (char)(0x80 | ((c >> 12) & 0x3F));
            tmp[2] = (char)(0x80 | ((c >> 6) & 0x3F));
            tmp[3] = (char)(0x80 | (c & 0x3F));
            k = 4;
        }
        if (l + k > SOU_MAX_TERM_BYTES) {
            *len = l;
            return 1;
        }
        memcpy(buf + l, tmp, k);
        l += k;
    }
    *len = l;
    return 0;
}

static int emit(emitter *em, const char *term, size_t len, uint32_t pos, size_t cs, size_t ce,
                sou_term_kind kind, unsigned flags)
{
    sou_term t;
    t.term = term;
    t.len = len;
    t.pos = pos;
    t.start = em->a->ostart[cs];
    t.end = em->a->oend[ce - 1];
    t.kind = kind;
    t.flags = flags;
    return em->cb(em->ctx, &t) ? SOU_ESTOPPED : 0;
}

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* "Z" + stem of word into out; returns its length, or 0 (no memory). */
static size_t stem_word(sou_analyzer *a, const char *w, size_t wl, char *out)
{
    uint32_t h = hash_bytes(w, wl);
    size_t mask = STEM_CACHE_SLOTS - 1, i = h & mask;
    for (;; i = (i + 1) & mask) {
        stem_slot *sl = &a->stems[i];
        if (sl->wlen == 0) break;
        if (sl->hash == h && sl->wlen == wl && memcmp(a->arena + sl->off, w, wl) == 0) {
            a->stats.stem_hits++;
            out[0] = 'Z';
            memcpy(out + 1, a->arena + sl->off + wl, sl->slen);
            return 1 + (size_t)sl->slen;
        }
    }
    a->stats.stem_misses++;
    const sb_symbol *s = sb_stemmer_stem(a->stemmer, (const sb_symbol *)w, (int)wl);
    if (!s) return 0;
    size_t sl = (size_t)sb_stemmer_length(a->stemmer);
    if (sl > SOU_MAX_TERM_BYTES) sl = SOU_MAX_TERM_BYTES; /* stems never grow much; stay bounded */
    out[0] = 'Z';
    memcpy(out + 1, s, sl);
    /* remember it; a full cache starts over (the working set of a corpus'
     * vocabulary fits, and clearing keeps memory bounded) */
    if (a->nstems >= STEM_CACHE_SLOTS / 2 || a->arena_len + wl + sl > (size_t)1 << 20) {
        memset(a->stems, 0, STEM_CACHE_SLOTS * sizeof *a->stems);
        a->nstems = 0;
        a->arena_len = 0;
        i = h & mask;
    }
    if (a->arena_len + wl + sl > a->arena_cap) {
        size_t cap = a->arena_cap ? a->arena_cap * 2 : 65536;
        while (cap < a->arena_len + wl + sl) cap *= 2;
        char *ar = realloc(a->arena, cap);
        if (!ar) return 1 + sl; /* just don't cache */
        a->arena = ar;
        a->arena_cap = cap;
    }
    stem_slot *slot = &a->stems[i];
    slot->hash = h;
    slot->off = (uint32_t)a->arena_len;
    slot->wlen = (uint16_t)wl;
    slot->slen = (uint16_t)sl;
    memcpy(a->arena + a->arena_len, w, wl);
    memcpy(a->arena + a->arena_len + wl, s, sl);
    a->arena_len += wl + sl;
    a->nstems++;
    return 1 + sl;
}

static int is_number(const sou_analyzer *a, size_t s, size_t e)
{
    for (size_t i = s; i < e; i++) {
        unsigned wb = a->props[i] & SOU_CP_WB_MASK;
        if (wb != U_WB_NUMERIC && wb != U_WB_MIDNUM && wb != U_WB_MIDNUMLET &&
            wb != U_WB_SINGLE_QUOTE)
            return 0;
    }
    return 1;
}

static int emit_units(emitter *em)
{
    sou_analyzer *a = em->a;
    const unit *u = a->units;
    size_t nu = a->nunits;
    int bigrams = a->opts.cjk_bigrams, rc;
    char sbuf[SOU_MAX_TERM_BYTES + 8];
    for (size_t k = 0; k < nu; k++) {
        uint32_t pos = a->pos++;
        const unit *nx = k + 1 < nu && u[k + 1].cs == u[k].ce ? &u[k + 1] : NULL;
        size_t len = 0;
        if (u[k].type == UNIT_CJK) {
            int prev_cjk = k > 0 && u[k - 1].type == UNIT_CJK && u[k - 1].ce == u[k].cs;
            int next_cjk = nx && nx->type == UNIT_CJK;
            encode_chars(a, u[k].cs, u[k].ce, em->buf, &len);
            unsigned fl = (!bigrams || (!prev_cjk && !next_cjk)) ? SOU_TERM_POSITIONAL : 0;
            if ((rc = emit(em, em->buf, len, pos, u[k].cs, u[k].ce, SOU_TERM_CJK_UNIGRAM, fl)))
                return rc;
            if (bigrams && nx) {
                encode_chars(a, nx->cs, nx->ce, em->buf, &len);
                if ((rc = emit(em, em->buf, len, pos, u[k].cs, nx->ce,
                               next_cjk ? SOU_TERM_CJK_BIGRAM : SOU_TERM_CJK_JOIN,
                               SOU_TERM_POSITIONAL)))
                    return rc;
            }
            if (u[k].wlen >= 3 && a->opts.cjk_words) {
                len = 0;
                encode_chars(a, u[k].cs, u[k].cs + u[k].wlen, em->buf, &len);
                if ((rc = emit(em, em->buf, len, pos, u[k].cs, u[k].cs + u[k].wlen,
                               SOU_TERM_CJK_WORD, 0)))
                    return rc;
            }
        } else {
            int trunc = encode_chars(a, u[k].cs, u[k].ce, em->buf, &len);
            int num = is_number(a, u[k].cs, u[k].ce);
            if ((rc = emit(em, em->buf, len, pos, u[k].cs, u[k].ce,
                           num ? SOU_TERM_NUMBER : SOU_TERM_WORD, SOU_TERM_POSITIONAL)))
                return rc;
            if (!num && !trunc && a->stemmer) {
                size_t sl = stem_word(a, em->buf, len, sbuf);
                if (sl && (rc = emit(em, sbuf, sl, pos, u[k].cs, u[k].ce, SOU_TERM_STEM, 0)))
                    return rc;
            }
            if (bigrams && nx && nx->type == UNIT_CJK && !trunc) {
                encode_chars(a, nx->cs, nx->ce, em->buf, &len);
                if ((rc = emit(em, em->buf, len, pos, u[k].cs, nx->ce, SOU_TERM_CJK_JOIN,
                               SOU_TERM_POSITIONAL)))
                    return rc;
            }
        }
    }
    return 0;
}

int sou_analyzer_run(sou_analyzer *a, const char *text, size_t len, sou_term_cb cb, void *ctx)
{
    emitter em;
    em.a = a;
    em.text = text;
    em.cb = cb;
    em.ctx = ctx;
    a->pos = 0;
    size_t off = 0;
    while (off < len) {
        off = fold_block(a, (const unsigned char *)text, len, off, BLOCK_CHARS);
        if (off == (size_t)-1) return SOU_ENOMEM;
        a->nunits = 0;
        int rc = a->pure_icu ? (a->n ? icu_segments(a, 0, a->n, 0, 0) : 0) : segment_fast(a);
        if (rc) return rc;
        rc = emit_units(&em);
        if (rc) return rc;
    }
    return 0;
}

size_t sou_analyzer_word_pairs(const char *const (**pairs)[2])
{
    *pairs = sou_fold_word_pairs;
    return sou_fold_word_pair_count;
}

int sou_analyzer_is_cjk(const sou_analyzer *a, uint32_t c)
{
    return (props_of(a, c) & SOU_CP_CJK) != 0;
}

/* Each character of s is its own fold and starts a normalization segment
 * (fold_block folds it alone): then wherever s stands in a text, followed
 * by a character that starts a segment, the folded text has s there. */
int sou_analyzer_holds_as_folded(const sou_analyzer *a, const char *text, size_t len,
                                 const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0 || n > len) return 0;
    for (size_t i = 0, k; i < n; i += k) {
        uint32_t c = decode_utf8(u, n, i, &k), v;
        if (c < 0x10000) {
            v = a->map[c];
        } else {
            const sou_fold_supp *x = find_supp(c);
            v = x ? (a->opts.fold_traditional ? x->t2s : x->plain) : c;
        }
        if (v != c || c == 0xFFFD || !has_bb(c)) return 0;
    }
    const unsigned char *t = (const unsigned char *)text, *end = t + len - n;
    for (const unsigned char *p = t; p <= end; p++) {
        p = memchr(p, u[0], (size_t)(end - p) + 1);
        if (!p) return 0;
        if (memcmp(p, u, n) != 0) continue;
        size_t after = (size_t)(p - t) + n, k;
        if (after == len || has_bb(decode_utf8(t, len, after, &k))) return 1;
    }
    return 0;
}

char *sou_analyzer_fold(sou_analyzer *a, const char *text, size_t len, size_t *out_len)
{
    size_t off = fold_block(a, (const unsigned char *)text, len, 0, (size_t)-1);
    if (off == (size_t)-1) return NULL;
    size_t cap = 1, l = 0;
    for (size_t i = 0; i < a->n; i++) cap += a->cp[i] < 0x80 ? 1 : a->cp[i] < 0x800 ? 2 : 4;
    char *out = malloc(cap);
    if (!out) return NULL;
    for (size_t i = 0; i < a->n; i++) {
        uint32_t c = a->cp[i];
        if (c < 0x80) {
            out[l++] = (char)c;
        } else if (c < 0x800) {
            out[l++] = (char)(0xC0 | (c >> 6));
            out[l++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out[l++] = (char)(0xE0 | (c >> 12));
            out[l++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[l++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[l++] = (char)(0xF0 | (c >> 18));
            out[l++] = (char)(0x80 | ((c >> 12) & 0x3F));
            out[l++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[l++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[l] = '\0';
    if (out_len) *out_len = l;
    return out;
}
