/* record.c - encode/decode the passage record (stored in value slot SOU_SLOT_RECORD)
 * (format in sou/record.h). Decoding treats its input as untrusted: every
 * length is checked against the bytes left, so a truncated or corrupt
 * record gives SOU_ECORRUPT, never a read past the buffer. */
#include "sou/record.h"

#include "sou/error.h"

#include <stdlib.h>
#include <string.h>

#define RECORD_VERSION 1
#define VARINT_MAX_BYTES 10   /* 64 bits, 7 per byte */

static size_t varint_put(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

/* Read a varint at *pos; 0 or SOU_ECORRUPT (truncated, or over 64 bits). */
static int varint_get(const unsigned char *buf, size_t len, size_t *pos,
                      uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*pos >= len) return SOU_ECORRUPT;
        unsigned char b = buf[(*pos)++];
        if (shift == 63 && b > 1) return SOU_ECORRUPT;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return SOU_ECORRUPT;
}

static int bytes_get(const unsigned char *buf, size_t len, size_t *pos,
                     const char **out, size_t *out_len)
{
    uint64_t n;
    if (varint_get(buf, len, pos, &n)) return SOU_ECORRUPT;
    if (n > len - *pos) return SOU_ECORRUPT;
    *out = (const char *)buf + *pos;
    *out_len = (size_t)n;
    *pos += (size_t)n;
    return 0;
}

int sou_record_encode(const sou_record *r, char **out, size_t *out_len)
{
    if (!r || !out || !out_len) return SOU_EINVAL;
    *out = NULL;
    *out_len = 0;
    if ((!r->source && r->source_len) || (!r->title && r->title_len) ||
        (!r->text && r->text_len))
        return SOU_EINVAL;
    size_t cap = 1 + 6 * VARINT_MAX_BYTES;
    const size_t lens[3] = {r->source_len, r->title_len, r->text_len};
    for (int i = 0; i < 3; i++) {
        if (lens[i] > SIZE_MAX - cap) return SOU_ETOOBIG;
        cap += lens[i];
    }
    unsigned char *p = malloc(cap);
    if (!p) return SOU_ENOMEM;
    size_t n = 0;
    p[n++] = RECORD_VERSION;
    n += varint_put(p + n, r->ordinal);
    n += varint_put(p + n, r->start);
    n += varint_put(p + n, r->end);
    const char *ptrs[3] = {r->source, r->title, r->text};
    for (int i = 0; i < 3; i++) {
        n += varint_put(p + n, (uint64_t)lens[i]);
        if (lens[i]) memcpy(p + n, ptrs[i], lens[i]);
        n += lens[i];
    }
    *out = (char *)p;
    *out_len = n;
    return 0;
}

size_t sou_record_source_size(const sou_record *r)
{
    return 2 * VARINT_MAX_BYTES + r->source_len + r->title_len;
}

size_t sou_record_put_source(const sou_record *r, unsigned char *p)
{
    size_t n = varint_put(p, (uint64_t)r->source_len);
    if (r->source_len) memcpy(p + n, r->source, r->source_len);
    n += r->source_len;
    n += varint_put(p + n, (uint64_t)r->title_len);
    if (r->title_len) memcpy(p + n, r->title, r->title_len);
    return n + r->title_len;
}

int sou_record_get_source(const unsigned char *p, size_t len, sou_record *r, size_t *used)
{
    size_t pos = 0;
    if (bytes_get(p, len, &pos, &r->source, &r->source_len) ||
        bytes_get(p, len, &pos, &r->title, &r->title_len))
        return SOU_ECORRUPT;
    *used = pos;
    return 0;
}

size_t sou_record_passage_size(const sou_record *r)
{
    return 3 * VARINT_MAX_BYTES + r->text_len;
}

size_t sou_record_put_passage(const sou_record *r, unsigned char *p)
{
    size_t n = varint_put(p, r->ordinal);
    n += varint_put(p + n, r->start);
    n += varint_put(p + n, r->end);
    if (r->text_len) memcpy(p + n, r->text, r->text_len);
    return n + r->text_len;
}

int sou_record_get_passage(const unsigned char *p, size_t len, sou_record *r)
{
    size_t pos = 0;
    if (varint_get(p, len, &pos, &r->ordinal) || varint_get(p, len, &pos, &r->start) ||
        varint_get(p, len, &pos, &r->end) || r->end < r->start)
        return SOU_ECORRUPT;
    r->text = (const char *)p + pos;
    r->text_len = len - pos;
    return 0;
}

int sou_record_order(const sou_record *a, const sou_record *b)
{
    size_t n = a->source_len < b->source_len ? a->source_len : b->source_len;
    int c = n ? memcmp(a->source, b->source, n) : 0;
    if (c) return c;
    if (a->source_len != b->source_len) return a->source_len < b->source_len ? -1 : 1;
    return a->ordinal < b->ordinal ? -1 : a->ordinal > b->ordinal;
}

int sou_record_decode(const char *buf, size_t len, sou_record *r)
{
    if (!r || (!buf && len)) return SOU_EINVAL;
    memset(r, 0, sizeof *r);
    const unsigned char *b = (const unsigned char *)buf;
    size_t pos = 0;
    if (len < 1 || b[pos++] != RECORD_VERSION) return SOU_ECORRUPT;
    if (varint_get(b, len, &pos, &r->ordinal) ||
        varint_get(b, len, &pos, &r->start) ||
        varint_get(b, len, &pos, &r->end) ||
        bytes_get(b, len, &pos, &r->source, &r->source_len) ||
        bytes_get(b, len, &pos, &r->title, &r->title_len) ||
        bytes_get(b, len, &pos, &r->text, &r->text_len)) {
        memset(r, 0, sizeof *r);
        return SOU_ECORRUPT;
    }
    /* Trailing bytes or an inverted range mean this is not our record. */
    if (pos != len || r->end < r->start) {
        memset(r, 0, sizeof *r);
        return SOU_ECORRUPT;
    }
    return 0;
}
