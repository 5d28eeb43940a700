/* segment.h — saved segments (src/segment/segment_store.c): a name, an expression
 * (include/tamis/expr.h) and its members as a CRoaring bitmap over user ids, kept in
 * the store's `segments` database with the membership of the evaluation before, so
 * that `tamis segment diff` can say who entered and who left. Segments are evaluated
 * over the stored results (`tamis score` first) as of their scoring time, and
 * re-evaluated by `tamis segment refresh` and after every `tamis score`.
 *
 * Ownership: infos and bitmaps returned are the caller's (tamis_segment_info_free,
 * roaring_bitmap_free). */
#ifndef TAMIS_SEGMENT_H
#define TAMIS_SEGMENT_H

#include <roaring/roaring.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tamis/error.h"
#include "tamis/model_config.h"
#include "tamis/pg_export.h"
#include "tamis/store.h"

#define TAMIS_SEGMENT_NAME_MAX 64 /* bytes of a name, with its NUL; [a-z0-9_-] */

typedef struct tamis_segment_info {
    char name[TAMIS_SEGMENT_NAME_MAX];
    char *definition;
    int64_t created_ms;
    int64_t evaluated_ms;   /* when it was last evaluated */
    int64_t as_of_ms;       /* the scoring time of the results it was evaluated on */
    uint64_t size;          /* members at the last evaluation */
    uint64_t previous_size; /* members at the evaluation before (0 before a second one) */
} tamis_segment_info;

void tamis_segment_info_free(tamis_segment_info *info);

/* Checks the name and the expression (which may use segment("other")), evaluates it
 * and stores it; TAMIS_EUSAGE for a bad or taken name, TAMIS_EINPUT / TAMIS_ELIMIT
 * for the expression (message with line and column). info may be NULL. */
int tamis_segment_create(tamis_store *store, const tamis_model_config *cfg, const char *name, const char *definition,
                         tamis_segment_info *info, tamis_error *err) TAMIS_WUR;
/* Re-evaluates one segment (name) or all (NULL), keeping each one's last membership
 * as its previous one. *n_done (may be NULL) counts the segments evaluated. */
int tamis_segment_refresh(tamis_store *store, const tamis_model_config *cfg, const char *name, size_t *n_done,
                          tamis_error *err) TAMIS_WUR;
/* Every segment, by name (a new array: free each, then the array, with tamis_free). */
int tamis_segment_list(tamis_store *store, tamis_segment_info **infos, size_t *n, tamis_error *err) TAMIS_WUR;
/* One segment, and its members now and before (either may be NULL). */
int tamis_segment_get(tamis_store *store, const char *name, tamis_segment_info *info, roaring_bitmap_t **members,
                      roaring_bitmap_t **previous, tamis_error *err) TAMIS_WUR;
/* Drops a segment; TAMIS_EUSAGE while another segment refers to it. */
int tamis_segment_drop(tamis_store *store, const tamis_model_config *cfg, const char *name, tamis_error *err) TAMIS_WUR;

/* Evaluates an expression over every scored user without saving it: members in *out
 * (caller frees), and the scoring time used. */
int tamis_segment_evaluate(tamis_store *store, const tamis_model_config *cfg, const char *definition,
                           roaring_bitmap_t **out, int64_t *as_of_ms, tamis_error *err) TAMIS_WUR;

/* Every saved segment with its members' user keys, for `tamis export --to`
 * (pg_segments.c). Owns everything it points to: tamis_segment_pg_free. */
typedef struct tamis_pg_segment_set {
    tamis_pg_segment *segments;
    size_t n;
    tamis_segment_info *infos; /* names and definitions the segments borrow */
    char ***keys;              /* per segment, NULL-terminated member keys */
} tamis_pg_segment_set;
int tamis_segment_pg_collect(tamis_store *store, tamis_pg_segment_set *out, tamis_error *err) TAMIS_WUR;
void tamis_segment_pg_free(tamis_pg_segment_set *set);

/* A segment's members in the daily snapshot of `day` (its definition evaluated on what
 * snapshots keep: score, tier, trend, sub-scores, country; anything else is
 * TAMIS_EINPUT with the position) and its members now (the last evaluation), for
 * `segment diff --since`. TAMIS_ENOTFOUND for no such segment or snapshot. */
int tamis_segment_members_since(tamis_store *store, const char *name, uint32_t day, roaring_bitmap_t **then,
                                roaring_bitmap_t **now, tamis_error *err) TAMIS_WUR;

/* Prints the compiled form of definition, segment() references expanded from the
 * store's segments. */
int tamis_segment_explain(tamis_store *store, const char *definition, FILE *out, tamis_error *err) TAMIS_WUR;

#endif
