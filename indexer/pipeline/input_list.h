/* indexer/pipeline/input_list.h - expanding command-line paths into the
 * list of input files to index (directories walked recursively). */
#ifndef SOU_INDEXER_INPUT_LIST_H
#define SOU_INDEXER_INPUT_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "strset.h"

typedef struct sou_input_file {
    char *path;        /* as given, or DIR "/" name for walked entries */
    uint64_t size;     /* bytes (0 for stdin / FIFOs) */
    int error;         /* -errno when the entry cannot be used (reported by
                          the pipeline as that input's failure), else 0 */
    const char *why;   /* static reason when error != 0 */
} sou_input_file;

typedef struct sou_input_list {
    sou_input_file *files;
    size_t n, cap;
    sou_strset given;  /* paths already listed */
} sou_input_list;

/* Append the inputs named by path: "-" (stdin), a file, or a directory
 * walked recursively in byte order of names (so runs are reproducible);
 * entries whose name starts with '.' are skipped inside directories;
 * symlinks are followed (directory cycles are cut); a walked entry that is
 * neither a regular file nor a directory, or a dangling symlink, is listed
 * with its error. The same path given twice is listed once.
 * Returns 0 or SOU_ENOMEM. */
int sou_input_list_add(sou_input_list *l, const char *path);
void sou_input_list_free(sou_input_list *l);

#endif
