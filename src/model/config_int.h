/* config_int.h — private to src/model/config*.c: the one table of configuration keys
 * and helpers shared by the files that implement model_config.h
 * (config_defaults.c: names, the key table, shipped defaults, lookups;
 * config.c: reading INI text; config_print.c: printing and hashing).
 *
 * The key table drives both the loader (which key exists in which section, its type
 * and range) and the printer (which keys are written, in which order), so a key added
 * here is loaded, validated and printed without another edit. No other module
 * includes this header. */
#ifndef TAMIS_MODEL_CONFIG_INT_H
#define TAMIS_MODEL_CONFIG_INT_H

#include <stddef.h>

#include "tamis/model_config.h"

#define CFG_WEIGHT_MAX 1000.0     /* any weight, base or override */
#define CFG_CADENCE_MAX_DAYS 3650 /* ten years between contacts */
#define CFG_DOUBLE_TEXT_MAX 40    /* a double printed round-trip exact, with NUL */
#define CFG_ALL_DIMS ((1u << TAMIS_SUB__COUNT) - 1u)

/* Sections, in the order they are printed. */
typedef enum cfg_section {
    CFG_SEC_NONE = 0, /* keys before any [section] */
    CFG_SEC_SCORE,
    CFG_SEC_TIERS,
    CFG_SEC_TREND,
    CFG_SEC_CADENCE,
    CFG_SEC_RISK,
    CFG_SEC_REACHABILITY,
    CFG_SEC_DEFAULTS,
    CFG_SEC_PLATFORM, /* [platform.NAME]: keys address a tamis_platform_rules */
    CFG_SEC_COUNTRY,  /* [country.CC]: keys address a tamis_country_rules */
    CFG_SEC__COUNT
} cfg_section;

typedef enum cfg_type {
    CFG_DOUBLE,     /* double in [min, max]; never empty */
    CFG_U32,        /* uint32_t in [min, max]; never empty */
    CFG_HOUR,       /* int in [min, max]; never empty */
    CFG_HOUR_OPT,   /* the same, or empty: -1 (use [defaults]) */
    CFG_WEIGHT_OPT, /* tamis_weights at offset, entry `aux`, in [min, max]; empty: not set */
    CFG_NAMES,      /* char[cap][TAMIS_CFG_NAME_MAX] at offset, size_t count at aux */
    CFG_DIMS,       /* uint32_t bit mask of dimensions; "all" allowed */
    CFG_ZONE_OPT,   /* char[TAMIS_TZ_NAME_MAX] zone, normalised; empty: "" (ICU's) */
} cfg_type;

typedef struct cfg_key {
    cfg_section section;
    const char *name;
    cfg_type type;
    size_t offset;        /* in tamis_model_config, tamis_platform_rules or tamis_country_rules */
    size_t aux;           /* CFG_NAMES: offset of the count; CFG_WEIGHT_OPT: the dimension */
    size_t cap;           /* CFG_NAMES: most items */
    const char *cap_name; /* CFG_NAMES: the cap's macro, for messages */
    double min, max;      /* numbers */
} cfg_key;

/* Every key, grouped by section in print order. */
extern const cfg_key cfg_keys[];
extern const size_t cfg_n_keys;

/* "score", "tiers", ..., "platform", "country"; "" for CFG_SEC_NONE. */
const char *cfg_section_name(cfg_section s);

/* The rules of platform `name` (valid, lower case) or country `code` (normalised),
 * created with their empty defaults in sorted position when missing. NULL when the
 * table is at its cap. The pointer is valid until the next insertion. */
tamis_platform_rules *cfg_platform_add(tamis_model_config *c, const char *name);
tamis_country_rules *cfg_country_add(tamis_model_config *c, const char code[3]);

/* Shortest text that parses back to exactly v, with '.' as decimal separator whatever
 * the locale ("30", "0.15", "1e-05"). */
void cfg_format_double(double v, char out[CFG_DOUBLE_TEXT_MAX]);

/* Strict decimal: [+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?, whole text, finite, '.'
 * whatever the locale. NULL on success, else why not ("not a number"). */
const char *cfg_parse_double(const char *s, double *out);

#endif
