/* indexer/inputs/inputs_internal.h - private helpers shared by the input
 * readers: a growable byte buffer, UTF-8 helpers, and the per-format
 * extractors (charset decoding, HTML, Markdown/text titles, JSON Lines). */
#ifndef SOU_INPUTS_INTERNAL_H
#define SOU_INPUTS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "input.h"

/* Growable byte buffer; nomem is sticky so a chain of appends is checked once. */
typedef struct inp_buf {
    char *p;
    size_t len, cap;
    int nomem;
} inp_buf;

int inp_buf_reserve(inp_buf *b, size_t extra);
void inp_buf_append(inp_buf *b, const char *s, size_t n);
void inp_buf_putc(inp_buf *b, char c);
void inp_buf_put_cp(inp_buf *b, uint32_t cp);   /* UTF-8 encode */
void inp_buf_free(inp_buf *b);

/* Reader context passed to the format extractors. */
typedef struct inp_ctx {
    const char *name;            /* path or "-" (never NULL) */
    const sou_input_options *o;  /* filled in (no NULL fields) */
    sou_source_doc_cb cb;
    sou_input_warn_cb warn;
    void *ctx;
    sou_error *err;
} inp_ctx;

void inp_warn(const inp_ctx *c, uint64_t line, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Charset decoding (decode.c). On success *out points either into bytes
 * (already valid UTF-8, BOM skipped) or into *owned (caller frees).
 * *replaced counts invalid sequences replaced with U+FFFD; *charset names
 * what was used (static string). Returns 0, SOU_EDECODE (binary file,
 * unknown --encoding), SOU_ENOMEM, SOU_ETOOBIG. */
int inp_decode(const char *bytes, size_t len, const char *encoding,
               size_t max_bytes, const char **out, size_t *out_len,
               char **owned, uint64_t *replaced, const char **charset,
               sou_error *err);

/* 1 if [s, s+n) is valid UTF-8 (NUL allowed). */
int inp_utf8_valid(const char *s, size_t n);
/* Copy s to b replacing each maximal invalid subpart with U+FFFD;
 * returns the number of replacements. */
uint64_t inp_utf8_sanitize(inp_buf *b, const char *s, size_t n);

/* Format extractors: text is decoded UTF-8. They call c->cb once (HTML,
 * Markdown, text) or per record (JSONL). Return 0 / SOU_E*. */
int inp_read_text(inp_ctx *c, const char *text, size_t len);
int inp_read_markdown(inp_ctx *c, const char *text, size_t len);
int inp_read_html(inp_ctx *c, const char *text, size_t len);

/* HTML to paragraph text (exposed for tests through inp_read_html). */
int inp_html_extract(const char *html, size_t len, inp_buf *text,
                     inp_buf *title, const inp_ctx *warn_to);

/* JSON Lines: a line splitter over chunks so big files stream. */
typedef struct inp_jsonl {
    inp_ctx *c;
    uint64_t line;       /* number of the next line to start */
    inp_buf scratch;     /* decoded strings */
    inp_buf idbuf;       /* id text or "path#lineN" */
    inp_buf clean;       /* a line with invalid UTF-8 replaced */
} inp_jsonl;

void inp_jsonl_init(inp_jsonl *j, inp_ctx *c);
void inp_jsonl_free(inp_jsonl *j);
/* Process one complete line (without its '\n'); bumps j->line. */
int inp_jsonl_line(inp_jsonl *j, const char *s, size_t n);
/* Process every line of an in-memory buffer. */
int inp_jsonl_buffer(inp_jsonl *j, const char *s, size_t n);

#endif
