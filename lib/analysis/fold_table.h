/* fold_table.h - the generated folding tables (see gen_fold_table.c).
 * Internal header. All data is const: handles share it safely.
 *
 * A map entry is either a single code point (bit 31 clear), or, with bit
 * 31 set, a string of (v >> 24 & 0x7f) code points starting at
 * sou_fold_pool[v & 0xffffff] (length 0: the code point folds to nothing,
 * e.g. U+00AD SOFT HYPHEN).
 */
#ifndef SOU_FOLD_TABLE_H
#define SOU_FOLD_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define SOU_FOLD_MULTI 0x80000000u

typedef struct sou_fold_supp {
    uint32_t cp;
    uint32_t plain;   /* NFKC_Casefold */
    uint32_t t2s;     /* NFKC_Casefold then Traditional->Simplified */
    uint32_t bb;      /* NFKC_Casefold has a boundary before cp */
} sou_fold_supp;

extern const uint16_t sou_fold_props[65536];     /* see charprops.h */
extern const uint32_t sou_fold_map_plain[65536];
extern const uint32_t sou_fold_map_t2s[65536];
extern const uint32_t sou_fold_pool[];
extern const sou_fold_supp sou_fold_supp_table[]; /* sorted by cp */
extern const size_t sou_fold_supp_count;
extern const char sou_fold_icu_version[];         /* ICU that made the table */
/* {fold(Traditional word), fold(ICU's Simplified word)} where they differ
 * (gen_fold_table.c); sou_fold_word_pair_count entries, then {0, 0}. */
extern const char *const sou_fold_word_pairs[][2];
extern const size_t sou_fold_word_pair_count;

#endif
