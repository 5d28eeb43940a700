/* zone_hours.h — each user's local zone, as a table of offsets per UTC hour
 * (src/model/zone_hours.c).
 *
 * Features count events per local day and local hour. Asking ICU for the offset of
 * every hour-log entry would cost microseconds per entry, so a cache builds, once per
 * distinct zone, the offset at the start of every UTC hour of a span (ICU is asked at
 * week ends and the span is bisected where the offset changes), and maps each contact
 * to one of those tables: the contact's `tz`, else the zone the configuration gives its
 * country, else ICU's first zone of the country, else UTC.
 *
 * Ownership: the cache owns every table it hands out; they live until
 * tamis_zone_cache_free. Not thread-safe: one cache per thread. */
#ifndef TAMIS_ZONE_HOURS_H
#define TAMIS_ZONE_HOURS_H

#include <stdint.h>

#include "tamis/contact_record.h"
#include "tamis/error.h"
#include "tamis/features.h"
#include "tamis/model_config.h"

typedef struct tamis_zone_cache tamis_zone_cache;

/* A cache for tables covering UTC hours [first_hour, end_hour). cfg is borrowed and
 * must outlive the cache. */
tamis_zone_cache *tamis_zone_cache_new(uint32_t first_hour, uint32_t end_hour,
                                       const tamis_model_config *cfg);
void tamis_zone_cache_free(tamis_zone_cache *zc);

/* The table of zone tz (a name tamis_tz_normalize accepts). TAMIS_EINPUT for a zone
 * ICU does not know. */
int tamis_zone_cache_get(tamis_zone_cache *zc, const char *tz, const tamis_zone_hours **out,
                         tamis_error *err) TAMIS_WUR;

/* The table for a contact (NULL: UTC) and where its zone came from. A stored zone
 * that ICU no longer knows falls back to the country, then UTC. Never fails. */
const tamis_zone_hours *tamis_zone_cache_for_contact(tamis_zone_cache *zc, const tamis_contact *c,
                                                     tamis_zone_source *source);

/* Offset in minutes at the start of UTC hour `hour` (clamped to the table's span). */
static inline int tamis_zone_offset_at_hour(const tamis_zone_hours *z, uint32_t hour)
{
    if (hour < z->first_hour)
        return z->offset_minutes[0];
    if (hour - z->first_hour >= z->n_hours)
        return z->offset_minutes[z->n_hours - 1];
    return z->offset_minutes[hour - z->first_hour];
}

#endif
