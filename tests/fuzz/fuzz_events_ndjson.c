/* fuzz_events_ndjson.c — libFuzzer target for the NDJSON event parser (src/event/ndjson.c).
 *
 * The input is an NDJSON file: it is split on '\n' and every non-empty line goes to
 * tamis_event_parse(). Besides the sanitizers' checks, every outcome is checked against
 * the contract of event.h, and warnings must stay within the per-parser bound.
 * Seeds: tests/fuzz/corpus/events_ndjson/. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/event_int.h"

/* ------------------------------------------------------------------------------------
 * Checks (the same in fuzz_events_csv.c and fuzz_events_ndjson.c; the rules themselves
 * live once, in tamis_ev_check_event)
 * ---------------------------------------------------------------------------------- */

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

/* ------------------------------------------------------------------------------------
 * The target
 * ---------------------------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *cur = (const char *)data, *end = cur + size;
    fuzz_warnings w = {0};
    tamis_event_parser *p = tamis_event_parser_new(TAMIS_FORMAT_NDJSON, fuzz_on_warn, &w);
    while (cur < end) {
        const char *eol = memchr(cur, '\n', (size_t)(end - cur));
        const char *line_end = eol ? eol : end;
        size_t len = (size_t)(line_end - cur);
        if (len > 0)
            fuzz_parse_and_check(p, cur, len);
        cur = eol ? eol + 1 : end;
    }
    FUZZ_CHECK(w.count <= TAMIS_EV_MAX_WARNED_KEYS);
    tamis_event_parser_free(p);
    return 0;
}
