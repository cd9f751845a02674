/* record_file.h - a copy of every passage record beside its shard, read
 * through mmap (the store's private C side; the shim keeps it in step).
 *
 * Why: in value slot SOU_SLOT_RECORD Xapian keeps ~2 KB chunks of
 * consecutive documents' values in the postlist B-tree. Reading one is a
 * B-tree descent, a multi-block tag and a scan of the chunk: 6.6 us per
 * record on the full bench index (10 random records: 66 us, against 6 us
 * from a mapped file), 41% of a median query's block reads. Lucene keeps
 * stored fields in files of their own; so does sou.
 *
 * Two kinds of shard (SOU_META_RECORDS, sou/terms.h):
 *   - "slot" (or unset): the value slot is the record of truth (remote
 *     shards return it as a sort key) and this file a derived copy that a
 *     reader uses when it can prove it current, else it reads the slot;
 *   - "file": this file is the only copy (sou-index's default, an index
 *     without positions that sou itself searches: the slot held 20% of its
 *     bytes). A writer syncs the records before the commit that adds their
 *     documents, so every entry up to the last committed docid is there
 *     whether or not "covered" was raised (sou_recmap_open's trust_all);
 *     compaction writes the new database's file (sou_recfile_merge).
 *
 * Two files in the shard's directory, beside Xapian's tables:
 *   sou-records.data   source blocks and passage parts, appended: a
 *                      source block (a 4-byte checksum, then the source
 *                      part of sou/record.h: its id and title) before the
 *                      first passage of each run of passages of one
 *                      source, then each passage part (sou/record.h:
 *                      ordinal, byte range, text). A source's id and title
 *                      were 42% of the records when every record held them.
 *   sou-records.index  a 64-byte header, then 16 bytes per docid d at
 *                      64 + (d - 1) * 16: the passage part's offset (6
 *                      bytes), length (3), the low 24 bits of its checksum
 *                      (3; rec_sum in record_file.c) and the distance back
 *                      to its source block (4), all little-endian
 * Header: "sou-records 3\n" padded with NULs to 16 bytes, the Xapian
 * database's UUID (36 characters), 4 bytes of 0, then "covered" (u64):
 * entries for docids 1..covered are complete and never rewritten.
 *
 * The writer (sou_writer in xapian_shim.cc) appends each added document's
 * record, makes both files durable before Xapian's commit and raises
 * covered to the new last docid after it. Entries past covered are left by
 * uncommitted or cancelled work and are written over by the next writer. A
 * writer that opens a shard whose file is missing, of another database
 * (UUID) or behind Xapian's last docid (an index from before this file, a
 * compaction's output, a crash between commit and header) first copies the
 * missing records from the value slot. Files are only ever appended to, or
 * replaced by unlink and create, never truncated: a reader's mapping stays
 * valid.
 */
#ifndef SOU_RECORD_FILE_H
#define SOU_RECORD_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "sou/error.h"
#include "sou/record.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SOU_RECFILE_DATA "sou-records.data"
#define SOU_RECFILE_INDEX "sou-records.index"
#define SOU_RECFILE_UUID_LEN 36

/* ---- writing ----------------------------------------------------------- */
typedef struct sou_recfile sou_recfile;

/* Open (or start afresh) the record file of the shard in directory dir,
 * whose Xapian UUID is uuid. *covered gets the last docid whose record the
 * file already holds: the caller copies the records of covered+1..last
 * from the index, then calls sou_recfile_sync and sou_recfile_cover. A file
 * of another UUID, or covering more than last_docid, is replaced. */
int sou_recfile_open(const char *dir, const char *uuid, uint32_t last_docid,
                     sou_recfile **out, uint32_t *covered, sou_error *err);
/* Append docid's record (buffered). */
int sou_recfile_put(sou_recfile *f, uint32_t docid, const char *rec, size_t len,
                    sou_error *err);
/* Write out the buffers and make both files durable (before the index's
 * commit). */
int sou_recfile_sync(sou_recfile *f, sou_error *err);
/* Record that docids 1..docid are complete (after the index's commit). */
int sou_recfile_cover(sou_recfile *f, uint32_t docid, sou_error *err);
void sou_recfile_close(sou_recfile *f);   /* drops unsynced buffers; NULL ok */

/* ---- reading ----------------------------------------------------------- */
typedef struct sou_recmap {
    const unsigned char *index;   /* mapped sou-records.index, or NULL */
    size_t index_len;
    const char *data;             /* mapped sou-records.data */
    size_t data_len;
    uint32_t covered;             /* usable docids: 1..covered */
} sou_recmap;

/* Map dir's record file if it belongs to uuid; docids above last_docid
 * (the reader's revision) are never used. m->covered is 0 when there is no
 * usable file (a reader then reads the value slot, or, for a "file" shard,
 * fails). trust_all (a "file" shard): entries up to last_docid are used
 * whatever the header's count says (each still has its checksum checked). */
void sou_recmap_open(sou_recmap *m, const char *dir, const char *uuid,
                     uint32_t last_docid, int trust_all);
void sou_recmap_close(sou_recmap *m);
/* docid's record into *r (its pointers into the mapping, valid while it
 * is mapped): 1, or 0 (not covered, or a checksum does not match). */
int sou_recmap_record(const sou_recmap *m, uint32_t docid, sou_record *r);

/* ---- merging ----------------------------------------------------------- */
/* The record file of a compacted database (directory dest, uuid, last
 * docid last) from its n sources' mapped files: source i's document d is
 * dest's d + offset[i], for each d in docs[i][0..ndocs[i]) (its used
 * docids, ascending). A record missing from a source fails with
 * SOU_ECORRUPT naming it. */
int sou_recfile_merge(const char *dest, const char *uuid, uint32_t last,
                      const sou_recmap *const *srcs, const char *const *src_names,
                      const uint32_t *const *docs, const size_t *ndocs,
                      const uint32_t *offset, size_t n, sou_error *err);

#ifdef __cplusplus
}
#endif
#endif
