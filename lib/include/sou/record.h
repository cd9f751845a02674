/* sou/record.h - the passage record, stored in value slot SOU_SLOT_RECORD of
 * each passage (sou/terms.h).
 *
 * Format (version 1), all integers unsigned LEB128 varints:
 *   byte 0x01 (format version)
 *   ordinal, start, end          passage ordinal and byte range in the
 *                                decoded source text
 *   len + bytes  source id
 *   len + bytes  title
 *   len + bytes  passage text (UTF-8, exactly source[start..end))
 */
#ifndef SOU_RECORD_H
#define SOU_RECORD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sou_record {
    uint64_t ordinal, start, end;
    const char *source; size_t source_len;
    const char *title; size_t title_len;
    const char *text; size_t text_len;
} sou_record;

/* Encode r into a malloc'd buffer (*out, *out_len); caller frees.
 * Returns 0 or SOU_ENOMEM. */
int sou_record_encode(const sou_record *r, char **out, size_t *out_len);

/* Decode buf[0..len) into r; r's pointers point into buf (valid while buf
 * is). Returns 0 or SOU_ECORRUPT. */
int sou_record_decode(const char *buf, size_t len, sou_record *r);

/* The record in two parts, for the record file beside each shard
 * (lib/store/record_file.h), which keeps a source's id and title once for
 * all its passages: the source part (len + bytes source id, len + bytes
 * title) and the passage part (ordinal, start, end, then the text to the
 * end of the part), in the varints above. *_size is the most a put
 * writes; put_* return the bytes written at p. get_source parses a source
 * part at p[0..len) (*used: its length); get_passage a whole passage part;
 * both fill only their fields of r and return 0 or SOU_ECORRUPT. */
size_t sou_record_source_size(const sou_record *r);
size_t sou_record_put_source(const sou_record *r, unsigned char *p);
int sou_record_get_source(const unsigned char *p, size_t len, sou_record *r, size_t *used);
size_t sou_record_passage_size(const sou_record *r);
size_t sou_record_put_passage(const sou_record *r, unsigned char *p);
int sou_record_get_passage(const unsigned char *p, size_t len, sou_record *r);

/* The order of passages in their sources: by source id (bytewise; a
 * prefix first), then by ordinal. <0, 0 or >0, as memcmp. Only the source
 * and ordinal fields are read. */
int sou_record_order(const sou_record *a, const sou_record *b);

#ifdef __cplusplus
}
#endif
#endif
