/* indexer/inputs/textfmt.c - plain text and Markdown documents.
 *
 * Both keep the decoded text byte for byte (so passage byte ranges also
 * index the file when it was UTF-8), and only choose a title:
 *  - Markdown: YAML front matter "title:", else the first ATX heading
 *    ("# Title #") or setext heading ("Title\n====="), outside fenced
 *    code blocks. Markup (#, *, list markers) stays in the text: the
 *    analyzer skips punctuation anyway, and snippets then show the source.
 *  - Text (and Markdown without a heading): the first non-blank line when
 *    it is short (at most TITLE_LINE_MAX code points), else no title.
 */
#include "inputs_internal.h"

#include <string.h>

#define TITLE_LINE_MAX 100

typedef struct line { const char *p; size_t n; } line;

static int next_line(const char *s, size_t len, size_t *pos, line *out)
{
    if (*pos >= len) return 0;
    const char *start = s + *pos;
    const char *nl = memchr(start, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - start) : len - *pos;
    *pos += n + (nl ? 1 : 0);
    if (n && start[n - 1] == '\r') n--;
    out->p = start;
    out->n = n;
    return 1;
}

static void trim(line *l)
{
    while (l->n && (l->p[0] == ' ' || l->p[0] == '\t')) { l->p++; l->n--; }
    while (l->n && (l->p[l->n - 1] == ' ' || l->p[l->n - 1] == '\t' || l->p[l->n - 1] == '\r'))
        l->n--;
}

static size_t count_cp(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static line first_short_line(const char *s, size_t len)
{
    size_t pos = 0;
    line l, none = { "", 0 };
    while (next_line(s, len, &pos, &l)) {
        trim(&l);
        if (!l.n) continue;
        return count_cp(l.p, l.n) <= TITLE_LINE_MAX ? l : none;
    }
    return none;
}

static int emit(inp_ctx *c, const char *text, size_t len, line title)
{
    sou_source_doc d = {
        .id = c->name, .id_len = strlen(c->name),
        .title = title.p, .title_len = title.n,
        .text = text, .text_len = len, .line = 0,
    };
    return c->cb(c->ctx, &d) ? SOU_ESTOPPED : 0;
}

int inp_read_text(inp_ctx *c, const char *text, size_t len)
{
    return emit(c, text, len, first_short_line(text, len));
}

static int all_of(line l, char ch)
{
    if (!l.n) return 0;
    for (size_t i = 0; i < l.n; i++)
        if (l.p[i] != ch) return 0;
    return 1;
}

static line markdown_title(const char *s, size_t len)
{
    size_t pos = 0;
    line l, prev = { NULL, 0 }, none = { "", 0 };
    /* front matter */
    if (next_line(s, len, &pos, &l) && l.n == 3 && !memcmp(l.p, "---", 3)) {
        while (next_line(s, len, &pos, &l)) {
            if ((l.n == 3 && !memcmp(l.p, "---", 3)) || (l.n == 3 && !memcmp(l.p, "...", 3)))
                break;
            if (l.n > 6 && !memcmp(l.p, "title:", 6)) {
                line t = { l.p + 6, l.n - 6 };
                trim(&t);
                if (t.n >= 2 && (t.p[0] == '"' || t.p[0] == '\'') && t.p[t.n - 1] == t.p[0]) {
                    t.p++;
                    t.n -= 2;
                }
                if (t.n) return t;
            }
        }
    } else {
        pos = 0;
    }
    int fence = 0;
    char fence_ch = 0;
    while (next_line(s, len, &pos, &l)) {
        line t = l;
        trim(&t);
        if (t.n >= 3 && (t.p[0] == '`' || t.p[0] == '~') && t.p[1] == t.p[0] && t.p[2] == t.p[0]) {
            if (!fence) { fence = 1; fence_ch = t.p[0]; }
            else if (t.p[0] == fence_ch) fence = 0;
            prev.p = NULL;
            continue;
        }
        if (fence) continue;
        if (t.n && t.p[0] == '#') {
            size_t h = 0;
            while (h < t.n && t.p[h] == '#') h++;
            if (h <= 6 && (h == t.n || t.p[h] == ' ' || t.p[h] == '\t')) {
                line title = { t.p + h, t.n - h };
                trim(&title);
                while (title.n && title.p[title.n - 1] == '#') title.n--;   /* closing #s */
                trim(&title);
                if (title.n) return title;
            }
        }
        if (prev.p && prev.n && (all_of(t, '=') || (all_of(t, '-') && t.n >= 2)) &&
            l.p[0] != ' ')
            return prev;
        prev = t;
    }
    return none;
}

int inp_read_markdown(inp_ctx *c, const char *text, size_t len)
{
    line t = markdown_title(text, len);
    if (!t.n) t = first_short_line(text, len);
    return emit(c, text, len, t);
}

int inp_read_html(inp_ctx *c, const char *html, size_t len)
{
    inp_buf text = { 0 }, title = { 0 };
    int rc = inp_html_extract(html, len, &text, &title, c);
    if (rc) {
        inp_buf_free(&text);
        inp_buf_free(&title);
        return sou_error_set(c->err, rc, "%s: out of memory extracting HTML text", c->name);
    }
    line t = { title.p ? title.p : "", title.len };
    rc = emit(c, text.p ? text.p : "", text.len, t);
    inp_buf_free(&text);
    inp_buf_free(&title);
    return rc;
}
