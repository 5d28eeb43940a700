/* tag_groups.h — tag sets shared by many users: frequent itemsets over the users'
 * contact tags, as candidate communities (src/segment/tag_groups.c; docs/AUDIENCES.md).
 *
 * Each user's tags are one transaction. Identical transactions are counted once with
 * a weight (a million users with a few tags from a vocabulary of dozens make a few
 * hundred distinct ones), and Apriori mines them level by level: candidates of k tags
 * come from pairs of frequent (k-1)-sets sharing k-2 tags, pruned unless every
 * (k-1)-subset is frequent, then counted over the distinct transactions.
 *
 * Ownership: a tamis_tag_groups owns its names, sets and transactions; free it with
 * tamis_tag_groups_free. Tag strings handed in are copied. */
#ifndef TAMIS_TAG_GROUPS_H
#define TAMIS_TAG_GROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/store.h"

#define TAMIS_TAG_GROUPS_MAX_TAGS 100000      /* distinct tags */
#define TAMIS_TAG_GROUPS_MAX_SET_TAGS 32      /* tags in one reported set */
#define TAMIS_TAG_GROUPS_MAX_SETS 1000000     /* frequent sets found, all sizes */
#define TAMIS_TAG_GROUPS_MAX_WORK 4000000000ULL /* candidate x transaction checks per level */

typedef struct tamis_tag_set {
    uint32_t *tags;   /* tag ids, ascending (= names in byte order) */
    uint32_t n;
    uint64_t users;   /* users whose tags include every one of them */
} tamis_tag_set;

typedef struct tamis_tag_groups {
    char **names; size_t n_names, cap_names; /* tag id -> name; ids in byte order after mining */
    tamis_tag_set *sets; size_t n_sets, cap_sets; /* after mining: most users first */
    uint64_t users;            /* users added */
    uint64_t users_with_tags;
    /* private: distinct transactions */
    uint32_t *items; size_t n_items, cap_items;
    size_t *tx_start; uint64_t *tx_weight; size_t n_tx, cap_tx, cap_tx_weight;
    void *name_index, *tx_index;
} tamis_tag_groups;

void tamis_tag_groups_init(tamis_tag_groups *g);
void tamis_tag_groups_free(tamis_tag_groups *g);

/* Adds one user with its n tags (any order; duplicates count once). TAMIS_ELIMIT past
 * TAMIS_TAG_GROUPS_MAX_TAGS distinct tags. */
int tamis_tag_groups_add_user(tamis_tag_groups *g, const char *const *tags, size_t n, tamis_error *err) TAMIS_WUR;

/* Finds every tag set of at least min_tags tags (>= 1) shared by at least min_users
 * users (>= 1) into g->sets, ordered by users (most first), then more tags first,
 * then tag names in byte order. TAMIS_ELIMIT when a cap above is hit (raise
 * min_users). Call once, after every user was added. */
int tamis_tag_groups_mine(tamis_tag_groups *g, uint64_t min_users, uint32_t min_tags, tamis_error *err) TAMIS_WUR;

/* Adds every user of the store (its contact's tags), then mines. */
int tamis_tag_groups_compute(tamis_store *store, uint64_t min_users, uint32_t min_tags, tamis_tag_groups *g,
                             tamis_error *err) TAMIS_WUR;

#endif
