/* indexer/pipeline/pipeline.h - the parallel indexing pipeline behind
 * sou-index: input list -> analysis workers -> one writer per shard.
 *
 * The pipeline never prints: per-input problems and progress go to the
 * callbacks in the config (called from worker threads for reports, from
 * the calling thread for progress; reports are serialized by the caller's
 * callback if it needs that).
 */
#ifndef SOU_INDEXER_PIPELINE_H
#define SOU_INDEXER_PIPELINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "sou/error.h"
#include "inputs/input.h"

typedef struct sou_index_stats {
    uint64_t files_total, files_done;   /* inputs (files, "-") */
    uint64_t bytes_total, bytes_done;   /* raw input bytes (file sizes) */
    uint64_t sources;                   /* source documents written */
    uint64_t passages;                  /* passages written */
    uint64_t text_bytes;                /* decoded bytes of those sources */
    uint64_t skipped;                   /* sources of other shards (--shard) */
    uint64_t errors;                    /* inputs that failed */
    uint64_t warnings;                  /* per-record problems */
    uint64_t pruned;                    /* sources removed by --prune */
    uint64_t commits;
    double seconds;
    int interrupted;                    /* stopped by *stop */
} sou_index_stats;

/* A per-input problem: path (NUL-terminated), JSONL line or 0, SOU_E* code,
 * message; warning: the input went on (a broken JSONL record). */
typedef void (*sou_index_report_cb)(void *ctx, const char *path, uint64_t line,
                                    int code, const char *msg, int warning);
typedef void (*sou_index_progress_cb)(void *ctx, const sou_index_stats *s);

typedef struct sou_index_config {
    const char *dir;              /* index directory */
    sou_input_options input;      /* format, encoding, JSONL fields */
    size_t passage_chars;         /* 0: SOU_PASSAGE_CHARS_DEFAULT */
    unsigned threads;             /* analysis workers (>= 1) */
    unsigned shards;              /* 0: existing count / default_shards */
    unsigned default_shards;
    unsigned shard_k, shard_n;    /* --shard K/N (shard_n 0: whole corpus) */
    const char *stub_file;        /* --stub: list DIR in this stub file */
    int compact, prune;
    int positions;                /* 1/0: store positions or not; -1: as the
                                     index has them (sou_layout_open) */
    uint64_t commit_passages;     /* commit a shard after this many... */
    uint64_t commit_bytes;        /* ...or this many passage text bytes */
    volatile sig_atomic_t *stop;  /* set (by a signal): stop between sources */
    unsigned progress_ms;         /* progress callback period (0: none) */
    sou_index_report_cb report;
    sou_index_progress_cb progress;
    void *ctx;
} sou_index_config;

/* Index paths[0..n) (files, directories walked recursively, "-") into
 * cfg->dir. Returns 0 when the run completed (inputs may have failed: see
 * stats->errors; stats->interrupted when *stop was set) or a negative SOU_E*
 * code with err filled for a fatal problem (index locked, read-only, disk
 * full, identity mismatch, bad options): every shard then holds exactly its
 * last commit. stats is filled in both cases. */
int sou_index_run(const sou_index_config *cfg, char *const *paths, size_t n,
                  sou_index_stats *stats, sou_error *err);

/* FNV-1a 64 of a source id: a source belongs to shard set member
 * hash % N (--shard K/N). */
uint64_t sou_source_hash(const char *id, size_t len);

#endif
