/* indexer/inputs/decode.c - charset detection and conversion to UTF-8.
 *
 * Order of decisions (each cheap test before the expensive ones):
 *  1. --encoding given: convert with it (U+FFFD for what does not convert).
 *  2. A BOM (UTF-8, UTF-16LE/BE, UTF-32LE/BE) decides.
 *  3. Binary: control bytes (NUL and C0 controls other than \t \n \v \f \r
 *     \b ESC) above 3% of the first 64 KiB -> SOU_EDECODE "binary file",
 *     unless NULs sit at alternating positions (BOM-less UTF-16 text).
 *  4. Valid UTF-8 (the whole input): used as is, no copy.
 *     Mostly UTF-8 (valid multi-byte sequences outnumber invalid ones 8:1
 *     in the sample): kept as UTF-8, invalid bytes become U+FFFD.
 *  5. Otherwise a legacy charset. ICU's detector misses Big5 on short
 *     text (DESIGN.md), so its guesses are only candidates: GB18030 and
 *     Big5 are always tried too (first, so they win ties). Each candidate
 *     converts the sample strictly and is scored by what it yields: common
 *     Han characters (GB2312 level 1 or Big5 "frequently used" for the
 *     Chinese charsets, JIS level 1 for the Japanese ones) score high,
 *     kana/Hangul score high in their own charsets, rare Han, private-use,
 *     half-width kana and control characters and conversion errors score
 *     negative. Wrong CJK decodings of real text land largely in rare or
 *     private-use code points. Measured on debian-reference zh-TW/zh-CN
 *     lines converted to Big5/GBK: 8+ characters 100% right, 4 characters
 *     99%, 2 characters 92-97% (2-4 bytes are often valid in several
 *     charsets, or valid UTF-8, which wins).
 * Conversion substitutes U+FFFD for what does not decode (a truncated
 * GB18030 file keeps everything before the cut) and counts the
 * substitutions, so the caller can warn.
 */
#include "inputs_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/ucsdet.h>
#include <unicode/uchar.h>

#define SAMPLE_BYTES (64 * 1024)

/* ---- common-character tables (built once from ICU's own converters) ---- */

/* Per BMP code point: bit 0 = common in Chinese (GB2312 level 1 or Big5
 * frequently used), bit 1 = common in Japanese (JIS X 0208 level 1). */
static uint8_t common_han[0x10000];
static pthread_once_t common_once = PTHREAD_ONCE_INIT;

static void mark_range(const char *cnv_name, unsigned lead_lo, unsigned lead_hi,
                       unsigned trail_lo, unsigned last_lead_trail_hi, uint8_t bit)
{
    UErrorCode st = U_ZERO_ERROR;
    UConverter *cnv = ucnv_open(cnv_name, &st);
    if (U_FAILURE(st)) return;
    ucnv_setToUCallBack(cnv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &st);
    for (unsigned lead = lead_lo; lead <= lead_hi; lead++) {
        for (unsigned trail = trail_lo; trail <= 0xFE; trail++) {
            if (trail > 0x7E && trail < 0xA1) continue;
            if (lead == lead_hi && trail > last_lead_trail_hi) break;
            char in[2] = { (char)lead, (char)trail };
            UChar out[4];
            st = U_ZERO_ERROR;
            ucnv_reset(cnv);
            int32_t n = ucnv_toUChars(cnv, out, 4, in, 2, &st);
            if (U_SUCCESS(st) && n == 1 && u_hasBinaryProperty(out[0], UCHAR_IDEOGRAPHIC))
                common_han[out[0]] |= bit;
        }
    }
    ucnv_close(cnv);
}

static void build_common(void)
{
    /* GB2312 level 1: rows 0xB0..0xD7 (trail 0xA1..0xFE; row D7 ends at F9). */
    mark_range("GB18030", 0xB0, 0xD7, 0xA1, 0xF9, 1);
    /* Big5 frequently used characters: 0xA440..0xC67E. */
    mark_range("Big5", 0xA4, 0xC6, 0x40, 0x7E, 1);
    /* JIS X 0208 level 1 kanji: EUC-JP 0xB0A1..0xCFD3. */
    mark_range("EUC-JP", 0xB0, 0xCF, 0xA1, 0xD3, 2);
}

static int is_common_han(UChar32 c, int japanese)
{
    return c < 0x10000 && (common_han[c] & (japanese ? 2 : 1));
}

/* ---- conversion with counted substitutions ---- */

typedef struct subst_count { uint64_t n; } subst_count;

static void U_CALLCONV count_subst_cb(const void *context, UConverterToUnicodeArgs *args,
                                      const char *units, int32_t len,
                                      UConverterCallbackReason reason, UErrorCode *err)
{
    if (reason <= UCNV_IRREGULAR) {
        ((subst_count *)context)->n++;
        *err = U_ZERO_ERROR;
        static const UChar fffd = 0xFFFD;
        ucnv_cbToUWriteUChars(args, &fffd, 1, 0, err);
    }
}

/* Convert bytes in charset cnv_name to UTF-8 into *out. */
static int convert_to_utf8(const char *cnv_name, const char *src, size_t len,
                           inp_buf *out, uint64_t *replaced, sou_error *err)
{
    UErrorCode st = U_ZERO_ERROR;
    UConverter *from = ucnv_open(cnv_name, &st);
    if (U_FAILURE(st))
        return sou_error_set(err, SOU_EDECODE, "unknown encoding \"%s\"", cnv_name);
    UConverter *to = ucnv_open("UTF-8", &st);
    if (U_FAILURE(st)) {
        ucnv_close(from);
        return sou_error_set(err, SOU_EINTERNAL, "ICU cannot open UTF-8: %s", u_errorName(st));
    }
    subst_count cnt = { 0 };
    ucnv_setToUCallBack(from, count_subst_cb, &cnt, NULL, NULL, &st);

    /* CJK double-byte text grows 2 -> 3 bytes; start there, grow if needed. */
    size_t guess = len + len / 2 + 64;
    int rc = 0;
    if (inp_buf_reserve(out, guess)) {
        rc = sou_error_set(err, SOU_ENOMEM, "out of memory converting %zu bytes", len);
        goto done;
    }
    UChar pivot[4096];
    UChar *psrc = pivot, *ptgt = pivot;
    const char *s = src, *slimit = src + len;
    UBool reset = 1;
    for (;;) {
        char *t = out->p + out->len;
        st = U_ZERO_ERROR;
        ucnv_convertEx(to, from, &t, out->p + out->cap, &s, slimit, pivot, &psrc, &ptgt,
                       pivot + 4096, reset, 1, &st);
        reset = 0;
        out->len = (size_t)(t - out->p);
        if (st == U_BUFFER_OVERFLOW_ERROR) {
            if (inp_buf_reserve(out, (out->cap / 2) + 64)) {
                rc = sou_error_set(err, SOU_ENOMEM, "out of memory converting %zu bytes", len);
                goto done;
            }
            continue;
        }
        if (U_FAILURE(st)) {
            rc = sou_error_set(err, SOU_EDECODE, "conversion from %s failed: %s",
                               cnv_name, u_errorName(st));
            goto done;
        }
        break;
    }
    *replaced = cnt.n;
    /* A BOM decoded by a converter that keeps it (UTF-16LE etc.) is not text. */
    if (out->len >= 3 && memcmp(out->p, "\xEF\xBB\xBF", 3) == 0) {
        memmove(out->p, out->p + 3, out->len - 3);
        out->len -= 3;
    }
done:
    ucnv_close(from);
    ucnv_close(to);
    return rc;
}

/* ---- candidate scoring ---- */

static int is_cjk_charset(const char *n)
{
    return !strcasecmp(n, "GB18030") || !strcasecmp(n, "Big5") || !strcasecmp(n, "Shift_JIS") ||
           !strcasecmp(n, "EUC-JP") || !strcasecmp(n, "EUC-KR") || !strcasecmp(n, "ISO-2022-JP") ||
           !strcasecmp(n, "ISO-2022-CN") || !strcasecmp(n, "ISO-2022-KR");
}

/* Score a strict conversion of the sample. flush=0: a sequence cut by the
 * sample's end is not an error. Returns INT64_MIN when the converter is
 * unknown. */
static int64_t score_candidate(const char *name, const char *s, size_t n, UChar *ubuf,
                               size_t ucap, uint64_t *errors_out, uint64_t *chars_out,
                               uint64_t *hangul_share_pct)
{
    UErrorCode st = U_ZERO_ERROR;
    UConverter *cnv = ucnv_open(name, &st);
    if (U_FAILURE(st)) return INT64_MIN;
    subst_count cnt = { 0 };
    ucnv_setToUCallBack(cnv, count_subst_cb, &cnt, NULL, NULL, &st);
    UChar *t = ubuf;
    const char *src = s;
    st = U_ZERO_ERROR;
    ucnv_toUnicode(cnv, &t, ubuf + ucap, &src, s + n, NULL, 0, &st);
    ucnv_close(cnv);
    if (U_FAILURE(st)) return INT64_MIN;
    int64_t score = -8 * (int64_t)cnt.n;
    uint64_t chars = 0, han_common = 0, kana = 0, nonascii = 0, hangul_n = 0;
    size_t un = (size_t)(t - ubuf);
    int cjk = is_cjk_charset(name);
    int korean = !strcasecmp(name, "EUC-KR") || !strcasecmp(name, "ISO-2022-KR");
    int japanese = !strcasecmp(name, "Shift_JIS") || !strcasecmp(name, "EUC-JP") ||
                   !strcasecmp(name, "ISO-2022-JP");
    for (size_t i = 0; i < un;) {
        UChar32 c = ubuf[i++];
        if (U16_IS_LEAD(c) && i < un && U16_IS_TRAIL(ubuf[i])) c = U16_GET_SUPPLEMENTARY(c, ubuf[i++]);
        chars++;
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') score -= 3;
            continue;
        }
        nonascii++;
        if (c == 0xFFFD) { score -= 8; continue; }
        if (u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC)) {
            /* modern Korean text rarely uses Hanja */
            if (!korean && is_common_han(c, japanese)) { score += 4; han_common++; }
            else score -= 1;
            continue;
        }
        int8_t type = u_charType(c);
        if (type == U_PRIVATE_USE_CHAR || type == U_UNASSIGNED || type == U_CONTROL_CHAR ||
            type == U_SURROGATE) {
            score -= 3;
            continue;
        }
        if (c >= 0xFF61 && c <= 0xFF9F) { score -= 2; continue; }   /* half-width kana: rare */
        UBlockCode b = ublock_getCode(c);
        if (b == UBLOCK_HIRAGANA || b == UBLOCK_KATAKANA || b == UBLOCK_HANGUL_SYLLABLES) {
            int hangul = b == UBLOCK_HANGUL_SYLLABLES;
            kana += !hangul;
            hangul_n += hangul;
            /* the commonest letters of their own language */
            score += (hangul ? korean : japanese) ? 4 : cjk ? 2 : 1;
            continue;
        }
        if (u_isalpha(c)) { score += 1; continue; }
        /* punctuation and symbols: CJK full-width punctuation is ordinary */
        if (b == UBLOCK_CJK_SYMBOLS_AND_PUNCTUATION || b == UBLOCK_HALFWIDTH_AND_FULLWIDTH_FORMS ||
            (c >= 0x2013 && c <= 0x2026))   /* dashes, curly quotes, ellipsis */
            score += 1;
    }
    /* Japanese prose is a third or more kana; kanji alone read as Japanese
     * is usually Chinese bytes in a Japanese charset: count them as +1. */
    if (japanese && kana * 3 < han_common) score -= 3 * (int64_t)han_common;
    *errors_out = cnt.n;
    *chars_out = chars;
    *hangul_share_pct = nonascii ? hangul_n * 100 / nonascii : 0;
    return score;
}

static int add_candidate(const char **list, int n, int max, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcasecmp(list[i], name)) return n;
    if (n < max) list[n++] = name;
    return n;
}

/* Pick a legacy charset for the sample; returns a static name or NULL. */
static const char *detect_legacy(const char *s, size_t n, int *no_mem)
{
    pthread_once(&common_once, build_common);
    const char *cands[16];
    int nc = 0;
    UErrorCode st = U_ZERO_ERROR;
    UCharsetDetector *det = ucsdet_open(&st);
    const UCharsetMatch *const *m = NULL;
    int32_t nm = 0;
    if (U_SUCCESS(st)) {
        ucsdet_setText(det, s, (int32_t)n, &st);
        m = ucsdet_detectAll(det, &nm, &st);
        if (U_FAILURE(st)) nm = 0;
    }
    /* Korean in EUC-KR reads as common Chinese in GB18030 too (both EUC
     * layouts put their commonest characters in rows 0xB0..0xC8), so the
     * character classes above cannot tell them apart; the detector's
     * Korean frequency model can. */
    int korean_top = 0;
    if (nm > 0) {
        UErrorCode s2 = U_ZERO_ERROR;
        const char *top = ucsdet_getName(m[0], &s2);
        int32_t conf = ucsdet_getConfidence(m[0], &s2);
        korean_top = U_SUCCESS(s2) && top && !strcasecmp(top, "EUC-KR") && conf >= 50;
    }
    /* Chinese first (this is a Chinese-English engine): ties go to them;
     * then the detector's guesses in its order. */
    nc = add_candidate(cands, nc, 16, "GB18030");
    nc = add_candidate(cands, nc, 16, "Big5");
    for (int32_t i = 0; i < nm && i < 6; i++) {
        UErrorCode s2 = U_ZERO_ERROR;
        const char *name = ucsdet_getName(m[i], &s2);
        if (U_FAILURE(s2) || !name) continue;
        if (!strncasecmp(name, "UTF-", 4)) continue;  /* handled before */
        if (!strcasecmp(name, "IBM420_rtl") || !strcasecmp(name, "IBM420_ltr") ||
            !strcasecmp(name, "IBM424_rtl") || !strcasecmp(name, "IBM424_ltr"))
            continue;   /* EBCDIC guesses come up for CJK lines; never real here */
        nc = add_candidate(cands, nc, 14, name);
    }

    UChar *ubuf = malloc((n + 16) * sizeof(UChar));
    const char *best = NULL;
    if (!ubuf) {
        *no_mem = 1;
    } else {
        int64_t best_score = INT64_MIN;
        for (int i = 0; i < nc; i++) {
            uint64_t errs = 0, chars = 0, hangul_pct = 0;
            int64_t sc = score_candidate(cands[i], s, n, ubuf, n + 16, &errs, &chars, &hangul_pct);
            if (sc == INT64_MIN) continue;
            /* more than 1 error per 50 characters: not this charset */
            if (errs > 1 + chars / 50) continue;
            if (korean_top && !strcasecmp(cands[i], "EUC-KR") && errs == 0 && hangul_pct >= 80) {
                best = cands[i];
                break;
            }
            if (sc > best_score) { best_score = sc; best = cands[i]; }
        }
        free(ubuf);
    }
    /* names from ucsdet live as long as the detector: map to our statics */
    static const char *const known[] = {
        "GB18030", "Big5", "Shift_JIS", "EUC-JP", "EUC-KR", "ISO-2022-JP", "ISO-2022-CN",
        "ISO-2022-KR", "ISO-8859-1", "ISO-8859-2", "ISO-8859-5", "ISO-8859-6", "ISO-8859-7",
        "ISO-8859-8", "ISO-8859-8-I", "ISO-8859-9", "windows-1250", "windows-1251",
        "windows-1252", "windows-1253", "windows-1254", "windows-1255", "windows-1256",
        "KOI8-R", NULL
    };
    const char *ret = NULL;
    if (best)
        for (int i = 0; known[i]; i++)
            if (!strcasecmp(known[i], best)) { ret = known[i]; break; }
    if (best && !ret) ret = "ISO-8859-1";   /* an unlisted single-byte guess */
    ucsdet_close(det);
    return ret;
}

/* ---- sniffing ---- */

/* Count control bytes that never appear in text. */
static int looks_binary(const unsigned char *s, size_t n)
{
    size_t ctrl = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = s[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r' &&
            c != '\b' && c != 0x1B)
            ctrl++;
    }
    return ctrl >= 8 && ctrl * 100 > n * 3;
}

/* BOM-less UTF-16 of mostly ASCII-range text: NULs at every other byte,
 * and the byte beside each NUL a printable ASCII character or a line
 * break (16-bit binary data has the NULs but not the text). */
static int ascii_text_byte(unsigned c)
{
    return (c >= 0x20 && c < 0x7F) || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static const char *sniff_utf16(const unsigned char *s, size_t n)
{
    size_t pairs = n / 2, z_even = 0, z_odd = 0, t_even = 0, t_odd = 0;
    if (pairs < 2) return NULL;
    for (size_t i = 0; i + 1 < n; i += 2) {
        if (s[i] == 0) { z_even++; t_even += ascii_text_byte(s[i + 1]); }
        if (s[i + 1] == 0) { z_odd++; t_odd += ascii_text_byte(s[i]); }
    }
    if (z_odd * 10 >= pairs * 3 && z_even * 50 <= pairs && t_odd * 100 >= z_odd * 95)
        return "UTF-16LE";
    if (z_even * 10 >= pairs * 3 && z_odd * 50 <= pairs && t_even * 100 >= z_even * 95)
        return "UTF-16BE";
    return NULL;
}

/* Valid multi-byte sequences vs invalid subparts in the sample. */
static int mostly_utf8(const char *s, size_t n)
{
    uint64_t good = 0, bad = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = u[i];
        if (c < 0x80) { i++; continue; }
        size_t need = c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2
                    : c >= 0xF0 && c <= 0xF4 ? 3 : 0;
        if (need && i + need >= n) break;          /* cut by the sample's end */
        if (need && inp_utf8_valid(s + i, need + 1)) {
            good++;
            i += need + 1;
        } else {
            bad++;
            i++;
        }
    }
    return good > 0 && good >= bad * 8;
}

static int is_utf8_name(const char *e)
{
    return !strcasecmp(e, "UTF-8") || !strcasecmp(e, "UTF8");
}

int inp_decode(const char *bytes, size_t len, const char *encoding, size_t max_bytes,
               const char **out, size_t *out_len, char **owned, uint64_t *replaced,
               const char **charset, sou_error *err)
{
    const unsigned char *u = (const unsigned char *)bytes;
    const char *cnv = NULL;
    size_t skip = 0;
    *owned = NULL;
    *replaced = 0;
    *out = bytes;
    *out_len = len;
    *charset = "UTF-8";
    if (len == 0) return 0;

    if (encoding && *encoding) {
        if (is_utf8_name(encoding)) {
            if (len >= 3 && !memcmp(bytes, "\xEF\xBB\xBF", 3)) skip = 3;
            goto utf8;
        }
        cnv = encoding;
        *charset = encoding;
        goto convert;
    }
    if (len >= 3 && !memcmp(bytes, "\xEF\xBB\xBF", 3)) { skip = 3; goto utf8; }
    if (len >= 4 && !memcmp(bytes, "\xFF\xFE\0\0", 4)) { cnv = "UTF-32LE"; skip = 4; }
    else if (len >= 4 && !memcmp(bytes, "\0\0\xFE\xFF", 4)) { cnv = "UTF-32BE"; skip = 4; }
    else if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE) { cnv = "UTF-16LE"; skip = 2; }
    else if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF) { cnv = "UTF-16BE"; skip = 2; }
    if (cnv) { *charset = cnv; goto convert; }

    size_t sample = len < SAMPLE_BYTES ? len : SAMPLE_BYTES;
    if ((cnv = sniff_utf16(u, sample & ~(size_t)1)) != NULL) {
        /* 16-bit binary data has the same NUL pattern: require text */
        UChar *ubuf = malloc((sample + 16) * sizeof(UChar));
        if (!ubuf) return sou_error_set(err, SOU_ENOMEM, "out of memory detecting the charset");
        uint64_t errs = 0, chars = 0, hangul_pct = 0;
        int64_t sc = score_candidate(cnv, bytes, sample & ~(size_t)1, ubuf, sample + 16, &errs,
                                     &chars, &hangul_pct);
        free(ubuf);
        if (sc != INT64_MIN && errs <= 1 + chars / 50 && sc > -(int64_t)chars / 2) {
            *charset = cnv;
            goto convert;
        }
        cnv = NULL;
    }
    if (looks_binary(u, sample))
        return sou_error_set(err, SOU_EDECODE, "binary file (control bytes in the first %zu bytes)",
                             sample);
    if (inp_utf8_valid(bytes, len)) return 0;
    if (mostly_utf8(bytes, sample)) goto utf8;
    {
        int no_mem = 0;
        cnv = detect_legacy(bytes, sample, &no_mem);
        if (no_mem) return sou_error_set(err, SOU_ENOMEM, "out of memory detecting the charset");
        if (!cnv)
            return sou_error_set(err, SOU_EDECODE,
                                 "unknown charset (not UTF-8, GB18030, Big5 or another "
                                 "charset ICU detects); use --encoding");
        *charset = cnv;
    }

convert: {
        inp_buf b = { 0 };
        int rc = convert_to_utf8(cnv, bytes + skip, len - skip, &b, replaced, err);
        if (rc) { inp_buf_free(&b); return rc; }
        if (b.len > max_bytes) {
            inp_buf_free(&b);
            return sou_error_set(err, SOU_ETOOBIG, "decoded text larger than %zu bytes", max_bytes);
        }
        *owned = b.p;
        *out = b.p ? b.p : "";
        *out_len = b.len;
        return 0;
    }

utf8:
    if (inp_utf8_valid(bytes + skip, len - skip)) {
        *out = bytes + skip;
        *out_len = len - skip;
        return 0;
    }
    {
        inp_buf b = { 0 };
        *replaced = inp_utf8_sanitize(&b, bytes + skip, len - skip);
        if (b.nomem) {
            inp_buf_free(&b);
            return sou_error_set(err, SOU_ENOMEM, "out of memory repairing UTF-8");
        }
        if (b.len > max_bytes) {
            inp_buf_free(&b);
            return sou_error_set(err, SOU_ETOOBIG, "decoded text larger than %zu bytes", max_bytes);
        }
        *owned = b.p;
        *out = b.p ? b.p : "";
        *out_len = b.len;
        return 0;
    }
}
