/* tests/indexer_inputs/test_passages.c - the passage splitter against an
 * independent oracle: spans cover every non-whitespace character exactly
 * once (and only whitespace lies between them), never cross a blank line,
 * never exceed max_chars code points, and every cut inside a paragraph
 * whose sentences fit lands on an ICU sentence boundary computed here
 * from a UTF-16 copy (a different path from the splitter's UTF-8 UText).
 * Inputs: real corpus text, English prose, hostile rows (1 MB token,
 * NULs, invalid UTF-8, CRLF, Unicode spaces) and seeded random strings. */
#include "passage.h"
#include "check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

/* decode one code point the way ICU does (U8_NEXT: maximal subparts) */
static size_t cp_at(const char *t, size_t len, size_t i, UChar32 *c)
{
    int32_t k = 0;
    int32_t n = (int32_t)(len - i > 8 ? 8 : len - i);
    U8_NEXT((const uint8_t *)t + i, k, n, *c);
    if (*c < 0) *c = 0xFFFD;
    return (size_t)k;
}

static int oracle_space(UChar32 c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
           (c >= 0x80 && c != 0xFFFD && u_isUWhiteSpace(c));
}

/* line breaks in [a, b) for the blank-line rule */
static int breaks_in(const char *t, size_t a, size_t b)
{
    int n = 0;
    for (size_t i = a; i < b;) {
        UChar32 c;
        size_t k = cp_at(t, b, i, &c);
        if (c == '\n' || c == 0x85 || c == 0x2028) n++;
        else if (c == '\r' && !(i + 1 < b && t[i + 1] == '\n')) n++;
        else if (c == '\f' || c == 0x2029) n += 2;
        else if (!oracle_space(c)) n = 0;
        if (n >= 2) return 1;
        i += k;
    }
    return 0;
}

static size_t count_cp(const char *t, size_t a, size_t b)
{
    size_t n = 0;
    for (size_t i = a; i < b; n++) {
        UChar32 c;
        i += cp_at(t, b, i, &c);
    }
    return n;
}

/* Sentence boundaries of [a, b) as byte offsets, via UTF-16 + ubrk_setText. */
static int is_sentence_boundary(const char *t, size_t a, size_t b, size_t at)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t ulen = 0;
    u_strFromUTF8WithSub(NULL, 0, &ulen, t + a, (int32_t)(b - a), 0xFFFD, NULL, &st);
    st = U_ZERO_ERROR;
    UChar *u = malloc((size_t)(ulen + 1) * sizeof(UChar));
    u_strFromUTF8WithSub(u, ulen + 1, NULL, t + a, (int32_t)(b - a), 0xFFFD, NULL, &st);
    /* map UTF-16 index -> byte offset by walking both */
    UBreakIterator *bi = ubrk_open(UBRK_SENTENCE, "en@ss=standard", u, ulen, &st);
    int found = 0;
    size_t byte = a;
    int32_t uidx = 0;
    for (int32_t p = ubrk_first(bi); p != UBRK_DONE; p = ubrk_next(bi)) {
        while (uidx < p) {
            UChar32 c;
            byte += cp_at(t, b, byte, &c);
            uidx += c > 0xFFFF ? 2 : 1;
        }
        if (byte == at) { found = 1; break; }
        if (byte > at) break;
    }
    ubrk_close(bi);
    free(u);
    return found;
}

typedef struct row {
    const char *what;
    char *text;
    size_t len;
    size_t max_chars;
    int sentences_fit;   /* every sentence <= max_chars: cuts must be sentence boundaries */
} row;

static void check_row(sou_splitter *sp, const row *r)
{
    const sou_span *spans;
    size_t n;
    int rc = sou_splitter_split(sp, r->text, r->len, &spans, &n);
    CHECK(rc == 0, "%s: rc %d", r->what, rc);
    if (rc) return;
    const char *t = r->text;
    size_t prev_end = 0;
    int fails = tl_failures;
    for (size_t i = 0; i < n && tl_failures - fails < 5; i++) {
        size_t a = spans[i].start, b = spans[i].end;
        CHECK(a < b && b <= r->len && a >= prev_end, "%s: span %zu [%zu,%zu) after %zu", r->what, i, a, b, prev_end);
        if (!(a < b && b <= r->len && a >= prev_end)) return;
        /* only whitespace between spans */
        for (size_t k = prev_end; k < a;) {
            UChar32 c;
            size_t l = cp_at(t, a, k, &c);
            CHECK(oracle_space(c), "%s: non-space U+%04X at %zu lost between spans", r->what, (unsigned)c, k);
            if (!oracle_space(c)) break;
            k += l;
        }
        /* trimmed */
        UChar32 c0, c1 = 0;
        cp_at(t, b, a, &c0);
        size_t k = a, lastk = a;
        while (k < b) { lastk = k; k += cp_at(t, b, k, &c1); }
        CHECK(!oracle_space(c0) && !oracle_space(c1) && k == b, "%s: span %zu not trimmed", r->what, i);
        (void)lastk;
        /* no blank line inside, within the limit */
        CHECK(!breaks_in(t, a, b), "%s: span %zu crosses a blank line", r->what, i);
        size_t chars = count_cp(t, a, b);
        CHECK(chars <= r->max_chars, "%s: span %zu has %zu chars > %zu", r->what, i, chars, r->max_chars);
        /* a cut inside a paragraph lands on a sentence boundary */
        if (i + 1 < n && r->sentences_fit && !breaks_in(t, b, spans[i + 1].start)) {
            /* the paragraph around the cut: from the last blank line before a */
            size_t pa = 0, pb = r->len;
            for (size_t j = i + 1; j-- > 0;) {
                if (j == 0 || breaks_in(t, spans[j - 1].end, spans[j].start)) { pa = spans[j].start; break; }
            }
            for (size_t j = i + 1; j < n; j++) {
                if (j + 1 == n || breaks_in(t, spans[j].end, spans[j + 1].start)) { pb = spans[j].end; break; }
            }
            int ok = 0;
            for (size_t at = b; at <= spans[i + 1].start && !ok;) {
                ok = is_sentence_boundary(t, pa, pb, at);
                UChar32 c;
                if (at == spans[i + 1].start) break;
                at += cp_at(t, pb, at, &c);
            }
            CHECK(ok, "%s: cut after span %zu (byte %zu) is not a sentence boundary", r->what, i, b);
        }
        prev_end = b;
    }
    for (size_t k = prev_end; k < r->len;) {
        UChar32 c;
        size_t l = cp_at(t, r->len, k, &c);
        CHECK(oracle_space(c), "%s: non-space U+%04X at %zu lost after the last span", r->what, (unsigned)c, k);
        if (!oracle_space(c)) break;
        k += l;
    }
}

/* expected spans for small exact rows */
static void test_exact(void)
{
    static const struct { const char *in; size_t max; const char *want[6]; } rows[] = {
        {"one\n\ntwo", 600, {"one", "two"}},
        {"  one\nstill one\n \t\r\n  two  \n", 600, {"one\nstill one", "two"}},
        {"a\r\n\r\nb\rc\r\rd\fe", 600, {"a", "b\rc", "d", "e"}},
        {"First sentence. Second one here. Third.", 20, {"First sentence.", "Second one here.", "Third."}},
        {"我们去了。你呢？好的！", 6, {"我们去了。", "你呢？好的！"}},
        {"abcdefghij", 4, {"abcd", "efgh", "ij"}},
        {"word word word", 7, {"word", "word", "word"}},
        {"", 10, {NULL}},
        {" \n\n \t ", 10, {NULL}},
        {"x\xe2\x80\xa9y\xe3\x80\x80\xe3\x80\x80z", 600, {"x", "y\xe3\x80\x80\xe3\x80\x80z"}},
    };
    sou_splitter *sp;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        CHECK(sou_splitter_new(rows[r].max, &sp) == 0, "new");
        const sou_span *spans;
        size_t n;
        int rc = sou_splitter_split(sp, rows[r].in, strlen(rows[r].in), &spans, &n);
        size_t want_n = 0;
        while (want_n < 6 && rows[r].want[want_n]) want_n++;
        CHECK(rc == 0 && n == want_n, "exact row %zu: rc %d, %zu spans, want %zu", r, rc, n, want_n);
        for (size_t i = 0; i < n && i < want_n; i++)
            CHECK_MEM(rows[r].in + spans[i].start, spans[i].end - spans[i].start, rows[r].want[i],
                      strlen(rows[r].want[i]), "span");
        sou_splitter_free(sp);
    }
    sou_splitter_free(NULL);
}

int main(void)
{
    test_exact();

    row rows[32];
    int nr = 0;
    size_t slen;
    char *sample = tl_read_file(SOU_SOURCE_DIR "/corpus/sample/000_d490c0635e062405.txt", &slen);
    CHECK(sample != NULL, "sample");
    if (sample) {
        size_t maxes[] = {600, 120, 40};
        for (int i = 0; i < 3; i++)
            rows[nr++] = (row){"corpus sample", sample, slen, maxes[i], maxes[i] >= 120 ? 0 : 0};
    }
    /* English prose with short sentences: cuts must be sentence boundaries */
    {
        size_t cap = 200000, n = 0;
        char *b = malloc(cap);
        const char *sents[] = {"The quick brown fox jumps over the lazy dog. ",
                               "Dr. Smith met Mr. Jones at 3 p.m. yesterday. ",
                               "Is this a question? ", "Yes! ", "It is (mostly) fine.\" ",
                               "Run `make -j2` and wait; then check the logs. ",
                               "混合文本也可以。", "再来一句中文吧！"};
        uint32_t x = 7;
        for (int p = 0; p < 60; p++) {
            int ns = 1 + (int)((x = x * 1664525u + 1013904223u) >> 28);
            for (int k = 0; k < ns * 3; k++) {
                const char *s = sents[(x = x * 1664525u + 1013904223u) >> 29];
                size_t l = strlen(s);
                memcpy(b + n, s, l);
                n += l;
            }
            memcpy(b + n, "\n\n", 2);
            n += 2;
        }
        rows[nr++] = (row){"english prose max 200", b, n, 200, 1};
        rows[nr++] = (row){"english prose max 80", b, n, 80, 1};
        rows[nr++] = (row){"english prose max 20 (sentences longer)", b, n, 20, 0};
    }
    /* a 1 MB single token, and a 1 MB run of Han without punctuation */
    {
        size_t n = 1 << 20;
        char *b = malloc(n);
        for (size_t i = 0; i < n; i++) b[i] = (char)('a' + i % 26);
        rows[nr++] = (row){"1 MB token", b, n, 600, 0};
        char *h = malloc(3 * 300000);
        for (size_t i = 0; i < 300000; i++) memcpy(h + 3 * i, i % 2 ? "文" : "中", 3);
        rows[nr++] = (row){"900 KB Han run", h, 3 * 300000, 600, 0};
    }
    /* NULs, invalid UTF-8 of every class, combining marks, RTL, emoji ZWJ */
    {
        static const char hostile[] =
            "nul\0inside\0\0text. overlong \xC0\xAF and \xE0\x80\xAF. surrogate \xED\xA0\x80. "
            "truncated \xE4\xB8 end. stray \x80\x80 cont. too big \xF4\x90\x80\x80. "
            "\n\ncombining e\xCC\x81\xCC\x81\xCC\x81 marks. \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D "
            "\xE2\x80\x8F rtl. family \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D"
            "\xF0\x9F\x91\xA7 emoji.\n\n\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80";
        size_t n = sizeof hostile - 1;
        char *b = malloc(n);
        memcpy(b, hostile, n);
        rows[nr++] = (row){"hostile max 600", b, n, 600, 0};
        rows[nr++] = (row){"hostile max 7", b, n, 7, 0};
        rows[nr++] = (row){"hostile max 1", b, n, 1, 0};
    }
    /* seeded random soup: spaces, newlines, CJK, ASCII, invalid bytes */
    {
        static const char *atoms[] = {" ", "\n", "\n\n", "\r\n", "\t", "a", "bc", "。", "中", ".",
                                      "! ", "\xE3\x80\x80", "\xFF", "\xE4\xB8", "\0", "? ", "x.y"};
        uint32_t x = 99;
        for (int r = 0; r < 6; r++) {
            size_t n = 0, cap = 20000;
            char *b = malloc(cap);
            while (n + 8 < cap) {
                x = x * 1664525u + 1013904223u;
                const char *a = atoms[(x >> 16) % (sizeof atoms / sizeof atoms[0])];
                size_t l = a[0] ? strlen(a) : 1;
                memcpy(b + n, a, l);
                n += l;
            }
            size_t maxes[] = {1, 3, 10, 50, 600, 5};
            rows[nr++] = (row){"random soup", b, n, maxes[r], 0};
        }
    }
    for (int i = 0; i < nr; i++) {
        sou_splitter *sp;
        CHECK(sou_splitter_new(rows[i].max_chars, &sp) == 0, "new");
        check_row(sp, &rows[i]);
        /* the same splitter twice gives the same answer (state reset) */
        const sou_span *a;
        size_t na;
        sou_splitter_split(sp, rows[i].text, rows[i].len, &a, &na);
        size_t first_n = na;
        sou_span first0 = na ? a[0] : (sou_span){0, 0};
        sou_splitter_split(sp, rows[i].text, rows[i].len, &a, &na);
        CHECK(na == first_n && (!na || (a[0].start == first0.start && a[0].end == first0.end)),
              "%s: not repeatable", rows[i].what);
        sou_splitter_free(sp);
    }
    for (int i = 0; i < nr; i++)
        if (rows[i].text != sample && (i == 0 || rows[i].text != rows[i - 1].text)) free(rows[i].text);
    free(sample);
    return CHECK_DONE();
}
