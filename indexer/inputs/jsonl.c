/* indexer/inputs/jsonl.c - JSON Lines: one JSON object per line, one
 * source document per object.
 *
 * A small iterative JSON scanner (no recursion: nested values are skipped
 * with an explicit bracket stack). Only top-level fields are read: the id
 * field (a string, or a number/true/false kept as its JSON text), the
 * title and text fields (strings; numbers kept as text). A line that does
 * not parse, lacks a text string, or is larger than max_doc_bytes goes to
 * the warn callback with its line number and is skipped; the rest of the
 * file goes on. Blank lines are skipped silently. Invalid UTF-8 inside a
 * line becomes U+FFFD. Strings decode all escapes; \u surrogate pairs
 * combine, lone surrogates become U+FFFD.
 */
#include "inputs_internal.h"

#include <stdio.h>
#include <string.h>

void inp_jsonl_init(inp_jsonl *j, inp_ctx *c)
{
    memset(j, 0, sizeof *j);
    j->c = c;
    j->line = 1;
}

void inp_jsonl_free(inp_jsonl *j)
{
    if (!j) return;
    inp_buf_free(&j->scratch);
    inp_buf_free(&j->idbuf);
    inp_buf_free(&j->clean);
}

/* A parsed value: either a range of the line (no escapes) or of scratch. */
typedef struct jval {
    int present;
    int in_scratch;
    size_t off, len;     /* into the line or into scratch */
} jval;

typedef struct jparse {
    const char *s;
    size_t n, i;
    inp_buf *scratch;
    const char *why;     /* first error */
} jparse;

static void skip_ws(jparse *p)
{
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') break;
        p->i++;
    }
}

static int hex4(const char *s, uint32_t *v)
{
    uint32_t r = 0;
    for (int k = 0; k < 4; k++) {
        char c = s[k];
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return 0;
        r = r << 4 | (uint32_t)d;
    }
    *v = r;
    return 1;
}

/* Parse a string at p->s[p->i] == '"'. decode=0: validate and skip only. */
static int parse_string(jparse *p, int decode, jval *out)
{
    size_t start = ++p->i;
    /* fast scan: no escapes */
    while (p->i < p->n && p->s[p->i] != '"' && p->s[p->i] != '\\') p->i++;
    if (p->i >= p->n) { p->why = "unterminated string"; return -1; }
    if (p->s[p->i] == '"') {
        if (out) { out->present = 1; out->in_scratch = 0; out->off = start; out->len = p->i - start; }
        p->i++;
        return 0;
    }
    size_t soff = p->scratch->len;
    if (decode) inp_buf_append(p->scratch, p->s + start, p->i - start);
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c == '"') break;
        if (c != '\\') {
            size_t run = p->i;
            while (p->i < p->n && p->s[p->i] != '"' && p->s[p->i] != '\\') p->i++;
            if (decode) inp_buf_append(p->scratch, p->s + run, p->i - run);
            continue;
        }
        if (p->i + 1 >= p->n) { p->why = "unterminated string"; return -1; }
        char e = p->s[p->i + 1];
        p->i += 2;
        char lit = 0;
        switch (e) {
        case '"': lit = '"'; break;
        case '\\': lit = '\\'; break;
        case '/': lit = '/'; break;
        case 'b': lit = '\b'; break;
        case 'f': lit = '\f'; break;
        case 'n': lit = '\n'; break;
        case 'r': lit = '\r'; break;
        case 't': lit = '\t'; break;
        case 'u': {
            uint32_t v;
            if (p->i + 4 > p->n || !hex4(p->s + p->i, &v)) { p->why = "bad \\u escape"; return -1; }
            p->i += 4;
            if (v >= 0xD800 && v <= 0xDBFF) {
                uint32_t lo;
                if (p->i + 6 <= p->n && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u' &&
                    hex4(p->s + p->i + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                    p->i += 6;
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                } else {
                    v = 0xFFFD;   /* lone high surrogate */
                }
            } else if (v >= 0xDC00 && v <= 0xDFFF) {
                v = 0xFFFD;       /* lone low surrogate */
            }
            if (decode) inp_buf_put_cp(p->scratch, v);
            continue;
        }
        default:
            p->why = "bad escape in string";
            return -1;
        }
        if (decode) inp_buf_putc(p->scratch, lit);
    }
    if (p->i >= p->n) { p->why = "unterminated string"; return -1; }
    p->i++;   /* closing quote */
    if (out) {
        out->present = 1;
        out->in_scratch = decode;
        out->off = soff;
        out->len = decode ? p->scratch->len - soff : 0;
    }
    return 0;
}

static int is_scalar_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '-' || c == '+' || c == '.';
}

/* A number or literal: returns 1 for null (absent), else 0; -1 on error. */
static int parse_scalar(jparse *p, jval *out)
{
    size_t start = p->i;
    while (p->i < p->n && is_scalar_char(p->s[p->i])) p->i++;
    size_t len = p->i - start;
    if (!len) { p->why = "unexpected character"; return -1; }
    const char *t = p->s + start;
    if (len == 4 && !memcmp(t, "null", 4)) return 1;
    int ok = (len == 4 && !memcmp(t, "true", 4)) || (len == 5 && !memcmp(t, "false", 5));
    if (!ok) {   /* a JSON number */
        size_t k = 0;
        if (t[k] == '-') k++;
        size_t d0 = k;
        while (k < len && t[k] >= '0' && t[k] <= '9') k++;
        ok = k > d0;
        if (ok && k < len && t[k] == '.') {
            size_t f0 = ++k;
            while (k < len && t[k] >= '0' && t[k] <= '9') k++;
            ok = k > f0;
        }
        if (ok && k < len && (t[k] == 'e' || t[k] == 'E')) {
            k++;
            if (k < len && (t[k] == '+' || t[k] == '-')) k++;
            size_t e0 = k;
            while (k < len && t[k] >= '0' && t[k] <= '9') k++;
            ok = k > e0;
        }
        ok = ok && k == len;
    }
    if (!ok) { p->why = "bad number or literal"; return -1; }
    if (out) { out->present = 1; out->in_scratch = 0; out->off = start; out->len = len; }
    return 0;
}

/* Skip a nested object/array without recursion. */
static int skip_nested(jparse *p)
{
    inp_buf stack = { 0 };
    int rc = 0;
    /* expect_value: after '[' ',' ':' a value is due */
    for (;;) {
        skip_ws(p);
        if (p->i >= p->n) { p->why = "unterminated object or array"; rc = -1; break; }
        char c = p->s[p->i];
        if (c == '{' || c == '[') {
            inp_buf_putc(&stack, c == '{' ? '}' : ']');
            if (stack.nomem) { p->why = "out of memory"; rc = -1; break; }
            p->i++;
        } else if (c == '}' || c == ']') {
            if (!stack.len || stack.p[stack.len - 1] != c) { p->why = "mismatched bracket"; rc = -1; break; }
            stack.len--;
            p->i++;
            if (!stack.len) break;
        } else if (c == '"') {
            if (parse_string(p, 0, NULL)) { rc = -1; break; }
        } else if (c == ',' || c == ':') {
            p->i++;
        } else if (parse_scalar(p, NULL) < 0) {
            rc = -1;
            break;
        }
    }
    inp_buf_free(&stack);
    return rc;
}

static int key_is(jparse *p, const jval *k, const char *name)
{
    size_t n = strlen(name);
    const char *ks = k->in_scratch ? p->scratch->p + k->off : p->s + k->off;
    return k->len == n && !memcmp(ks, name, n);
}

/* Parse one object; fills id/title/text. Returns 0 or -1 (p->why). */
static int parse_record(jparse *p, const sou_input_options *o, jval *id, jval *title, jval *text,
                        int *text_not_string)
{
    skip_ws(p);
    if (p->i >= p->n || p->s[p->i] != '{') { p->why = "line is not a JSON object"; return -1; }
    p->i++;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == '}') { p->i++; goto tail; }
    for (;;) {
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != '"') { p->why = "expected a field name"; return -1; }
        jval key = { 0 };
        size_t mark = p->scratch->len;
        if (parse_string(p, 1, &key)) return -1;
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != ':') { p->why = "expected ':'"; return -1; }
        p->i++;
        skip_ws(p);
        jval *dst = NULL;
        if (key_is(p, &key, o->text_field)) dst = text;
        else if (key_is(p, &key, o->id_field)) dst = id;
        else if (key_is(p, &key, o->title_field)) dst = title;
        if (key.in_scratch) p->scratch->len = mark;   /* key no longer needed */
        if (p->i >= p->n) { p->why = "expected a value"; return -1; }
        char c = p->s[p->i];
        if (c == '"') {
            jval v = { 0 };
            if (parse_string(p, dst != NULL, &v)) return -1;
            if (dst) { *dst = v; if (dst == text) *text_not_string = 0; }
        } else if (c == '{' || c == '[') {
            if (skip_nested(p)) return -1;
            if (dst) { dst->present = 0; if (dst == text) *text_not_string = 1; }
        } else {
            jval v = { 0 };
            int r = parse_scalar(p, &v);
            if (r < 0) return -1;
            if (dst) {
                *dst = v;   /* null -> absent; numbers/booleans kept as text */
                if (dst == text) *text_not_string = r == 1;
            }
        }
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') { p->i++; continue; }
        if (p->i < p->n && p->s[p->i] == '}') { p->i++; break; }
        p->why = "expected ',' or '}'";
        return -1;
    }
tail:
    skip_ws(p);
    if (p->i != p->n) { p->why = "text after the object"; return -1; }
    return 0;
}

int inp_jsonl_line(inp_jsonl *j, const char *s, size_t n)
{
    inp_ctx *c = j->c;
    uint64_t lineno = j->line++;
    if (n && s[n - 1] == '\r') n--;
    size_t k = 0;
    while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r')) k++;
    if (k == n) return 0;   /* blank line */
    if (n > c->o->max_doc_bytes) {
        inp_warn(c, lineno, SOU_ETOOBIG, "line %llu: record of %zu bytes exceeds the %zu-byte limit; skipped",
                 (unsigned long long)lineno, n, c->o->max_doc_bytes);
        return 0;
    }
    if (!inp_utf8_valid(s, n)) {
        j->clean.len = 0;
        inp_utf8_sanitize(&j->clean, s, n);
        if (j->clean.nomem) return sou_error_set(c->err, SOU_ENOMEM, "%s: out of memory", c->name);
        s = j->clean.p;
        n = j->clean.len;
    }
    j->scratch.len = 0;
    jparse p = { .s = s, .n = n, .scratch = &j->scratch };
    jval id = { 0 }, title = { 0 }, text = { 0 };
    int text_not_string = 0;
    if (parse_record(&p, c->o, &id, &title, &text, &text_not_string)) {
        if (j->scratch.nomem) return sou_error_set(c->err, SOU_ENOMEM, "%s: out of memory", c->name);
        inp_warn(c, lineno, SOU_EDECODE, "line %llu: broken JSON (%s at column %zu); skipped",
                 (unsigned long long)lineno, p.why ? p.why : "syntax error", p.i + 1);
        return 0;
    }
    if (j->scratch.nomem) return sou_error_set(c->err, SOU_ENOMEM, "%s: out of memory", c->name);
    if (!text.present) {
        inp_warn(c, lineno, SOU_EDECODE, "line %llu: no \"%s\" %s; skipped",
                 (unsigned long long)lineno, c->o->text_field,
                 text_not_string ? "string (the field is not a string)" : "field");
        return 0;
    }
#define JV_PTR(v) ((v).in_scratch ? j->scratch.p + (v).off : s + (v).off)
    j->idbuf.len = 0;
    if (id.present && id.len) {
        inp_buf_append(&j->idbuf, JV_PTR(id), id.len);
    } else {
        char num[32];
        int w = snprintf(num, sizeof num, "#line%llu", (unsigned long long)lineno);
        inp_buf_append(&j->idbuf, c->name, strlen(c->name));
        inp_buf_append(&j->idbuf, num, (size_t)w);
    }
    if (j->idbuf.nomem) return sou_error_set(c->err, SOU_ENOMEM, "%s: out of memory", c->name);
    sou_source_doc d = {
        .id = j->idbuf.p, .id_len = j->idbuf.len,
        .title = title.present ? JV_PTR(title) : "", .title_len = title.present ? title.len : 0,
        .text = JV_PTR(text), .text_len = text.len,
        .line = lineno,
    };
#undef JV_PTR
    return c->cb(c->ctx, &d) ? SOU_ESTOPPED : 0;
}

int inp_jsonl_buffer(inp_jsonl *j, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        int rc = inp_jsonl_line(j, s + i, end - i);
        if (rc) return rc;
        i = end + 1;
    }
    return 0;
}
