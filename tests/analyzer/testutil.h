/* testutil.h - helpers shared by the analyzer tests: collecting terms and
 * reading JSON Lines corpus texts (CHECK and files: tests/support). */
#ifndef SOU_TEST_ANALYZER_UTIL_H
#define SOU_TEST_ANALYZER_UTIL_H

#include "sou/analyzer.h"
#include "sou/error.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tterm {
    char term[80];
    size_t len;
    uint32_t pos;
    size_t start, end;
    sou_term_kind kind;
    unsigned flags;
} tterm;

typedef struct tlist {
    tterm *v;
    size_t n, cap;
} tlist;

static inline int tlist_add(void *ctx, const sou_term *t)
{
    tlist *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) abort();
    }
    tterm *x = &l->v[l->n++];
    memset(x, 0, sizeof *x);
    x->len = t->len < sizeof x->term - 1 ? t->len : sizeof x->term - 1;
    memcpy(x->term, t->term, x->len);
    x->len = t->len; /* keep the real length so an over-long term shows */
    x->pos = t->pos;
    x->start = t->start;
    x->end = t->end;
    x->kind = t->kind;
    x->flags = t->flags;
    return 0;
}

static inline void analyze(sou_analyzer *a, const char *s, size_t n, tlist *out)
{
    out->n = 0;
    int rc = sou_analyzer_run(a, s, n, tlist_add, out);
    if (rc) {
        fprintf(stderr, "sou_analyzer_run: %s\n", sou_strerror(rc));
        exit(1);
    }
}

/* Decode the JSON string value of "text" in one JSON Lines record into a
 * malloc'd buffer (\uXXXX incl. surrogate pairs). NULL if absent. */
static inline char *jsonl_text(const char *line, size_t n, size_t *out_len)
{
    const char *key = "\"text\":";
    const char *p = NULL;
    for (size_t i = 0; i + 7 <= n; i++)
        if (memcmp(line + i, key, 7) == 0) { p = line + i + 7; break; }
    if (!p) return NULL;
    const char *end = line + n;
    while (p < end && *p == ' ') p++;
    if (p >= end || *p != '"') return NULL;
    p++;
    char *o = malloc(n + 1);
    size_t k = 0;
    while (p < end && *p != '"') {
        if (*p != '\\') { o[k++] = *p++; continue; }
        p++;
        if (p >= end) break;
        char c = *p++;
        switch (c) {
        case 'n': o[k++] = '\n'; break;
        case 't': o[k++] = '\t'; break;
        case 'r': o[k++] = '\r'; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'u': {
            unsigned u = 0;
            for (int j = 0; j < 4 && p < end; j++, p++)
                u = u * 16 + (unsigned)(*p <= '9' ? *p - '0' : (*p | 32) - 'a' + 10);
            if (u >= 0xD800 && u < 0xDC00 && p + 6 <= end && p[0] == '\\' && p[1] == 'u') {
                unsigned lo = 0;
                for (int j = 2; j < 6; j++)
                    lo = lo * 16 + (unsigned)(p[j] <= '9' ? p[j] - '0' : (p[j] | 32) - 'a' + 10);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            if (u < 0x80) o[k++] = (char)u;
            else if (u < 0x800) { o[k++] = (char)(0xC0 | u >> 6); o[k++] = (char)(0x80 | (u & 63)); }
            else if (u < 0x10000) { o[k++] = (char)(0xE0 | u >> 12); o[k++] = (char)(0x80 | (u >> 6 & 63)); o[k++] = (char)(0x80 | (u & 63)); }
            else { o[k++] = (char)(0xF0 | u >> 18); o[k++] = (char)(0x80 | (u >> 12 & 63)); o[k++] = (char)(0x80 | (u >> 6 & 63)); o[k++] = (char)(0x80 | (u & 63)); }
            break;
        }
        default: o[k++] = c; break;
        }
    }
    *out_len = k;
    return o;
}

/* Calls fn(ctx, text, len) for each line of a text file, or each record's
 * text of a .jsonl file. */
static inline void for_each_text(const char *path, void (*fn)(void *, const char *, size_t), void *ctx)
{
    size_t n;
    char *b = tl_read_file(path, &n);
    if (!b) {
        fprintf(stderr, "cannot read %s\n", path);
        tl_failures++;
        return;
    }
    size_t pl = strlen(path);
    int jsonl = pl > 6 && strcmp(path + pl - 6, ".jsonl") == 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && b[j] != '\n') j++;
        if (jsonl) {
            size_t tl;
            char *t = jsonl_text(b + i, j - i, &tl);
            if (t) fn(ctx, t, tl);
            free(t);
        } else {
            fn(ctx, b + i, j - i);
        }
        i = j + 1;
    }
    free(b);
}

/* "--optional FILE...": exit code 77 (skipped) when a FILE does not
 * exist yet (the real corpus is built by corpus/build.sh). Strips the flag. */
static inline int skip_missing(int *argc, char ***argv)
{
    if (*argc < 2 || strcmp((*argv)[1], "--optional") != 0) return 0;
    for (int i = 2; i < *argc; i++) {
        FILE *f = fopen((*argv)[i], "rb");
        if (!f) {
            printf("%s does not exist: skipped\n", (*argv)[i]);
            return 1;
        }
        fclose(f);
    }
    (*argv)[1] = (*argv)[0];
    (*argv)++;
    (*argc)--;
    return 0;
}

#endif
