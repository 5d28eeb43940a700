/* fuzz_columns.c — libFuzzer target for the segments' column copy: the reader
 * (src/segment/columns_file.c) and the evaluation over it (columns_eval.c). A damaged
 * copy on disk must be refused or read without ever going outside the file. The
 * input is a copy file; the directory's hash is patched in first so that mutations
 * reach the directory decoder instead of stopping at the hash. A copy that parses is
 * evaluated with expressions over every kind of column (u8, i32, f64, strings, tags,
 * nulls). The input sits in a 16-byte aligned allocation of its exact size, like the
 * page-aligned map, so AddressSanitizer sees any read past it.
 *
 * Seeds (tests/fuzz/corpus/columns) are copies tamis built over small stores with
 * 1,024 uids per chunk. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../../src/segment/columns_int.h"
#include "tamis/alloc.h"

#define HEADER_DIR_OFFSET 48 /* where the header keeps the directory's offset, length, hash */

static const char *const expressions[] = {
    ("tier in (\"daily_active\", \"high_interaction\") and country = \"VN\" and reply_30 > 0 "
     "and days_since(last_seen) <= 7d and not has_tag(\"staff\")"),
    "score between 20 and 80 or has_tag(\"vip\") or best_channel >= \"t\"",
    "not (reply_rate_30 > 0.25) and days_since_seen is null or zone != \"UTC\"",
    "has_avatar or trend = \"cooling\" and purchase_value_90 > 10.5 and country is not null",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tamis_segment_columns *c;
    const char *reason = NULL;
    uint8_t *buf;
    uint64_t dir_offset, dir_len;

    if (size < COLS_HEADER_BYTES || size > (1u << 22))
        return 0;
    buf = aligned_alloc(16, (size + 15) / 16 * 16); /* freed below with free(): aligned_alloc */
    memcpy(buf, data, size);
    memcpy(&dir_offset, buf + HEADER_DIR_OFFSET, 8);
    memcpy(&dir_len, buf + HEADER_DIR_OFFSET + 8, 8);
    if (dir_offset <= size && dir_len <= size - dir_offset) {
        uint64_t hash = XXH3_64bits(buf + dir_offset, dir_len);
        memcpy(buf + HEADER_DIR_OFFSET + 16, &hash, 8);
    }
    c = tamis_calloc(1, sizeof *c);
    c->map = buf;
    c->map_len = size;
    if (cols_parse(c, &reason)) {
        for (size_t i = 0; i < sizeof expressions / sizeof expressions[0]; i++) {
            tamis_expr *e;
            tamis_error err = {0};
            roaring_bitmap_t *members;
            if (tamis_expr_compile(expressions[i], strlen(expressions[i]), NULL, &e, &err) != TAMIS_OK)
                abort(); /* the expressions are valid */
            members = roaring_bitmap_create();
            if (cols_supports(c, e) && cols_evaluate(c, e, 1, members, &err) != TAMIS_OK)
                abort();
            if (roaring_bitmap_get_cardinality(members) > c->uid_end)
                abort(); /* members are users of the copy */
            roaring_bitmap_free(members);
            tamis_expr_free(e);
        }
    } else if (!reason) {
        abort(); /* a refusal says why */
    }
    c->map = NULL; /* not a mapping: ours to free */
    tamis_segment_columns_close(c);
    free(buf); /* aligned_alloc's */
    return 0;
}
