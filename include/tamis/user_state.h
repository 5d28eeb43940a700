/* user_state.h — the per-user activity state: what tamis remembers of a user's events.
 *
 * Raw events are not kept. Instead each user has, in memory and (encoded) in LMDB:
 *   - an hour log: sparse, sorted (UTC hour, platform, kind) -> count and value sum.
 *     Any window of whole days, in any time zone learned at any time, is a sum over
 *     it; entries older than the retention window are dropped (see below).
 *   - facets: lifetime aggregates per (type, platform, kind, key): count, value sum,
 *     first and last time. One facet per platform+kind (key ""), and one per group,
 *     device, profile field, campaign, campaign type, event country and failure reason
 *     seen on the user's events. Consent, group membership, first/last seen per
 *     platform, devices and campaign responses are read from facets.
 *   - the newest TAMIS_RECENT_ACTIVITY activity timestamps (ms), for timing analysis;
 *   - per platform, the newest TAMIS_FAILURES_PER_PLATFORM failures (ts, reason);
 *   - the hashes of event ids seen within the retention window, for exactly-once.
 *
 * Order independence. Every part is a commutative aggregate (sums, minima, maxima,
 * top-K of a multiset), and the retention cutoff is relative to the user's own newest
 * event (cutoff = last_ms - retention): an event older than the cutoff is dropped on
 * arrival, and encoding prunes what fell behind it. Hence shuffled input yields
 * byte-identical state to sorted input. See docs/STATE.md for the exceptions at caps.
 *
 * Ownership: a tamis_user_state owns all its arrays and strings; init/reset/free it
 * with the functions below. Nothing here touches LMDB; src/store/store.c moves the
 * encoded bytes in and out. */
#ifndef TAMIS_USER_STATE_H
#define TAMIS_USER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"

#define TAMIS_RECENT_ACTIVITY 64        /* newest activity timestamps kept */
#define TAMIS_FAILURES_PER_PLATFORM 16  /* newest failures kept per platform */
#define TAMIS_MAX_FACETS 4096           /* facets per user; least recent evicted */
#define TAMIS_MAX_FACET_KEY_BYTES 255   /* longer keys are cut with a warning count */
#define TAMIS_MAX_ABS_VALUE 1e12       /* event values beyond are rejected by ingest */
#define TAMIS_PLATFORM_ANY 255          /* facet platform/kind meaning "all" */
#define TAMIS_KIND_ANY 255

typedef enum tamis_facet_type {
    TAMIS_FACET_KIND = 0,     /* key "": every event, per (platform, kind) */
    TAMIS_FACET_GROUP,        /* key group id; kinds group_join / group_leave / others */
    TAMIS_FACET_DEVICE,       /* key device id; kind ANY */
    TAMIS_FACET_FIELD,        /* key profile field (avatar, nickname, ...); profile_update */
    TAMIS_FACET_CAMPAIGN,     /* key campaign id; per kind (outbound_sent, read, ...) */
    TAMIS_FACET_CAMPAIGN_TYPE,/* key campaign type; per kind */
    TAMIS_FACET_COUNTRY,      /* key country seen on events; kind ANY */
    TAMIS_FACET_REASON,       /* key failure reason; kind failed */
    TAMIS_FACET__COUNT
} tamis_facet_type;

/* One hour-log entry. key packs (hour << 16 | platform << 8 | kind). */
typedef struct tamis_hour_count {
    uint64_t key;
    uint32_t count;
    int64_t value_micros; /* sum of `value` in millionths: integer, so order-independent */
} tamis_hour_count;

static inline uint32_t tamis_hc_hour(const tamis_hour_count *h) { return (uint32_t)(h->key >> 16); }
static inline uint8_t tamis_hc_platform(const tamis_hour_count *h) { return (uint8_t)(h->key >> 8); }
static inline uint8_t tamis_hc_kind(const tamis_hour_count *h) { return (uint8_t)h->key; }

#define TAMIS_FACET_INLINE_KEY 24 /* keys shorter than this live inside the facet */

typedef struct tamis_facet {
    uint8_t type, platform, kind;
    uint8_t key_len;
    uint32_t count;
    int64_t value_micros; /* sum of `value` in millionths */
    int64_t first_ms, last_ms;
    union {
        char small[TAMIS_FACET_INLINE_KEY]; /* key_len < TAMIS_FACET_INLINE_KEY */
        char *heap;                         /* otherwise: owned */
    } key;
} tamis_facet;

/* The facet's key, NUL-terminated, key_len bytes. Valid while the facet is unchanged
 * (facets move when the array changes: do not keep the pointer across an apply). */
static inline const char *tamis_facet_key(const tamis_facet *f)
{
    return f->key_len < TAMIS_FACET_INLINE_KEY ? f->key.small : f->key.heap;
}

typedef struct tamis_failure {
    int64_t ts_ms;
    uint8_t platform;
    char *reason;       /* owned, NUL-terminated ("" when the event had none) */
} tamis_failure;

typedef struct tamis_id_seen {
    uint64_t hash;      /* XXH3-64 of the event id */
    uint32_t hour;      /* hour of the event, for retention pruning */
} tamis_id_seen;

typedef struct tamis_user_state {
    int64_t first_ms, last_ms;  /* lifetime, any event; 0/0 when empty */
    tamis_hour_count *hours; size_t n_hours, cap_hours;   /* sorted by key */
    tamis_facet *facets; size_t n_facets, cap_facets;     /* sorted (type,platform,kind,key) */
    tamis_failure *failures; size_t n_failures, cap_failures; /* sorted (platform, ts desc, reason) */
    int64_t *recent; size_t n_recent, cap_recent;         /* ascending */
    tamis_id_seen *ids; size_t n_ids, cap_ids;            /* sorted by hash */
    uint32_t facets_evicted;    /* facets dropped at TAMIS_MAX_FACETS (lifetime) */
} tamis_user_state;

/* The parts of an event the state needs, already resolved: platform interned, kind
 * checked, strings borrowed for the duration of the call (len 0 = absent). */
typedef struct tamis_state_event {
    int64_t ts_ms;
    uint8_t platform;
    uint8_t kind;
    bool has_value;
    int64_t value_micros; /* value in millionths (|value| <= TAMIS_MAX_ABS_VALUE) */
    bool has_id;
    uint64_t id_hash;
    const char *group; uint32_t group_len;
    const char *device; uint32_t device_len;
    const char *field; uint32_t field_len;
    const char *campaign; uint32_t campaign_len;
    const char *campaign_type; uint32_t campaign_type_len;
    const char *country; uint32_t country_len;
    const char *reason; uint32_t reason_len;
} tamis_state_event;

typedef enum tamis_apply_result {
    TAMIS_APPLIED = 0,   /* counted */
    TAMIS_DUPLICATE,     /* its id was seen before: nothing changed */
    TAMIS_EXPIRED        /* older than the user's retention window: nothing changed */
} tamis_apply_result;

void tamis_user_state_init(tamis_user_state *st);
void tamis_user_state_free(tamis_user_state *st);   /* frees contents, leaves st empty */
/* Empties st but keeps its arrays for reuse (a state reused for many users allocates
 * only when one outgrows all before it). Free it with tamis_user_state_free. */
void tamis_user_state_clear(tamis_user_state *st);

/* Applies one event. retention_days bounds the hour log, failures, recent timestamps
 * and ids relative to the user's newest event. Never fails on valid input. */
tamis_apply_result tamis_user_state_apply(tamis_user_state *st, const tamis_state_event *ev,
                                          uint32_t retention_days);

/* Adds everything of src into dst (used when an auto-created platform user is merged
 * into a contact). Ids present in both count once; hour counts and facets add up. */
void tamis_user_state_merge(tamis_user_state *dst, const tamis_user_state *src,
                            uint32_t retention_days);

/* Drops what fell behind the retention cutoff. encode calls it; exposed for tests. */
void tamis_user_state_prune(tamis_user_state *st, uint32_t retention_days);

/* Encodes st (after pruning) into a growable buffer *buf of *cap bytes (realloc'd via
 * tamis_realloc as needed; caller owns it). *len receives the encoded size. */
void tamis_user_state_encode(tamis_user_state *st, uint32_t retention_days,
                             uint8_t **buf, size_t *cap, size_t *len);

/* Decodes bytes into st (which must be freshly initialised or freed). TAMIS_ECORRUPT
 * on malformed bytes, leaving st empty. */
int tamis_user_state_decode(tamis_user_state *st, const uint8_t *buf, size_t len,
                            tamis_error *err) TAMIS_WUR;
/* The same into an initialised st whose contents it replaces, reusing its arrays.
 * On TAMIS_ECORRUPT st is left empty (still owning its arrays). */
int tamis_user_state_decode_reuse(tamis_user_state *st, const uint8_t *buf, size_t len,
                                  tamis_error *err) TAMIS_WUR;

/* Like decode_reuse, but checks and skips the event-id hashes instead of keeping them
 * (st->n_ids is 0): for readers that judge a user and never apply events to it. */
int tamis_user_state_decode_judge(tamis_user_state *st, const uint8_t *buf, size_t len,
                                  tamis_error *err) TAMIS_WUR;

/* One facet read in place from encoded bytes (key borrowed from them, not
 * NUL-terminated). */
typedef struct tamis_facet_view {
    uint8_t platform, kind;
    const char *key;
    size_t key_len;
    uint32_t count;
    int64_t first_ms, last_ms;
} tamis_facet_view;

/* Calls fn for every facet of one type in an encoded state, without decoding the rest
 * (the score run reads every user's devices this way). TAMIS_ECORRUPT on malformed
 * bytes, possibly after some calls. */
int tamis_user_state_scan_facets(const uint8_t *buf, size_t len, tamis_facet_type type,
                                 void (*fn)(void *ctx, const tamis_facet_view *f), void *ctx,
                                 tamis_error *err) TAMIS_WUR;

/* Consecutive failures on platform newer than the last delivered/read/reply/click on it
 * (capped at TAMIS_FAILURES_PER_PLATFORM), and the newest failure's reason (or NULL). */
uint32_t tamis_user_state_consecutive_failures(const tamis_user_state *st, uint8_t platform,
                                               const char **last_reason);

/* Finds a facet; NULL if absent. key may be "" for TAMIS_FACET_KIND. */
const tamis_facet *tamis_user_state_facet(const tamis_user_state *st, tamis_facet_type type,
                                          uint8_t platform, uint8_t kind, const char *key,
                                          size_t key_len);

/* Name of a facet type ("kind", "group", ...). */
const char *tamis_facet_type_name(int type);

#endif
