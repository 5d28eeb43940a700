/* score.h — from features to judgement: sub-scores, score, tier, trend, best channel,
 * best hour, cadence and reasons (src/model/score.c, channel.c, reasons.c).
 *
 * Pure functions of (features, contact, configuration, platform names): the same
 * inputs always give the same result. Definitions and formulas: docs/MODEL.md.
 *
 * Ownership: tamis_result is plain data (no pointers). Platform names are borrowed. */
#ifndef TAMIS_SCORE_H
#define TAMIS_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "tamis/contact_record.h"
#include "tamis/features.h"
#include "tamis/model_config.h"

#define TAMIS_MAX_REASONS 5
#define TAMIS_MIN_REASONS 3
#define TAMIS_SUB_NULL 255          /* sub-score of a dimension not observable for the user */
#define TAMIS_CHANNEL_NAME_MAX 33

/* Every kind of reason; stored on disk: append only. */
typedef enum tamis_reason_code {
    TAMIS_R_ACTIVE_7 = 1,       /* a = active days of last 7 */
    TAMIS_R_ACTIVE_30,          /* a = active days of last 30 */
    TAMIS_R_STREAK,             /* a = streak */
    TAMIS_R_LAST_SEEN,          /* a = days since seen */
    TAMIS_R_NEVER_SEEN,
    TAMIS_R_REPLIED,            /* a = replies, b = outbound sent (30 d) */
    TAMIS_R_CLICKED,            /* a = clicks, b = delivered (30 d) */
    TAMIS_R_READ,               /* a = reads, b = delivered (30 d) */
    TAMIS_R_DEEP,               /* a = deep actions (30 d) */
    TAMIS_R_PEAK_HOUR,          /* a = local hour */
    TAMIS_R_FAILURES,           /* platform, a = failures in a row */
    TAMIS_R_OPTED_OUT,          /* platform */
    TAMIS_R_BLOCKED,            /* platform */
    TAMIS_R_NO_CHANNEL,
    TAMIS_R_BAD_PHONE,
    TAMIS_R_SHARED_DEVICE,      /* a = accounts on one device */
    TAMIS_R_DEVICE_BURST,       /* a = other accounts, b = minutes */
    TAMIS_R_MACHINE_TIMING,     /* a = gaps measured */
    TAMIS_R_PROFILE,            /* a = bit 1 avatar, 2 nickname, 4 status */
    TAMIS_R_PROFILE_UPDATED,    /* a = days since */
    TAMIS_R_COOLING,            /* a = active days of last 7, b = of the 23 before */
    TAMIS_R_WARMING,            /* same */
    TAMIS_R_PURCHASES,          /* a = purchases (90 d), b = value (rounded) */
    TAMIS_R_CHANNEL_EVIDENCE,   /* platform, a = delivered, b = sent (30 d) */
    TAMIS_R_CHANNEL_COUNTRY,    /* the channel is the country's usual one */
    TAMIS_R__END
} tamis_reason_code;

typedef struct tamis_reason {
    uint8_t code;       /* tamis_reason_code */
    uint8_t platform;   /* interned platform id, TAMIS_PLATFORM_ANY when none */
    int32_t a, b;
} tamis_reason;

typedef enum tamis_channel_source {
    TAMIS_CHANNEL_NONE = 0,     /* no usable channel */
    TAMIS_CHANNEL_EVIDENCE,     /* best evidence of reach (deliveries, replies, recency) */
    TAMIS_CHANNEL_IDENTITY,     /* a platform the user is on, no evidence yet */
    TAMIS_CHANNEL_COUNTRY       /* the country's preferred channel (phone only) */
} tamis_channel_source;

typedef enum tamis_hour_source { TAMIS_HOUR_PEAK = 0, TAMIS_HOUR_COUNTRY, TAMIS_HOUR_DEFAULT } tamis_hour_source;

typedef struct tamis_result {
    uint8_t score;                       /* 0..100 */
    uint8_t tier;                        /* tamis_tier */
    uint8_t trend;                       /* tamis_trend */
    uint8_t sub[TAMIS_SUB__COUNT];       /* 0..100 or TAMIS_SUB_NULL */
    char best_channel[TAMIS_CHANNEL_NAME_MAX]; /* platform name, "" when none */
    uint8_t channel_source;              /* tamis_channel_source */
    uint8_t best_hour;                   /* local hour 0..23 */
    uint8_t hour_source;                 /* tamis_hour_source */
    uint16_t cadence_days;               /* 0 = never */
    uint8_t n_reasons;
    tamis_reason reasons[TAMIS_MAX_REASONS];
} tamis_result;

/* Platform names by interned id (NULL for unused ids); borrowed from the store. Once
 * bound to a configuration (tamis_platform_names_bind), it also holds each platform's
 * rules, so scoring a user looks nothing up by name; unbound, or bound to another
 * configuration, the rules are looked up by name on each use. */
typedef struct tamis_platform_names {
    const char *name[256];
    const tamis_model_config *rules_cfg;      /* the configuration rules[] came from */
    const tamis_platform_rules *rules[256];   /* borrowed from rules_cfg; NULL: none */
} tamis_platform_names;

/* Resolves every named platform's rules in cfg (borrowed: cfg must outlive names). */
void tamis_platform_names_bind(tamis_platform_names *names, const tamis_model_config *cfg);

/* Computes the full judgement of one user. contact may be NULL. */
void tamis_score_compute(const tamis_features *f, const tamis_contact *contact,
                         const tamis_model_config *cfg, const tamis_platform_names *names,
                         tamis_result *out);

/* Steps of tamis_score_compute, exposed for tests. */
void tamis_score_subscores(const tamis_features *f, const tamis_contact *contact,
                           const tamis_model_config *cfg, const tamis_platform_names *names,
                           tamis_result *r);
void tamis_score_channel(const tamis_features *f, const tamis_contact *contact,
                         const tamis_model_config *cfg, const tamis_platform_names *names,
                         tamis_result *r);
void tamis_score_reasons(const tamis_features *f, const tamis_contact *contact,
                         const tamis_model_config *cfg, tamis_result *r);

/* Renders one reason in plain words with its numbers ("active 6 of the last 7 days").
 * Returns the length written (cut to cap - 1). */
size_t tamis_reason_text(const tamis_reason *reason, const tamis_result *r,
                         const tamis_platform_names *names, char *out, size_t cap);

#endif
