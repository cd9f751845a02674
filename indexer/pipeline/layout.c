/* indexer/pipeline/layout.c - creates, opens, checks and compacts the
 * on-disk layout of a sou index directory.
 *
 * Index layout (the directory; what each database holds: sou/terms.h):
 *
 *   DIR/sou.stub     Xapian stub database file listing the shards, one
 *                    "auto <name>" line each, names relative to DIR (Xapian
 *                    resolves relative stub paths against the stub's
 *                    directory). Lines starting with '#' are comments.
 *                    A searcher opens the whole index by opening this file;
 *                    `xapian-delve DIR/sou.stub` works too.
 *   DIR/shard-<i>    Xapian (glass) database of local shard i, 0 <= i < M.
 *   DIR/compact-<g>  after compaction (sou-index's default): the single
 *                    merged database, without termlists (generation g
 *                    grows with every compaction); the stub then lists
 *                    only this one and the index has one shard. Its
 *                    documents cannot be deleted, so the next run writes
 *                    new shard-<i> beside it (a rebuild: the sources it
 *                    does not index are carried over from compact-<g>'s
 *                    records) and replaces it at the end.
 *   DIR/sou.lock     flock()ed by the sou-index run that writes DIR, so two
 *                    runs never interleave (each shard also has Xapian's own
 *                    lock).
 *
 * The stub is the source of truth for the shard list: a shard-* or
 * compact-* directory that it does not list is a leftover of a crash during
 * creation or compaction and is removed by the next run. The stub is only
 * ever replaced by write-temp + fsync + rename, so a reader sees the old or
 * the new list, never a mix.
 *
 * Every shard's metadata holds SOU_META_IDENTITY (analyzer identity),
 * SOU_META_FORMAT (SOU_INDEX_FORMAT), SOU_META_SHARD ("i/M"), SOU_META_SHARDSET ("K/N"
 * when built with --shard K/N, else empty), SOU_META_POSITIONS ("1"/"0",
 * the same in every shard) and SOU_META_STATS (JSON,
 * written by the pipeline: that shard's sources, passages, text bytes).
 * Source s lives in shard (splitmix64(fnv1a64(s)) % M), so a re-run sends a
 * re-indexed source to the shard that holds its old passages; opening an
 * index with a different --shards is refused (SOU_EINVAL).
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include "layout.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sou/terms.h"

static char *path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p) return NULL;
    memcpy(p, a, la);
    size_t o = la;
    if (la && a[la - 1] != '/') p[o++] = '/';
    memcpy(p + o, b, lb + 1);
    return p;
}

static int mkdir_p(const char *dir, sou_error *err)
{
    char buf[PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf)
        return sou_error_set(err, SOU_EINVAL, "%s: bad index directory", dir);
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return sou_error_set(err, errno == EACCES || errno == EROFS
                                     ? SOU_EREADONLY : -errno,
                                     "%s: cannot create directory: %s", buf,
                                     strerror(errno));
            buf[i] = c;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return sou_error_set(err, SOU_EINVAL, "%s: not a directory", dir);
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path) == 0 ? 0 : -1;
}

static int rm_rf(const char *path)
{
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

/* Write data to path atomically: path.tmp, fsync, rename, fsync dir. */
static int write_atomic(const char *path, const char *data, size_t len,
                        sou_error *err)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 5);
    if (!tmp) return sou_error_set(err, SOU_ENOMEM, "out of memory");
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp", 5);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return sou_error_set(err, e == EACCES || e == EROFS ? SOU_EREADONLY
                             : SOU_EIO, "%s: %s", path, strerror(e));
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            free(tmp);
            return sou_error_set(err, SOU_EIO, "%s: %s", path, strerror(e));
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return sou_error_set(err, SOU_EIO, "%s: %s", path, strerror(e));
    }
    free(tmp);
    char *slash = strrchr(path, '/');
    if (slash) {
        char *d = strndup(path, (size_t)(slash - path) + 1);
        if (d) { fsync_dir(d); free(d); }
    } else {
        fsync_dir(".");
    }
    return 0;
}

static char *read_file(const char *path, size_t *len, int *errno_out)
{
    FILE *f = fopen(path, "rb");
    if (!f) { *errno_out = errno; return NULL; }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap) break;
        char *nb = realloc(buf, cap * 2 + 1);
        if (!nb) { free(buf); buf = NULL; break; }
        buf = nb;
        cap *= 2;
    }
    int e = ferror(f) ? EIO : 0;
    fclose(f);
    if (!buf) { *errno_out = ENOMEM; return NULL; }
    if (e) { free(buf); *errno_out = e; return NULL; }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void free_names(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* Parse DIR/sou.stub: our stubs hold only "auto <name>" lines with names
 * inside DIR. Returns 0 (and *names), SOU_ENOTFOUND (no stub), or an
 * error for a stub sou did not write. */
static int stub_read(const char *stub, char ***names, size_t *n,
                     sou_error *err)
{
    size_t len;
    int e = 0;
    char *text = read_file(stub, &len, &e);
    if (!text) {
        if (e == ENOENT) return SOU_ENOTFOUND;
        return sou_error_set(err, SOU_EIO, "%s: %s", stub, strerror(e));
    }
    char **v = NULL;
    size_t cnt = 0;
    int rc = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[0] == '\0') continue;
        if (strncmp(line, "auto ", 5) != 0 || strchr(line + 5, '/') ||
            line[5] == '\0' || line[5] == '.') {
            rc = sou_error_set(err, SOU_EINVAL,
                               "%s: line \"%s\" was not written by sou-index "
                               "(expected \"auto shard-N\")", stub, line);
            break;
        }
        char **nv = realloc(v, (cnt + 1) * sizeof *nv);
        char *name = nv ? strdup(line + 5) : NULL;
        if (!nv || !name) {
            free(nv ? NULL : name);
            if (nv) v = nv;
            rc = sou_error_set(err, SOU_ENOMEM, "out of memory");
            break;
        }
        v = nv;
        v[cnt++] = name;
    }
    free(text);
    if (rc == 0 && cnt == 0)
        rc = sou_error_set(err, SOU_ECORRUPT, "%s lists no shards", stub);
    if (rc != 0) {
        free_names(v, cnt);
        return rc;
    }
    *names = v;
    *n = cnt;
    return 0;
}

static int stub_write(const sou_layout *l, sou_error *err)
{
    size_t cap = 128;
    for (size_t i = 0; i < l->nshards; i++) cap += strlen(l->shard_names[i]) + 8;
    char *buf = malloc(cap);
    if (!buf) return sou_error_set(err, SOU_ENOMEM, "out of memory");
    size_t o = (size_t)snprintf(buf, cap,
        "# sou index: Xapian stub listing this index's shards (paths "
        "relative to this file)\n");
    for (size_t i = 0; i < l->nshards; i++)
        o += (size_t)snprintf(buf + o, cap - o, "auto %s\n", l->shard_names[i]);
    char *stub = path_join(l->dir, SOU_LAYOUT_STUB);
    int rc = stub ? write_atomic(stub, buf, o, err)
                  : sou_error_set(err, SOU_ENOMEM, "out of memory");
    free(stub);
    free(buf);
    return rc;
}

/* Remove shard-* / compact-* directories the stub does not list. With
 * keep_listed 0 (no stub yet: nothing under DIR was ever committed as part
 * of the index) every such directory is a crash leftover, including a
 * half-created shard-N whose name the new layout is about to reuse. */
static void remove_orphans(const sou_layout *l, int keep_listed)
{
    DIR *d = opendir(l->dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "shard-", 6) != 0 &&
            strncmp(e->d_name, "compact-", 8) != 0)
            continue;
        int listed = 0;
        for (size_t i = 0; keep_listed && i < l->nshards; i++)
            if (strcmp(l->shard_names[i], e->d_name) == 0) listed = 1;
        if (listed) continue;
        char *p = path_join(l->dir, e->d_name);
        if (p) rm_rf(p);
        free(p);
    }
    closedir(d);
}

static int meta_get(sou_writer *w, const char *key, char **out, sou_error *err)
{
    size_t len;
    return sou_writer_get_metadata(w, key, out, &len, err);
}

static int meta_set(sou_writer *w, const char *key, const char *val,
                    sou_error *err)
{
    return sou_writer_set_metadata(w, key, val, strlen(val), err);
}

/* Check (existing) or write (new) the metadata of shard i. */
static int shard_check(sou_layout *l, size_t i, const char *identity,
                       const char *shardset, int positions, sou_error *err)
{
    sou_writer *w = l->writers[i];
    char want_shard[64];
    snprintf(want_shard, sizeof want_shard, "%zu/%zu", i, l->nshards);
    char *id = NULL, *fmt = NULL, *sh = NULL, *set = NULL, *pos = NULL;
    int rc = meta_get(w, SOU_META_IDENTITY, &id, err);
    if (rc == 0) rc = meta_get(w, SOU_META_FORMAT, &fmt, err);
    if (rc == 0) rc = meta_get(w, SOU_META_SHARD, &sh, err);
    if (rc == 0) rc = meta_get(w, SOU_META_SHARDSET, &set, err);
    if (rc == 0) rc = meta_get(w, SOU_META_POSITIONS, &pos, err);
    if (rc != 0) goto out;
    if (id[0] == '\0') {
        uint64_t docs = 0;
        rc = sou_writer_doccount(w, &docs, err);
        if (rc == 0 && docs > 0)
            rc = sou_error_set(err, SOU_EINVAL, "%s: a Xapian database that "
                               "sou-index did not build", l->shard_paths[i]);
        if (rc == 0) rc = meta_set(w, SOU_META_IDENTITY, identity, err);
        if (rc == 0) rc = meta_set(w, SOU_META_FORMAT, SOU_INDEX_FORMAT, err);
        if (rc == 0) rc = meta_set(w, SOU_META_SHARD, want_shard, err);
        if (rc == 0) rc = meta_set(w, SOU_META_SHARDSET, shardset, err);
        if (positions < 0) positions = shardset[0] != '\0';
        if (rc == 0) rc = meta_set(w, SOU_META_POSITIONS, positions ? "1" : "0", err);
        /* the parts xapian-tcpsrv serves carry records in the value slot,
         * where it hands them back as sort keys (sou/terms.h) */
        if (rc == 0) rc = meta_set(w, SOU_META_RECORDS, positions ? "slot" : "file", err);
        l->positions = positions;
        goto out;
    }
    if (strcmp(fmt, SOU_INDEX_FORMAT) != 0) {
        rc = sou_error_set(err, SOU_EVERSION, "%s: index format \"%s\", this "
                           "sou-index writes format " SOU_INDEX_FORMAT
                           ": rebuild it into a new directory (or remove %s and "
                           "run the same command again)",
                           l->shard_paths[i], fmt, l->dir);
    } else if (strcmp(pos, "0") != 0 && strcmp(pos, "1") != 0) {
        rc = sou_error_set(err, SOU_ECORRUPT, "%s: metadata %s is \"%.20s\"",
                           l->shard_paths[i], SOU_META_POSITIONS, pos);
    } else if (positions >= 0 && positions != (pos[0] == '1')) {
        rc = sou_error_set(err, SOU_EINVAL, "%s was built %s positions; run "
                           "without --%spositions, or index into a new directory",
                           l->dir, pos[0] == '1' ? "with" : "without",
                           positions ? "" : "no-");
    } else if (strcmp(id, identity) != 0) {
        rc = sou_error_set(err, SOU_EIDENTITY, "%s was built with analyzer "
                           "\"%s\"; this sou-index analyzes as \"%s\": index "
                           "into a new directory", l->dir, id, identity);
    } else if (strcmp(set, shardset) != 0) {
        rc = sou_error_set(err, SOU_EINVAL, "%s holds shard set \"%s\" "
                           "(--shard), not \"%s\"", l->dir,
                           set[0] ? set : "(none)",
                           shardset[0] ? shardset : "(none)");
    } else if (strcmp(sh, want_shard) != 0) {
        rc = sou_error_set(err, SOU_ECORRUPT, "%s: metadata says shard %s, "
                           "the stub lists it as %s", l->shard_paths[i], sh,
                           want_shard);
    }
    if (rc == 0) l->positions = pos[0] == '1';
out:
    free(id); free(fmt); free(sh); free(set); free(pos);
    return rc;
}

static int open_writers(sou_layout *l, sou_error *err)
{
    l->writers = calloc(l->nshards, sizeof *l->writers);
    l->shard_paths = calloc(l->nshards, sizeof *l->shard_paths);
    if (!l->writers || !l->shard_paths)
        return sou_error_set(err, SOU_ENOMEM, "out of memory");
    for (size_t i = 0; i < l->nshards; i++) {
        l->shard_paths[i] = path_join(l->dir, l->shard_names[i]);
        if (!l->shard_paths[i])
            return sou_error_set(err, SOU_ENOMEM, "out of memory");
        int rc = sou_writer_open(l->shard_paths[i], &l->writers[i], err);
        if (rc != 0) return rc;
    }
    return 0;
}

static void close_writers(sou_layout *l)
{
    for (size_t i = 0; l->writers && i < l->nshards; i++) {
        sou_writer_close(l->writers[i]);
        l->writers[i] = NULL;
    }
    free(l->writers);
    l->writers = NULL;
    free_names(l->shard_paths, l->nshards);
    l->shard_paths = NULL;
}

/* The stub lists one database: when it has no termlists, make this run a
 * rebuild (layout.h): base is that database, and the run's shards are new
 * shard-<i> (shards, else default_shards, of them). */
static int start_rebuild(sou_layout *l, unsigned shards, unsigned default_shards,
                         sou_error *err)
{
    char *p = path_join(l->dir, l->shard_names[0]);
    if (!p) return sou_error_set(err, SOU_ENOMEM, "out of memory");
    if (sou_store_deletable(p)) {
        free(p);
        return 0;
    }
    remove_orphans(l, 1);   /* a stopped rebuild's shards */
    unsigned m = shards ? shards : default_shards ? default_shards : 1;
    char **names = calloc(m, sizeof *names);
    if (!names) {
        free(p);
        return sou_error_set(err, SOU_ENOMEM, "out of memory");
    }
    for (unsigned i = 0; i < m; i++) {
        char name[32];
        snprintf(name, sizeof name, "shard-%u", i);
        if (!(names[i] = strdup(name))) {
            free_names(names, m);
            free(p);
            return sou_error_set(err, SOU_ENOMEM, "out of memory");
        }
    }
    l->base = p;
    l->base_name = l->shard_names[0];
    free(l->shard_names);
    l->shard_names = names;
    l->nshards = m;
    return 0;
}

/* After the stub stopped listing base: remove it. */
static void drop_base(sou_layout *l)
{
    if (!l->base) return;
    rm_rf(l->base);
    free(l->base);
    free(l->base_name);
    l->base = l->base_name = NULL;
}

int sou_layout_publish(sou_layout *l, sou_error *err)
{
    if (!l->base) return 0;
    int rc = stub_write(l, err);
    if (rc == 0) drop_base(l);
    return rc;
}

int sou_layout_open(const char *dir, unsigned shards, unsigned default_shards,
                    const char *identity, const char *shardset, int positions,
                    sou_layout **out, sou_error *err)
{
    *out = NULL;
    int rc = mkdir_p(dir, err);
    if (rc != 0) return rc;
    sou_layout *l = calloc(1, sizeof *l);
    if (!l || !(l->dir = strdup(dir))) {
        free(l);
        return sou_error_set(err, SOU_ENOMEM, "out of memory");
    }
    l->lock_fd = -1;
    char *lockp = path_join(dir, SOU_LAYOUT_LOCK);
    char *stub = path_join(dir, SOU_LAYOUT_STUB);
    char *glass = path_join(dir, "iamglass");
    if (!lockp || !stub || !glass) {
        rc = sou_error_set(err, SOU_ENOMEM, "out of memory");
        goto fail;
    }
    if (access(glass, F_OK) == 0) {
        rc = sou_error_set(err, SOU_EINVAL, "%s is a plain Xapian database, "
                           "not a sou index directory", dir);
        goto fail;
    }
    l->lock_fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (l->lock_fd < 0) {
        int e = errno;
        rc = sou_error_set(err, e == EACCES || e == EROFS ? SOU_EREADONLY
                           : SOU_EIO, "%s: %s", lockp, strerror(e));
        goto fail;
    }
    if (flock(l->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        rc = sou_error_set(err, SOU_ELOCKED, "%s is being written by another "
                           "sou-index (lock %s)", dir, lockp);
        goto fail;
    }
    rc = stub_read(stub, &l->shard_names, &l->nshards, err);
    if (rc == SOU_ENOTFOUND) {
        unsigned m = shards ? shards : default_shards ? default_shards : 1;
        l->shard_names = calloc(m, sizeof *l->shard_names);
        if (!l->shard_names) {
            rc = sou_error_set(err, SOU_ENOMEM, "out of memory");
            goto fail;
        }
        l->nshards = m;
        for (unsigned i = 0; i < m; i++) {
            char name[32];
            snprintf(name, sizeof name, "shard-%u", i);
            if (!(l->shard_names[i] = strdup(name))) {
                rc = sou_error_set(err, SOU_ENOMEM, "out of memory");
                goto fail;
            }
        }
        remove_orphans(l, 0);   /* crash leftovers from an unfinished create */
        l->created = 1;
        rc = 0;
    } else if (rc != 0) {
        goto fail;
    } else if (l->nshards == 1 && (rc = start_rebuild(l, shards, default_shards, err)) != 0) {
        goto fail;
    } else if (l->base) {
        /* new shards beside base; nothing to check against the stub */
    } else {
        if (shards && shards != l->nshards) {
            rc = sou_error_set(err, SOU_EINVAL, "%s has %zu shard%s%s; run "
                               "with --shards %zu (or without --shards), or "
                               "index into a new directory", dir, l->nshards,
                               l->nshards == 1 ? "" : "s",
                               strncmp(l->shard_names[0], "compact-", 8) == 0
                               ? " (compacted)" : "", l->nshards);
            goto fail;
        }
        remove_orphans(l, 1);
    }
    if (l->base) {
        /* base's metadata must fit this run; its positions carry on */
        sou_writer *bw = NULL;
        rc = sou_writer_open(l->base, &bw, err);
        sou_writer **keep = l->writers;
        char **keep_paths = l->shard_paths;
        size_t keep_n = l->nshards;
        if (rc == 0) {
            l->writers = &bw;
            l->shard_paths = &l->base;
            l->nshards = 1;
            rc = shard_check(l, 0, identity, shardset, positions, err);
            if (rc == 0 && positions < 0) positions = l->positions;
            l->writers = keep;
            l->shard_paths = keep_paths;
            l->nshards = keep_n;
        }
        sou_writer_close(bw);
    }
    if (rc == 0) rc = open_writers(l, err);
    for (size_t i = 0; rc == 0 && i < l->nshards; i++)
        rc = shard_check(l, i, identity, shardset, positions, err);
    if (rc == 0 && l->created) {
        /* Shards exist with their metadata before the stub names them. */
        rc = sou_layout_commit(l, err);
        if (rc == 0) rc = stub_write(l, err);
    }
    if (rc != 0) goto fail;
    free(lockp); free(stub); free(glass);
    *out = l;
    return 0;
fail:
    free(lockp); free(stub); free(glass);
    sou_layout_close(l);
    return rc;
}

int sou_layout_commit(sou_layout *l, sou_error *err)
{
    for (size_t i = 0; i < l->nshards; i++) {
        int rc = sou_writer_commit(l->writers[i], err);
        if (rc != 0) return rc;
    }
    return 0;
}

void sou_layout_close(sou_layout *l)
{
    if (!l) return;
    close_writers(l);
    free_names(l->shard_names, l->nshards);
    if (l->lock_fd >= 0) close(l->lock_fd);   /* releases the flock */
    free(l->dir);
    free(l->base);
    free(l->base_name);
    free(l);
}

int sou_layout_compact(sou_layout *l, const char *stats_json, sou_error *err)
{
    unsigned gen = 0, g;
    for (size_t i = 0; i < l->nshards; i++)
        if (sscanf(l->shard_names[i], "compact-%u", &g) == 1 && g >= gen)
            gen = g + 1;
    if (l->base_name && sscanf(l->base_name, "compact-%u", &g) == 1 && g >= gen) gen = g + 1;
    char name[32];
    snprintf(name, sizeof name, "compact-%u", gen);
    char *dest = path_join(l->dir, name);
    char *newname = strdup(name);
    const char **srcs = malloc(l->nshards * sizeof *srcs);
    int rc = 0;
    if (!dest || !newname || !srcs) {
        rc = sou_error_set(err, SOU_ENOMEM, "out of memory");
        goto out;
    }
    rm_rf(dest);   /* a leftover of an interrupted compaction */
    /* Close the writers so the compactor reads committed, unlocked shards. */
    char **old_paths = l->shard_paths;
    l->shard_paths = NULL;
    for (size_t i = 0; i < l->nshards; i++) {
        sou_writer_close(l->writers[i]);
        l->writers[i] = NULL;
        srcs[i] = old_paths[i];
    }
    free(l->writers);
    l->writers = NULL;
    rc = sou_compact(srcs, l->nshards, dest, err);
    if (rc == 0) rc = sou_drop_termlist(dest, err);
    sou_writer *w = NULL;
    if (rc == 0) rc = sou_writer_open(dest, &w, err);
    if (rc == 0) rc = meta_set(w, SOU_META_SHARD, "0/1", err);
    if (rc == 0 && stats_json) rc = meta_set(w, SOU_META_STATS, stats_json, err);
    if (rc == 0) rc = sou_writer_commit(w, err);
    if (rc != 0) {
        sou_writer_close(w);
        rm_rf(dest);
        /* Reopen the old shards so the layout stays usable and closable. */
        l->shard_paths = NULL;
        sou_error e2;
        l->writers = NULL;
        free_names(old_paths, l->nshards);
        open_writers(l, &e2);
        goto out;
    }
    size_t oldn = l->nshards;
    char **oldnames = l->shard_names;
    l->shard_names = malloc(sizeof *l->shard_names);
    if (!l->shard_names) {
        l->shard_names = oldnames;
        sou_writer_close(w);
        free_names(old_paths, oldn);
        rc = sou_error_set(err, SOU_ENOMEM, "out of memory");
        goto out;
    }
    l->shard_names[0] = newname;
    newname = NULL;
    l->nshards = 1;
    rc = stub_write(l, err);
    if (rc != 0) {
        /* The old stub still lists the old shards: put the layout back. */
        free(l->shard_names[0]);
        free(l->shard_names);
        l->shard_names = oldnames;
        l->nshards = oldn;
        sou_writer_close(w);
        rm_rf(dest);
        free_names(old_paths, oldn);
        sou_error e2;
        open_writers(l, &e2);
        goto out;
    }
    for (size_t i = 0; i < oldn; i++) rm_rf(old_paths[i]);
    drop_base(l);
    free_names(old_paths, oldn);
    free_names(oldnames, oldn);
    l->writers = calloc(1, sizeof *l->writers);
    l->shard_paths = calloc(1, sizeof *l->shard_paths);
    if (!l->writers || !l->shard_paths || !(l->shard_paths[0] = strdup(dest))) {
        sou_writer_close(w);
        rc = sou_error_set(err, SOU_ENOMEM, "out of memory");
        goto out;
    }
    l->writers[0] = w;
out:
    free(dest);
    free(newname);
    free(srcs);
    return rc;
}

/* ---- stub files listing the shard directories of a --shard K/N set ------ */

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

int sou_stubfile_update(const char *stub_path, const char *dir, sou_error *err)
{
    char absdir[PATH_MAX];
    if (!realpath(dir, absdir))
        return sou_error_set(err, SOU_ENOTFOUND, "%s: %s", dir, strerror(errno));
    char *mine = path_join(absdir, SOU_LAYOUT_STUB);
    size_t sl = strlen(stub_path);
    char *lockp = malloc(sl + 6);
    if (!mine || !lockp) {
        free(mine); free(lockp);
        return sou_error_set(err, SOU_ENOMEM, "out of memory");
    }
    memcpy(lockp, stub_path, sl);
    memcpy(lockp + sl, ".lock", 6);
    int rc = 0;
    char *text = NULL, *out = NULL;
    int lfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (lfd < 0 || flock(lfd, LOCK_EX) != 0) {
        rc = sou_error_set(err, SOU_EIO, "%s: %s", lockp, strerror(errno));
        goto out;
    }
    /* Directory of the stub, for resolving its relative lines. */
    const char *slash = strrchr(stub_path, '/');
    char *stubdir = slash ? strndup(stub_path, (size_t)(slash - stub_path) + 1)
                          : strdup("./");
    size_t len = 0;
    int e = 0;
    text = read_file(stub_path, &len, &e);
    if (!text && e != ENOENT) {
        free(stubdir);
        rc = sou_error_set(err, SOU_EIO, "%s: %s", stub_path, strerror(e));
        goto out;
    }
    size_t cap = len + strlen(mine) + 16;
    out = malloc(cap);
    if (!out || !stubdir) {
        free(stubdir);
        rc = sou_error_set(err, SOU_ENOMEM, "out of memory");
        goto out;
    }
    size_t o = 0;
    char *save = NULL;
    for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "auto ", 5) == 0) {
            const char *p = line + 5;
            char *full = p[0] == '/' ? strdup(p) : path_join(stubdir, p);
            int same = full && (same_file(full, mine) || same_file(full, absdir));
            free(full);
            if (same) continue;   /* our old line: replaced below */
        }
        size_t ll = strlen(line);
        memcpy(out + o, line, ll);
        o += ll;
        out[o++] = '\n';
    }
    free(stubdir);
    o += (size_t)snprintf(out + o, cap - o, "auto %s\n", mine);
    rc = write_atomic(stub_path, out, o, err);
out:
    if (lfd >= 0) close(lfd);
    free(text); free(out); free(mine); free(lockp);
    return rc;
}
