/* error.c — formatting of tamis_error (see include/tamis/error.h). */
#include "tamis/error.h"

#include <stdio.h>
#include <string.h>

int tamis_error_set(tamis_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void tamis_error_prefix(tamis_error *err, const char *fmt, ...)
{
    char prefix[TAMIS_ERROR_MSG_MAX];
    char joined[2 * TAMIS_ERROR_MSG_MAX + 4];
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    snprintf(joined, sizeof joined, "%s: %s", prefix, err->msg);
    /* Messages are for people: cut at the buffer size, always NUL-terminated. */
    memcpy(err->msg, joined, sizeof err->msg - 1);
    err->msg[sizeof err->msg - 1] = '\0';
}

void tamis_error_clear(tamis_error *err)
{
    if (err) {
        err->code = TAMIS_OK;
        err->msg[0] = '\0';
    }
}

const char *tamis_strerror(int code)
{
    switch (code) {
    case TAMIS_OK: return "success";
    case TAMIS_EINPUT: return "bad input";
    case TAMIS_EUSAGE: return "usage error";
    case TAMIS_EIO: return "I/O error";
    case TAMIS_ESTORE: return "store error";
    case TAMIS_EFULL: return "store full";
    case TAMIS_ENOTFOUND: return "not found";
    case TAMIS_ELIMIT: return "limit exceeded";
    case TAMIS_EBUSY: return "data directory busy";
    case TAMIS_ECORRUPT: return "corrupt data";
    case TAMIS_EINTERNAL: return "internal error";
    case TAMIS_EDB: return "database error";
    default: return "unknown error";
    }
}
