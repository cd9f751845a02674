/* testlib.c - see testlib.h. */
#define _GNU_SOURCE
#include "testlib.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int tl_checks, tl_failures;

char *tl_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0, got;
    char *b = malloc(cap);
    while (b && (got = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) free(b);
            b = nb;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!b || bad) {
        free(b);
        return NULL;
    }
    b[n] = 0;
    if (len) *len = n;
    return b;
}

long long tl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void tl_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    chmod(path, 0700);   /* tests make read-only dirs */
    return remove(path);
}

void tl_rm_rf(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int tl_mkdtemp(char *buf, size_t cap, const char *prefix)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, cap, "%s/%s-XXXXXX", tmp ? tmp : "/tmp", prefix);
    if (!mkdtemp(buf)) {
        perror("mkdtemp");
        return -1;
    }
    return 0;
}

void tl_rm_scratch(const char *dir)
{
    if (!getenv("SOU_KEEP")) tl_rm_rf(dir);
    else printf("kept %s\n", dir);
}

int tl_have_program(const char *prog)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v '%s' >/dev/null 2>&1", prog);
    return system(cmd) == 0;
}

/* ---- xapian-tcpsrv ------------------------------------------------------ */

static volatile pid_t servers[TL_MAX_SERVERS];

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) ||
        getsockname(s, (struct sockaddr *)&a, &len)) {
        if (s >= 0) close(s);
        return -1;
    }
    close(s);
    return ntohs(a.sin_port);
}

static int port_answers(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

int tl_server_start(int slot, const char *db, int fixed_port, int *port_out)
{
    if (slot < 0 || slot >= TL_MAX_SERVERS) return -1;
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = fixed_port ? fixed_port : free_port();
        if (port < 0) return -1;
        char ports[16];
        snprintf(ports, sizeof ports, "%d", port);
        pid_t pid = fork();
        if (pid < 0) return -1;
        if (pid == 0) {
            setpgid(0, 0);                    /* kill(-pid) reaches its forks */
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
            int devnull = open("/dev/null", O_WRONLY);
            if (devnull >= 0) {   /* it reports dropped clients on stderr */
                dup2(devnull, 1);
                dup2(devnull, 2);
            }
            execlp("xapian-tcpsrv", "xapian-tcpsrv", "--port", ports, "--interface", "127.0.0.1",
                   "--quiet", db, (char *)NULL);
            _exit(127);
        }
        setpgid(pid, pid);
        servers[slot] = pid;
        for (int i = 0; i < 250; i++) {   /* up to 5 s to listen */
            if (port_answers(port)) {
                *port_out = port;
                return 0;
            }
            if (waitpid(pid, NULL, WNOHANG) == pid) {   /* port taken: retry */
                servers[slot] = 0;
                break;
            }
            tl_sleep_ms(20);
        }
        tl_server_stop(slot);
    }
    return -1;
}

pid_t tl_server_pid(int slot)
{
    return slot >= 0 && slot < TL_MAX_SERVERS ? servers[slot] : 0;
}

void tl_server_stop(int slot)
{
    pid_t pid = servers[slot];
    if (pid <= 0) return;
    kill(-pid, SIGCONT);   /* a stopped group dies too */
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
    servers[slot] = 0;
}

void tl_server_stop_all(void)
{
    for (int i = 0; i < TL_MAX_SERVERS; i++) tl_server_stop(i);
}
