/* tier_counts.h — users per tier from the stored scores, overall, per country or per
 * platform (src/model/tier_counts.c): what `tamis tiers` prints and GET /v1/tiers
 * answers. */
#ifndef TAMIS_MODEL_TIER_COUNTS_H
#define TAMIS_MODEL_TIER_COUNTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/model_config.h"
#include "tamis/store.h"

#define TAMIS_TIER_GROUP_NAME_MAX 40

typedef enum tamis_tier_by { TAMIS_BY_NONE, TAMIS_BY_COUNTRY, TAMIS_BY_PLATFORM } tamis_tier_by;

typedef struct tamis_tier_group {
    char name[TAMIS_TIER_GROUP_NAME_MAX]; /* "all", a country code, a platform */
    uint64_t tiers[TAMIS_TIER__COUNT];
    uint64_t users;
} tamis_tier_group;

/* Groups in order: "all" alone, or the largest group first (then by name). A user on
 * several platforms counts under each; one on none under "(none)"; a contact without
 * country under "(unknown)". Free with tamis_tier_counts_free. */
typedef struct tamis_tier_counts {
    tamis_tier_by by;
    tamis_tier_group *groups;
    size_t n, cap;
} tamis_tier_counts;

/* Counts over every stored score, in t (a read transaction). */
int tamis_tier_counts_compute(tamis_store *store, tamis_txn *t, const tamis_model_config *cfg, tamis_tier_by by,
                              tamis_tier_counts *out, tamis_error *err) TAMIS_WUR;
void tamis_tier_counts_free(tamis_tier_counts *c);
/* "by": "all" | "country" | "platform"; "groups": [{"group","users","tiers":{TIER:{"users","share"}}}]. */
json_t *tamis_tier_counts_json(const tamis_tier_counts *c);
/* A group's share of n (0 when empty). */
double tamis_tier_share(uint64_t n, uint64_t total);
/* "country" / "platform" to a grouping; -1 otherwise. */
int tamis_tier_by_from_name(const char *name);

#endif
