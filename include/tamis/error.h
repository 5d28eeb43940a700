/* error.h — the one error type of tamis.
 *
 * Every function that can fail returns an int: 0 (TAMIS_OK) on success, one of the
 * tamis_rc codes otherwise, and fills a caller-provided tamis_error with a message that
 * names the input (file, line, field, offending value cut short). The struct is plain
 * data owned by the caller; no allocation happens here. */
#ifndef TAMIS_ERROR_H
#define TAMIS_ERROR_H

#include <stdarg.h>

#if defined(__GNUC__)
#define TAMIS_WUR __attribute__((warn_unused_result))
#define TAMIS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TAMIS_WUR
#define TAMIS_PRINTF(f, a)
#endif

typedef enum tamis_rc {
    TAMIS_OK = 0,
    TAMIS_EINPUT,    /* a record of the user's input is malformed */
    TAMIS_EUSAGE,    /* bad command line or option value */
    TAMIS_EIO,       /* reading or writing a file failed */
    TAMIS_ESTORE,    /* the LMDB store reported an error */
    TAMIS_EFULL,     /* the store's map is full (raise --map-size) */
    TAMIS_ENOTFOUND, /* the named user, file or key does not exist */
    TAMIS_ELIMIT,    /* a named cap was exceeded */
    TAMIS_EBUSY,     /* another tamis process holds the data directory */
    TAMIS_ECORRUPT,  /* stored bytes failed to decode */
    TAMIS_EINTERNAL, /* a bug in tamis */
    TAMIS_EDB        /* a database server (PostgreSQL export) refused or failed */
} tamis_rc;

#define TAMIS_ERROR_MSG_MAX 512

typedef struct tamis_error {
    int code;
    char msg[TAMIS_ERROR_MSG_MAX];
} tamis_error;

/* Fills err (if not NULL) with code and a printf-formatted message; returns code so a
 * caller can write `return tamis_error_set(err, TAMIS_EINPUT, "...")`. */
int tamis_error_set(tamis_error *err, int code, const char *fmt, ...) TAMIS_PRINTF(3, 4);

/* Prepends "prefix: " to err->msg (e.g. a file name and line); keeps the code. */
void tamis_error_prefix(tamis_error *err, const char *fmt, ...) TAMIS_PRINTF(2, 3);

/* Resets err to TAMIS_OK and an empty message. */
void tamis_error_clear(tamis_error *err);

/* A static, human-readable name for a code ("bad input", "I/O error", ...). */
const char *tamis_strerror(int code);

#endif
