/* fuzz_events_csv.c — libFuzzer target for the CSV event parser (src/event/csv.c).
 *
 * The input is a CSV file: its first line is given to tamis_event_parser_header(), the
 * rest is cut into records the way the ingest reader does (split on '\n', joining lines
 * while a quote is open) and each record goes to tamis_event_parse(). Besides the
 * sanitizers' checks, every outcome is checked against the contract of event.h; a
 * violation aborts. Seeds: tests/fuzz/corpus/events_csv/. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/event_int.h"
#include "fuzz_events_common.h"

/* ------------------------------------------------------------------------------------
 * The target
 * ---------------------------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *end = s + size;
    fuzz_warnings w = {0};
    tamis_event_parser *p = tamis_event_parser_new(TAMIS_FORMAT_CSV, fuzz_on_warn, &w);
    tamis_error err;
    const char *nl = memchr(s, '\n', size);
    size_t header_len = nl ? (size_t)(nl - s) : size;
    int rc = tamis_event_parser_header(p, s, header_len, &err);
    if (rc != TAMIS_OK) {
        FUZZ_CHECK(rc == TAMIS_EINPUT); /* every header failure is EINPUT (event.h) */
        fuzz_check_error(rc, &err);
        tamis_event_parser_free(p);
        return 0;
    }
    FUZZ_CHECK(w.count <= TAMIS_MAX_FIELDS);
    int warned_at_header = w.count;
    const char *cur = nl ? nl + 1 : end;
    while (cur < end) {
        /* One record: physical lines joined while the number of quotes is odd. */
        const char *start = cur, *rec_end;
        size_t quotes = 0;
        for (;;) {
            const char *eol = memchr(cur, '\n', (size_t)(end - cur));
            rec_end = eol ? eol : end;
            for (const char *c = cur; c < rec_end; c++)
                quotes += *c == '"';
            cur = eol ? eol + 1 : end;
            if (quotes % 2 == 0 || !eol)
                break;
        }
        size_t len = (size_t)(rec_end - start);
        if (len == 0)
            continue; /* blank lines are the caller's business */
        fuzz_parse_and_check(p, start, len);
    }
    FUZZ_CHECK(w.count == warned_at_header); /* CSV warns at header time only */
    tamis_event_parser_free(p);
    return 0;
}
