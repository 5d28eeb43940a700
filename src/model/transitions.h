/* transitions.h — the tier x tier matrix between two daily snapshots, overall, per
 * country or per platform (src/model/transitions.c): what `tamis transitions` prints
 * and GET /v1/transitions answers. Rows are the tiers at the first date then "new"
 * (no entry then); columns the tiers at the second date then "gone". */
#ifndef TAMIS_MODEL_TRANSITIONS_H
#define TAMIS_MODEL_TRANSITIONS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/tier_counts.h"
#include "tamis/error.h"
#include "tamis/score.h"
#include "tamis/snapshot_store.h"
#include "tamis/store.h"

#define TAMIS_TRANS_STATES (TAMIS_TIER__COUNT + 1)
#define TAMIS_TRANS_NEW_OR_GONE TAMIS_TIER__COUNT

typedef struct tamis_trans_matrix {
    uint64_t n[TAMIS_TRANS_STATES][TAMIS_TRANS_STATES];
    uint64_t users;
} tamis_trans_matrix;

/* groups: one ("all"); 677 by country (26 x 26 codes, then "unknown"); 256 by
 * platform id. Empty groups are skipped when printed. */
typedef struct tamis_transitions {
    tamis_tier_by by;
    tamis_trans_matrix *groups;
    size_t n_groups;
    const tamis_platform_names *names; /* borrowed: platform group names */
} tamis_transitions;

/* TAMIS_ENOTFOUND, naming the missing date, unless both dates have a snapshot. */
int tamis_transitions_check_days(tamis_txn *t, uint32_t day_from, uint32_t day_to, tamis_error *err) TAMIS_WUR;
/* TAMIS_ENOTFOUND (naming the missing date) when a date has no snapshot. */
int tamis_transitions_compute(tamis_txn *t, const tamis_platform_names *names, uint32_t day_from, uint32_t day_to,
                              tamis_tier_by by, tamis_transitions *out, tamis_error *err) TAMIS_WUR;
void tamis_transitions_free(tamis_transitions *x);
void tamis_transitions_group_name(const tamis_transitions *x, size_t g, char *out, size_t cap);
uint64_t tamis_transitions_row_total(const tamis_trans_matrix *m, int from);
/* A row ("new" for the last) or column ("gone") name. */
const char *tamis_transition_state_name(int s, bool row);
/* {"from","to","by","groups":[{"group","users","matrix":{FROM:{TO:{"users","share"}}}}]} */
json_t *tamis_transitions_json(const tamis_transitions *x, uint32_t day_from, uint32_t day_to);

#endif
