/* features.h — the measured features of one user as of a moment T (src/model/features.c).
 *
 * Every feature is defined exactly in docs/MODEL.md; this header is the one table of
 * them. Features are computed from the stored activity state (user_state.h), the
 * contact record (contact_record.h), facts shared across users (accounts per device,
 * tamis_device_facts), and the user's local zone as a tamis_zone_hours table (offset
 * of the zone at every UTC hour of the window, src/model/zone_hours.c).
 *
 * Windows. Tc = T rounded up to a whole hour: the hour log cannot split an hour, so
 * events of the hour containing T count whole. D = the local day containing T - 1 s;
 * "last N days" = local days D-N+1 .. D. An hour-log entry belongs to the local day
 * that contains its start.
 *
 * Null values: counts are never null; rates, ratios, days-since and hours are null
 * when undefined (denominator 0, never happened). Doubles use NAN for null, integers
 * the TAMIS_NULL_* values below.
 *
 * Ownership: plain data, no pointers; a tamis_features can be copied freely. */
#ifndef TAMIS_FEATURES_H
#define TAMIS_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/contact_record.h"
#include "tamis/error.h"
#include "tamis/kinds.h"
#include "tamis/model_config.h"
#include "tamis/user_state.h"

#define TAMIS_NULL_I32 INT32_MIN
#define TAMIS_NULL_I64 INT64_MIN
#define TAMIS_FEATURE_PLATFORMS 8   /* per-platform detail for the user's first 8 platforms */
#define TAMIS_FEATURE_WINDOW_DAYS 90 /* the longest window */
#define TAMIS_REASON_TEXT_MAX 48

/* Where the user's zone came from. */
typedef enum tamis_zone_source { TAMIS_ZONE_CONTACT = 0, TAMIS_ZONE_COUNTRY, TAMIS_ZONE_UTC } tamis_zone_source;

/* Per platform the user is present on (an identity or any event on it). */
typedef struct tamis_platform_features {
    uint8_t platform;              /* interned id */
    bool has_identity;             /* the contact lists an id on it */
    bool opted_in, opted_out, blocked; /* consent: latest of opt_in / opt_out / block */
    uint32_t activity_30;          /* activity events on it in 30 days */
    uint32_t outbound_sent_30, delivered_30, read_30, reply_30, click_30;
    double reply_rate_30, delivery_rate_30, read_rate_30, click_rate_30; /* NAN: null */
    int32_t days_since_seen;       /* D - local day of its newest activity; null */
    uint32_t consecutive_failures; /* hard failures newer than the newest positive receipt */
    char last_failure_reason[TAMIS_REASON_TEXT_MAX]; /* newest failure's reason, "" none */
    bool usable;                   /* a channel, present, not opted out/blocked, failures < threshold */
} tamis_platform_features;

typedef struct tamis_features {
    int64_t as_of_ms;              /* T */
    int64_t window_end_ms;         /* Tc */
    int32_t day;                   /* D as days since 1970-01-01 in local time */
    int16_t tz_offset_minutes;     /* zone offset at T - 1 s */
    uint8_t zone_source;           /* tamis_zone_source */

    /* continuity */
    uint16_t active_days_7, active_days_30, active_days_90;
    uint16_t streak, longest_streak_30;
    int64_t last_seen_ms;          /* newest activity before Tc (ms); null */
    int32_t days_since_seen;       /* D - local day of last_seen; null */

    /* depth and counts, 30 days */
    uint32_t kind_30[TAMIS_KIND__COUNT]; /* events of each kind in the last 30 days */
    uint32_t activity_30;          /* activity events in 30 days */
    uint32_t deep_actions_30;      /* message_sent + conversation_open + group_join + reply */
    double depth_ratio;            /* deep_actions_30 / activity_30; null */

    /* interaction, 30 days, all platforms */
    double reply_rate_30, delivery_rate_30, read_rate_30, click_rate_30;

    /* profile */
    bool has_avatar, has_nickname, has_status;
    uint32_t profile_updates_90;
    int32_t days_since_profile_update; /* null */

    /* rhythm, 30 days, local hours */
    uint32_t hour_hist_30[24];
    int8_t peak_hour;              /* -1: null */
    double day_share;              /* share of activity in 06:00-17:59 local; null */
    double regularity;             /* 1 - entropy(hist) / ln 24; null */

    /* reachability */
    uint32_t max_consecutive_failures; /* over platforms */
    bool phone_usable;             /* valid and mobile (or fixed-line-or-mobile) */
    uint8_t n_usable_platforms;
    uint8_t n_channel_platforms;   /* present platforms that are channels (not "unknown") */

    /* risk */
    uint32_t device_accounts;      /* most accounts on one of the user's devices (self incl.) */
    uint32_t device_burst;         /* other accounts first seen on one of its devices within
                                      burst_minutes of this one (max over devices) */
    double timing_cv;              /* coefficient of variation of recent gaps; null */
    bool machine_regular;          /* timing_cv < regular_max_cv with enough gaps */
    bool blocked_any, opted_out_any;

    /* purchases */
    int32_t days_since_purchase;   /* null */
    uint32_t purchases_90;
    double purchase_value_90;      /* purchase_value_90_micros / 1e6 */
    int64_t purchase_value_90_micros; /* exact sum of values in millionths */

    /* per platform, sorted by platform id */
    tamis_platform_features platforms[TAMIS_FEATURE_PLATFORMS];
    uint8_t n_platforms;
} tamis_features;

/* Offsets of one zone at every UTC hour of a window: offset_minutes[i] is the offset at
 * the start of UTC hour first_hour + i. Built once per zone and reused for every user
 * of that zone (src/model/zone_hours.c caches them). */
typedef struct tamis_zone_hours {
    uint32_t first_hour;           /* UTC hours since the epoch */
    uint32_t n_hours;
    int16_t *offset_minutes;       /* owned by whoever built it */
    char name[TAMIS_TZ_NAME_MAX];  /* the zone ("UTC" for the fallback) */
} tamis_zone_hours;

/* Accounts on each device, across users (risk), as of T (src/model/devices.c). The
 * score run adds every user's device facets whose first sighting is before Tc, then
 * finishes the table and queries it while computing features. NULL in the input means
 * "no cross-user facts": each device then counts one account (this user). */
typedef struct tamis_device_facts tamis_device_facts;

tamis_device_facts *tamis_device_facts_new(void);
void tamis_device_facts_free(tamis_device_facts *f);
/* Records that uid was first seen on device (len bytes) at first_ms. */
void tamis_device_facts_add(tamis_device_facts *f, const char *device, size_t len, uint32_t uid,
                            int64_t first_ms);
/* Moves every entry of src into dst (src is left empty): threads that each read part
 * of the users fill their own table, then one absorbs the others. */
void tamis_device_facts_absorb(tamis_device_facts *dst, tamis_device_facts *src);
/* Sorts what was added; call once before the first query. */
void tamis_device_facts_finish(tamis_device_facts *f);
/* Accounts seen on device (this one included, at least 1), and how many other accounts
 * were first seen on it within window_ms of first_ms. */
void tamis_device_facts_query(const tamis_device_facts *f, const char *device, size_t len,
                              uint32_t uid, int64_t first_ms, int64_t window_ms, uint32_t *accounts,
                              uint32_t *burst);
/* Calls fn for every uid seen on device. */
void tamis_device_facts_neighbours(const tamis_device_facts *f, const char *device, size_t len,
                                   void (*fn)(void *ctx, uint32_t uid), void *ctx);

typedef struct tamis_feature_input {
    const tamis_user_state *state;
    const tamis_contact *contact;  /* may be NULL (no contact record) */
    uint32_t uid;
    const tamis_zone_hours *zone;  /* the user's zone over the window */
    uint8_t zone_source;
    const tamis_device_facts *devices; /* may be NULL */
    int unknown_platform;          /* id of the platform "unknown" (events that named
                                      none): counted, but not a channel; -1 if none */
    int64_t as_of_ms;              /* T */
} tamis_feature_input;

/* Computes every feature. Never fails on valid state; cfg gives thresholds (risk,
 * soft failure reasons, unreachable_failures). */
void tamis_features_compute(const tamis_feature_input *in, const tamis_model_config *cfg,
                            tamis_features *out);

/* Recomputes the fields derived from counts (depth_ratio, every rate, peak_hour,
 * day_share, regularity): compute calls it, and so does the record decoder, which
 * stores counts only. */
void tamis_features_derive(tamis_features *f);

/* Tc for T: T rounded up to a whole hour (ms). */
int64_t tamis_features_window_end(int64_t as_of_ms);

/* The first and one-past-last UTC hour that a 90-day window as of T can touch (with
 * 14 h of zone margin either side); zone tables must cover it. */
void tamis_features_hour_span(int64_t as_of_ms, uint32_t *first_hour, uint32_t *end_hour);

#endif
