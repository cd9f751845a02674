/* indexer/pipeline/input_list.c - expands command-line paths into input
 * files: recursive, sorted directory walks, so a run is reproducible. */
#include "input_list.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sou/error.h"

typedef struct dir_id { dev_t dev; ino_t ino; } dir_id;

static int push(sou_input_list *l, const char *path, uint64_t size, int error,
                const char *why)
{
    int added = sou_strset_add(&l->given, path, strlen(path));
    if (added < 0) return added;
    if (added == 0) return 0;   /* same path listed before */
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 256;
        sou_input_file *nf = realloc(l->files, nc * sizeof *nf);
        if (!nf) return SOU_ENOMEM;
        l->files = nf;
        l->cap = nc;
    }
    char *p = strdup(path);
    if (!p) return SOU_ENOMEM;
    l->files[l->n++] = (sou_input_file){p, size, error, why};
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(sou_input_list *l, const char *dir, dir_id *stack, size_t depth);

static int add_entry(sou_input_list *l, const char *path, int walked,
                     dir_id *stack, size_t depth)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        struct stat lst;
        const char *why = (e == ENOENT && lstat(path, &lst) == 0 &&
                           S_ISLNK(lst.st_mode)) ? "dangling symbolic link"
                                                 : NULL;
        return push(l, path, 0, -e, why);
    }
    if (S_ISDIR(st.st_mode)) {
        for (size_t i = 0; i < depth; i++)
            if (stack[i].dev == st.st_dev && stack[i].ino == st.st_ino)
                return 0;   /* a symlink cycle */
        if (depth >= 256) return push(l, path, 0, -ELOOP, "directory nesting too deep");
        stack[depth] = (dir_id){st.st_dev, st.st_ino};
        return walk(l, path, stack, depth + 1);
    }
    if (walked && !S_ISREG(st.st_mode))
        return push(l, path, 0, SOU_EINVAL, "not a regular file (skipped)");
    return push(l, path, S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0, 0, NULL);
}

static int walk(sou_input_list *l, const char *dir, dir_id *stack, size_t depth)
{
    DIR *d = opendir(dir);
    if (!d) return push(l, dir, 0, -errno, NULL);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;   /* ., .., hidden files and dirs */
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) { rc = SOU_ENOMEM; break; }
            names = nn;
            cap = nc;
        }
        if (!(names[n] = strdup(e->d_name))) { rc = SOU_ENOMEM; break; }
        n++;
    }
    closedir(d);
    if (rc == 0) qsort(names, n, sizeof *names, cmp_names);
    size_t dl = strlen(dir);
    int slash = dl > 0 && dir[dl - 1] == '/';
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t nl = strlen(names[i]);
        char *p = malloc(dl + nl + 2);
        if (!p) { rc = SOU_ENOMEM; break; }
        memcpy(p, dir, dl);
        size_t o = dl;
        if (!slash) p[o++] = '/';
        memcpy(p + o, names[i], nl + 1);
        rc = add_entry(l, p, 1, stack, depth);
        free(p);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

int sou_input_list_add(sou_input_list *l, const char *path)
{
    if (strcmp(path, "-") == 0) return push(l, path, 0, 0, NULL);
    dir_id *stack = malloc(257 * sizeof *stack);
    if (!stack) return SOU_ENOMEM;
    int rc = add_entry(l, path, 0, stack, 0);
    free(stack);
    return rc;
}

void sou_input_list_free(sou_input_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) free(l->files[i].path);
    free(l->files);
    sou_strset_free(&l->given);
    memset(l, 0, sizeof *l);
}
