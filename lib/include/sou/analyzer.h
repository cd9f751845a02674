/* sou/analyzer.h - the one token stream for index and query.
 *
 * An analyzer turns UTF-8 text (pointer + length; NUL bytes are ordinary
 * separators, the text need not be NUL-terminated) into terms delivered to a
 * callback, each with a position and the byte range it came from in the
 * ORIGINAL input. Pipeline (see README "Analysis"):
 *
 *   1. decode UTF-8; an invalid sequence is read as U+FFFD (one per maximal
 *      invalid subpart, as ICU/WHATWG do) and never stops the stream;
 *   2. NFKC case fold (full-width "ＵＳＢ" -> "usb"), then Traditional ->
 *      Simplified folding of Han characters (table generated at build time
 *      from ICU's "Traditional-Simplified" transform);
 *   3. segmentation. Latin/digit words (UAX#29 word rules, as ICU's word
 *      break iterator) become WORD/NUMBER terms, one position each, plus a
 *      Snowball STEM term ("Z" + stem) at the same position when the stem
 *      option is on. CJK runs (Han, Hiragana, Katakana, Hangul) get one
 *      position per character:
 *        - CJK_BIGRAM: every overlapping pair, at its first char's position;
 *        - CJK_UNIGRAM: every character (so a 1-char query finds it);
 *        - CJK_JOIN: a CJK char directly followed by a Latin/digit word, or
 *          a word directly followed by a CJK char (no separator between),
 *          as one term "跑gen" / "gen后" at the first unit's position; so a
 *          query "重跑gen" is exact: phrase(重跑, 跑gen);
 *        - CJK_WORD: ICU dictionary words of 3+ chars, at their first char's
 *          position (1-2 char words already are unigrams/bigrams).
 *
 * Positions start at 0 and never decrease. Terms flagged SOU_TERM_POSITIONAL
 * are what phrase matching needs; others (stems, CJK words, unigrams inside
 * runs of 2+ chars) only add weight and are indexed without positions.
 * With cjk_bigrams off every unigram is positional (and there are no joins).
 *
 * Details: segmentation runs on the FOLDED text (so ＵＳＢ, 網絡 and 网络
 * segment alike); a word is an ICU word segment (CJK characters taken out)
 * holding at least one letter or digit, so "__" or "." alone are no terms.
 * ICU 72 tailors UAX#29: '@' is a letter ("user@host" is one word), ':' is
 * not MidLetter. NUMBER = only digits and , . ' between them. A code point
 * that folds to several (ﬁ -> fi) gives folded characters that all carry
 * its byte range; an invalid UTF-8 sequence is one character (U+FFFD).
 *
 * Limits (documented, never a crash, never a dropped rest of document):
 * a Latin/digit word longer than SOU_MAX_TERM_BYTES after folding is emitted
 * truncated at a UTF-8 boundary to that length (kind unchanged, offsets
 * cover the whole original word), and is not stemmed and gets no CJK_JOIN.
 * CJK_WORD and CJK_JOIN terms are truncated the same way. Stems are at most
 * SOU_MAX_TERM_BYTES + 1 bytes ("Z" included). A normalization sequence of
 * more than 32 code points without a boundary (e.g. a base and 1,000
 * combining marks) is normalized in 32-code-point pieces, as the Unicode
 * Stream-Safe Text Format does, to bound ICU's work.
 *
 * Threads: a handle holds scratch buffers and ICU iterators; use one handle
 * per thread. Two handles share nothing mutable.
 */
#ifndef SOU_ANALYZER_H
#define SOU_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SOU_MAX_TERM_BYTES 64

typedef enum sou_term_kind {
    SOU_TERM_WORD = 1,   /* Latin (or other alphabetic script) word */
    SOU_TERM_NUMBER,     /* word made of digits (and , . between digits) */
    SOU_TERM_STEM,       /* "Z" + Snowball stem of a WORD */
    SOU_TERM_CJK_UNIGRAM,
    SOU_TERM_CJK_BIGRAM,
    SOU_TERM_CJK_JOIN,
    SOU_TERM_CJK_WORD
} sou_term_kind;

/* Name used in JSON output: "word", "number", "stem", "cjk_unigram",
 * "cjk_bigram", "cjk_join", "cjk_word". Static string. */
const char *sou_term_kind_name(sou_term_kind kind);

enum { SOU_TERM_POSITIONAL = 1 };

typedef struct sou_term {
    const char *term;   /* folded term bytes, valid only during the callback */
    size_t len;
    uint32_t pos;       /* position */
    size_t start, end;  /* byte range in the original input, [start, end) */
    sou_term_kind kind;
    unsigned flags;     /* SOU_TERM_POSITIONAL */
} sou_term;

/* Called once per term, in non-decreasing position order. Return 0 to go
 * on; any other value stops analysis and sou_analyzer_run returns
 * SOU_ESTOPPED. */
typedef int (*sou_term_cb)(void *ctx, const sou_term *term);

typedef struct sou_analyzer_options {
    int stem;                   /* add Z-prefixed stems (default 1) */
    const char *stem_language;  /* Snowball name (default "english") */
    int fold_traditional;       /* Traditional -> Simplified (default 1) */
    int cjk_bigrams;            /* bigrams + joins (default 1); off: unigrams only */
    int cjk_words;              /* ICU dictionary words (default 1) */
} sou_analyzer_options;

typedef struct sou_analyzer sou_analyzer;

/* Fill opts with the defaults above. */
void sou_analyzer_options_default(sou_analyzer_options *opts);

/* Create a handle. opts may be NULL for defaults. stem_language is copied.
 * Returns 0, SOU_EINVAL (unknown stem language), SOU_ENOMEM, or
 * SOU_EINTERNAL (ICU failed to open its data). */
int sou_analyzer_new(const sou_analyzer_options *opts, sou_analyzer **out);

/* Free a handle; accepts NULL. */
void sou_analyzer_free(sou_analyzer *a);

/* Analyze text[0..len). Returns 0, SOU_ESTOPPED, or SOU_ENOMEM. */
int sou_analyzer_run(sou_analyzer *a, const char *text, size_t len,
                     sou_term_cb cb, void *ctx);

/* The analysis identity stored in every index, e.g.
 * "sou-analyzer/1 icu/72.1 unicode/15.0 stem=english t2s=1 bigram=1 words=1".
 * Owned by the handle, valid until sou_analyzer_free. */
const char *sou_analyzer_identity(const sou_analyzer *a);

/* ICU's Traditional->Simplified transform converts some words differently
 * from the character-level fold the analyzer uses (螢幕 -> 荧幕, yet
 * 螢 -> 萤): the index holds 萤幕 and the query 荧幕 would miss it. Pair i
 * is {the Traditional word folded per character, ICU's Simplified word
 * folded}, both UTF-8 ("萤幕", "荧幕"); the searcher tries one for the other.
 * Returns the number of pairs; *pairs points to static data. */
size_t sou_analyzer_word_pairs(const char *const (**pairs)[2]);

/* 1 if the folded code point c is a CJK character: it gets a position of
 * its own, and a CJK_BIGRAM links it with a CJK neighbour. */
int sou_analyzer_is_cjk(const sou_analyzer *a, uint32_t c);

/* 1 if text[0..len) holds the folded string s[0..n) (whole characters)
 * unchanged, at a place where folding leaves it as it is: then the
 * folded text holds it too. 0 says only that this quick look did not find
 * it (Traditional or full-width text, a combining mark after it): fold the
 * text to know. */
int sou_analyzer_holds_as_folded(const sou_analyzer *a, const char *text, size_t len,
                                 const char *s, size_t n);

/* Fold text the way the analyzer does (NFKC case fold + T2S, invalid UTF-8
 * as U+FFFD) into a malloc'd NUL-terminated string the caller frees.
 * Used by snippets and tests; returns NULL on allocation failure. */
char *sou_analyzer_fold(sou_analyzer *a, const char *text, size_t len,
                        size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
