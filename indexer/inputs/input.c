/* indexer/inputs/input.c - the public entry points: formats, options,
 * reading a path (file or stdin) or a buffer and handing documents to the
 * callback. Plain files are read whole (a 200 MB document costs its size
 * plus the decoded copy, if any); JSON Lines files that are UTF-8 stream
 * through a chunk buffer, so a many-gigabyte dump needs only
 * max_doc_bytes of memory at most. */
#include "inputs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <unicode/ucnv.h>

int sou_format_parse(const char *name, sou_format *out)
{
    static const struct { const char *n; sou_format f; } names[] = {
        {"auto", SOU_FORMAT_AUTO}, {"text", SOU_FORMAT_TEXT}, {"txt", SOU_FORMAT_TEXT},
        {"plain", SOU_FORMAT_TEXT}, {"markdown", SOU_FORMAT_MARKDOWN}, {"md", SOU_FORMAT_MARKDOWN},
        {"html", SOU_FORMAT_HTML}, {"htm", SOU_FORMAT_HTML}, {"jsonl", SOU_FORMAT_JSONL},
        {"ndjson", SOU_FORMAT_JSONL}, {"json", SOU_FORMAT_JSONL},
    };
    if (!name || !out) return SOU_EINVAL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcasecmp(name, names[i].n)) { *out = names[i].f; return 0; }
    return SOU_EINVAL;
}

sou_format sou_format_from_path(const char *path)
{
    static const struct { const char *ext; sou_format f; } exts[] = {
        {"md", SOU_FORMAT_MARKDOWN}, {"markdown", SOU_FORMAT_MARKDOWN}, {"mdown", SOU_FORMAT_MARKDOWN},
        {"mkd", SOU_FORMAT_MARKDOWN}, {"html", SOU_FORMAT_HTML}, {"htm", SOU_FORMAT_HTML},
        {"xhtml", SOU_FORMAT_HTML}, {"shtml", SOU_FORMAT_HTML}, {"jsonl", SOU_FORMAT_JSONL},
        {"ndjson", SOU_FORMAT_JSONL}, {"jsonlines", SOU_FORMAT_JSONL},
    };
    if (!path) return SOU_FORMAT_TEXT;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base) return SOU_FORMAT_TEXT;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (!strcasecmp(dot + 1, exts[i].ext)) return exts[i].f;
    return SOU_FORMAT_TEXT;
}

void sou_input_options_default(sou_input_options *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->format = SOU_FORMAT_AUTO;
    o->id_field = "id";
    o->title_field = "title";
    o->text_field = "text";
    o->max_doc_bytes = SOU_MAX_DOC_BYTES_DEFAULT;
}

static void fill_options(sou_input_options *dst, const sou_input_options *o)
{
    sou_input_options_default(dst);
    if (!o) return;
    dst->format = o->format;
    dst->encoding = o->encoding;
    if (o->id_field && *o->id_field) dst->id_field = o->id_field;
    if (o->title_field && *o->title_field) dst->title_field = o->title_field;
    if (o->text_field && *o->text_field) dst->text_field = o->text_field;
    if (o->max_doc_bytes) dst->max_doc_bytes = o->max_doc_bytes;
}

/* <meta charset=...> or http-equiv content="...; charset=..." in the first
 * 4 KiB of an HTML file, mapped the way browsers do (GB2312/GBK read as
 * GB18030, their superset). Used only when the file is not valid UTF-8:
 * pages that say gb2312 but are UTF-8 are common. NULL if none or unknown. */
static const char *html_meta_charset(const char *s, size_t n, char *buf, size_t bufsz)
{
    size_t lim = n < 4096 ? n : 4096;
    static const char key[] = "charset=";
    for (size_t i = 0; i + sizeof key - 1 < lim; i++) {
        if (strncasecmp(s + i, key, sizeof key - 1)) continue;
        size_t j = i + sizeof key - 1, k = 0;
        while (j < lim && (s[j] == '"' || s[j] == '\'' || s[j] == ' ')) j++;
        while (j < lim && k + 1 < bufsz &&
               ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
                (s[j] >= '0' && s[j] <= '9') || s[j] == '-' || s[j] == '_'))
            buf[k++] = s[j++];
        buf[k] = '\0';
        if (!k) continue;
        if (!strcasecmp(buf, "gb2312") || !strcasecmp(buf, "gbk") || !strcasecmp(buf, "x-gbk") ||
            !strcasecmp(buf, "euc-cn") || !strcasecmp(buf, "cp936"))
            return "GB18030";
        if (!strcasecmp(buf, "big5") || !strcasecmp(buf, "big5-hkscs") || !strcasecmp(buf, "cp950"))
            return "Big5";
        UErrorCode st = U_ZERO_ERROR;
        UConverter *cv = ucnv_open(buf, &st);
        if (U_FAILURE(st)) return NULL;
        ucnv_close(cv);
        return buf;
    }
    return NULL;
}

static int dispatch(inp_ctx *c, sou_format f, const char *bytes, size_t len)
{
    const char *text;
    size_t tlen;
    char *owned = NULL;
    uint64_t replaced = 0;
    const char *charset;
    int rc;
    if (len == 0) return 0;   /* an empty file holds no document */
    if (f == SOU_FORMAT_JSONL && (!c->o->encoding || !strcasecmp(c->o->encoding, "UTF-8") ||
                                  !strcasecmp(c->o->encoding, "UTF8")) &&
        !(len >= 2 && ((bytes[0] == '\xFF' && bytes[1] == '\xFE') ||
                       (bytes[0] == '\xFE' && bytes[1] == '\xFF') || (!bytes[0] && !bytes[1])))) {
        /* JSON is UTF-8 by definition: no detection; each line is repaired */
        if (len >= 3 && !memcmp(bytes, "\xEF\xBB\xBF", 3)) { bytes += 3; len -= 3; }
        inp_jsonl j;
        inp_jsonl_init(&j, c);
        rc = inp_jsonl_buffer(&j, bytes, len);
        inp_jsonl_free(&j);
        goto out;
    }
    const char *encoding = c->o->encoding;
    char meta[48];
    if (!encoding && f == SOU_FORMAT_HTML && !inp_utf8_valid(bytes, len))
        encoding = html_meta_charset(bytes, len, meta, sizeof meta);
    if (encoding && (!strcasecmp(encoding, "UTF-8") || !strcasecmp(encoding, "UTF8")) &&
        !c->o->encoding)
        encoding = NULL;   /* a page that says UTF-8 but is not: detect */
    rc = inp_decode(bytes, len, encoding, c->o->max_doc_bytes, &text, &tlen, &owned,
                        &replaced, &charset, c->err);
    if (rc) {
        if (c->err && c->err->code == rc) {
            char tmp[sizeof c->err->msg];
            memcpy(tmp, c->err->msg, sizeof tmp);
            sou_error_set(c->err, rc, "%s: %s", c->name, tmp);
        }
        return rc;
    }
    if (replaced)
        inp_warn(c, 0, SOU_EDECODE,
                 "%llu invalid or truncated %s sequence(s) replaced with U+FFFD",
                 (unsigned long long)replaced, charset);
    switch (f) {
    case SOU_FORMAT_HTML: rc = inp_read_html(c, text, tlen); break;
    case SOU_FORMAT_MARKDOWN: rc = inp_read_markdown(c, text, tlen); break;
    case SOU_FORMAT_JSONL: {
        inp_jsonl j;
        inp_jsonl_init(&j, c);
        rc = inp_jsonl_buffer(&j, text, tlen);
        inp_jsonl_free(&j);
        break;
    }
    default: rc = inp_read_text(c, text, tlen); break;
    }
    free(owned);
out:
    if (rc == SOU_ESTOPPED && c->err && c->err->code != SOU_ESTOPPED)
        sou_error_set(c->err, rc, "%s: stopped by the callback", c->name);
    return rc;
}

int sou_input_read_buffer(const char *name, const char *bytes, size_t len,
                          const sou_input_options *o, sou_source_doc_cb cb,
                          sou_input_warn_cb warn, void *ctx, sou_error *err)
{
    sou_input_options opt;
    fill_options(&opt, o);
    if (!cb || (!bytes && len)) return sou_error_set(err, SOU_EINVAL, "no callback or no bytes");
    inp_ctx c = { .name = name ? name : "-", .o = &opt, .cb = cb, .warn = warn, .ctx = ctx,
                  .err = err };
    sou_format f = opt.format != SOU_FORMAT_AUTO ? opt.format
                   : name ? sou_format_from_path(name) : SOU_FORMAT_TEXT;
    if (f != SOU_FORMAT_JSONL && len > opt.max_doc_bytes)
        return sou_error_set(err, SOU_ETOOBIG, "%s: %zu bytes exceeds the %zu-byte document limit",
                             c.name, len, opt.max_doc_bytes);
    return dispatch(&c, f, bytes, len);
}

static int errno_rc(int e)
{
    return e == ENOENT || e == ENOTDIR ? SOU_ENOTFOUND : e == ENOMEM ? SOU_ENOMEM : -e;
}

/* Read everything from fd; limit: fail with SOU_ETOOBIG beyond it. */
static int read_all(int fd, size_t limit, size_t size_hint, inp_buf *b, const char *name,
                    sou_error *err)
{
    if (size_hint && inp_buf_reserve(b, size_hint + 1))
        return sou_error_set(err, SOU_ENOMEM, "%s: out of memory reading %zu bytes", name, size_hint);
    for (;;) {
        if (b->cap - b->len < 65536 && inp_buf_reserve(b, 65536))
            return sou_error_set(err, SOU_ENOMEM, "%s: out of memory reading", name);
        ssize_t r = read(fd, b->p + b->len, b->cap - b->len);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            return sou_error_set(err, errno_rc(e), "%s: read failed: %s", name, strerror(e));
        }
        if (r == 0) return 0;
        b->len += (size_t)r;
        if (b->len > limit)
            return sou_error_set(err, SOU_ETOOBIG, "%s: larger than the %zu-byte document limit",
                                 name, limit);
    }
}

/* JSON Lines from a file descriptor, a chunk at a time. */
static int stream_jsonl(inp_ctx *c, int fd)
{
    enum { CHUNK = 1 << 20 };
    inp_buf b = { 0 };
    inp_jsonl j;
    inp_jsonl_init(&j, c);
    int rc = 0, eof = 0, skipping = 0, first = 1;
    size_t start = 0;   /* first unprocessed byte in b */
    while (!rc) {
        /* process complete lines */
        while (!rc && start < b.len) {
            const char *nl = memchr(b.p + start, '\n', b.len - start);
            if (!nl) break;
            size_t end = (size_t)(nl - b.p);
            if (skipping) { skipping = 0; j.line++; }
            else rc = inp_jsonl_line(&j, b.p + start, end - start);
            start = end + 1;
        }
        if (rc || eof) break;
        /* keep the partial line, refill */
        if (start) {
            memmove(b.p, b.p + start, b.len - start);
            b.len -= start;
            start = 0;
        }
        if (b.len > c->o->max_doc_bytes && !skipping) {
            uint64_t lineno = j.line;
            inp_warn(c, lineno, SOU_ETOOBIG,
                     "line %llu: record exceeds the %zu-byte limit; skipped",
                     (unsigned long long)lineno, c->o->max_doc_bytes);
            skipping = 1;
        }
        if (skipping) b.len = 0;
        if (inp_buf_reserve(&b, CHUNK)) {
            rc = sou_error_set(c->err, SOU_ENOMEM, "%s: out of memory", c->name);
            break;
        }
        ssize_t r = read(fd, b.p + b.len, CHUNK);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            rc = sou_error_set(c->err, errno_rc(e), "%s: read failed: %s", c->name, strerror(e));
            break;
        }
        if (r == 0) {
            eof = 1;
            if (!skipping && b.len - start > 0) rc = inp_jsonl_line(&j, b.p + start, b.len - start);
            break;
        }
        if (first && b.len == 0 && r >= 3 && !memcmp(b.p, "\xEF\xBB\xBF", 3)) {
            memmove(b.p, b.p + 3, (size_t)r - 3);
            r -= 3;
        }
        first = 0;
        b.len += (size_t)r;
    }
    inp_jsonl_free(&j);
    inp_buf_free(&b);
    if (rc == SOU_ESTOPPED && c->err && c->err->code != SOU_ESTOPPED)
        sou_error_set(c->err, rc, "%s: stopped by the callback", c->name);
    return rc;
}

/* UTF-16/32 BOM at the start of fd? Peeks without consuming (pread). */
static int has_wide_bom(int fd)
{
    unsigned char h[2];
    ssize_t r = pread(fd, h, 2, 0);
    return r == 2 && ((h[0] == 0xFF && h[1] == 0xFE) || (h[0] == 0xFE && h[1] == 0xFF) ||
                      (h[0] == 0 && h[1] == 0));
}

int sou_input_read_path(const char *path, const sou_input_options *o, sou_source_doc_cb cb,
                        sou_input_warn_cb warn, void *ctx, sou_error *err)
{
    sou_input_options opt;
    fill_options(&opt, o);
    if (!path || !cb) return sou_error_set(err, SOU_EINVAL, "no path or no callback");
    int is_stdin = !strcmp(path, "-");
    inp_ctx c = { .name = path, .o = &opt, .cb = cb, .warn = warn, .ctx = ctx, .err = err };
    sou_format f = opt.format != SOU_FORMAT_AUTO ? opt.format
                   : is_stdin ? SOU_FORMAT_TEXT : sou_format_from_path(path);
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return sou_error_set(err, errno_rc(e), "%s: cannot open: %s", path, strerror(e));
    }
    struct stat st;
    size_t hint = 0;
    int regular = 0;
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            if (!is_stdin) close(fd);
            return sou_error_set(err, -EISDIR, "%s: is a directory", path);
        }
        regular = S_ISREG(st.st_mode);
        if (regular) {
            if (f != SOU_FORMAT_JSONL && (uint64_t)st.st_size > opt.max_doc_bytes) {
                if (!is_stdin) close(fd);
                return sou_error_set(err, SOU_ETOOBIG,
                                     "%s: %llu bytes exceeds the %zu-byte document limit", path,
                                     (unsigned long long)st.st_size, opt.max_doc_bytes);
            }
            hint = (size_t)st.st_size;
        }
    }
    int rc;
    int utf8_stream = f == SOU_FORMAT_JSONL &&
                      (!opt.encoding || !strcasecmp(opt.encoding, "UTF-8") ||
                       !strcasecmp(opt.encoding, "UTF8")) &&
                      !(regular && has_wide_bom(fd));
    if (utf8_stream) {
        rc = stream_jsonl(&c, fd);
    } else {
        inp_buf b = { 0 };
        size_t limit = f == SOU_FORMAT_JSONL ? SIZE_MAX : opt.max_doc_bytes;
        rc = read_all(fd, limit, hint, &b, path, err);
        if (!rc) rc = dispatch(&c, f, b.p ? b.p : "", b.len);
        inp_buf_free(&b);
    }
    if (!is_stdin) close(fd);
    return rc;
}
