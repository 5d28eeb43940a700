/* fuzz_events_common.h — checks shared by the event parser fuzz targets
 * (fuzz_events_csv.c, fuzz_events_ndjson.c): every parse outcome is held against the
 * contract of include/tamis/event.h, whose rules live once, in tamis_ev_check_event.
 * Included by exactly those two files. */
#ifndef TAMIS_FUZZ_EVENTS_COMMON_H
#define TAMIS_FUZZ_EVENTS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/event_int.h"

#define FUZZ_CHECK(cond)                                                             \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                 \
        }                                                                            \
    } while (0)

typedef struct fuzz_warnings {
    int count;
} fuzz_warnings;

static void fuzz_on_warn(void *ctx, const char *msg)
{
    fuzz_warnings *w = ctx;
    FUZZ_CHECK(msg != NULL && strlen(msg) < TAMIS_ERROR_MSG_MAX);
    w->count++;
}

static void fuzz_check_error(int rc, const tamis_error *err)
{
    FUZZ_CHECK(rc == TAMIS_EINPUT || rc == TAMIS_ELIMIT);
    FUZZ_CHECK(err->code == rc);
    size_t n = strnlen(err->msg, sizeof err->msg);
    FUZZ_CHECK(n > 0 && n < sizeof err->msg);
}

/* Parses one record twice, the second time through csv.c's general loop instead of its
 * SSE2 fast path (no effect on NDJSON): the outcome must obey the contract and be the
 * same both times, byte for byte (the two CSV paths must agree, and the parser keeps no
 * state between records besides warnings). */
static void fuzz_parse_and_check(tamis_event_parser *p, const char *line, size_t len)
{
    static char copy[TAMIS_FIELD__COUNT][TAMIS_MAX_FIELD_BYTES];
    tamis_event ev, ev2;
    tamis_error err, err2;
    int rc = tamis_event_parse(p, line, len, &ev, &err);
    if (rc == TAMIS_OK) {
        const char *broken = tamis_ev_check_event(p, line, len, &ev);
        if (broken) {
            fprintf(stderr, "contract broken: %s\n", broken);
            abort();
        }
        for (int f = 0; f < TAMIS_FIELD__COUNT; f++)
            memcpy(copy[f], ev.text[f].ptr ? ev.text[f].ptr : "", ev.text[f].len);
    } else {
        fuzz_check_error(rc, &err);
    }
    p->csv_general_only = true;
    int rc2 = tamis_event_parse(p, line, len, &ev2, &err2);
    p->csv_general_only = false;
    FUZZ_CHECK(rc2 == rc);
    if (rc != TAMIS_OK) {
        FUZZ_CHECK(strcmp(err.msg, err2.msg) == 0);
        return;
    }
    FUZZ_CHECK(ev2.ts_ms == ev.ts_ms && ev2.kind == ev.kind && ev2.has_value == ev.has_value);
    FUZZ_CHECK(!ev.has_value || memcmp(&ev.value, &ev2.value, sizeof ev.value) == 0);
    for (int f = 0; f < TAMIS_FIELD__COUNT; f++) {
        FUZZ_CHECK(ev2.text[f].len == ev.text[f].len);
        FUZZ_CHECK(memcmp(copy[f], ev2.text[f].ptr ? ev2.text[f].ptr : "", ev2.text[f].len) == 0);
    }
}

#endif
