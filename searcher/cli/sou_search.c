/* sou_search.c - the sou-search command: search a sou index from the shell.
 *
 *   sou-search --index DIR [options] QUERY...
 *   sou-search --index DIR [options] < queries.txt     (batch: one per line)
 *
 * Human output: rank, score, source #ordinal, title, then the snippet with
 * highlights in bold colour on a terminal (NO_COLOR or --color=never turn
 * colour off; it is off when stdout is not a terminal).
 *
 * --json prints JSON Lines. Each result is
 *   {"rank":1,"source":..,"ordinal":..,"title":..,"score":..,"start":..,
 *    "end":..,"text":..,"snippet":..,"highlights":[[s,e],..],
 *    "snippet_highlights":[[s,e],..]}
 * (highlights are byte offsets into "text"; snippet_highlights into
 * "snippet"), and every answer ends with one summary line
 *   {"query":..,"done":true,"count":N,"estimated":M,"missing_shards":[..]}
 * plus "error" (and "code") when the query failed: "count" is the number
 * of results printed, "estimated" Xapian's estimate of all matches. A
 * reader splits a batch's output at the lines that have "done". With
 * --count only the summary line is printed and "count" is the exact
 * number of matches. --explain adds "explain" to each result and
 * "terms" and "xapian_query" to the summary.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sou/search.h"

typedef struct cli {
    const char **paths; size_t npaths;
    sou_index_options iopts;
    sou_search_options sopts;
    int json, count, explain, lenient, color;
    const char *hl_on, *hl_off;
} cli;

static void usage(FILE *f)
{
    fputs(
"usage: sou-search --index DIR [options] [QUERY...]\n"
"Search a sou index. With no QUERY, read one query per line from stdin.\n"
"Options may follow the query; put a query that starts with '-' after --\n"
"(sou-search --index DIR -- -word) or inside one quoted argument.\n"
"\n"
"  -i, --index DIR        index directory (DIR/sou.stub if present), a stub\n"
"                         file, or tcp:HOST:PORT; repeatable\n"
"      --shard SPEC       one more shard: a directory or tcp:HOST:PORT\n"
"  -n, --limit N          results to show (default 10; 0: every match)\n"
"      --offset N         skip the first N results\n"
"      --collapse         best passage per source only\n"
"      --count            print the exact number of matches only\n"
"      --json             JSON Lines (see the man page comment in the source)\n"
"      --explain          analyzed query, Xapian query, BM25 parts per hit\n"
"      --lenient          read the query as plain words (no operators)\n"
"      --k1 X, --b X      BM25 parameters (default 1.2, 1.0)\n"
"      --snippet-chars N  snippet length in characters (default 160)\n"
"      --connect-timeout MS   remote shard TCP connect timeout (default 10000)\n"
"      --timeout MS       remote shard reply timeout, also for the greeting of\n"
"                         a server that accepts but hangs (default 10000)\n"
"      --allow-partial    answer from the shards that respond\n"
"      --color WHEN       auto (default), always, never\n"
"  -h, --help\n"
"\n"
"Query language: words are ANDed; OR, NOT (uppercase), -word, +word,\n"
"(groups), \"exact phrase\", prefix*, title:word, source:path/ or source:name.\n",
        f);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

/* ---- JSON ---- */

static void json_str(FILE *f, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    putc('"', f);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            putc('\\', f);
            putc(c, f);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            if (c == '\n') fputs("\\n", f);
            else if (c == '\t') fputs("\\t", f);
            else if (c == '\r') fputs("\\r", f);
            else fprintf(f, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
            i++;
        } else if (c < 0x80) {
            putc(c, f);
            i++;
        } else {
            size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                     : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
            int ok = n && i + n <= len;
            for (size_t k = 1; ok && k < n; k++)
                if (((unsigned char)s[i + k] & 0xC0) != 0x80) ok = 0;
            if (ok) {
                fwrite(s + i, 1, n, f);
                i += n;
            } else {
                fputs("\\ufffd", f);
                i++;
            }
        }
    }
    putc('"', f);
}

static void json_spans(FILE *f, const sou_highlight *h, size_t n)
{
    putc('[', f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s[%zu,%zu]", i ? "," : "", h[i].start, h[i].end);
    putc(']', f);
}

/* ---- output ---- */

static void print_plain(FILE *f, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        putc(c < 0x20 || c == 0x7F ? ' ' : c, f);
    }
}

static void print_highlighted(const cli *c, const char *s, size_t len,
                              const sou_highlight *h, size_t n)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (h[i].start < at || h[i].end > len) continue;
        print_plain(stdout, s + at, h[i].start - at);
        fputs(c->hl_on, stdout);
        print_plain(stdout, s + h[i].start, h[i].end - h[i].start);
        fputs(c->hl_off, stdout);
        at = h[i].end;
    }
    print_plain(stdout, s + at, len - at);
}

static void print_missing_json(sou_index *ix)
{
    fputs(",\"missing_shards\":[", stdout);
    size_t k = 0;
    for (size_t i = 0; i < sou_index_shard_count(ix); i++)
        if (!sou_index_shard_ok(ix, i)) {
            const char *name = sou_index_shard_name(ix, i);
            if (k++) putc(',', stdout);
            json_str(stdout, name, strlen(name));
        }
    putc(']', stdout);
}

static void print_missing_human(sou_index *ix)
{
    for (size_t i = 0; i < sou_index_shard_count(ix); i++)
        if (!sou_index_shard_ok(ix, i))
            printf("(partial results: shard %s did not answer)\n",
                   sou_index_shard_name(ix, i));
}

static void print_terms_json(const sou_search_query *q)
{
    fputs(",\"terms\":[", stdout);
    for (size_t i = 0; i < sou_search_query_term_count(q); i++) {
        const sou_query_term_info *t = sou_search_query_term(q, i);
        fputs(i ? ",{\"term\":" : "{\"term\":", stdout);
        json_str(stdout, t->term, t->len);
        printf(",\"kind\":\"%s\",\"wqf\":%u}", t->kind, t->wqf);
    }
    fputs("],\"xapian_query\":", stdout);
    const char *d = sou_search_query_describe(q);
    json_str(stdout, d, strlen(d));
}

static int explain_hit(const cli *c, sou_index *ix, const sou_search_query *q,
                       const sou_results *res, size_t i)
{
    size_t nt = sou_search_query_term_count(q);
    sou_explain_part *parts = calloc(nt ? nt : 1, sizeof *parts);
    uint64_t N = 0;
    double avlen = 0;
    sou_error err = {0};
    if (!parts) return SOU_ENOMEM;
    int rc = sou_search_explain(ix, q, &c->sopts, res, i, parts, &N, &avlen, &err);
    if (rc) {
        fprintf(stderr, "sou-search: explain: %s\n", err.msg);
        free(parts);
        return rc;
    }
    const sou_result *r = sou_results_get(res, i);
    double sum = 0;
    for (size_t k = 0; k < nt; k++) sum += parts[k].weight;
    if (c->json) {
        printf(",\"explain\":{\"doccount\":%llu,\"avlength\":%.4f,\"doclen\":%u,"
               "\"sum\":%.6f,\"terms\":[",
               (unsigned long long)N, avlen, r->doclen, sum);
        for (size_t k = 0; k < nt; k++) {
            fputs(k ? ",{\"term\":" : "{\"term\":", stdout);
            json_str(stdout, parts[k].term, parts[k].len);
            printf(",\"termfreq\":%llu,\"wdf\":%u,\"idf\":%.6f,\"weight\":%.6f}",
                   (unsigned long long)parts[k].termfreq, parts[k].wdf,
                   parts[k].idf, parts[k].weight);
        }
        fputs("]}", stdout);
    } else {
        printf("    bm25: N=%llu avlength=%.2f doclen=%u k1=%g b=%g; sum of parts %.4f\n",
               (unsigned long long)N, avlen, r->doclen, c->sopts.k1, c->sopts.b, sum);
        for (size_t k = 0; k < nt; k++) {
            if (!parts[k].wdf) continue;
            printf("      %-16.*s termfreq=%llu wdf=%u idf=%.4f weight=%.4f\n",
                   (int)parts[k].len, parts[k].term,
                   (unsigned long long)parts[k].termfreq, parts[k].wdf,
                   parts[k].idf, parts[k].weight);
        }
    }
    free(parts);
    return 0;
}

static void print_done_json(sou_index *ix, const char *text, size_t len,
                            uint64_t count, uint64_t estimated,
                            const sou_search_query *q, const cli *c,
                            const sou_error *err)
{
    fputs("{\"query\":", stdout);
    json_str(stdout, text, len);
    printf(",\"done\":true,\"count\":%llu,\"estimated\":%llu",
           (unsigned long long)count, (unsigned long long)estimated);
    print_missing_json(ix);
    if (q && c->explain) print_terms_json(q);
    if (err) {
        fputs(",\"error\":", stdout);
        json_str(stdout, err->msg, strlen(err->msg));
        printf(",\"code\":%d", err->code);
    }
    fputs("}\n", stdout);
}

/* Answer one query; returns 0 or the failure code (already reported). */
static int answer(const cli *c, sou_index *ix, const char *text, size_t len)
{
    sou_error err = {0};
    sou_search_query *q = NULL;
    sou_results *res = NULL;
    int rc = sou_search_query_parse(ix, text, len, c->lenient ? SOU_QUERY_LENIENT : 0,
                                    &q, &err);
    if (!rc && c->count) {
        uint64_t n = 0;
        rc = sou_search_count(ix, q, c->sopts.collapse, &n, &err);
        if (!rc) {
            if (c->json) print_done_json(ix, text, len, n, n, q, c, NULL);
            else {
                print_missing_human(ix);
                printf("%llu\n", (unsigned long long)n);
            }
        }
    } else if (!rc) {
        rc = sou_search_run(ix, q, &c->sopts, &res, &err);
    }
    if (rc) {
        if (c->json) print_done_json(ix, text, len, 0, 0, NULL, c, &err);
        fprintf(stderr, "sou-search: %s\n", err.msg[0] ? err.msg : sou_strerror(rc));
        sou_search_query_free(q);
        return rc;
    }
    if (res) {
        size_t n = sou_results_size(res);
        if (!c->json) {
            print_missing_human(ix);
            if (c->explain) {
                printf("query: ");
                print_plain(stdout, text, len);
                printf("\nterms:");
                for (size_t i = 0; i < sou_search_query_term_count(q); i++) {
                    const sou_query_term_info *t = sou_search_query_term(q, i);
                    printf(" %.*s(%s%s)", (int)t->len, t->term, t->kind,
                           t->wqf > 1 ? ",wqf>1" : "");
                }
                printf("\nxapian: %s\n", sou_search_query_describe(q));
            }
        }
        for (size_t i = 0; i < n; i++) {
            const sou_result *r = sou_results_get(res, i);
            if (c->json) {
                printf("{\"rank\":%llu,\"source\":", (unsigned long long)(c->sopts.offset + i + 1));
                json_str(stdout, r->source, r->source_len);
                printf(",\"ordinal\":%llu,\"title\":", (unsigned long long)r->ordinal);
                json_str(stdout, r->title, r->title_len);
                printf(",\"score\":%.6f,\"start\":%llu,\"end\":%llu,\"text\":", r->score,
                       (unsigned long long)r->start, (unsigned long long)r->end);
                json_str(stdout, r->text, r->text_len);
                fputs(",\"snippet\":", stdout);
                json_str(stdout, r->snippet ? r->snippet : "", r->snippet_len);
                fputs(",\"highlights\":", stdout);
                json_spans(stdout, r->highlights, r->n_highlights);
                fputs(",\"snippet_highlights\":", stdout);
                json_spans(stdout, r->snippet_highlights, r->n_snippet_highlights);
                if (c->explain) explain_hit(c, ix, q, res, i);
                fputs("}\n", stdout);
            } else {
                printf("%s%llu.%s %s%.*s%s #%llu  %.3f",
                       c->color ? "\033[1m" : "", (unsigned long long)(c->sopts.offset + i + 1),
                       c->color ? "\033[0m" : "", c->color ? "\033[32m" : "",
                       (int)r->source_len, r->source, c->color ? "\033[0m" : "",
                       (unsigned long long)r->ordinal, r->score);
                if (r->title_len) {
                    fputs("  ", stdout);
                    if (c->color) fputs("\033[1m", stdout);
                    print_plain(stdout, r->title, r->title_len);
                    if (c->color) fputs("\033[0m", stdout);
                }
                fputs("\n    ", stdout);
                print_highlighted(c, r->snippet ? r->snippet : "", r->snippet_len,
                                  r->snippet_highlights, r->n_snippet_highlights);
                putc('\n', stdout);
                if (c->explain) explain_hit(c, ix, q, res, i);
            }
        }
        uint64_t est = sou_results_matches_estimated(res);
        if (c->json) print_done_json(ix, text, len, n, est, q, c, NULL);
        else if (n == 0) printf("no matches\n");
        else printf("-- %zu shown, %s%llu matching passages%s\n", n,
                    c->sopts.exact_count ? "" : "about ", (unsigned long long)est,
                    c->sopts.collapse ? " (collapsed by source)" : "");
    }
    sou_results_free(res);
    sou_search_query_free(q);
    return 0;
}

static int batch(const cli *c, sou_index *ix)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int failed = 0, first = 1;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        if (!c->json && !c->count) {
            if (!first) putc('\n', stdout);
            printf("== ");
            print_plain(stdout, line, len);
            putc('\n', stdout);
        }
        first = 0;
        if (answer(c, ix, line, len)) failed = 1;
        fflush(stdout);
    }
    free(line);
    return failed;
}

int main(int argc, char **argv)
{
    cli c = {0};
    sou_index_options_default(&c.iopts);
    sou_search_options_default(&c.sopts);
    const char *color = "auto";
    c.paths = calloc((size_t)argc, sizeof *c.paths);
    if (!c.paths) return 1;
    enum { O_SHARD = 256, O_OFFSET, O_COLLAPSE, O_COUNT, O_JSON, O_EXPLAIN,
           O_LENIENT, O_K1, O_B, O_SNIP, O_CTIMEOUT, O_TIMEOUT, O_PARTIAL, O_COLOR };
    static const struct option longopts[] = {
        {"index", required_argument, 0, 'i'},
        {"shard", required_argument, 0, O_SHARD},
        {"limit", required_argument, 0, 'n'},
        {"offset", required_argument, 0, O_OFFSET},
        {"collapse", no_argument, 0, O_COLLAPSE},
        {"count", no_argument, 0, O_COUNT},
        {"json", no_argument, 0, O_JSON},
        {"explain", no_argument, 0, O_EXPLAIN},
        {"lenient", no_argument, 0, O_LENIENT},
        {"k1", required_argument, 0, O_K1},
        {"b", required_argument, 0, O_B},
        {"snippet-chars", required_argument, 0, O_SNIP},
        {"connect-timeout", required_argument, 0, O_CTIMEOUT},
        {"timeout", required_argument, 0, O_TIMEOUT},
        {"allow-partial", no_argument, 0, O_PARTIAL},
        {"color", required_argument, 0, O_COLOR},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int opt;
    uint64_t u;
    while ((opt = getopt_long(argc, argv, "i:n:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'i': case O_SHARD: c.paths[c.npaths++] = optarg; break;
        case 'n':
            if (parse_u64(optarg, &c.sopts.limit)) goto bad_number;
            break;
        case O_OFFSET:
            if (parse_u64(optarg, &c.sopts.offset)) goto bad_number;
            break;
        case O_COLLAPSE: c.sopts.collapse = 1; break;
        case O_COUNT: c.count = 1; break;
        case O_JSON: c.json = 1; break;
        case O_EXPLAIN: c.explain = 1; break;
        case O_LENIENT: c.lenient = 1; break;
        case O_K1: if (parse_double(optarg, &c.sopts.k1)) goto bad_number; break;
        case O_B: if (parse_double(optarg, &c.sopts.b)) goto bad_number; break;
        case O_SNIP:
            if (parse_u64(optarg, &u)) goto bad_number;
            c.sopts.snippet_chars = (size_t)u;
            break;
        case O_CTIMEOUT:
            if (parse_u64(optarg, &u) || u > 3600000) goto bad_number;
            c.iopts.connect_timeout_ms = (unsigned)u;
            break;
        case O_TIMEOUT:
            if (parse_u64(optarg, &u) || u > 3600000) goto bad_number;
            c.iopts.timeout_ms = (unsigned)u;
            break;
        case O_PARTIAL: c.iopts.allow_partial = 1; break;
        case O_COLOR: color = optarg; break;
        case 'h': usage(stdout); free(c.paths); return 0;
        default: usage(stderr); free(c.paths); return 2;
        }
        continue;
bad_number:
        fprintf(stderr, "sou-search: bad number '%s' for %s\n", optarg, argv[optind - 1]);
        free(c.paths);
        return 2;
    }
    if (c.npaths == 0) {
        fprintf(stderr, "sou-search: --index DIR (or --shard SPEC) is required\n");
        usage(stderr);
        free(c.paths);
        return 2;
    }
    const char *nc = getenv("NO_COLOR");
    if (strcmp(color, "always") == 0) c.color = 1;
    else if (strcmp(color, "never") == 0) c.color = 0;
    else if (strcmp(color, "auto") == 0) c.color = isatty(1) && !(nc && nc[0]);
    else {
        fprintf(stderr, "sou-search: --color must be auto, always or never\n");
        free(c.paths);
        return 2;
    }
    c.hl_on = c.color ? "\033[1;31m" : "";
    c.hl_off = c.color ? "\033[0m" : "";
    if (c.count) c.sopts.exact_count = 1;
    if (c.explain) c.sopts.with_doclen = 1;

    sou_error err = {0};
    sou_index *ix = NULL;
    int rc = sou_index_open(c.paths, c.npaths, &c.iopts, &ix, &err);
    if (rc) {
        fprintf(stderr, "sou-search: %s\n", err.msg[0] ? err.msg : sou_strerror(rc));
        free(c.paths);
        return 1;
    }
    int failed;
    if (optind < argc) {
        size_t len = 0;
        for (int i = optind; i < argc; i++) len += strlen(argv[i]) + 1;
        char *text = malloc(len + 1), *p = text;
        if (!text) return 1;
        for (int i = optind; i < argc; i++) {
            size_t l = strlen(argv[i]);
            if (p != text) *p++ = ' ';
            memcpy(p, argv[i], l);
            p += l;
        }
        failed = answer(&c, ix, text, (size_t)(p - text)) != 0;
        free(text);
    } else {
        failed = batch(&c, ix);
    }
    sou_index_close(ix);
    free(c.paths);
    return failed ? 1 : 0;
}
