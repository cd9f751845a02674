/* parse.c - the query language: text -> syntax tree (sou_qast).
 *
 * Lexing cuts the text into tokens: '(' ')', quoted phrases ("..." or
 * “...”), the uppercase keywords OR AND NOT, '-' '+' glued to what follows,
 * field prefixes title: source:, and chunks (whitespace-delimited; a '('
 * inside a chunk belongs to it, as in gpm(8)). Parsing is recursive descent
 * whose only recursion is through parentheses, capped at
 * SOU_QUERY_MAX_DEPTH levels, so no query can exhaust the C stack.
 * Words are not analyzed here: query/build.c does that per unit.
 */
#include "search_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum tok_kind {
    TK_END, TK_LP, TK_RP, TK_OR, TK_AND, TK_NOT, TK_MINUS, TK_PLUS,
    TK_FIELD, TK_WORD, TK_PHRASE
} tok_kind;

typedef struct token {
    tok_kind kind;
    size_t off, len;     /* text of WORD/PHRASE; else the token's bytes */
    int field;           /* TK_FIELD, and TK_WORD of a source: value */
    int wildcard;
} token;

typedef struct parser {
    const char *text; size_t len;
    token *toks; size_t ntoks, cap;
    size_t at;
    sou_qast *ast;
    sou_error *err;
    size_t col_i, col_n;   /* a point of the column scan: byte col_i is column col_n */
} parser;

/* Same as sou_utf8_column, but resumes the scan where the last call ended:
 * columns are asked for at increasing offsets (every node has one), and
 * scanning from the start each time made a 100,000-word query quadratic. */
static size_t col(parser *p, size_t off)
{
    if (p->col_n == 0 || off < p->col_i) { p->col_i = 0; p->col_n = 1; }
    while (p->col_i < off && p->col_i < p->len) {
        p->col_i += sou_utf8_seqlen(p->text, p->len, p->col_i);
        p->col_n++;
    }
    return p->col_n;
}

/* Bytes of whitespace at s[i] (0 if none): ASCII space/controls, NUL,
 * NBSP U+00A0, ideographic space U+3000. */
static size_t space_at(const char *s, size_t len, size_t i)
{
    unsigned char c = (unsigned char)s[i];
    if (c == ' ' || (c >= '\t' && c <= '\r') || c == 0) return 1;
    if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] == 0xA0) return 2;
    if (c == 0xE3 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
        (unsigned char)s[i + 2] == 0x80)
        return 3;
    return 0;
}

static int is_open_quote(const char *s, size_t len, size_t i, size_t *qlen)
{
    if (s[i] == '"') { *qlen = 1; return 1; }
    if (i + 2 < len && (unsigned char)s[i] == 0xE2 &&
        (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0x9C) {
        *qlen = 3;   /* “ */
        return 1;
    }
    return 0;
}

static int is_close_quote(const char *s, size_t len, size_t i, size_t *qlen)
{
    if (s[i] == '"') { *qlen = 1; return 1; }
    if (i + 2 < len && (unsigned char)s[i] == 0xE2 &&
        (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0x9D) {
        *qlen = 3;   /* ” */
        return 1;
    }
    return 0;
}

static int push(parser *p, tok_kind k, size_t off, size_t len, int field,
                int wildcard)
{
    if (p->ntoks == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 32;
        token *t = realloc(p->toks, cap * sizeof *t);
        if (!t) return sou_error_set(p->err, SOU_ENOMEM, "out of memory");
        p->toks = t;
        p->cap = cap;
    }
    p->toks[p->ntoks++] = (token){k, off, len, field, wildcard};
    return 0;
}

/* End of a chunk starting at i: whitespace, a quote, or a ')' that closes
 * nothing opened inside the chunk. */
static size_t chunk_end(const char *s, size_t len, size_t i)
{
    size_t depth = 0, q;
    while (i < len && !space_at(s, len, i) && !is_open_quote(s, len, i, &q) &&
           !is_close_quote(s, len, i, &q)) {
        if (s[i] == '(') depth++;
        else if (s[i] == ')') {
            if (depth == 0) break;
            depth--;
        }
        i += sou_utf8_seqlen(s, len, i);
    }
    return i;
}

static int field_prefix(const char *s, size_t n, int *field)
{
    if (n == 6 && strncasecmp(s, "title:", 6) == 0) { *field = SOU_QF_TITLE; return 1; }
    if (n == 7 && strncasecmp(s, "source:", 7) == 0) { *field = SOU_QF_SOURCE; return 1; }
    return 0;
}

static int lex(parser *p, int lenient)
{
    const char *s = p->text;
    size_t len = p->len, i = 0, w, q;
    int rc;
    while (i < len) {
        if ((w = space_at(s, len, i))) { i += w; continue; }
        if (lenient) {
            size_t e = i;
            while (e < len && !space_at(s, len, e)) e += sou_utf8_seqlen(s, len, e);
            if ((rc = push(p, TK_WORD, i, e - i, 0, 0))) return rc;
            i = e;
            continue;
        }
        if (s[i] == '(') { if ((rc = push(p, TK_LP, i, 1, 0, 0))) return rc; i++; continue; }
        if (s[i] == ')') { if ((rc = push(p, TK_RP, i, 1, 0, 0))) return rc; i++; continue; }
        if (is_open_quote(s, len, i, &q) || is_close_quote(s, len, i, &q)) {
            size_t j = i + q, cq = 0;
            while (j < len && !is_close_quote(s, len, j, &cq)) j += sou_utf8_seqlen(s, len, j);
            if (j >= len)
                return sou_error_set(p->err, SOU_EQUERY,
                                     "unterminated quote at column %zu", col(p, i));
            if ((rc = push(p, TK_PHRASE, i + q, j - (i + q), 0, 0))) return rc;
            i = j + cq;
            continue;
        }
        if (s[i] == '-' || s[i] == '+') {
            if (i + 1 >= len || space_at(s, len, i + 1) || s[i + 1] == ')')
                return sou_error_set(p->err, SOU_EQUERY,
                                     "dangling operator '%c' at column %zu (nothing after it)",
                                     s[i], col(p, i));
            if ((rc = push(p, s[i] == '-' ? TK_MINUS : TK_PLUS, i, 1, 0, 0))) return rc;
            i++;
            continue;
        }
        size_t e = chunk_end(s, len, i);
        const char *colon = memchr(s + i, ':', e - i);
        int field;
        if (colon && field_prefix(s + i, (size_t)(colon - (s + i)) + 1, &field)) {
            size_t v = (size_t)(colon - s) + 1;
            if (v >= len || space_at(s, len, v) || s[v] == ')')
                return sou_error_set(p->err, SOU_EQUERY,
                                     "field '%.*s' at column %zu has nothing after it",
                                     (int)(v - i), s + i, col(p, i));
            if ((rc = push(p, TK_FIELD, i, v - i, field, 0))) return rc;
            if (field == SOU_QF_SOURCE) {   /* raw value up to whitespace */
                size_t ve = v;
                while (ve < len && !space_at(s, len, ve) && s[ve] != ')')
                    ve += sou_utf8_seqlen(s, len, ve);
                if ((rc = push(p, TK_WORD, v, ve - v, SOU_QF_SOURCE, 0))) return rc;
                i = ve;
            } else {
                i = v;
            }
            continue;
        }
        size_t n = e - i;
        if (n == 2 && memcmp(s + i, "OR", 2) == 0) rc = push(p, TK_OR, i, n, 0, 0);
        else if (n == 3 && memcmp(s + i, "AND", 3) == 0) rc = push(p, TK_AND, i, n, 0, 0);
        else if (n == 3 && memcmp(s + i, "NOT", 3) == 0) rc = push(p, TK_NOT, i, n, 0, 0);
        else {
            int wild = 0;
            while (n > 1 && s[i + n - 1] == '*') { n--; wild = 1; }
            rc = push(p, TK_WORD, i, n, 0, wild);
        }
        if (rc) return rc;
        i = e;
    }
    return push(p, TK_END, len, 0, 0, 0);
}

static sou_qnode *node_new(parser *p, sou_qnode_kind kind, size_t off)
{
    sou_qnode *n = calloc(1, sizeof *n);
    if (!n) {
        sou_error_set(p->err, SOU_ENOMEM, "out of memory");
        return NULL;
    }
    n->kind = kind;
    n->column = col(p, off);
    n->next_alloc = p->ast->allocs;
    p->ast->allocs = n;
    return n;
}

static int add_kid(parser *p, sou_qnode *parent, sou_qnode *kid)
{
    if (parent->nkids == parent->capkids) {
        size_t cap = parent->capkids ? parent->capkids * 2 : 4;
        sou_qnode **k = realloc(parent->kids, cap * sizeof *k);
        if (!k) return sou_error_set(p->err, SOU_ENOMEM, "out of memory");
        parent->kids = k;
        parent->capkids = cap;
    }
    parent->kids[parent->nkids++] = kid;
    return 0;
}

static const char *tok_name(tok_kind k)
{
    switch (k) {
    case TK_OR: return "OR";
    case TK_AND: return "AND";
    case TK_NOT: return "NOT";
    case TK_MINUS: return "'-'";
    case TK_PLUS: return "'+'";
    default: return "operator";
    }
}

static int ends_operand(tok_kind k)
{
    return k == TK_END || k == TK_RP || k == TK_OR || k == TK_AND;
}

static sou_qnode *parse_or(parser *p, size_t depth);

/* [NOT|-|+]* [field:] (group | phrase | word). Modifiers are consumed in a
 * loop: "- - - x" is no recursion. */
static sou_qnode *parse_unary(parser *p, size_t depth)
{
    int negated = 0, field = SOU_QF_NONE;
    token *t = &p->toks[p->at];
    while (t->kind == TK_NOT || t->kind == TK_MINUS || t->kind == TK_PLUS) {
        token *op = t;
        if (op->kind != TK_PLUS) negated = !negated;
        p->at++;
        t = &p->toks[p->at];
        if (ends_operand(t->kind)) {
            sou_error_set(p->err, SOU_EQUERY,
                          "dangling operator %s at column %zu (nothing after it)",
                          tok_name(op->kind), col(p, op->off));
            return NULL;
        }
    }
    if (t->kind == TK_FIELD) {
        field = t->field;
        p->at++;
        t = &p->toks[p->at];
    }
    sou_qnode *n = NULL;
    if (t->kind == TK_LP) {
        size_t open = t->off;
        if (depth + 1 > SOU_QUERY_MAX_DEPTH) {
            sou_error_set(p->err, SOU_EQUERY,
                          "parentheses nested deeper than %d levels at column %zu",
                          SOU_QUERY_MAX_DEPTH, col(p, open));
            return NULL;
        }
        p->at++;
        if (p->toks[p->at].kind == TK_RP) {
            sou_error_set(p->err, SOU_EQUERY, "empty parentheses at column %zu",
                          col(p, open));
            return NULL;
        }
        n = parse_or(p, depth + 1);
        if (!n) return NULL;
        if (p->toks[p->at].kind != TK_RP) {
            sou_error_set(p->err, SOU_EQUERY,
                          "unbalanced parenthesis: '(' at column %zu is never closed",
                          col(p, open));
            return NULL;
        }
        p->at++;
    } else if (t->kind == TK_WORD || t->kind == TK_PHRASE) {
        n = node_new(p, t->kind == TK_WORD ? SOU_QN_UNIT : SOU_QN_PHRASE, t->off);
        if (!n) return NULL;
        n->text = p->text + t->off;
        n->len = t->len;
        n->wildcard = t->wildcard;
        p->at++;
    } else {
        sou_error_set(p->err, SOU_EQUERY, "unexpected %s at column %zu",
                      tok_name(t->kind), col(p, t->off));
        return NULL;
    }
    if (negated) n->negated = !n->negated;   /* "must not match" */
    if (field != SOU_QF_NONE) {
        if (n->field != SOU_QF_NONE && n->field != field) {
            sou_error_set(p->err, SOU_EQUERY,
                          "conflicting field prefixes at column %zu", n->column);
            return NULL;
        }
        n->field = field;
    }
    return n;
}

/* operand ([AND] operand)* up to OR, ')' or the end. */
static sou_qnode *parse_and(parser *p, size_t depth)
{
    token *first = &p->toks[p->at];
    sou_qnode *group = node_new(p, SOU_QN_AND, first->off);
    if (!group) return NULL;
    for (;;) {
        token *t = &p->toks[p->at];
        if (t->kind == TK_END || t->kind == TK_RP || t->kind == TK_OR) break;
        if (t->kind == TK_AND) {
            if (group->nkids == 0) {
                sou_error_set(p->err, SOU_EQUERY,
                              "dangling operator AND at column %zu (nothing before it)",
                              col(p, t->off));
                return NULL;
            }
            p->at++;
            if (ends_operand(p->toks[p->at].kind)) {
                sou_error_set(p->err, SOU_EQUERY,
                              "dangling operator AND at column %zu (nothing after it)",
                              col(p, t->off));
                return NULL;
            }
            continue;
        }
        sou_qnode *kid = parse_unary(p, depth);
        if (!kid || add_kid(p, group, kid)) return NULL;
    }
    return group;
}

static sou_qnode *parse_or(parser *p, size_t depth)
{
    token *first = &p->toks[p->at];
    if (first->kind == TK_OR) {
        sou_error_set(p->err, SOU_EQUERY,
                      "dangling operator OR at column %zu (nothing before it)",
                      col(p, first->off));
        return NULL;
    }
    sou_qnode *left = parse_and(p, depth);
    if (!left) return NULL;
    if (p->toks[p->at].kind != TK_OR) return left;
    sou_qnode *any = node_new(p, SOU_QN_OR, first->off);
    if (!any || add_kid(p, any, left)) return NULL;
    while (p->toks[p->at].kind == TK_OR) {
        token *op = &p->toks[p->at];
        p->at++;
        if (ends_operand(p->toks[p->at].kind)) {
            sou_error_set(p->err, SOU_EQUERY,
                          "dangling operator OR at column %zu (nothing after it)",
                          col(p, op->off));
            return NULL;
        }
        if (any->nkids >= SOU_QUERY_MAX_OR_TERMS) {
            sou_error_set(p->err, SOU_EQUERY,
                          "more than %d alternatives ORed together at column %zu",
                          SOU_QUERY_MAX_OR_TERMS, col(p, op->off));
            return NULL;
        }
        sou_qnode *right = parse_and(p, depth);
        if (!right || add_kid(p, any, right)) return NULL;
    }
    return any;
}

void sou_qast_free(sou_qast *ast)
{
    if (!ast) return;
    sou_qnode *n = ast->allocs;
    while (n) {
        sou_qnode *next = n->next_alloc;
        free(n->kids);
        free(n);
        n = next;
    }
    ast->allocs = NULL;
    ast->root = NULL;
}

int sou_qast_parse(const char *text, size_t len, unsigned flags,
                   sou_qast *out, sou_error *err)
{
    parser p = {0};
    sou_error local = {0};   /* so the code is known even when err is NULL */
    int rc;
    p.text = text ? text : "";
    p.len = text ? len : 0;
    p.ast = out;
    p.err = &local;
    out->root = NULL;
    out->allocs = NULL;
    if ((rc = lex(&p, (flags & SOU_QUERY_LENIENT) != 0))) goto fail;
    sou_qnode *root = parse_or(&p, 0);
    if (!root) {
        rc = local.code ? local.code : SOU_ENOMEM;
        goto fail;
    }
    if (p.toks[p.at].kind == TK_RP) {
        rc = sou_error_set(&local, SOU_EQUERY,
                           "unbalanced parenthesis: ')' at column %zu has no '('",
                           col(&p, p.toks[p.at].off));
        goto fail;
    }
    out->root = root;
    free(p.toks);
    return 0;
fail:
    free(p.toks);
    sou_qast_free(out);
    if (err) *err = local;
    return rc;
}
