/* analyze_cmd.c - `sou-index analyze`: prints the analyzer's terms as JSON
 * Lines so users can see why a passage did or did not match. */
#include "analyze_cmd.h"

#include "sou/analyzer.h"
#include "sou/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_json_string(FILE *f, const char *s, size_t n)
{
    putc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            putc('\\', f);
            putc(c, f);
        } else if (c < 0x20) {
            fprintf(f, "\\u%04x", c);
        } else {
            putc(c, f);
        }
    }
    putc('"', f);
}

static int print_term(void *ctx, const sou_term *t)
{
    FILE *f = ctx;
    fputs("{\"term\":", f);
    put_json_string(f, t->term, t->len);
    fprintf(f, ",\"pos\":%u,\"start\":%zu,\"end\":%zu,\"kind\":\"%s\"}\n", (unsigned)t->pos,
            t->start, t->end, sou_term_kind_name(t->kind));
    return 0;
}

static char *read_all(FILE *in, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    for (;;) {
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, in);
        n += r;
        if (r == 0) break;
    }
    if (ferror(in)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int sou_index_analyze_main(int argc, char **argv)
{
    sou_analyzer_options opts;
    sou_analyzer_options_default(&opts);
    int i = 1, show_identity = 0;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "--no-stem") == 0) {
            opts.stem = 0;
        } else if (strcmp(argv[i], "--no-t2s") == 0) {
            opts.fold_traditional = 0;
        } else if (strcmp(argv[i], "--no-bigrams") == 0) {
            opts.cjk_bigrams = 0;
        } else if (strcmp(argv[i], "--no-words") == 0) {
            opts.cjk_words = 0;
        } else if (strcmp(argv[i], "--identity") == 0) {
            show_identity = 1;
        } else {
            fprintf(stderr,
                    "usage: sou-index analyze [--no-stem] [--no-t2s] [--no-bigrams] "
                    "[--no-words] [--identity] [--] [TEXT...]\n");
            return 2;
        }
    }
    sou_analyzer *a;
    int rc = sou_analyzer_new(&opts, &a);
    if (rc) {
        fprintf(stderr, "sou-index analyze: %s\n", sou_strerror(rc));
        return 1;
    }
    if (show_identity) {
        printf("%s\n", sou_analyzer_identity(a));
        sou_analyzer_free(a);
        return 0;
    }
    char *text;
    size_t len = 0;
    if (i < argc) {
        for (int j = i; j < argc; j++) len += strlen(argv[j]) + 1;
        text = malloc(len);
        if (text) {
            len = 0;
            for (int j = i; j < argc; j++) {
                if (j > i) text[len++] = ' ';
                size_t l = strlen(argv[j]);
                memcpy(text + len, argv[j], l);
                len += l;
            }
        }
    } else {
        text = read_all(stdin, &len);
    }
    if (!text) {
        fprintf(stderr, "sou-index analyze: cannot read input\n");
        sou_analyzer_free(a);
        return 1;
    }
    rc = sou_analyzer_run(a, text, len, print_term, stdout);
    free(text);
    sou_analyzer_free(a);
    if (rc) {
        fprintf(stderr, "sou-index analyze: %s\n", sou_strerror(rc));
        return 1;
    }
    if (fflush(stdout) != 0) return 1;
    return 0;
}
