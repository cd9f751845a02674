/* indexer/pipeline/layout.h - the on-disk layout of a sou index directory
 * (shard databases + stub file + lock), see layout.c for the format. */
#ifndef SOU_INDEXER_LAYOUT_H
#define SOU_INDEXER_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "sou/error.h"
#include "sou/store.h"

#define SOU_LAYOUT_STUB "sou.stub"
#define SOU_LAYOUT_LOCK "sou.lock"

/* Metadata keys owned by the indexer (besides SOU_META_* of sou/terms.h). */
#define SOU_META_SHARD "sou:shard"        /* "i/M": local shard i of M */
#define SOU_META_SHARDSET "sou:shardset"  /* "K/N" with --shard, else "" */

typedef struct sou_layout {
    char *dir;              /* index directory as given */
    int lock_fd;            /* flock'd DIR/sou.lock, held while open */
    size_t nshards;
    char **shard_names;     /* as listed in the stub ("shard-0", "compact-3") */
    char **shard_paths;     /* DIR/<name> */
    sou_writer **writers;   /* one open writer per shard */
    int created;            /* the stub was written by this open */
    int positions;          /* terms are stored with positions (SOU_META_POSITIONS) */
    /* A rebuild: the index was one compacted database without termlists
     * (its documents cannot be deleted), so this run writes new shards;
     * base is that database's directory (its name in base_name), read for
     * the sources this run does not index. The stub lists base until the
     * new shards are compacted (sou_layout_compact) or published
     * (sou_layout_publish); a run that stops before leaves it as it was. */
    char *base, *base_name;
} sou_layout;

/* Open (creating if needed) the index at dir with `shards` shards (0: the
 * existing count, or default_shards for a new index). Takes DIR/sou.lock,
 * opens every shard writer, checks identity/format/shard metadata against
 * identity and shardset ("" or "K/N"); writes them into new shards.
 * positions: 1 or 0 to store term positions or not, -1 for what the index
 * has (a new index: only a shard set member has them, as its parts are
 * made to be served by xapian-tcpsrv, which checks phrases from positions).
 * Errors: SOU_ELOCKED (another sou-index holds DIR), SOU_EIDENTITY,
 * SOU_EVERSION, SOU_EINVAL (shard count, shard set or positions differ),
 * store and file-system errors. *out is NULL on failure. */
int sou_layout_open(const char *dir, unsigned shards, unsigned default_shards,
                    const char *identity, const char *shardset, int positions,
                    sou_layout **out, sou_error *err);

/* A rebuild that keeps its shards (no compaction): list them in the stub
 * in place of base, and remove base. No-op otherwise. */
int sou_layout_publish(sou_layout *l, sou_error *err);

/* Commit every shard writer. */
int sou_layout_commit(sou_layout *l, sou_error *err);

/* Close the writers (without committing), release the lock, free. NULL ok. */
void sou_layout_close(sou_layout *l);

/* Merge all shards into DIR/compact-<g> without termlists (sou/store.h:
 * a third of its bytes; a later run rebuilds instead of deleting) and
 * switch the stub to it (atomically), then remove the old shard
 * directories (and a rebuild's base). Writers must be committed; they are
 * closed and the layout then holds the single compact shard (reopened for
 * writing). stats_json is stored as SOU_META_STATS. */
int sou_layout_compact(sou_layout *l, const char *stats_json, sou_error *err);

/* Add or replace the line for index directory dir in the stub file
 * stub_path ("auto <absolute DIR>/sou.stub"), keeping every other line;
 * written to a temporary file and renamed, under an flock on
 * <stub_path>.lock so machines/processes updating one stub don't race. */
int sou_stubfile_update(const char *stub_path, const char *dir, sou_error *err);

#endif
