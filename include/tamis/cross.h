/* cross.h — crossing a few labels of every user (tier, trend, country, best channel,
 * RFM segment, a contact attribute, a tag) into at most N groups that cover everyone
 * (src/segment/cross.c; the rule is in docs/AUDIENCES.md).
 *
 * Every user falls in exactly one cell, the combination of its label values. Cells
 * are grouped by generalising labels from the last one named back to the first: a
 * group smaller than min_size has its last kept label replaced by "(other)" and merges
 * with the group of that coarser pattern; then, while more than max_groups remain,
 * the smallest group of the most specific level is generalised the same way. The
 * first label named is therefore the last to be given up. `tamis cross` prints the
 * groups and writes the membership.
 *
 * Ownership: a tamis_cross owns its labels, cells, groups and per-user arrays; free it
 * with tamis_cross_free. Strings handed in are copied. */
#ifndef TAMIS_CROSS_H
#define TAMIS_CROSS_H

#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/store.h"

#define TAMIS_CROSS_MAX_LABELS 6         /* labels crossed at once */
#define TAMIS_CROSS_MAX_CELLS 200000     /* distinct combinations of their values */
#define TAMIS_CROSS_MAX_GROUPS 1000      /* --max-groups */
#define TAMIS_CROSS_MAX_LABEL_BYTES 128  /* a label as written ("attr:KEY") */
#define TAMIS_CROSS_DEFAULT_GROUPS 8
#define TAMIS_CROSS_DEFAULT_MIN_SHARE 0.01 /* --min-size default: 1% of users (at least 1) */

typedef enum tamis_cross_label_kind {
    TAMIS_LABEL_TIER = 0,
    TAMIS_LABEL_TREND,
    TAMIS_LABEL_COUNTRY,
    TAMIS_LABEL_BEST_CHANNEL,
    TAMIS_LABEL_RFM,
    TAMIS_LABEL_ATTR, /* attr:KEY */
    TAMIS_LABEL_TAG   /* tag:NAME (yes / no) */
} tamis_cross_label_kind;

typedef struct tamis_cross_label {
    tamis_cross_label_kind kind;
    char *text;  /* as written: "tier", "attr:city" (owned) */
    char *arg;   /* KEY or NAME of attr: / tag:, else NULL (owned) */
} tamis_cross_label;

typedef struct tamis_cross_cell {
    char **values;   /* one per label (owned) */
    uint64_t users;
    uint32_t group;  /* index into groups after tamis_cross_make_groups */
} tamis_cross_cell;

typedef struct tamis_cross_group {
    uint32_t head;   /* its largest cell: the group's values are its first `level` ones */
    uint32_t level;  /* labels kept; later ones are generalised to "(other)"; 0: everyone else */
    uint32_t cells;  /* cells in it */
    uint64_t users;
} tamis_cross_group;

typedef struct tamis_cross {
    tamis_cross_label labels[TAMIS_CROSS_MAX_LABELS];
    size_t n_labels;
    tamis_cross_cell *cells; size_t n_cells, cap_cells;   /* in order of first appearance */
    tamis_cross_group *groups; size_t n_groups;           /* largest first after grouping */
    uint32_t *order;   /* cell indices, largest first (then values), after grouping */
    uint32_t *user_uid, *user_cell; size_t n_users, cap_users; /* every user, uid order */
    uint64_t users;    /* users counted (sum of cell users) */
    uint64_t min_size; /* the --min-size grouping used */
    void *index;       /* private: values -> cell */
} tamis_cross;

typedef struct tamis_cross_options {
    uint32_t max_groups;    /* 0: TAMIS_CROSS_DEFAULT_GROUPS */
    uint64_t min_size;      /* 0: TAMIS_CROSS_DEFAULT_MIN_SHARE of the users, at least 1 */
    int64_t as_of_ms;       /* for the rfm label */
    uint32_t window_days;   /* for the rfm label; 0: TAMIS_RFM_DEFAULT_WINDOW_DAYS */
    unsigned threads;       /* for the rfm label; 0: one per CPU */
} tamis_cross_options;

void tamis_cross_init(tamis_cross *x);
void tamis_cross_free(tamis_cross *x);

/* Adds a label as written ("tier", "trend", "country", "best_channel", "rfm",
 * "attr:KEY", "tag:NAME"). TAMIS_EUSAGE for an unknown or repeated label, TAMIS_ELIMIT
 * past TAMIS_CROSS_MAX_LABELS. */
int tamis_cross_add_label(tamis_cross *x, const char *text, tamis_error *err) TAMIS_WUR;

/* Counts users into the cell of values (one per label, copied): a new cell when the
 * combination is new. *cell (may be NULL) gets its index. TAMIS_ELIMIT past
 * TAMIS_CROSS_MAX_CELLS. */
int tamis_cross_count(tamis_cross *x, const char *const *values, uint64_t users, uint32_t *cell,
                      tamis_error *err) TAMIS_WUR;

/* Groups the counted cells (the rule in the top comment and docs/AUDIENCES.md); min_size
 * 0 means the default share, max_groups 0 the default count. Fills order, groups and
 * every cell's group. */
void tamis_cross_make_groups(tamis_cross *x, uint32_t max_groups, uint64_t min_size);

/* The name of group g into out: "tier=dormant, country=(other)"; "everyone else" for
 * the group with every label generalised. */
void tamis_cross_group_name(const tamis_cross *x, size_t g, char *out, size_t cap);

/* Reads every user of the store (contact, stored score, RFM as needed), counts them
 * into cells, remembers each user's cell and groups. x must have its labels. */
int tamis_cross_compute(tamis_store *store, tamis_cross *x, const tamis_cross_options *opts,
                        tamis_error *err) TAMIS_WUR;

/* The group of a user's cell: x->cells[x->user_cell[i]].group. */

#endif
