/* indexer/inputs/util.c - growable buffer, strict UTF-8 validation and
 * U+FFFD repair (maximal subparts, as Unicode recommends), warnings. */
#include "inputs_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int inp_buf_reserve(inp_buf *b, size_t extra)
{
    if (b->nomem) return SOU_ENOMEM;
    if (extra <= b->cap - b->len) return 0;
    size_t need = b->len + extra;
    if (need < b->len) { b->nomem = 1; return SOU_ENOMEM; }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        size_t next = cap + cap / 2;       /* 1.5x keeps a 200 MB doc's peak low */
        if (next <= cap) { cap = need; break; }
        cap = next;
    }
    char *p = realloc(b->p, cap);
    if (!p) { b->nomem = 1; return SOU_ENOMEM; }
    b->p = p;
    b->cap = cap;
    return 0;
}

void inp_buf_append(inp_buf *b, const char *s, size_t n)
{
    if (n == 0 || inp_buf_reserve(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void inp_buf_putc(inp_buf *b, char c)
{
    if (inp_buf_reserve(b, 1)) return;
    b->p[b->len++] = c;
}

void inp_buf_put_cp(inp_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp < 0x80) { u[0] = (char)cp; n = 1; }
    else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3F)); n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    inp_buf_append(b, u, n);
}

void inp_buf_free(inp_buf *b)
{
    if (!b) return;
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Length of the valid sequence at s (1..4), or -(length of the maximal
 * invalid subpart) (at least 1). */
static int utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    int need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) lo = 0xA0;
        else if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) lo = 0x90;
        else if (c == 0xF4) hi = 0x8F;
    } else return -1;
    for (int i = 1; i <= need; i++) {
        if ((size_t)i >= n) return -i;
        unsigned t = s[i];
        if (t < lo || t > hi) return -i;
        lo = 0x80; hi = 0xBF;
    }
    return need + 1;
}

int inp_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* fast path over ASCII, 8 bytes at a time */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if (w & 0x8080808080808080ULL) break;
            i += 8;
        }
        if (i >= n) break;
        if (u[i] < 0x80) { i++; continue; }
        int k = utf8_seq(u + i, n - i);
        if (k < 0) return 0;
        i += (size_t)k;
    }
    return 1;
}

uint64_t inp_utf8_sanitize(inp_buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    uint64_t bad = 0;
    size_t i = 0, run = 0;
    if (inp_buf_reserve(b, n)) return 0;
    while (i < n) {
        if (u[i] < 0x80) { i++; continue; }
        int k = utf8_seq(u + i, n - i);
        if (k > 0) { i += (size_t)k; continue; }
        inp_buf_append(b, s + run, i - run);
        inp_buf_append(b, "\xEF\xBF\xBD", 3);
        bad++;
        i += (size_t)(-k);
        run = i;
    }
    inp_buf_append(b, s + run, n - run);
    return bad;
}

void inp_warn(const inp_ctx *c, uint64_t line, int code, const char *fmt, ...)
{
    if (!c || !c->warn) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->warn(c->ctx, c->name, line, code, msg);
}
