/* indexer/pipeline/strset.h - a set of byte strings (open addressing), for
 * de-duplicating input paths and remembering the sources seen by a run. */
#ifndef SOU_INDEXER_STRSET_H
#define SOU_INDEXER_STRSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct sou_strset {
    char **slots;      /* each: 8-byte length + bytes, malloc'd; NULL empty */
    size_t cap, n;
} sou_strset;

/* Insert s[0..len) (copied). Returns 1 if added, 0 if already there,
 * SOU_ENOMEM. */
int sou_strset_add(sou_strset *set, const char *s, size_t len);
int sou_strset_has(const sou_strset *set, const char *s, size_t len);
void sou_strset_free(sou_strset *set);

uint64_t sou_fnv1a64(const char *s, size_t len);

#endif
