/* indexer/main.c - the sou-index command line: options, signals, progress
 * line, per-input reports, summary and exit status. The work itself is in
 * pipeline/ (see pipeline.h); `sou-index analyze` is analyze_cmd.c. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/pipeline.h"
#include "passages/passage.h"

#include "analyze_cmd.h"

/* Defaults chosen by measurement: a perf profile of sou-index on the
 * LibreOffice zh-CN help (2 cores, --shards 2 --threads 2) put 95% of CPU
 * in the two shard writer threads (Xapian's inverter, zlib, std::map) and 5%
 * in analysis, so one writer per core (shards = cores, capped) is what
 * keeps every core busy; analysis threads default to the core count. */
#define MAX_DEFAULT_SHARDS 8
#define DEFAULT_COMMIT_PASSAGES 100000
#define DEFAULT_COMMIT_MB 64

enum { EXIT_OK = 0, EXIT_INPUTS = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    stop_flag = 1;
    /* A second signal kills at once (the index stays at its last commit). */
    signal(sig, SIG_DFL);
}

static void usage(FILE *f)
{
    fprintf(f,
"usage: sou-index --index DIR [options] PATH...\n"
"       sou-index analyze [options] [TEXT]   (show the analyzer's terms)\n"
"\n"
"Index files, directories (recursively; names starting with '.' skipped)\n"
"and '-' (stdin) into the sou index DIR: passages of each source document,\n"
"analyzed for mixed Chinese/Japanese/Korean/English search. Re-indexing a\n"
"source replaces its passages, so runs are repeatable.\n"
"\n"
"inputs:\n"
"  --format F          text, markdown, html, jsonl (default: by extension)\n"
"  --encoding E        charset of every input (default: detect UTF-8/16,\n"
"                      GB18030, Big5)\n"
"  --id-field F        JSON Lines fields (default id, title, text)\n"
"  --title-field F\n"
"  --text-field F\n"
"  --passage-chars N   passage size limit in characters (default %d)\n"
"index:\n"
"  --index DIR         index directory (created if missing)\n"
"  --shards N          writer shards (default: cores, max %d); an index kept\n"
"                      as shards (--no-compact) keeps its count; a merged\n"
"                      one is rebuilt by the next run (it has no termlists)\n"
"  --shard K/N         index only sources with fnv1a64(id) %% N == K: this\n"
"                      DIR is member K of an N-way shard set\n"
"  --stub FILE         with --shard: add/update DIR's line in stub FILE\n"
"  --no-compact        keep the shards at the end, with termlists, so a later\n"
"                      run updates them in place (default: merge them into\n"
"                      one compact database without termlists, which queries\n"
"                      are faster on and which is a third of their size; the\n"
"                      next run rebuilds it, carrying over what it does not\n"
"                      index)\n"
"  --compact           merge them (the default)\n"
"  --positions         store term positions (default only with --shard: parts\n"
"                      served by xapian-tcpsrv need them); without, phrases\n"
"                      are checked against the stored passage text\n"
"  --no-positions      do not store them (the default for a new index)\n"
"  --prune             remove sources not among this run's inputs (skipped\n"
"                      when an input fails or the run is interrupted)\n"
"speed:\n"
"  --threads N         analysis threads (default: cores, %ld)\n"
"  --commit-passages N commit a shard after N passages (default %d)\n"
"  --commit-mb N       ... or after N MB of passage text (default %d);\n"
"                      commits only fall between source documents\n"
"output:\n"
"  --quiet             no progress line and no summary\n"
"  --help\n"
"\n"
"exit status: 0 ok, 1 some inputs failed (reported; the rest indexed),\n"
"2 usage or fatal error (index unchanged since its last commit),\n"
"130 interrupted (what was done is committed).\n",
            SOU_PASSAGE_CHARS_DEFAULT, MAX_DEFAULT_SHARDS,
            sysconf(_SC_NPROCESSORS_ONLN), DEFAULT_COMMIT_PASSAGES,
            DEFAULT_COMMIT_MB);
}

typedef struct cli {
    int tty, quiet;
    int progress_shown;
    pthread_mutex_t mu;
} cli;

static void clear_progress(cli *c)
{
    if (c->progress_shown) {
        fputs("\r\033[K", stderr);
        c->progress_shown = 0;
    }
}

static void on_report(void *ctx, const char *path, uint64_t line, int code,
                      const char *msg, int warning)
{
    cli *c = ctx;
    pthread_mutex_lock(&c->mu);
    clear_progress(c);
    /* Messages from the readers may already start with the path. */
    size_t pl = strlen(path);
    if (strncmp(msg, path, pl) == 0 && msg[pl] == ':') {
        msg += pl + 1;
        while (*msg == ' ') msg++;
    }
    if (line)
        fprintf(stderr, "sou-index: %s:%llu: %s%s\n", path,
                (unsigned long long)line, msg, warning ? " (skipped)" : "");
    else
        fprintf(stderr, "sou-index: %s: %s\n", path, msg);
    (void)code;
    pthread_mutex_unlock(&c->mu);
}

static void on_progress(void *ctx, const sou_index_stats *s)
{
    cli *c = ctx;
    double mb = (double)s->bytes_done / 1e6, tmb = (double)s->bytes_total / 1e6;
    double pps = s->seconds > 0 ? (double)s->passages / s->seconds : 0;
    double rate = s->seconds > 0 ? (double)s->bytes_done / s->seconds : 0;
    char eta[32] = "--:--";
    if (rate > 0 && s->bytes_total >= s->bytes_done) {
        unsigned long left = (unsigned long)((double)(s->bytes_total - s->bytes_done) / rate);
        snprintf(eta, sizeof eta, "%lu:%02lu", left / 60, left % 60);
    }
    pthread_mutex_lock(&c->mu);
    fprintf(stderr, "\r\033[Ksou-index: %llu/%llu files  %.1f/%.1f MB  "
            "%llu passages (%.0f/s)  ETA %s",
            (unsigned long long)s->files_done, (unsigned long long)s->files_total,
            mb, tmb, (unsigned long long)s->passages, pps, eta);
    fflush(stderr);
    c->progress_shown = 1;
    pthread_mutex_unlock(&c->mu);
}

static int parse_uint(const char *opt, const char *s, unsigned long long max,
                      unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > max) {
        fprintf(stderr, "sou-index: %s: expected a number up to %llu, got \"%s\"\n",
                opt, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "analyze") == 0) {
        return sou_index_analyze_main(argc - 1, argv + 1);
    }
    enum { O_FORMAT = 256, O_ENCODING, O_ID, O_TITLE, O_TEXT, O_PCHARS,
           O_THREADS, O_SHARDS, O_SHARD, O_STUB, O_COMPACT, O_PRUNE,
           O_CPASS, O_CMB, O_QUIET, O_HELP, O_INDEX, O_POS, O_NOPOS, O_NOCOMPACT };
    static const struct option opts[] = {
        {"index", required_argument, 0, O_INDEX},
        {"format", required_argument, 0, O_FORMAT},
        {"encoding", required_argument, 0, O_ENCODING},
        {"id-field", required_argument, 0, O_ID},
        {"title-field", required_argument, 0, O_TITLE},
        {"text-field", required_argument, 0, O_TEXT},
        {"passage-chars", required_argument, 0, O_PCHARS},
        {"threads", required_argument, 0, O_THREADS},
        {"shards", required_argument, 0, O_SHARDS},
        {"shard", required_argument, 0, O_SHARD},
        {"stub", required_argument, 0, O_STUB},
        {"compact", no_argument, 0, O_COMPACT},
        {"no-compact", no_argument, 0, O_NOCOMPACT},
        {"prune", no_argument, 0, O_PRUNE},
        {"positions", no_argument, 0, O_POS},
        {"no-positions", no_argument, 0, O_NOPOS},
        {"commit-passages", required_argument, 0, O_CPASS},
        {"commit-mb", required_argument, 0, O_CMB},
        {"quiet", no_argument, 0, O_QUIET},
        {"help", no_argument, 0, O_HELP},
        {0, 0, 0, 0}};
    sou_index_config cfg;
    memset(&cfg, 0, sizeof cfg);
    sou_input_options_default(&cfg.input);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg.threads = cores > 0 ? (unsigned)cores : 1;
    cfg.default_shards = cfg.threads < MAX_DEFAULT_SHARDS ? cfg.threads
                                                          : MAX_DEFAULT_SHARDS;
    cfg.positions = -1;
    cfg.compact = 1;
    cfg.commit_passages = DEFAULT_COMMIT_PASSAGES;
    cfg.commit_bytes = (uint64_t)DEFAULT_COMMIT_MB << 20;
    cli c = {0};
    pthread_mutex_init(&c.mu, NULL);
    int opt;
    unsigned long long v;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case O_INDEX: cfg.dir = optarg; break;
        case O_FORMAT:
            if (sou_format_parse(optarg, &cfg.input.format) != 0) {
                fprintf(stderr, "sou-index: --format: unknown format \"%s\" "
                        "(text, markdown, html, jsonl)\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case O_ENCODING: cfg.input.encoding = optarg; break;
        case O_ID: cfg.input.id_field = optarg; break;
        case O_TITLE: cfg.input.title_field = optarg; break;
        case O_TEXT: cfg.input.text_field = optarg; break;
        case O_PCHARS:
            if (parse_uint("--passage-chars", optarg, 1u << 20, &v) || v < 16) {
                fprintf(stderr, "sou-index: --passage-chars: 16 .. 1048576\n");
                return EXIT_USAGE;
            }
            cfg.passage_chars = (size_t)v;
            break;
        case O_THREADS:
            if (parse_uint("--threads", optarg, 256, &v) || v == 0) return EXIT_USAGE;
            cfg.threads = (unsigned)v;
            break;
        case O_SHARDS:
            if (parse_uint("--shards", optarg, 256, &v) || v == 0) return EXIT_USAGE;
            cfg.shards = (unsigned)v;
            break;
        case O_SHARD: {
            unsigned k, n;
            char tail;
            if (sscanf(optarg, "%u/%u%c", &k, &n, &tail) != 2 || n == 0 || k >= n) {
                fprintf(stderr, "sou-index: --shard: expected K/N with 0 <= K < N, "
                        "got \"%s\"\n", optarg);
                return EXIT_USAGE;
            }
            cfg.shard_k = k;
            cfg.shard_n = n;
            break;
        }
        case O_STUB: cfg.stub_file = optarg; break;
        case O_COMPACT: cfg.compact = 1; break;
        case O_NOCOMPACT: cfg.compact = 0; break;
        case O_PRUNE: cfg.prune = 1; break;
        case O_POS: cfg.positions = 1; break;
        case O_NOPOS: cfg.positions = 0; break;
        case O_CPASS:
            if (parse_uint("--commit-passages", optarg, 1ull << 40, &v) || v == 0)
                return EXIT_USAGE;
            cfg.commit_passages = v;
            break;
        case O_CMB:
            if (parse_uint("--commit-mb", optarg, 1u << 20, &v) || v == 0)
                return EXIT_USAGE;
            cfg.commit_bytes = v << 20;
            break;
        case O_QUIET: c.quiet = 1; break;
        case O_HELP: usage(stdout); return EXIT_OK;
        default:
            fprintf(stderr, "sou-index: unknown or incomplete option \"%s\" "
                    "(see --help)\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (!cfg.dir) {
        fprintf(stderr, "sou-index: --index DIR is required (see --help)\n");
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        fprintf(stderr, "sou-index: no inputs: give files, directories or - "
                "(see --help)\n");
        return EXIT_USAGE;
    }
    if (cfg.stub_file && !cfg.shard_n) {
        fprintf(stderr, "sou-index: --stub needs --shard K/N\n");
        return EXIT_USAGE;
    }

    /* How many added passages Xapian buffers per shard before merging its
     * in-memory postings into the tables. Inside our transaction (see
     * lib/store/xapian_shim.cc) that merge never commits: commits stay ours,
     * between sources. The buffer is a std::map per term, so a big one costs
     * cache misses on every posting: on an 11 MB / 129,633-passage slice of
     * the real corpus (2 shards) 2,000 took 16.3-18.7 s against 23.5-27 s
     * with no merging before the 100,000-passage commit; 1,000-8,000 were
     * within noise of each other. A value in the environment wins. */
    setenv("XAPIAN_FLUSH_THRESHOLD", "2000", 0);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    c.tty = isatty(STDERR_FILENO);
    cfg.stop = &stop_flag;
    cfg.report = on_report;
    cfg.ctx = &c;
    if (c.tty && !c.quiet) {
        cfg.progress = on_progress;
        cfg.progress_ms = 250;
    }
    sou_index_stats st;
    sou_error err;
    sou_error_clear(&err);
    int rc = sou_index_run(&cfg, argv + optind, (size_t)(argc - optind), &st, &err);
    clear_progress(&c);
    if (rc != 0) {
        fprintf(stderr, "sou-index: %s\n", err.msg[0] ? err.msg : sou_strerror(rc));
        return EXIT_USAGE;
    }
    if (!c.quiet) {
        double mbs = st.seconds > 0 ? (double)st.text_bytes / 1e6 / st.seconds : 0;
        double pps = st.seconds > 0 ? (double)st.passages / st.seconds : 0;
        fprintf(stderr, "sou-index: %llu files, %llu sources, %llu passages, "
                "%.1f MB in %.2f s (%.2f MB/s, %.0f passages/s), %llu error%s",
                (unsigned long long)st.files_done, (unsigned long long)st.sources,
                (unsigned long long)st.passages, (double)st.text_bytes / 1e6,
                st.seconds, mbs, pps, (unsigned long long)st.errors,
                st.errors == 1 ? "" : "s");
        if (st.warnings)
            fprintf(stderr, ", %llu skipped records", (unsigned long long)st.warnings);
        if (st.skipped)
            fprintf(stderr, ", %llu sources of other shards", (unsigned long long)st.skipped);
        if (st.pruned)
            fprintf(stderr, ", %llu pruned", (unsigned long long)st.pruned);
        if (st.interrupted) fprintf(stderr, ", interrupted");
        fputc('\n', stderr);
    }
    if (st.interrupted) return EXIT_INTERRUPTED;
    return st.errors ? EXIT_INPUTS : EXIT_OK;
}
