/* charprops.h - per-code-point properties the analyzer needs, computed from
 * ICU. Used twice: by the build-time generator (gen_fold_table.c) to fill the
 * BMP table, and at run time for supplementary code points (rare). Keeping one
 * definition guarantees table and fallback agree. Internal header.
 *
 * Layout of a props value (uint16_t):
 *   bits 0-4  Word_Break property (UWordBreakValues, 0..22)
 *   SOU_CP_BB       NFKC_Casefold has a boundary before the code point
 *   SOU_CP_FAST     the fast segmenter may handle it (see analyzer.c)
 *   SOU_CP_SEP      hard separator: ICU breaks before and after it in any
 *                   context and it never starts/ends a word
 *   SOU_CP_CJK      Han, kana or Hangul: one position per character
 *   SOU_CP_CJKFAST  Han/Hiragana with Word_Break=Other: ICU joins it with no
 *                   non-CJK neighbour, so a run of them can be cut out of the
 *                   text and segmented alone
 *   SOU_CP_ALNUM    makes a segment a word (letter, digit, kana, ideograph)
 */
#ifndef SOU_CHARPROPS_H
#define SOU_CHARPROPS_H

#include <stdint.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/unorm2.h>

enum {
    SOU_CP_WB_MASK = 0x1f,
    SOU_CP_BB = 1u << 5,
    SOU_CP_FAST = 1u << 6,
    SOU_CP_SEP = 1u << 7,
    SOU_CP_CJK = 1u << 8,
    SOU_CP_CJKFAST = 1u << 9,
    SOU_CP_ALNUM = 1u << 10
};

static inline uint16_t sou_charprops_compute(UChar32 c, const UNormalizer2 *nfkc_cf)
{
    int wb = u_getIntPropertyValue(c, UCHAR_WORD_BREAK);
    UErrorCode st = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript(c, &st);
    if (U_FAILURE(st)) sc = USCRIPT_UNKNOWN;
    int lb = u_getIntPropertyValue(c, UCHAR_LINE_BREAK);
    int cjk = sc == USCRIPT_HAN || sc == USCRIPT_HIRAGANA || sc == USCRIPT_KATAKANA ||
              sc == USCRIPT_HANGUL || u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC) ||
              wb == U_WB_KATAKANA;
    int complex = lb == U_LB_COMPLEX_CONTEXT;
    int hangul_syllable = c >= 0xAC00 && c <= 0xD7A3;
    int emoji = c >= 0x80 && (u_hasBinaryProperty(c, UCHAR_EMOJI) ||
                              u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC) ||
                              u_hasBinaryProperty(c, UCHAR_EMOJI_MODIFIER) ||
                              u_hasBinaryProperty(c, UCHAR_EMOJI_MODIFIER_BASE));
    unsigned p = (unsigned)wb & SOU_CP_WB_MASK;
    if (unorm2_hasBoundaryBefore(nfkc_cf, c)) p |= SOU_CP_BB;
    if (cjk) p |= SOU_CP_CJK;
    if (c < 0x10000 && !cjk && !complex && !hangul_syllable && !emoji &&
        !(c >= 0xD800 && c <= 0xDFFF)) {
        switch (wb) {
        case U_WB_ALETTER: case U_WB_NUMERIC: case U_WB_MIDLETTER: case U_WB_MIDNUM:
        case U_WB_MIDNUMLET: case U_WB_SINGLE_QUOTE: case U_WB_EXTENDNUMLET:
            p |= SOU_CP_FAST;
            break;
        case U_WB_OTHER: case U_WB_WSEGSPACE: case U_WB_CR: case U_WB_LF:
        case U_WB_NEWLINE: case U_WB_DOUBLE_QUOTE:
            p |= SOU_CP_FAST | SOU_CP_SEP;
            break;
        default:
            break;
        }
    }
    if (c < 0x10000 && wb == U_WB_OTHER && (sc == USCRIPT_HAN || sc == USCRIPT_HIRAGANA))
        p |= SOU_CP_CJKFAST;
    if (wb == U_WB_ALETTER || wb == U_WB_HEBREW_LETTER || wb == U_WB_NUMERIC ||
        wb == U_WB_KATAKANA || cjk || (complex && wb != U_WB_EXTEND && wb != U_WB_FORMAT))
        p |= SOU_CP_ALNUM;
    return (uint16_t)p;
}

#endif
