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
#include "fuzz_events_common.h"

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
