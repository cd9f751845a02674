/* fuzz_inputs.c - fuzz target for the input decoders and the passage
 * splitter (indexer/inputs/input.h, indexer/passages/passage.h).
 *
 * Input layout: byte 0 = format (bits 0-1: text, markdown, html, jsonl),
 * forced encoding (bits 2-4: detect, GB18030, Big5, UTF-16LE, UTF-16BE,
 * windows-1252, detect, detect) and a small document limit (bit 5);
 * byte 1 = passage limit in code points (0: default); the rest is the file.
 * The bytes go through sou_input_read_buffer (charset detection and
 * conversion, HTML/Markdown/JSON Lines extraction), and every document it
 * hands out is split into passages. Checked: return codes are documented
 * ones, documents have sane pointers and lengths, spans are inside the
 * text, non-empty, ordered, non-overlapping,
 * start and end on character boundaries, trimmed, and no non-space text
 * falls between spans (nothing lost). The raw bytes are also split
 * directly, to reach the splitter with invalid UTF-8.
 */
#include <stdint.h>
#include <string.h>

#include <unicode/uchar.h>

#include "fuzz_util.h"
#include "input.h"
#include "passage.h"
#include "sou/error.h"

static sou_splitter *splitters[256];

static sou_splitter *splitter_for(unsigned chars)
{
    chars &= 255;
    if (!splitters[chars]) {
        int rc = sou_splitter_new(chars, &splitters[chars]);
        FUZZ_CHECK(rc == 0, "sou_splitter_new(%u): %s", chars,
                   sou_strerror(rc));
    }
    return splitters[chars];
}

/* Text between passages may only be white space (or ill-formed bytes the
 * splitter could not place, which it must keep: so those count as text). */
static int is_space_cp(uint32_t cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' ||
           cp == '\f' || cp == '\v' || u_isUWhiteSpace((UChar32)cp) ||
           u_isspace((UChar32)cp);
}

static void check_gap_is_space(const char *text, size_t from, size_t to)
{
    const uint8_t *s = (const uint8_t *)text;
    size_t i = from;
    while (i < to) {
        size_t k = fuzz_utf8_seq(s + i, to - i);
        FUZZ_CHECK(k != 0, "ill-formed byte 0x%02x at %zu outside every "
                   "passage", s[i], i);
        uint32_t cp = fuzz_utf8_decode(s + i, k);
        FUZZ_CHECK(is_space_cp(cp), "U+%04X at %zu outside every passage",
                   (unsigned)cp, i);
        i += k;
    }
}

static void check_split(sou_splitter *sp, const char *text, size_t len)
{
    const sou_span *spans = NULL;
    size_t n = 0;
    int rc = sou_splitter_split(sp, text, len, &spans, &n);
    FUZZ_CHECK(rc == 0 || rc == SOU_ENOMEM, "split returned %d", rc);
    if (rc != 0) return;
    FUZZ_CHECK(n == 0 || spans != NULL, "%zu spans, NULL array", n);
    uint8_t *inside = fuzz_utf8_inside_map(text, len);
    size_t prev_end = 0;
    for (size_t i = 0; i < n; i++) {
        size_t s = spans[i].start, e = spans[i].end;
        FUZZ_CHECK(s < e, "span %zu empty or reversed [%zu,%zu)", i, s, e);
        FUZZ_CHECK(e <= len, "span %zu ends at %zu > %zu", i, e, len);
        FUZZ_CHECK(s >= prev_end, "span %zu starts at %zu before %zu", i, s,
                   prev_end);
        FUZZ_CHECK(!inside[s] && !inside[e], "span %zu [%zu,%zu) cuts a "
                   "character", i, s, e);
        check_gap_is_space(text, prev_end, s);
        prev_end = e;
    }
    check_gap_is_space(text, prev_end, len);
    free(inside);
}

typedef struct doc_ctx {
    sou_splitter *sp;
    unsigned long docs;
} doc_ctx;

static int on_doc(void *vctx, const sou_source_doc *d)
{
    doc_ctx *c = vctx;
    FUZZ_CHECK(d->id != NULL && d->id_len > 0, "document without id");
    FUZZ_CHECK(d->title != NULL || d->title_len == 0, "NULL title");
    FUZZ_CHECK(d->text != NULL || d->text_len == 0, "NULL text");
    check_split(c->sp, d->text, d->text_len);
    c->docs++;
    return 0;
}

static void on_warn(void *ctx, const char *path, uint64_t line, int code,
                    const char *msg)
{
    FUZZ_CHECK(code < 0, "warning with code %d", code);
    FUZZ_CHECK(msg != NULL && msg[0] != '\0', "warning without message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    static const char *const names[4] = {
        "fuzz.txt", "fuzz.md", "fuzz.html", "fuzz.jsonl"
    };
    static const sou_format formats[4] = {
        SOU_FORMAT_TEXT, SOU_FORMAT_MARKDOWN, SOU_FORMAT_HTML,
        SOU_FORMAT_JSONL
    };
    static const char *const encodings[8] = {
        NULL, "GB18030", "Big5", "UTF-16LE", "UTF-16BE", "windows-1252",
        NULL, NULL
    };
    unsigned sel = data[0];
    sou_splitter *sp = splitter_for(data[1]);
    const char *bytes = (const char *)data + 2;
    size_t len = size - 2;

    sou_input_options o;
    sou_input_options_default(&o);
    o.format = formats[sel & 3];
    o.encoding = encodings[(sel >> 2) & 7];
    if (sel & 0x20) o.max_doc_bytes = 1024;

    doc_ctx c = { sp, 0 };
    sou_error err;
    memset(&err, 0, sizeof err);
    int rc = sou_input_read_buffer(names[sel & 3], bytes, len, &o, on_doc,
                                   on_warn, &c, &err);
    FUZZ_CHECK(rc == 0 || rc == SOU_EDECODE || rc == SOU_ETOOBIG ||
               rc == SOU_ENOMEM, "read_buffer returned %d (%s)", rc, err.msg);
    if (rc != 0)
        FUZZ_CHECK(err.msg[0] != '\0', "error %d without a message", rc);
    FUZZ_CHECK(memchr(err.msg, '\0', sizeof err.msg) != NULL,
               "error message not terminated");

    check_split(sp, bytes, len);
    return 0;
}
