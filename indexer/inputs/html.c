/* indexer/inputs/html.c - HTML to paragraph text, without a DOM.
 *
 * A single forward scan with a few flags and no element stack, so
 * unclosed tags and 100,000 nested elements cost nothing extra and
 * nothing recurses. Tags are stripped; block elements (p, div, li, td,
 * br, h1-h6, table rows, sections ...) end a paragraph, written as a
 * blank line ("\n\n"); other whitespace collapses to one space except
 * inside <pre>, which keeps its line breaks. script/style/noscript/
 * template contents and comments are dropped. Entities: numeric and the
 * common named ones. The title is <title>, else the first non-empty
 * <h1>/<h2>. Malformed markup degrades to text: a '<' that does not start
 * a complete tag is kept as a character.
 */
#include "inputs_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TITLE_MAX 4096   /* bytes kept of a title; longer titles are cut */

enum {
    K_INLINE = 0,
    K_BLOCK = 1,     /* ends a paragraph */
    K_SKIP = 2,      /* contents dropped up to the matching end tag */
    K_TITLE = 3,
    K_HEAD12 = 4,    /* h1/h2: block + title candidate */
    K_PRE = 5,       /* block + whitespace kept */
};

typedef struct tag_kind { const char *name; int kind; } tag_kind;

/* sorted for bsearch */
static const tag_kind tag_kinds[] = {
    {"address", K_BLOCK}, {"article", K_BLOCK}, {"aside", K_BLOCK},
    {"blockquote", K_BLOCK}, {"body", K_BLOCK}, {"br", K_BLOCK},
    {"caption", K_BLOCK}, {"center", K_BLOCK}, {"dd", K_BLOCK},
    {"details", K_BLOCK}, {"dialog", K_BLOCK}, {"dir", K_BLOCK},
    {"div", K_BLOCK}, {"dl", K_BLOCK}, {"dt", K_BLOCK},
    {"fieldset", K_BLOCK}, {"figcaption", K_BLOCK}, {"figure", K_BLOCK},
    {"footer", K_BLOCK}, {"form", K_BLOCK}, {"frame", K_BLOCK},
    {"frameset", K_BLOCK}, {"h1", K_HEAD12}, {"h2", K_HEAD12},
    {"h3", K_BLOCK}, {"h4", K_BLOCK}, {"h5", K_BLOCK}, {"h6", K_BLOCK},
    {"head", K_BLOCK}, {"header", K_BLOCK}, {"hgroup", K_BLOCK},
    {"hr", K_BLOCK}, {"html", K_BLOCK}, {"iframe", K_BLOCK},
    {"legend", K_BLOCK}, {"li", K_BLOCK}, {"listing", K_PRE},
    {"main", K_BLOCK}, {"menu", K_BLOCK}, {"nav", K_BLOCK},
    {"noframes", K_BLOCK}, {"noscript", K_SKIP}, {"ol", K_BLOCK},
    {"optgroup", K_BLOCK}, {"option", K_BLOCK}, {"p", K_BLOCK},
    {"plaintext", K_PRE}, {"pre", K_PRE}, {"script", K_SKIP},
    {"section", K_BLOCK}, {"style", K_SKIP}, {"summary", K_BLOCK},
    {"svg", K_SKIP}, {"table", K_BLOCK}, {"tbody", K_BLOCK},
    {"td", K_BLOCK}, {"template", K_SKIP}, {"textarea", K_BLOCK},
    {"tfoot", K_BLOCK}, {"th", K_BLOCK}, {"thead", K_BLOCK},
    {"title", K_TITLE}, {"tr", K_BLOCK}, {"ul", K_BLOCK}, {"xmp", K_PRE},
};

static int cmp_tag(const void *k, const void *e)
{
    return strcmp((const char *)k, ((const tag_kind *)e)->name);
}

static int tag_kind_of(const char *lname)
{
    const tag_kind *t = bsearch(lname, tag_kinds, sizeof tag_kinds / sizeof tag_kinds[0],
                                sizeof tag_kinds[0], cmp_tag);
    return t ? t->kind : K_INLINE;
}

typedef struct entity { const char *name; uint32_t cp; } entity;

/* sorted for bsearch (strcmp order: uppercase before lowercase) */
static const entity entities[] = {
    {"AElig", 0xC6}, {"Aacute", 0xC1}, {"Agrave", 0xC0}, {"Auml", 0xC4},
    {"Ccedil", 0xC7}, {"Eacute", 0xC9}, {"Ntilde", 0xD1}, {"Oacute", 0xD3},
    {"Ouml", 0xD6}, {"Uuml", 0xDC},
    {"aacute", 0xE1}, {"acirc", 0xE2}, {"aelig", 0xE6}, {"agrave", 0xE0},
    {"amp", '&'}, {"apos", '\''}, {"aring", 0xE5}, {"auml", 0xE4},
    {"bull", 0x2022}, {"ccedil", 0xE7}, {"cent", 0xA2}, {"copy", 0xA9},
    {"darr", 0x2193}, {"deg", 0xB0}, {"divide", 0xF7}, {"eacute", 0xE9},
    {"ecirc", 0xEA}, {"egrave", 0xE8}, {"emsp", 0x2003}, {"ensp", 0x2002},
    {"euml", 0xEB}, {"euro", 0x20AC}, {"gt", '>'}, {"hellip", 0x2026},
    {"iacute", 0xED}, {"iexcl", 0xA1}, {"iquest", 0xBF}, {"larr", 0x2190},
    {"laquo", 0xAB}, {"ldquo", 0x201C}, {"lsaquo", 0x2039}, {"lsquo", 0x2018},
    {"lt", '<'}, {"mdash", 0x2014}, {"middot", 0xB7}, {"nbsp", ' '},
    {"ndash", 0x2013}, {"ntilde", 0xF1}, {"oacute", 0xF3}, {"ocirc", 0xF4},
    {"ouml", 0xF6}, {"para", 0xB6}, {"plusmn", 0xB1}, {"pound", 0xA3},
    {"quot", '"'}, {"raquo", 0xBB}, {"rarr", 0x2192}, {"rdquo", 0x201D},
    {"reg", 0xAE}, {"rsaquo", 0x203A}, {"rsquo", 0x2019}, {"sect", 0xA7},
    {"shy", 0xAD}, {"szlig", 0xDF}, {"thinsp", 0x2009}, {"times", 0xD7},
    {"trade", 0x2122}, {"uacute", 0xFA}, {"uarr", 0x2191}, {"uuml", 0xFC},
    {"yen", 0xA5}, {"zwj", 0x200D}, {"zwnj", 0x200C},
};

static int cmp_entity(const void *k, const void *e)
{
    return strcmp((const char *)k, ((const entity *)e)->name);
}

/* HTML maps numeric references 0x80..0x9F as windows-1252. */
static const uint16_t cp1252_c1[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
    0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

/* Decode an entity at s[0]=='&'. Returns bytes consumed (0: not an
 * entity, emit '&' literally) and sets *cp. */
static size_t decode_entity(const char *s, size_t n, uint32_t *cp)
{
    size_t i = 1;
    if (i < n && s[i] == '#') {
        i++;
        int hex = 0;
        if (i < n && (s[i] == 'x' || s[i] == 'X')) { hex = 1; i++; }
        size_t digits = 0;
        uint32_t v = 0;
        while (i < n) {
            char c = s[i];
            int d;
            if (c >= '0' && c <= '9') d = c - '0';
            else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
            else break;
            if (v <= 0x10FFFF) v = v * (hex ? 16 : 10) + (uint32_t)d;
            digits++;
            i++;
        }
        if (!digits) return 0;
        if (i < n && s[i] == ';') i++;
        if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) v = 0xFFFD;
        else if (v >= 0x80 && v <= 0x9F) v = cp1252_c1[v - 0x80];
        *cp = v;
        return i;
    }
    char name[12];
    size_t k = 0;
    while (i < n && k < sizeof name - 1 &&
           ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
            (s[i] >= '0' && s[i] <= '9')))
        name[k++] = s[i++];
    if (!k) return 0;
    name[k] = '\0';
    const entity *e = bsearch(name, entities, sizeof entities / sizeof entities[0],
                              sizeof entities[0], cmp_entity);
    if (!e) return 0;
    if (i < n && s[i] == ';') i++;
    *cp = e->cp;
    return i;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* case-insensitive search of a short ASCII needle */
static const char *find_ci(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    if (m == 0 || n < m) return NULL;
    char first = needle[0];
    for (size_t i = 0; i + m <= n; i++) {
        char c = s[i];
        if ((c | 0x20) != first) continue;
        if (strncasecmp(s + i, needle, m) == 0) return s + i;
    }
    return NULL;
}

static const char *find_str(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    if (n < m) return NULL;
    for (size_t i = 0; i + m <= n; i++)
        if (s[i] == needle[0] && memcmp(s + i, needle, m) == 0) return s + i;
    return NULL;
}

typedef struct html_out {
    inp_buf *text;
    int pending_break, pending_space;
    int pre;                 /* inside <pre>: depth, saturating */
    int capturing;           /* collecting the first h1/h2 as title */
    size_t cap_start;        /* SIZE_MAX until its first character */
    int have_title;
    inp_buf *title;
} html_out;

static void flush_pending(html_out *h)
{
    inp_buf *t = h->text;
    if (h->pending_break) {
        while (t->len && t->p[t->len - 1] == ' ') t->len--;
        if (t->len) inp_buf_append(t, "\n\n", 2);
        h->pending_break = 0;
        h->pending_space = 0;
    } else if (h->pending_space) {
        if (t->len && t->p[t->len - 1] != '\n') inp_buf_putc(t, ' ');
        h->pending_space = 0;
    }
    if (h->capturing && h->cap_start == SIZE_MAX) h->cap_start = t->len;
}

static void put_text(html_out *h, const char *s, size_t n)
{
    if (!n) return;
    flush_pending(h);
    inp_buf_append(h->text, s, n);
}

static void set_title(inp_buf *title, const char *s, size_t n)
{
    /* collapse whitespace, trim, cut at TITLE_MAX on a character boundary */
    title->len = 0;
    int space = 0;
    for (size_t i = 0; i < n && title->len < TITLE_MAX; i++) {
        if (is_ws(s[i])) { space = 1; continue; }
        if (space && title->len) inp_buf_putc(title, ' ');
        space = 0;
        inp_buf_putc(title, s[i]);
    }
    while (title->len && ((unsigned char)title->p[title->len - 1] & 0xC0) == 0x80 &&
           title->len >= TITLE_MAX) {
        /* drop a cut multi-byte tail */
        size_t k = title->len;
        while (k && ((unsigned char)title->p[k - 1] & 0xC0) == 0x80) k--;
        if (k) k--;
        title->len = k;
    }
}

static void end_capture(html_out *h)
{
    if (!h->capturing) return;
    h->capturing = 0;
    if (h->have_title || h->cap_start == SIZE_MAX) return;
    set_title(h->title, h->text->p + h->cap_start, h->text->len - h->cap_start);
    if (h->title->len) h->have_title = 1;
}

/* Text between tags, with entities and whitespace handling. */
static void put_chars(html_out *h, const char *s, size_t n, int entities_on)
{
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        if (h->pre) {
            while (i < n && (s[i] != '&' || !entities_on)) i++;
        } else {
            while (i < n && !is_ws(s[i]) && (s[i] != '&' || !entities_on)) i++;
        }
        put_text(h, s + run, i - run);
        if (i >= n) break;
        if (s[i] == '&') {
            uint32_t cp;
            size_t k = decode_entity(s + i, n - i, &cp);
            if (!k) { put_text(h, "&", 1); i++; continue; }
            i += k;
            if (cp == 0xAD) continue;   /* soft hyphen: invisible */
            if (cp == ' ' && !h->pre) { h->pending_space = 1; continue; }
            inp_buf tmp = { 0 };
            char u[4];
            tmp.p = u; tmp.cap = sizeof u;   /* fits: one code point */
            inp_buf_put_cp(&tmp, cp);
            put_text(h, u, tmp.len);
            continue;
        }
        while (i < n && is_ws(s[i])) i++;     /* not in pre here */
        h->pending_space = 1;
    }
}

int inp_html_extract(const char *s, size_t n, inp_buf *text, inp_buf *title,
                     const inp_ctx *warn_to)
{
    html_out h = { .text = text, .title = title, .cap_start = SIZE_MAX };
    size_t i = 0;
    int title_tag_seen = 0;
    while (i < n) {
        const char *lt = memchr(s + i, '<', n - i);
        size_t end = lt ? (size_t)(lt - s) : n;
        put_chars(&h, s + i, end - i, 1);
        i = end;
        if (i >= n) break;

        /* s[i] == '<' */
        size_t rest = n - i;
        const char *p = s + i;
        if (rest >= 4 && !memcmp(p, "<!--", 4)) {
            size_t j = 4;
            if (rest > 4 && p[4] == '>') { i += 5; continue; }
            if (rest > 5 && p[4] == '-' && p[5] == '>') { i += 6; continue; }
            const char *e = find_str(p + 4, rest - 4, "-->");
            if (!e) {
                inp_warn(warn_to, 0, SOU_EDECODE,
                         "unclosed HTML comment at byte %zu: rest of the file ignored", i);
                break;
            }
            (void)j;
            i = (size_t)(e - s) + 3;
            continue;
        }
        if (rest >= 9 && !memcmp(p, "<![CDATA[", 9)) {
            const char *e = find_str(p + 9, rest - 9, "]]>");
            size_t stop = e ? (size_t)(e - s) : n;
            put_chars(&h, p + 9, stop - (i + 9), 0);
            i = e ? stop + 3 : n;
            continue;
        }
        if (rest >= 2 && (p[1] == '!' || p[1] == '?')) {
            const char *gt = memchr(p, '>', rest);
            if (!gt) { put_chars(&h, p, 1, 0); i++; continue; }
            i = (size_t)(gt - s) + 1;
            continue;
        }
        int closing = rest >= 2 && p[1] == '/';
        size_t nstart = closing ? 2 : 1;
        if (nstart >= rest || !is_alpha(p[nstart])) {   /* not a tag: literal '<' */
            put_chars(&h, p, 1, 0);
            i++;
            continue;
        }
        char lname[16];
        size_t k = 0, j = nstart;
        int toolong = 0;
        while (j < rest && (is_alpha(p[j]) || (p[j] >= '0' && p[j] <= '9') || p[j] == '-' ||
                            p[j] == ':' || p[j] == '_')) {
            if (k < sizeof lname - 1) lname[k++] = (char)(p[j] | 0x20);
            else toolong = 1;
            j++;
        }
        lname[k] = '\0';
        /* find the tag's '>' honouring quoted attribute values; a quote
         * left open to the end of the file falls back to the first '>' */
        size_t q = j;
        char quote = 0;
        while (q < rest) {
            char c = p[q];
            if (quote) { if (c == quote) quote = 0; }
            else if (c == '"' || c == '\'') quote = c;
            else if (c == '>') break;
            q++;
        }
        if (q >= rest) {
            const char *gt = memchr(p + j, '>', rest - j);
            if (!gt) { put_chars(&h, p, 1, 0); i++; continue; }   /* no '>' at all */
            q = (size_t)(gt - p);
        }
        i += q + 1;
        int kind = toolong ? K_INLINE : tag_kind_of(lname);
        if (kind == K_INLINE) continue;
        if (kind == K_SKIP && !closing) {
            char endtag[20];
            endtag[0] = '<'; endtag[1] = '/';
            memcpy(endtag + 2, lname, k + 1);
            const char *e = find_ci(s + i, n - i, endtag);
            if (!e) {
                inp_warn(warn_to, 0, SOU_EDECODE,
                         "unclosed <%s> at byte %zu: rest of the file ignored", lname,
                         (size_t)(p - s));
                break;
            }
            const char *gt = memchr(e, '>', (size_t)(s + n - e));
            i = gt ? (size_t)(gt - s) + 1 : n;
            continue;
        }
        if (kind == K_SKIP) continue;   /* stray end tag */
        if (kind == K_TITLE) {
            if (closing) continue;
            const char *e = find_ci(s + i, n - i, "</title");
            size_t stop;
            if (e) stop = (size_t)(e - s);
            else {   /* unclosed: the title runs to the next tag */
                const char *nl = memchr(s + i, '<', n - i);
                stop = nl ? (size_t)(nl - s) : n;
            }
            if (!title_tag_seen) {
                /* decode entities into a scratch buffer, then normalize */
                inp_buf raw = { 0 };
                html_out th = { .text = &raw, .cap_start = SIZE_MAX };
                put_chars(&th, s + i, stop - i, 1);
                if (raw.nomem) { inp_buf_free(&raw); return SOU_ENOMEM; }
                inp_buf tt = { 0 };
                set_title(&tt, raw.p ? raw.p : "", raw.len);
                if (tt.len && !h.have_title) {
                    /* <title> wins over a heading captured before it */
                    title->len = 0;
                    inp_buf_append(title, tt.p, tt.len);
                    h.have_title = 1;
                    h.capturing = 0;
                } else if (tt.len) {
                    title->len = 0;
                    inp_buf_append(title, tt.p, tt.len);
                }
                title_tag_seen = tt.len > 0;
                inp_buf_free(&tt);
                inp_buf_free(&raw);
            }
            if (e) {
                const char *gt = memchr(e, '>', (size_t)(s + n - e));
                i = gt ? (size_t)(gt - s) + 1 : n;
            } else {
                i = stop;
            }
            continue;
        }
        /* block-level: ends the paragraph (and a heading title capture) */
        end_capture(&h);
        h.pending_break = 1;
        if (kind == K_PRE) {
            if (!closing) { if (h.pre < 1 << 20) h.pre++; }
            else if (h.pre) h.pre--;
        }
        if (kind == K_HEAD12 && !closing && !h.have_title) {
            h.capturing = 1;
            h.cap_start = SIZE_MAX;
        }
    }
    end_capture(&h);
    while (text->len && (text->p[text->len - 1] == ' ' || text->p[text->len - 1] == '\n'))
        text->len--;
    if (text->nomem || title->nomem) return SOU_ENOMEM;
    return 0;
}
