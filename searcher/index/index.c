/* index.c - opening a sou index for searching: resolving a directory,
 * stub file or shard list, checking the analysis identity, and the
 * reopen-and-retry rule for readers that see the index change. */
#include "search_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sou/terms.h"

void sou_index_options_default(sou_index_options *opts)
{
    memset(opts, 0, sizeof *opts);
}

/* DIR with a sou.stub -> DIR/sou.stub; anything else as given. */
static char *resolve(const char *path)
{
    struct stat st;
    if (strncmp(path, "tcp:", 4) != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        size_t n = strlen(path);
        char *stub = malloc(n + sizeof "/sou.stub");
        if (!stub) return NULL;
        memcpy(stub, path, n);
        memcpy(stub + n, "/sou.stub", sizeof "/sou.stub");
        if (stat(stub, &st) == 0 && S_ISREG(st.st_mode)) return stub;
        free(stub);
    }
    return strdup(path);
}

void sou_index_close(sou_index *ix)
{
    if (!ix) return;
    sou_reader_close(ix->reader);
    sou_analyzer_free(ix->analyzer);
    sou_analyzer_free(ix->hl_analyzer);
    sou_phrase_checker_free(ix->checker);
    free(ix->identity);
    for (size_t i = 0; i < ix->nshards; i++) free(ix->shards[i]);
    free(ix->shards);
    free(ix);
}

/* Reading metadata (identity, format) can meet a commit too: retried like
 * a search. */
typedef struct meta_ctx {
    const char *key;
    char **out;
    size_t len;
} meta_ctx;

static int meta_fn(sou_index *ix, void *vctx, sou_error *err)
{
    meta_ctx *c = vctx;
    free(*c->out);
    *c->out = NULL;
    return sou_reader_get_metadata(ix->reader, c->key, c->out, &c->len, err);
}

int sou_index_open(const char *const *paths, size_t n,
                   const sou_index_options *opts, sou_index **out,
                   sou_error *err)
{
    *out = NULL;
    if (!paths || n == 0)
        return sou_error_set(err, SOU_EINVAL, "no index given");
    sou_index_options def;
    if (!opts) {
        sou_index_options_default(&def);
        opts = &def;
    }
    sou_index *ix = calloc(1, sizeof *ix);
    if (!ix || !(ix->shards = calloc(n, sizeof *ix->shards))) {
        free(ix);
        return sou_error_set(err, SOU_ENOMEM, "out of memory");
    }
    int rc;
    for (size_t i = 0; i < n; i++) {
        if (!paths[i]) {
            rc = sou_error_set(err, SOU_EINVAL, "index path %zu is NULL", i);
            goto fail;
        }
        if (!(ix->shards[i] = resolve(paths[i]))) {
            rc = sou_error_set(err, SOU_ENOMEM, "out of memory");
            goto fail;
        }
        ix->nshards++;
    }
    rc = sou_analyzer_new(NULL, &ix->analyzer);
    if (rc == 0) {
        sou_analyzer_options hl;
        sou_analyzer_options_default(&hl);
        hl.cjk_words = 0;
        rc = sou_analyzer_new(&hl, &ix->hl_analyzer);
    }
    if (rc == 0) rc = sou_phrase_checker_new(&ix->checker);
    if (rc) {
        sou_error_set(err, rc, "cannot create the analyzer: %s", sou_strerror(rc));
        goto fail;
    }
    sou_reader_options ro = {opts->connect_timeout_ms, opts->timeout_ms,
                             opts->allow_partial};
    /* A writer committing while the shards open discards the revision
     * being read (SOU_ESTALE): open again, like a search retries. */
    for (int tries = 0;; tries++) {
        rc = sou_reader_open((const char *const *)ix->shards, n, &ro,
                             &ix->reader, err);
        if (rc != SOU_ESTALE || tries >= SOU_SEARCH_STALE_RETRIES) break;
    }
    if (rc)
        goto fail;
    meta_ctx ic = {SOU_META_IDENTITY, &ix->identity, 0};
    if ((rc = sou_index_retry(ix, meta_fn, &ic, err)))
        goto fail;
    size_t idlen = ic.len;
    const char *ours = sou_analyzer_identity(ix->analyzer);
    if (idlen == 0) {
        rc = sou_error_set(err, SOU_EIDENTITY,
                           "%s has no analysis identity (%s): not a sou index; "
                           "this searcher's identity is \"%s\"",
                           paths[0], SOU_META_IDENTITY, ours);
        goto fail;
    }
    if (strlen(ix->identity) != idlen || strcmp(ix->identity, ours) != 0) {
        rc = sou_error_set(err, SOU_EIDENTITY,
                           "index analysis identity \"%.*s\" differs from this "
                           "searcher's \"%s\"; re-index with this version",
                           (int)(idlen > 200 ? 200 : idlen), ix->identity, ours);
        goto fail;
    }
    /* The layout of what is stored (sou/terms.h): an older layout keeps
     * the passage records elsewhere. */
    char *fmt = NULL;
    meta_ctx fc = {SOU_META_FORMAT, &fmt, 0};
    if ((rc = sou_index_retry(ix, meta_fn, &fc, err)))
        goto fail;
    if (strcmp(fmt, SOU_INDEX_FORMAT) != 0) {
        rc = sou_error_set(err, SOU_EVERSION,
                           "index format \"%.20s\" differs from this searcher's \"%s\"; "
                           "re-index with this version's sou-index (into a new directory, "
                           "or after removing the old one)", fmt, SOU_INDEX_FORMAT);
        free(fmt);
        goto fail;
    }
    free(fmt);
    *out = ix;
    return 0;
fail:
    sou_index_close(ix);
    return rc;
}

size_t sou_index_shard_count(const sou_index *ix)
{
    return sou_reader_shard_count(ix->reader);
}

const char *sou_index_shard_name(const sou_index *ix, size_t i)
{
    return sou_reader_shard_name(ix->reader, i);
}

int sou_index_shard_ok(const sou_index *ix, size_t i)
{
    return sou_reader_shard_ok(ix->reader, i);
}

const char *sou_index_identity(const sou_index *ix)
{
    return ix->identity;
}

int sou_index_reopen(sou_index *ix, sou_error *err)
{
    return sou_reader_reopen(ix->reader, err);
}

static int doccount_fn(sou_index *ix, void *ctx, sou_error *err)
{
    return sou_reader_doccount(ix->reader, ctx, err);
}

int sou_index_doccount(sou_index *ix, uint64_t *out, sou_error *err)
{
    return sou_index_retry(ix, doccount_fn, out, err);
}

int sou_index_retry(sou_index *ix, int (*fn)(sou_index *, void *, sou_error *),
                    void *ctx, sou_error *err)
{
    int rc = fn(ix, ctx, err);
    for (int tries = 0; rc == SOU_ESTALE && tries < SOU_SEARCH_STALE_RETRIES; tries++) {
        int r2 = sou_reader_reopen(ix->reader, err);
        if (r2) return r2;
        rc = fn(ix, ctx, err);
    }
    return rc;
}
