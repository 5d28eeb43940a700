/* model_config.h — the rules of the activity model, as data (src/model/config.c).
 *
 * Everything the scorer decides by a number or a list lives here: sub-score weights
 * (base, per platform, per country), which dimensions each platform can observe, tier
 * thresholds, trend thresholds, cadence per tier, risk thresholds, soft failure
 * reasons, and per-country channel preferences, typical send hours and default zones.
 * Shipped defaults are compiled in (tamis_model_config_new) and documented in
 * docs/CONFIG.md; an INI file (inih) read with tamis_model_config_load overrides any
 * of them; tamis_model_config_print writes the effective configuration back as INI
 * that loads to the same values (`tamis config`).
 *
 * Ownership: a tamis_model_config is one heap block owned by the caller of
 * tamis_model_config_new, freed with tamis_model_config_free. Pointers returned by the
 * lookup functions are borrowed from it. */
#ifndef TAMIS_MODEL_CONFIG_H
#define TAMIS_MODEL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tamis/error.h"
#include "tamis/tz.h"

#define TAMIS_CFG_NAME_MAX 33      /* platform / reason names: 32 bytes + NUL */
#define TAMIS_CFG_MAX_CHANNELS 8   /* channels in one country's preference list */
#define TAMIS_CFG_MAX_PLATFORMS 64 /* [platform.NAME] sections */
#define TAMIS_CFG_MAX_COUNTRIES 300 /* [country.CC] sections */
#define TAMIS_CFG_MAX_SOFT_REASONS 32

/* The seven dimensions of the model, in the order sub-scores are stored and printed. */
#define TAMIS_SUBSCORES(X)            \
    X(CONTINUITY, "continuity")       \
    X(DEPTH, "depth")                 \
    X(PROFILE, "profile")             \
    X(INTERACTION, "interaction")     \
    X(RHYTHM, "rhythm")               \
    X(REACHABILITY, "reachability")   \
    X(RISK, "risk")

typedef enum tamis_subscore {
#define TAMIS_SUB_ENUM(id, name) TAMIS_SUB_##id,
    TAMIS_SUBSCORES(TAMIS_SUB_ENUM)
#undef TAMIS_SUB_ENUM
    TAMIS_SUB__COUNT
} tamis_subscore;

/* Tiers, in the order they are tested (first match wins). Stored on disk: never
 * reorder. */
#define TAMIS_TIERS(X)                          \
    X(UNREACHABLE, "unreachable")               \
    X(RISKY, "risky")                           \
    X(DAILY_ACTIVE, "daily_active")             \
    X(HIGH_INTERACTION, "high_interaction")     \
    X(OCCASIONAL, "occasional")                 \
    X(SILENT, "silent")                         \
    X(DORMANT, "dormant")

typedef enum tamis_tier {
#define TAMIS_TIER_ENUM(id, name) TAMIS_TIER_##id,
    TAMIS_TIERS(TAMIS_TIER_ENUM)
#undef TAMIS_TIER_ENUM
    TAMIS_TIER__COUNT
} tamis_tier;

typedef enum tamis_trend { TAMIS_TREND_WARMING = 0, TAMIS_TREND_STABLE, TAMIS_TREND_COOLING, TAMIS_TREND__COUNT } tamis_trend;

const char *tamis_subscore_name(int sub);  /* "continuity", ... or "?" */
const char *tamis_tier_name(int tier);      /* "daily_active", ... or "?" */
const char *tamis_trend_name(int trend);    /* "warming", ... or "?" */
int tamis_tier_from_name(const char *name, size_t len);  /* -1 if unknown */
int tamis_subscore_from_name(const char *name, size_t len); /* -1 if unknown */

/* Weights of the weighted sub-scores. In overrides (platform, country) only the
 * entries with set[i] true apply. The risk weight is unused by the mean: risk acts as
 * a penalty (risk_penalty) and a gate (tier risky). */
typedef struct tamis_weights {
    double w[TAMIS_SUB__COUNT];
    bool set[TAMIS_SUB__COUNT];
} tamis_weights;

typedef struct tamis_platform_rules {
    char name[TAMIS_CFG_NAME_MAX];  /* lower-case platform name as in events */
    uint32_t observes;              /* bit (1u << tamis_subscore): dimensions it can show */
    tamis_weights weights;          /* overrides */
} tamis_platform_rules;

typedef struct tamis_country_rules {
    char code[3];                   /* ISO 3166-1 alpha-2, upper case */
    char channels[TAMIS_CFG_MAX_CHANNELS][TAMIS_CFG_NAME_MAX]; /* preferred first */
    size_t n_channels;              /* 0: use default_channels */
    int send_hour;                  /* typical local send hour 0..23, -1: default */
    char tz[TAMIS_TZ_NAME_MAX];     /* default zone for contacts without tz; "" = ICU's */
    tamis_weights weights;          /* overrides (apply over platform overrides) */
} tamis_country_rules;

typedef struct tamis_model_config {
    /* [score] */
    tamis_weights weights;          /* base weights: every set[] true */
    double risk_penalty;            /* total *= 1 - risk_penalty * risk / 100 (0..1) */
    double unreachable_cap;         /* total of a user with no usable channel <= this */
    /* [tiers] */
    uint32_t unreachable_failures;  /* hard failures in a row that close a channel (3) */
    uint32_t risky_min_risk;        /* risk sub-score at or above which a user is risky */
    uint32_t daily_active_days_7;   /* active days of the last 7 (5) */
    double high_interaction_rate;   /* reply or click rate at or above (0.3) */
    uint32_t high_interaction_min_outbound; /* with at least this many outbound in 30 d */
    uint32_t high_interaction_deep_30;      /* or this many deep actions in 30 d */
    /* [trend] */
    double trend_delta;             /* rate7 - rate23 >= delta: warming; <= -delta: cooling */
    /* [cadence] days between contacts per tier; 0 = never */
    uint32_t cadence_days[TAMIS_TIER__COUNT];
    /* [risk] */
    uint32_t device_accounts;       /* accounts on one device from which it counts (3) */
    uint32_t burst_minutes;         /* accounts first seen on a device this close (10) */
    uint32_t regular_min_gaps;      /* gaps needed to judge machine regularity (10) */
    double regular_max_cv;          /* gap coefficient of variation below: machine (0.1) */
    /* [reachability] */
    char soft_reasons[TAMIS_CFG_MAX_SOFT_REASONS][TAMIS_CFG_NAME_MAX]; /* not hard failures */
    size_t n_soft_reasons;
    /* [defaults] for countries without their own rules */
    int default_send_hour;
    char default_channels[TAMIS_CFG_MAX_CHANNELS][TAMIS_CFG_NAME_MAX];
    size_t n_default_channels;
    /* [platform.NAME] and [country.CC], sorted by name / code */
    tamis_platform_rules platforms[TAMIS_CFG_MAX_PLATFORMS];
    size_t n_platforms;
    tamis_country_rules countries[TAMIS_CFG_MAX_COUNTRIES];
    size_t n_countries;
} tamis_model_config;

/* A new configuration holding the shipped defaults. Aborts on out-of-memory like every
 * tamis allocation. */
tamis_model_config *tamis_model_config_new(void);
void tamis_model_config_free(tamis_model_config *c);

/* Reads an INI file over c. Unknown sections or keys, bad values and out-of-range
 * numbers are errors (TAMIS_EINPUT, "PATH:LINE: message"); TAMIS_EIO when the file
 * cannot be read. On error c may hold part of the file: load into a fresh config. */
int tamis_model_config_load(tamis_model_config *c, const char *path, tamis_error *err) TAMIS_WUR;
/* The same from a string (tests; path is only used in messages). */
int tamis_model_config_load_string(tamis_model_config *c, const char *text, const char *path,
                                   tamis_error *err) TAMIS_WUR;

/* Writes c as an INI file that loads back to an equal configuration. */
void tamis_model_config_print(const tamis_model_config *c, FILE *out);

/* A 64-bit hash of everything in c (stored with scores: a change means rescoring). */
uint64_t tamis_model_config_hash(const tamis_model_config *c);

/* Rules of a country (code upper case) or platform (name lower case); NULL if none. */
const tamis_country_rules *tamis_model_config_country(const tamis_model_config *c, const char *code);
const tamis_platform_rules *tamis_model_config_platform(const tamis_model_config *c,
                                                        const char *name);

/* Whether a failure reason is soft (does not count toward unreachable). */
bool tamis_model_config_soft_reason(const tamis_model_config *c, const char *reason);

#endif
