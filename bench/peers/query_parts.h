/* bench/peers/query_parts.h - how the C peers read a bench query: parts
 * separated by spaces or tabs, a "..." part kept whole (quotes dropped; an
 * unclosed quote runs to the end). Each peer maps the parts to its own
 * query syntax. */
#ifndef BENCH_QUERY_PARTS_H
#define BENCH_QUERY_PARTS_H

/* The next part of *s as [*b, *e), which may be empty (""); 0 at the end. */
static inline int query_next_part(const char **s, const char **b, const char **e)
{
    const char *p = *s;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) {
        *s = p;
        return 0;
    }
    if (*p == '"') {
        *b = ++p;
        while (*p && *p != '"') p++;
        *e = p;
        if (*p) p++;
    } else {
        *b = p;
        while (*p && *p != ' ' && *p != '\t') p++;
        *e = p;
    }
    *s = p;
    return 1;
}

#endif
