/* error.c - sou_strerror and the sou_error helpers. */
#include "sou/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sou_strerror(int rc)
{
    switch (rc) {
    case SOU_OK: return "success";
    case SOU_EINVAL: return "invalid argument";
    case SOU_ENOMEM: return "out of memory";
    case SOU_EIO: return "I/O error";
    case SOU_ENOTFOUND: return "not found";
    case SOU_ELOCKED: return "index is locked by another writer";
    case SOU_ECORRUPT: return "index or record is corrupt";
    case SOU_ESTALE: return "index changed under the reader";
    case SOU_EIDENTITY: return "index was built with a different analyzer";
    case SOU_EQUERY: return "query syntax error";
    case SOU_ENETWORK: return "remote shard unreachable";
    case SOU_EDECODE: return "input cannot be decoded";
    case SOU_ETOOBIG: return "input exceeds a limit";
    case SOU_EREADONLY: return "index is read-only";
    case SOU_ESTOPPED: return "stopped by callback";
    case SOU_EVERSION: return "unsupported index version";
    case SOU_EINTERNAL: return "internal error";
    default: break;
    }
    if (rc < 0 && rc > -4096) return strerror(-rc);
    return "unknown error";
}

int sou_error_set(sou_error *err, int rc, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = rc;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return rc;
}

void sou_error_clear(sou_error *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}
