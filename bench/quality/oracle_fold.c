/* bench/quality/oracle_fold.c - the quality oracle's text folding, written
 * straight against ICU and independent of sou's analyzer code.
 *
 * The quality section decides relevance by brute-force substring scans of
 * folded passage text; this program does the folding:
 *   fold  NFKC_Casefold (ICU unorm2) then ICU's "Traditional-Simplified"
 *         transform (utrans) - what "the same text" means for a user;
 *   t2s   the "Traditional-Simplified" transform alone;
 *   s2t   the "Simplified-Traditional" transform alone (to make Traditional
 *         queries from Simplified text).
 * Invalid UTF-8 is read as U+FFFD (u_strFromUTF8WithSub).
 *
 * stdin and stdout carry records "<byte length>\n<bytes>\n" (NUL-safe).
 * usage: bench-oracle-fold fold|t2s|s2t < records > records
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

static UChar *ubuf[2];
static int32_t ucap[2];

static int ensure(int i, int32_t n)
{
    if (n <= ucap[i]) return 0;
    UChar *nb = realloc(ubuf[i], (size_t)n * sizeof(UChar));
    if (!nb) return -1;
    ubuf[i] = nb;
    ucap[i] = n;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "fold") && strcmp(argv[1], "t2s") && strcmp(argv[1], "s2t"))) {
        fprintf(stderr, "usage: bench-oracle-fold fold|t2s|s2t < records > records\n");
        return 2;
    }
    int do_norm = !strcmp(argv[1], "fold");
    const char *tid = strcmp(argv[1], "s2t") ? "Traditional-Simplified" : "Simplified-Traditional";
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
    UChar idbuf[64];
    u_uastrcpy(idbuf, tid);
    UTransliterator *tr = utrans_openU(idbuf, -1, UTRANS_FORWARD, NULL, 0, NULL, &st);
    if (U_FAILURE(st)) {
        fprintf(stderr, "bench-oracle-fold: ICU: %s\n", u_errorName(st));
        return 1;
    }
    char *in = NULL, *out = NULL;
    size_t incap = 0, outcap = 0;
    unsigned long len;
    while (scanf("%lu", &len) == 1) {
        if (getchar() != '\n') goto bad;
        if (len + 1 > incap) {
            incap = len + 1;
            in = realloc(in, incap);
            if (!in) return 1;
        }
        if (fread(in, 1, len, stdin) != len || getchar() != '\n') goto bad;
        int32_t ulen = 0;
        st = U_ZERO_ERROR;
        if (ensure(0, (int32_t)len + 1) < 0) return 1;
        u_strFromUTF8WithSub(ubuf[0], ucap[0], &ulen, in, (int32_t)len, 0xFFFD, NULL, &st);
        if (U_FAILURE(st)) goto icu;
        int cur = 0;
        if (do_norm) {
            st = U_ZERO_ERROR;
            int32_t need = unorm2_normalize(nfkc_cf, ubuf[0], ulen, NULL, 0, &st);
            if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st)) goto icu;
            if (ensure(1, need + 1) < 0) return 1;
            st = U_ZERO_ERROR;
            ulen = unorm2_normalize(nfkc_cf, ubuf[0], ulen, ubuf[1], ucap[1], &st);
            if (U_FAILURE(st)) goto icu;
            cur = 1;
        }
        /* the T<->S transforms map character to character here, but allow growth */
        int32_t limit = ulen, textlen = ulen;
        if (ensure(cur, ulen * 2 + 16) < 0) return 1;
        st = U_ZERO_ERROR;
        utrans_transUChars(tr, ubuf[cur], &textlen, ucap[cur], 0, &limit, &st);
        if (U_FAILURE(st)) goto icu;
        int32_t olen = 0;
        st = U_ZERO_ERROR;
        if ((size_t)textlen * 3 + 1 > outcap) {
            outcap = (size_t)textlen * 3 + 1;
            out = realloc(out, outcap);
            if (!out) return 1;
        }
        u_strToUTF8(out, (int32_t)outcap, &olen, ubuf[cur], textlen, &st);
        if (U_FAILURE(st)) goto icu;
        printf("%d\n", olen);
        fwrite(out, 1, (size_t)olen, stdout);
        putchar('\n');
    }
    if (!feof(stdin)) goto bad;
    utrans_close(tr);
    free(in); free(out); free(ubuf[0]); free(ubuf[1]);
    return 0;
bad:
    fprintf(stderr, "bench-oracle-fold: malformed input record\n");
    return 1;
icu:
    fprintf(stderr, "bench-oracle-fold: ICU: %s\n", u_errorName(st));
    return 1;
}
