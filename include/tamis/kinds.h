/* kinds.h — the one table of event kinds.
 *
 * TAMIS_KINDS is an X-macro: every place that needs the list of kinds (the enum below,
 * the parser's name lookup, the state's per-kind counters, docs/FORMATS.md and the
 * tests) expands this table, so adding a kind is a one-line change here.
 *
 * Columns: enum suffix, wire name, counts as activity (the user did something),
 * deep action (sent/opened/joined/replied, as opposed to merely being online), and the
 * dimension of the activity model it feeds. Ids are the enum values and are stored on
 * disk: append new kinds at the end, never reorder. */
#ifndef TAMIS_KINDS_H
#define TAMIS_KINDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* X(ID, name, activity, deep, dimension) */
#define TAMIS_KINDS(X)                                                   \
    X(ONLINE, "online", 1, 0, CONTINUITY)                                \
    X(MESSAGE_SENT, "message_sent", 1, 1, DEPTH)                         \
    X(CONVERSATION_OPEN, "conversation_open", 1, 1, DEPTH)               \
    X(GROUP_JOIN, "group_join", 1, 1, DEPTH)                             \
    X(GROUP_LEAVE, "group_leave", 0, 0, PRESENCE)                        \
    X(REPLY, "reply", 1, 1, INTERACTION)                                 \
    X(READ, "read", 1, 0, INTERACTION)                                   \
    X(VIEW, "view", 1, 0, INTERACTION)                                   \
    X(CLICK, "click", 1, 0, INTERACTION)                                 \
    X(PROFILE_UPDATE, "profile_update", 1, 0, PROFILE)                   \
    X(PURCHASE, "purchase", 1, 0, COMMERCE)                              \
    X(OPT_IN, "opt_in", 1, 0, CONSENT)                                   \
    X(OPT_OUT, "opt_out", 0, 0, CONSENT)                                 \
    X(BLOCK, "block", 0, 0, CONSENT)                                     \
    X(OUTBOUND_SENT, "outbound_sent", 0, 0, REACHABILITY)                \
    X(DELIVERED, "delivered", 0, 0, REACHABILITY)                        \
    X(FAILED, "failed", 0, 0, REACHABILITY)

/* The dimensions a kind can feed. Rhythm and risk are computed from the timing and
 * devices of all activity, so no kind feeds them alone. */
#define TAMIS_DIMENSIONS(X) \
    X(CONTINUITY, "continuity") \
    X(DEPTH, "depth")           \
    X(PROFILE, "profile")       \
    X(INTERACTION, "interaction") \
    X(REACHABILITY, "reachability") \
    X(CONSENT, "consent")       \
    X(PRESENCE, "presence")     \
    X(COMMERCE, "commerce")

typedef enum tamis_kind {
#define TAMIS_KIND_ENUM(id, name, activity, deep, dim) TAMIS_KIND_##id,
    TAMIS_KINDS(TAMIS_KIND_ENUM)
#undef TAMIS_KIND_ENUM
    TAMIS_KIND__COUNT
} tamis_kind;

typedef enum tamis_dimension {
#define TAMIS_DIM_ENUM(id, name) TAMIS_DIM_##id,
    TAMIS_DIMENSIONS(TAMIS_DIM_ENUM)
#undef TAMIS_DIM_ENUM
    TAMIS_DIM__COUNT
} tamis_dimension;

typedef struct tamis_kind_info {
    const char *name;
    uint8_t id;
    bool activity;
    bool deep;
    tamis_dimension dimension;
} tamis_kind_info;

/* The table itself, indexed by tamis_kind; TAMIS_KIND__COUNT entries. Static data. */
extern const tamis_kind_info tamis_kind_table[TAMIS_KIND__COUNT];

/* Looks a wire name up (exact, lowercase). Returns the kind id, or -1 if unknown. */
int tamis_kind_from_name(const char *name, size_t len);

/* The wire name of a kind, or "?" for an out-of-range id. */
const char *tamis_kind_name(int kind);

/* The name of a dimension ("continuity", ...), or "?" for an out-of-range id. */
const char *tamis_dimension_name(int dim);

#endif
