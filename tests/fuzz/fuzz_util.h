/* fuzz_util.h - checks shared by sou's fuzz targets: UTF-8 validity and
 * character boundaries, and a CHECK that aborts (fuzz targets only: an
 * abort is how libFuzzer and the replay driver notice a broken property).
 */
#ifndef SOU_FUZZ_UTIL_H
#define SOU_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...)                                              \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: property violated: %s: ", __FILE__,    \
                    __LINE__, #cond);                                      \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            abort();                                                       \
        }                                                                  \
    } while (0)

/* Length of the well-formed UTF-8 sequence at s[0..n) (Unicode Table 3-7:
 * no overlongs, no surrogates, <= U+10FFFF), or 0 if it is ill-formed. */
static inline size_t fuzz_utf8_seq(const uint8_t *s, size_t n)
{
    if (n == 0) return 0;
    uint8_t b = s[0];
    if (b < 0x80) return 1;
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) need = 2;
    else if (b == 0xE0) { need = 3; lo = 0xA0; }
    else if (b >= 0xE1 && b <= 0xEC) need = 3;
    else if (b == 0xED) { need = 3; hi = 0x9F; }
    else if (b >= 0xEE && b <= 0xEF) need = 3;
    else if (b == 0xF0) { need = 4; lo = 0x90; }
    else if (b >= 0xF1 && b <= 0xF3) need = 4;
    else if (b == 0xF4) { need = 4; hi = 0x8F; }
    else return 0;
    if (n < need) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return need;
}

static inline int fuzz_utf8_valid(const char *p, size_t n)
{
    const uint8_t *s = (const uint8_t *)p;
    size_t i = 0;
    while (i < n) {
        size_t k = fuzz_utf8_seq(s + i, n - i);
        if (k == 0) return 0;
        i += k;
    }
    return 1;
}

/* inside[i] = 1 when byte offset i falls strictly inside a well-formed
 * multi-byte sequence (an offset there would cut a character in two).
 * Offsets in or around ill-formed bytes are boundaries. Caller frees. */
static inline uint8_t *fuzz_utf8_inside_map(const char *p, size_t n)
{
    const uint8_t *s = (const uint8_t *)p;
    uint8_t *inside = calloc(n + 1, 1);
    if (!inside) abort();
    size_t i = 0;
    while (i < n) {
        size_t k = fuzz_utf8_seq(s + i, n - i);
        if (k == 0) { i++; continue; }
        for (size_t j = 1; j < k; j++) inside[i + j] = 1;
        i += k;
    }
    return inside;
}

/* Decode one code point of well-formed UTF-8 (k from fuzz_utf8_seq). */
static inline uint32_t fuzz_utf8_decode(const uint8_t *s, size_t k)
{
    switch (k) {
    case 1: return s[0];
    case 2: return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    case 3: return ((uint32_t)(s[0] & 0x0F) << 12) |
                   ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    default: return ((uint32_t)(s[0] & 0x07) << 18) |
                    ((uint32_t)(s[1] & 0x3F) << 12) |
                    ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    }
}

#endif
