/* sou/error.h - error codes shared by every sou library.
 *
 * Every sou call returns int: 0 on success or a negative SOU_E* code.
 * Positive values never come back from sou; sou_strerror() also accepts a
 * negated errno value (-ENOENT etc.) and describes it, LMDB-style.
 * A call that can fail for reasons a human must read (a Xapian message, a
 * file name, a query column) takes an optional sou_error *, filled on
 * failure. The libraries never print, exit or abort.
 */
#ifndef SOU_ERROR_H
#define SOU_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
    SOU_OK = 0,
    SOU_EINVAL = -1000,   /* bad argument or option */
    SOU_ENOMEM = -1001,   /* out of memory */
    SOU_EIO = -1002,      /* read/write failure, disk full */
    SOU_ENOTFOUND = -1003,/* index, file or document does not exist */
    SOU_ELOCKED = -1004,  /* index is locked by another writer */
    SOU_ECORRUPT = -1005, /* index or record is corrupt */
    SOU_ESTALE = -1006,   /* reader saw the index change; reopen and retry */
    SOU_EIDENTITY = -1007,/* index built with a different analysis identity */
    SOU_EQUERY = -1008,   /* query syntax error (message names the column) */
    SOU_ENETWORK = -1009, /* remote shard unreachable or timed out */
    SOU_EDECODE = -1010,  /* input cannot be decoded (charset, format) */
    SOU_ETOOBIG = -1011,  /* input exceeds a documented limit */
    SOU_EREADONLY = -1012,/* index or directory is not writable */
    SOU_ESTOPPED = -1013, /* a callback asked to stop */
    SOU_EVERSION = -1014, /* unsupported index format/version */
    SOU_EINTERNAL = -1015 /* anything else (a bug): message says what */
};

/* Static English description of a code (or of -errno). Never NULL. */
const char *sou_strerror(int rc);

/* A detailed error for humans. code is the returned value; msg is
 * NUL-terminated and may be empty. Stack-allocate it; nothing to free. */
typedef struct sou_error {
    int code;
    char msg[512];
} sou_error;

/* Helpers: set err (if not NULL) and return rc. printf-style message. */
int sou_error_set(sou_error *err, int rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void sou_error_clear(sou_error *err);

#ifdef __cplusplus
}
#endif
#endif
