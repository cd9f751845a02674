/* testlib.h - helpers shared by the C tests (static library sou_testlib):
 * a CHECK macro that counts failures and keeps going, reading a whole
 * file, a scratch directory under $TMPDIR, and xapian-tcpsrv servers on
 * free 127.0.0.1 ports that die with the test. */
#ifndef SOU_TESTLIB_H
#define SOU_TESTLIB_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Checks run and checks failed so far (CHECK counts both). */
extern int tl_checks, tl_failures;

/* Count a failed check and print where, the condition and a printf-style
 * message; keep going so one run shows every failing row. */
#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        tl_checks++;                                                        \
        if (!(cond)) {                                                      \
            tl_failures++;                                                  \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
        }                                                                   \
    } while (0)

/* The whole file, NUL-terminated (the NUL not counted in *len; len may
 * be NULL). NULL if it cannot be opened or read. Free with free(). */
char *tl_read_file(const char *path, size_t *len);

/* Monotonic milliseconds, and a sleep of ms milliseconds. */
long long tl_now_ms(void);
void tl_sleep_ms(int ms);

/* Remove path and everything below it (read-only entries too). */
void tl_rm_rf(const char *path);

/* Make a fresh directory "$TMPDIR/<prefix>-XXXXXX" (/tmp without TMPDIR)
 * into buf; 0, or -1 after perror(). */
int tl_mkdtemp(char *buf, size_t cap, const char *prefix);

/* Remove dir unless SOU_KEEP is set in the environment (then say so). */
void tl_rm_scratch(const char *dir);

/* 1 if prog is found on PATH. */
int tl_have_program(const char *prog);

/* ---- xapian-tcpsrv on 127.0.0.1 ---------------------------------------- */

#define TL_MAX_SERVERS 8

/* Start xapian-tcpsrv serving db (a directory or stub file) in slot
 * (0..TL_MAX_SERVERS-1) on 127.0.0.1:fixed_port, or on a free port if
 * fixed_port is 0 (retried if another process takes it first). The server
 * runs in its own process group, so that one kill reaches the listener and
 * its per-connection forks, and dies with the test (PR_SET_PDEATHSIG).
 * Waits up to 5 s for it to listen. 0 and *port_out, or -1. */
int tl_server_start(int slot, const char *db, int fixed_port, int *port_out);

/* The server's pid (its process group), or 0 when slot is not running. */
pid_t tl_server_pid(int slot);

/* Kill slot's process group (stopped ones too) and reap it; no-op when
 * not running. */
void tl_server_stop(int slot);

/* Stop every server. Async-signal-safe (kill, waitpid): usable from
 * atexit and from fatal-signal handlers. */
void tl_server_stop_all(void);

#endif
