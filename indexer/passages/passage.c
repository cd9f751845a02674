/* indexer/passages/passage.c - paragraphs, then ICU sentence windows.
 *
 * One pass finds paragraphs: runs of text separated by whitespace that
 * holds at least two line breaks (a blank line; \r\n, \r, \n, NEL, U+2028
 * count one, \f and U+2029 count two). A paragraph of at most max_chars
 * code points is one passage. A longer one is packed greedily: each
 * passage ends at the last ICU sentence boundary at or before max_chars,
 * else (one sentence longer than the limit) at the last ICU word
 * boundary, else at the last code point boundary, so nothing is lost and
 * nothing exceeds the limit. ICU reads the UTF-8 in place through a UText,
 * so boundaries are byte offsets and no UTF-16 copy is made.
 * Sentence rules: "en@ss=standard" (root rules plus English abbreviation
 * suppression: "Dr. Smith" is not cut); CJK 。！？ end sentences as in root.
 */
#include "passage.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>

/* ICU break iterators take int32 offsets: a paragraph longer than this is
 * handled through windows of this size (with LOOKAHEAD bytes of context). */
#define WINDOW ((size_t)1 << 30)
#define LOOKAHEAD ((size_t)1 << 16)

struct sou_splitter {
    size_t max_chars;
    UBreakIterator *sent, *word;
    UText ut;
    sou_span *spans;
    size_t n, cap;
};

int sou_splitter_new(size_t max_chars, sou_splitter **out)
{
    *out = NULL;
    sou_splitter *s = calloc(1, sizeof *s);
    if (!s) return SOU_ENOMEM;
    s->max_chars = max_chars ? max_chars : SOU_PASSAGE_CHARS_DEFAULT;
    UText init = UTEXT_INITIALIZER;
    s->ut = init;
    UErrorCode st = U_ZERO_ERROR;
    s->sent = ubrk_open(UBRK_SENTENCE, "en@ss=standard", NULL, 0, &st);
    if (U_FAILURE(st)) {
        st = U_ZERO_ERROR;
        s->sent = ubrk_open(UBRK_SENTENCE, "", NULL, 0, &st);
    }
    if (U_SUCCESS(st)) s->word = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
    if (U_FAILURE(st)) {
        sou_splitter_free(s);
        return SOU_EINTERNAL;
    }
    *out = s;
    return 0;
}

void sou_splitter_free(sou_splitter *s)
{
    if (!s) return;
    if (s->sent) ubrk_close(s->sent);
    if (s->word) ubrk_close(s->word);
    utext_close(&s->ut);
    free(s->spans);
    free(s);
}

/* Decode one code point at t[i] (maximal-subpart rule for invalid bytes,
 * as ICU's U8_NEXT): returns its length, sets *cp (U+FFFD if invalid). */
static size_t next_cp(const unsigned char *t, size_t len, size_t i, uint32_t *cp)
{
    unsigned c = t[i];
    if (c < 0x80) { *cp = c; return 1; }
    int need;
    unsigned lo = 0x80, hi = 0xBF;
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF) { need = 1; v = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2; v = c & 0x0F;
        if (c == 0xE0) lo = 0xA0; else if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3; v = c & 0x07;
        if (c == 0xF0) lo = 0x90; else if (c == 0xF4) hi = 0x8F;
    } else { *cp = 0xFFFD; return 1; }
    for (int k = 1; k <= need; k++) {
        if (i + (size_t)k >= len || t[i + k] < lo || t[i + k] > hi) {
            *cp = 0xFFFD;
            return (size_t)k;
        }
        v = v << 6 | (t[i + k] & 0x3F);
        lo = 0x80; hi = 0xBF;
    }
    *cp = v;
    return (size_t)need + 1;
}

/* Whitespace: ASCII and Unicode White_Space. Sets *breaks to the number
 * of line breaks the character counts for. */
static int is_space(uint32_t cp, const unsigned char *t, size_t len, size_t i, int *breaks)
{
    *breaks = 0;
    switch (cp) {
    case ' ': case '\t': case '\v': return 1;
    case '\n': *breaks = 1; return 1;
    case '\r': *breaks = (i + 1 < len && t[i + 1] == '\n') ? 0 : 1; return 1;
    case '\f': *breaks = 2; return 1;
    case 0x85: case 0x2028: *breaks = 1; return 1;
    case 0x2029: *breaks = 2; return 1;
    default: break;
    }
    return cp >= 0x80 && cp != 0xFFFD && u_isUWhiteSpace((UChar32)cp);
}

static int push_span(sou_splitter *s, size_t a, size_t b)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        sou_span *p = realloc(s->spans, cap * sizeof *p);
        if (!p) return SOU_ENOMEM;
        s->spans = p;
        s->cap = cap;
    }
    s->spans[s->n].start = a;
    s->spans[s->n].end = b;
    s->n++;
    return 0;
}

/* Emit [a, b) with trailing whitespace trimmed (a is not whitespace). */
static int push_trimmed(sou_splitter *s, const unsigned char *t, size_t a, size_t b)
{
    size_t last_end = a;
    for (size_t i = a; i < b;) {
        uint32_t cp;
        int br;
        size_t k = next_cp(t, b, i, &cp);
        if (!is_space(cp, t, b, i, &br)) last_end = i + k;
        i += k;
    }
    if (last_end == a) return 0;
    return push_span(s, a, last_end);
}

static size_t skip_spaces(const unsigned char *t, size_t end, size_t i)
{
    while (i < end) {
        uint32_t cp;
        int br;
        size_t k = next_cp(t, end, i, &cp);
        if (!is_space(cp, t, end, i, &br)) break;
        i += k;
    }
    return i;
}

/* Byte position after max code points from i (or end). */
static size_t advance_chars(const unsigned char *t, size_t end, size_t i, size_t max)
{
    uint32_t cp;
    while (max-- && i < end) i += next_cp(t, end, i, &cp);
    return i;
}

/* Last boundary of bi in (pos, lim], offsets relative to base; 0 if none. */
static size_t last_boundary(UBreakIterator *bi, size_t base, size_t pos, size_t lim)
{
    int32_t rel = (int32_t)(lim - base);
    int32_t b = ubrk_isBoundary(bi, rel) ? rel : ubrk_preceding(bi, rel);
    if (b == UBRK_DONE) return 0;
    size_t abs = base + (size_t)b;
    return abs > pos ? abs : 0;
}

/* Cut a long paragraph [ps, pe) into windows of at most max_chars. */
static int split_long(sou_splitter *s, const char *text, size_t ps, size_t pe)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t pos = ps;
    size_t ws = 0, we = 0;     /* current ICU window [ws, we) */
    int have_window = 0, word_set = 0;
    UErrorCode st = U_ZERO_ERROR;
    while (pos < pe) {
        size_t lim = advance_chars(t, pe, pos, s->max_chars);
        if (lim >= pe) return push_trimmed(s, t, pos, pe);
        if (!have_window || (lim + LOOKAHEAD > we && we < pe)) {
            ws = pos;
            we = pe - ws > WINDOW ? ws + WINDOW : pe;
            st = U_ZERO_ERROR;
            utext_openUTF8(&s->ut, text + ws, (int64_t)(we - ws), &st);
            ubrk_setUText(s->sent, &s->ut, &st);
            if (U_FAILURE(st)) return SOU_EINTERNAL;
            have_window = 1;
            word_set = 0;
        }
        size_t cut = last_boundary(s->sent, ws, pos, lim);
        if (!cut) {
            if (!word_set) {
                st = U_ZERO_ERROR;
                ubrk_setUText(s->word, &s->ut, &st);
                if (U_FAILURE(st)) return SOU_EINTERNAL;
                word_set = 1;
            }
            cut = last_boundary(s->word, ws, pos, lim);
        }
        if (!cut) cut = lim;
        int rc = push_trimmed(s, t, pos, cut);
        if (rc) return rc;
        pos = skip_spaces(t, pe, cut);
    }
    return 0;
}

int sou_splitter_split(sou_splitter *s, const char *text, size_t len, const sou_span **spans,
                       size_t *n)
{
    const unsigned char *t = (const unsigned char *)text;
    s->n = 0;
    *spans = NULL;
    *n = 0;
    size_t i = 0;
    int rc = 0;
    while (i < len && !rc) {
        i = skip_spaces(t, len, i);
        if (i >= len) break;
        size_t ps = i, last_end = i, chars = 0;
        int breaks = 0;
        while (i < len) {
            uint32_t cp;
            int br;
            size_t k = next_cp(t, len, i, &cp);
            if (is_space(cp, t, len, i, &br)) {
                breaks += br;
                if (breaks >= 2) break;
            } else {
                breaks = 0;
                last_end = i + k;
            }
            chars++;
            i += k;
        }
        /* chars counted whitespace up to the break; recount only if needed */
        if (chars <= s->max_chars) rc = push_span(s, ps, last_end);
        else if (advance_chars(t, last_end, ps, s->max_chars) >= last_end)
            rc = push_span(s, ps, last_end);
        else rc = split_long(s, text, ps, last_end);
    }
    if (rc) return rc;
    *spans = s->spans;
    *n = s->n;
    return 0;
}
