/* zone_hours.c — per-zone tables of UTC offsets per hour, cached (see
 * include/tamis/zone_hours.h).
 *
 * A table is filled from ICU in two steps: offsets at every week boundary of the span
 * (one calendar, one batch), then, for each week whose two ends disagree, every hour
 * of that week. A zone that changes its offset twice within one week and back would
 * be missed; no zone in the database does that. */
#include "tamis/zone_hours.h"

#include <stdio.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/tz.h"
#include "util/strmap.h"

#define ZONE_STEP_HOURS 168u
#define ZONE_NONE UINT32_MAX

struct tamis_zone_cache {
    uint32_t first_hour, end_hour;
    const tamis_model_config *cfg;
    tamis_zone_hours **tables; /* each its own block (handed out); tables[0] is UTC */
    size_t n_tables, cap_tables;
    tamis_strmap *by_zone;    /* zone name -> table index, or ZONE_NONE if unknown */
    tamis_strmap *by_country; /* country code -> table index (ZONE_NONE: UTC) */
    int64_t *instants;        /* scratch for ICU batches */
    int *offsets;
};

static uint32_t add_table(tamis_zone_cache *zc, int16_t *offsets, const char *name)
{
    zc->tables = tamis_grow(zc->tables, sizeof *zc->tables, &zc->cap_tables, zc->n_tables + 1);
    zc->tables[zc->n_tables] = tamis_malloc(sizeof **zc->tables);
    *zc->tables[zc->n_tables] = (tamis_zone_hours){zc->first_hour, zc->end_hour - zc->first_hour, offsets, {0}};
    snprintf(zc->tables[zc->n_tables]->name, sizeof zc->tables[zc->n_tables]->name, "%s", name);
    return (uint32_t)zc->n_tables++;
}

tamis_zone_cache *tamis_zone_cache_new(uint32_t first_hour, uint32_t end_hour, const tamis_model_config *cfg)
{
    tamis_zone_cache *zc = tamis_calloc(1, sizeof *zc);
    uint32_t n = end_hour > first_hour ? end_hour - first_hour : 1;

    zc->first_hour = first_hour;
    zc->end_hour = first_hour + n;
    zc->cfg = cfg;
    zc->by_zone = tamis_strmap_new();
    zc->by_country = tamis_strmap_new();
    zc->instants = tamis_calloc(n + 2, sizeof *zc->instants);
    zc->offsets = tamis_calloc(n + 2, sizeof *zc->offsets);
    add_table(zc, tamis_calloc(n, sizeof(int16_t)), "UTC"); /* all zero */
    return zc;
}

void tamis_zone_cache_free(tamis_zone_cache *zc)
{
    if (!zc)
        return;
    for (size_t i = 0; i < zc->n_tables; i++) {
        tamis_free(zc->tables[i]->offset_minutes);
        tamis_free(zc->tables[i]);
    }
    tamis_free(zc->tables);
    tamis_strmap_free(zc->by_zone);
    tamis_strmap_free(zc->by_country);
    tamis_free(zc->instants);
    tamis_free(zc->offsets);
    tamis_free(zc);
}

static int64_t hour_ms(uint32_t hour)
{
    return (int64_t)hour * 3600000LL;
}

/* Fills a new table for tz; TAMIS_EINPUT if ICU does not know it. */
static int build_table(tamis_zone_cache *zc, const char *tz, int16_t **out, tamis_error *err)
{
    uint32_t n = zc->end_hour - zc->first_hour;
    size_t n_samples = 0;
    int16_t *table;
    int rc;

    /* week boundaries, and the last hour */
    for (uint32_t i = 0; i < n; i += ZONE_STEP_HOURS)
        zc->instants[n_samples++] = hour_ms(zc->first_hour + i);
    zc->instants[n_samples++] = hour_ms(zc->end_hour - 1);
    if ((rc = tamis_tz_offsets_minutes(tz, zc->instants, n_samples, zc->offsets, err)) != 0)
        return rc;
    table = tamis_calloc(n, sizeof *table);
    for (size_t s = 0; s + 1 < n_samples; s++) {
        uint32_t a = (uint32_t)(s * ZONE_STEP_HOURS);
        uint32_t b = s + 2 == n_samples ? n : a + ZONE_STEP_HOURS; /* exclusive */
        int off_a = zc->offsets[s], off_b = zc->offsets[s + 1];
        if (off_a == off_b || b - a <= 1) {
            for (uint32_t h = a; h < b; h++)
                table[h] = (int16_t)off_a;
            continue;
        }
        /* a transition inside: ask for every hour of the week (one batch) */
        {
            int *week = tamis_calloc(b - a, sizeof *week);
            for (uint32_t h = a; h < b; h++)
                zc->instants[h - a] = hour_ms(zc->first_hour + h);
            rc = tamis_tz_offsets_minutes(tz, zc->instants, b - a, week, err);
            for (uint32_t h = a; h < b && rc == 0; h++)
                table[h] = (int16_t)week[h - a];
            tamis_free(week);
            if (rc) {
                tamis_free(table);
                return rc;
            }
        }
    }
    if (n_samples == 1)
        table[0] = (int16_t)zc->offsets[0];
    *out = table;
    return TAMIS_OK;
}

static uint32_t zone_index(tamis_zone_cache *zc, const char *tz, tamis_error *err, int *rc)
{
    size_t len = strlen(tz);
    uint32_t idx;
    int16_t *table = NULL;

    *rc = TAMIS_OK;
    if (tamis_strmap_get(zc->by_zone, tz, len, &idx)) {
        if (idx == ZONE_NONE)
            *rc = tamis_error_set(err, TAMIS_EINPUT, "time zone \"%s\": unknown zone name", tz);
        return idx;
    }
    if ((*rc = build_table(zc, tz, &table, err)) != 0) {
        tamis_strmap_put(zc->by_zone, tz, len, ZONE_NONE);
        return ZONE_NONE;
    }
    idx = add_table(zc, table, tz);
    tamis_strmap_put(zc->by_zone, tz, len, idx);
    return idx;
}

int tamis_zone_cache_get(tamis_zone_cache *zc, const char *tz, const tamis_zone_hours **out, tamis_error *err)
{
    int rc;
    uint32_t idx = zone_index(zc, tz, err, &rc);
    *out = rc ? NULL : zc->tables[idx];
    return rc;
}

/* The table of a country's default zone: the configuration's, else ICU's first; UTC
 * (ZONE_NONE) when neither is usable. */
static uint32_t country_index(tamis_zone_cache *zc, const char *country)
{
    size_t len = strnlen(country, 2);
    uint32_t idx;
    char icu_zone[TAMIS_TZ_NAME_MAX];
    const tamis_country_rules *rules;
    tamis_error err = {0};
    int rc = 1;

    if (tamis_strmap_get(zc->by_country, country, len, &idx))
        return idx;
    idx = ZONE_NONE;
    rules = zc->cfg ? tamis_model_config_country(zc->cfg, country) : NULL;
    if (rules && rules->tz[0])
        idx = zone_index(zc, rules->tz, &err, &rc);
    if (rc && tamis_country_default_tz(country, icu_zone, &err) == 0)
        idx = zone_index(zc, icu_zone, &err, &rc);
    if (rc)
        idx = ZONE_NONE;
    tamis_strmap_put(zc->by_country, country, len, idx);
    return idx;
}

const tamis_zone_hours *tamis_zone_cache_for_contact(tamis_zone_cache *zc, const tamis_contact *c,
                                                     tamis_zone_source *source)
{
    tamis_error err = {0};
    int rc;
    uint32_t idx;

    if (c && c->tz && c->tz[0]) {
        idx = zone_index(zc, c->tz, &err, &rc);
        if (rc == 0) {
            *source = TAMIS_ZONE_CONTACT;
            return zc->tables[idx];
        }
    }
    if (c && c->country[0]) {
        idx = country_index(zc, c->country);
        if (idx != ZONE_NONE) {
            *source = TAMIS_ZONE_COUNTRY;
            return zc->tables[idx];
        }
    }
    *source = TAMIS_ZONE_UTC;
    return zc->tables[0];
}
