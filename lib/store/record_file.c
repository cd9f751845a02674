/* record_file.c - passage records beside a shard (record_file.h). */
#define _POSIX_C_SOURCE 200809L
#include "record_file.h"

#include "sou/record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_LEN 64
#define ENTRY_LEN 16
#define COVERED_AT 56
static const char MAGIC[16] = "sou-records 3\n";
#define SUM_MASK 0xffffffu   /* an entry keeps 24 bits of its part's checksum */
#define DATA_BUF (1u << 20)
#define INDEX_BUF (64u << 10)

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* The record's checksum: eight bytes per step (a reader checks every
 * record it returns, so a byte-at-a-time FNV-1a was 5% of a median query). */
static uint32_t rec_sum(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    for (; n >= 8; u += 8, n -= 8) {
        h = (h ^ get_le(u, 8)) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
    }
    h = (h ^ (n ? get_le(u, (int)n) : 0)) * 0xc4ceb9fe1a85ec53ULL;
    return (uint32_t)(h ^ (h >> 32));
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

/* The header says this file belongs to uuid; *covered gets its count. */
static int header_ok(const unsigned char *h, const char *uuid, uint64_t *covered)
{
    if (memcmp(h, MAGIC, sizeof MAGIC) != 0) return 0;
    if (memcmp(h + 16, uuid, SOU_RECFILE_UUID_LEN) != 0) return 0;
    *covered = get_le(h + COVERED_AT, 8);
    return 1;
}

/* ======================================================================= */
/* writing                                                                 */

struct sou_recfile {
    int data_fd, index_fd;
    char *data_path, *index_path;
    uint64_t data_end;      /* file offset of the next record */
    /* the source block written last: its offset, and the id and title */
    int have_block;
    uint64_t block_at;
    char *src; size_t src_len, src_cap;
    char *ttl; size_t ttl_len, ttl_cap;
    unsigned char *scratch; size_t scratch_cap;
    char *dbuf;             /* records not yet written, from file offset dbuf_at */
    size_t dlen;
    uint64_t dbuf_at;
    unsigned char *ibuf;    /* entries not yet written: docids ibuf_first.. */
    size_t ilen;
    uint32_t ibuf_first;
};

static int pwrite_all(int fd, const void *buf, size_t n, uint64_t at)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)at);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
        at += (uint64_t)w;
    }
    return 0;
}

static int io_error(sou_error *err, const char *what, const char *path)
{
    return sou_error_set(err, SOU_EIO, "%s %s: %s", what, path, strerror(errno));
}

static int flush(sou_recfile *f, sou_error *err)
{
    if (f->dlen) {
        if (pwrite_all(f->data_fd, f->dbuf, f->dlen, f->dbuf_at) != 0)
            return io_error(err, "writing", f->data_path);
        f->dbuf_at += f->dlen;
        f->dlen = 0;
    }
    if (f->ilen) {
        uint64_t at = HDR_LEN + (uint64_t)(f->ibuf_first - 1) * ENTRY_LEN;
        if (pwrite_all(f->index_fd, f->ibuf, f->ilen, at) != 0)
            return io_error(err, "writing", f->index_path);
        f->ilen = 0;
    }
    return 0;
}

/* Replace both files by empty ones of this uuid. Unlink, then create: a
 * reader that has the old files mapped keeps them. */
static int start_afresh(sou_recfile *f, const char *uuid, sou_error *err)
{
    if (f->data_fd >= 0) close(f->data_fd);
    if (f->index_fd >= 0) close(f->index_fd);
    f->data_fd = f->index_fd = -1;
    if (unlink(f->index_path) != 0 && errno != ENOENT)
        return io_error(err, "removing", f->index_path);
    if (unlink(f->data_path) != 0 && errno != ENOENT)
        return io_error(err, "removing", f->data_path);
    f->data_fd = open(f->data_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f->data_fd < 0) return io_error(err, "creating", f->data_path);
    f->index_fd = open(f->index_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f->index_fd < 0) return io_error(err, "creating", f->index_path);
    unsigned char h[HDR_LEN] = {0};
    memcpy(h, MAGIC, sizeof MAGIC);
    memcpy(h + 16, uuid, SOU_RECFILE_UUID_LEN);
    if (pwrite_all(f->index_fd, h, sizeof h, 0) != 0)
        return io_error(err, "writing", f->index_path);
    return 0;
}

int sou_recfile_open(const char *dir, const char *uuid, uint32_t last_docid,
                     sou_recfile **out, uint32_t *covered, sou_error *err)
{
    *out = NULL;
    *covered = 0;
    if (!dir || !uuid || strlen(uuid) != SOU_RECFILE_UUID_LEN)
        return sou_error_set(err, SOU_EINVAL, "record file: bad directory or database UUID");
    sou_recfile *f = calloc(1, sizeof *f);
    if (!f) return sou_error_set(err, SOU_ENOMEM, "record file: out of memory");
    f->data_fd = f->index_fd = -1;
    f->data_path = join(dir, SOU_RECFILE_DATA);
    f->index_path = join(dir, SOU_RECFILE_INDEX);
    f->dbuf = malloc(DATA_BUF);
    f->ibuf = malloc(INDEX_BUF);
    int rc = 0;
    if (!f->data_path || !f->index_path || !f->dbuf || !f->ibuf) {
        rc = sou_error_set(err, SOU_ENOMEM, "record file: out of memory");
        goto fail;
    }
    f->index_fd = open(f->index_path, O_RDWR | O_CLOEXEC);
    f->data_fd = open(f->data_path, O_RDWR | O_CLOEXEC);
    uint64_t have = 0;
    int usable = 0;
    if (f->index_fd >= 0 && f->data_fd >= 0) {
        unsigned char h[HDR_LEN];
        struct stat st;
        usable = pread(f->index_fd, h, sizeof h, 0) == (ssize_t)sizeof h &&
                 header_ok(h, uuid, &have) && have <= last_docid &&
                 fstat(f->index_fd, &st) == 0 &&
                 (uint64_t)st.st_size >= HDR_LEN + have * ENTRY_LEN;
    }
    if (!usable) {
        have = 0;
        if ((rc = start_afresh(f, uuid, err)) != 0) goto fail;
    }
    off_t end = lseek(f->data_fd, 0, SEEK_END);
    if (end < 0) {
        rc = io_error(err, "reading", f->data_path);
        goto fail;
    }
    f->data_end = f->dbuf_at = (uint64_t)end;
    *covered = (uint32_t)have;
    *out = f;
    return 0;
fail:
    sou_recfile_close(f);
    return rc;
}

/* Append n bytes to the data file (buffered; a piece larger than the
 * buffer goes straight to the file). */
static int append(sou_recfile *f, const void *p, size_t n, sou_error *err)
{
    if (f->dlen + n > DATA_BUF) {
        int rc = flush(f, err);
        if (rc) return rc;
    }
    if (n > DATA_BUF) {   /* larger than the buffer (which is empty now) */
        if (pwrite_all(f->data_fd, p, n, f->data_end) != 0)
            return io_error(err, "writing", f->data_path);
        f->dbuf_at += n;
    } else if (n) {
        memcpy(f->dbuf + f->dlen, p, n);
        f->dlen += n;
    }
    f->data_end += n;
    return 0;
}

static int keep(char **buf, size_t *cap, size_t *len, const char *p, size_t n)
{
    if (n > *cap) {
        char *nb = realloc(*buf, n);
        if (!nb) return -1;
        *buf = nb;
        *cap = n;
    }
    if (n) memcpy(*buf, p, n);
    *len = n;
    return 0;
}

static unsigned char *scratch(sou_recfile *f, size_t n)
{
    if (n > f->scratch_cap) {
        unsigned char *nb = realloc(f->scratch, n);
        if (!nb) return NULL;
        f->scratch = nb;
        f->scratch_cap = n;
    }
    return f->scratch;
}

/* docid's record r: a source block first unless the last one written holds
 * r's source id and title (the passages of a source come one after
 * another), then the passage part and its entry. */
static int put_record(sou_recfile *f, uint32_t docid, const sou_record *r, sou_error *err)
{
    int rc;
    if (!f->have_block || f->src_len != r->source_len || f->ttl_len != r->title_len ||
        (r->source_len && memcmp(f->src, r->source, r->source_len) != 0) ||
        (r->title_len && memcmp(f->ttl, r->title, r->title_len) != 0)) {
        unsigned char *b = scratch(f, 4 + sou_record_source_size(r));
        if (!b || keep(&f->src, &f->src_cap, &f->src_len, r->source, r->source_len) ||
            keep(&f->ttl, &f->ttl_cap, &f->ttl_len, r->title, r->title_len))
            return sou_error_set(err, SOU_ENOMEM, "record file: out of memory");
        size_t n = sou_record_put_source(r, b + 4);
        put_le(b, rec_sum((const char *)b + 4, n), 4);
        f->have_block = 1;
        f->block_at = f->data_end;
        if ((rc = append(f, b, 4 + n, err)) != 0) return rc;
    }
    unsigned char *p = scratch(f, sou_record_passage_size(r));
    if (!p) return sou_error_set(err, SOU_ENOMEM, "record file: out of memory");
    size_t n = sou_record_put_passage(r, p);
    uint64_t back = f->data_end - f->block_at;
    if (n > 0xffffff || back > UINT32_MAX || f->data_end >> 48)
        return sou_error_set(err, SOU_ETOOBIG, "record file: a passage or source too large");
    if (f->ilen && (docid != f->ibuf_first + f->ilen / ENTRY_LEN || f->ilen == INDEX_BUF)) {
        if ((rc = flush(f, err)) != 0) return rc;
    }
    unsigned char *e = f->ibuf + f->ilen;
    if (f->ilen == 0) f->ibuf_first = docid;
    put_le(e, f->data_end, 6);
    put_le(e + 6, n, 3);
    put_le(e + 9, rec_sum((const char *)p, n) & SUM_MASK, 3);
    put_le(e + 12, back, 4);
    f->ilen += ENTRY_LEN;
    return append(f, p, n, err);
}

int sou_recfile_put(sou_recfile *f, uint32_t docid, const char *rec, size_t len,
                    sou_error *err)
{
    sou_record r;
    if (!f || docid == 0 || (!rec && len) || sou_record_decode(rec, len, &r) != 0)
        return sou_error_set(err, SOU_EINVAL, "record file: bad record");
    return put_record(f, docid, &r, err);
}

int sou_recfile_sync(sou_recfile *f, sou_error *err)
{
    if (!f) return sou_error_set(err, SOU_EINVAL, "record file: NULL");
    int rc = flush(f, err);
    if (rc) return rc;
    if (fdatasync(f->data_fd) != 0) return io_error(err, "syncing", f->data_path);
    if (fdatasync(f->index_fd) != 0) return io_error(err, "syncing", f->index_path);
    return 0;
}

int sou_recfile_cover(sou_recfile *f, uint32_t docid, sou_error *err)
{
    if (!f) return sou_error_set(err, SOU_EINVAL, "record file: NULL");
    unsigned char c[8];
    put_le(c, docid, 8);
    /* Not synced: if this write is lost, readers read the value slot for
     * the newest documents and the next writer raises it again. */
    if (pwrite_all(f->index_fd, c, sizeof c, COVERED_AT) != 0)
        return io_error(err, "writing", f->index_path);
    return 0;
}

void sou_recfile_close(sou_recfile *f)
{
    if (!f) return;
    if (f->data_fd >= 0) close(f->data_fd);
    if (f->index_fd >= 0) close(f->index_fd);
    free(f->data_path);
    free(f->index_path);
    free(f->dbuf);
    free(f->ibuf);
    free(f->src);
    free(f->ttl);
    free(f->scratch);
    free(f);
}

/* ======================================================================= */
/* reading                                                                 */

void sou_recmap_open(sou_recmap *m, const char *dir, const char *uuid,
                     uint32_t last_docid, int trust_all)
{
    memset(m, 0, sizeof *m);
    if (!dir || !uuid || strlen(uuid) != SOU_RECFILE_UUID_LEN) return;
    char *ip = join(dir, SOU_RECFILE_INDEX), *dp = join(dir, SOU_RECFILE_DATA);
    int ifd = ip ? open(ip, O_RDONLY | O_CLOEXEC) : -1;
    int dfd = dp ? open(dp, O_RDONLY | O_CLOEXEC) : -1;
    free(ip);
    free(dp);
    struct stat st;
    uint64_t covered = 0;
    if (ifd < 0 || dfd < 0 || fstat(ifd, &st) != 0 || st.st_size < HDR_LEN) goto out;
    void *idx = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, ifd, 0);
    if (idx == MAP_FAILED) goto out;
    m->index = idx;
    m->index_len = (size_t)st.st_size;
    /* covered is read before the data file's size: every record it covers
     * was durable in the data file before the header said so. */
    if (!header_ok(m->index, uuid, &covered)) goto fail;
    if (covered > last_docid || trust_all) covered = last_docid;
    if (covered > (m->index_len - HDR_LEN) / ENTRY_LEN)
        covered = (m->index_len - HDR_LEN) / ENTRY_LEN;
    if (covered == 0 || fstat(dfd, &st) != 0 || st.st_size == 0) goto fail;
    void *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, dfd, 0);
    if (data == MAP_FAILED) goto fail;
    m->data = data;
    m->data_len = (size_t)st.st_size;
    m->covered = (uint32_t)covered;
    goto out;
fail:
    sou_recmap_close(m);
out:
    if (ifd >= 0) close(ifd);
    if (dfd >= 0) close(dfd);
}

void sou_recmap_close(sou_recmap *m)
{
    if (m->index) munmap((void *)m->index, m->index_len);
    if (m->data) munmap((void *)m->data, m->data_len);
    memset(m, 0, sizeof *m);
}

int sou_recmap_record(const sou_recmap *m, uint32_t docid, sou_record *r)
{
    if (docid == 0 || docid > m->covered) return 0;
    const unsigned char *e = m->index + HDR_LEN + (size_t)(docid - 1) * ENTRY_LEN;
    uint64_t off = get_le(e, 6), n = get_le(e + 6, 3), back = get_le(e + 12, 4);
    if (n == 0 || off > m->data_len || n > m->data_len - off || back < 4 || back > off)
        return 0;
    const unsigned char *d = (const unsigned char *)m->data;
    if ((rec_sum((const char *)d + off, (size_t)n) & SUM_MASK) != (uint32_t)get_le(e + 9, 3))
        return 0;
    uint64_t blk = off - back;
    size_t used;
    memset(r, 0, sizeof *r);
    if (sou_record_get_source(d + blk + 4, (size_t)(off - blk - 4), r, &used) != 0 ||
        rec_sum((const char *)d + blk + 4, used) != (uint32_t)get_le(d + blk, 4) ||
        sou_record_get_passage(d + off, (size_t)n, r) != 0)
        return 0;
    return 1;
}

/* ======================================================================= */
/* merging                                                                 */

int sou_recfile_merge(const char *dest, const char *uuid, uint32_t last,
                      const sou_recmap *const *srcs, const char *const *src_names,
                      const uint32_t *const *docs, const size_t *ndocs,
                      const uint32_t *offset, size_t n, sou_error *err)
{
    sou_recfile *f;
    uint32_t covered;
    int rc = sou_recfile_open(dest, uuid, last, &f, &covered, err);
    if (rc) return rc;
    for (size_t i = 0; rc == 0 && i < n; i++)
        for (size_t k = 0; rc == 0 && k < ndocs[i]; k++) {
            sou_record r;
            if (!sou_recmap_record(srcs[i], docs[i][k], &r))
                rc = sou_error_set(err, SOU_ECORRUPT, "compacting: the record of document %u "
                                   "is missing from %s/" SOU_RECFILE_DATA " (or damaged)",
                                   docs[i][k], src_names[i]);
            else
                rc = put_record(f, docs[i][k] + offset[i], &r, err);
        }
    if (rc == 0) rc = sou_recfile_sync(f, err);
    if (rc == 0) rc = sou_recfile_cover(f, last, err);
    sou_recfile_close(f);
    return rc;
}
