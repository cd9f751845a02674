/* indexer/pipeline/strset.c - open-addressing set of byte strings. */
#include "strset.h"

#include <stdlib.h>
#include <string.h>

#include "sou/error.h"

uint64_t sou_fnv1a64(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int slot_eq(const char *slot, const char *s, size_t len)
{
    uint64_t l;
    memcpy(&l, slot, 8);
    return l == len && memcmp(slot + 8, s, len) == 0;
}

static size_t find(const sou_strset *set, const char *s, size_t len)
{
    size_t mask = set->cap - 1;
    size_t i = (size_t)sou_fnv1a64(s, len) & mask;
    while (set->slots[i] && !slot_eq(set->slots[i], s, len)) i = (i + 1) & mask;
    return i;
}

static int grow(sou_strset *set)
{
    size_t ncap = set->cap ? set->cap * 2 : 64;
    char **old = set->slots;
    size_t ocap = set->cap;
    set->slots = calloc(ncap, sizeof *set->slots);
    if (!set->slots) {
        set->slots = old;
        return SOU_ENOMEM;
    }
    set->cap = ncap;
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i]) continue;
        uint64_t l;
        memcpy(&l, old[i], 8);
        set->slots[find(set, old[i] + 8, (size_t)l)] = old[i];
    }
    free(old);
    return 0;
}

int sou_strset_add(sou_strset *set, const char *s, size_t len)
{
    if ((set->n + 1) * 4 > set->cap * 3 && grow(set) != 0) return SOU_ENOMEM;
    size_t i = find(set, s, len);
    if (set->slots[i]) return 0;
    char *p = malloc(8 + len);
    if (!p) return SOU_ENOMEM;
    uint64_t l = len;
    memcpy(p, &l, 8);
    memcpy(p + 8, s, len);
    set->slots[i] = p;
    set->n++;
    return 1;
}

int sou_strset_has(const sou_strset *set, const char *s, size_t len)
{
    if (!set->cap) return 0;
    return set->slots[find(set, s, len)] != NULL;
}

void sou_strset_free(sou_strset *set)
{
    if (!set) return;
    for (size_t i = 0; i < set->cap; i++) free(set->slots[i]);
    free(set->slots);
    set->slots = NULL;
    set->cap = set->n = 0;
}
