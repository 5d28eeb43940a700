/* user_state.c — applying events to a user's activity state, merging, pruning and the
 * on-disk encoding (see include/tamis/user_state.h for the model and its guarantees).
 *
 * This is on the ingest hot path: apply is called once per event. Arrays are kept
 * sorted so that lookups are binary searches and in-order input (the common case)
 * appends at the end without moving anything. */
#include "tamis/user_state.h"

#include <stdlib.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/kinds.h"
#include "util/bytes.h"

#define MS_PER_HOUR 3600000LL
#define MS_PER_DAY 86400000LL
#define STATE_FORMAT_VERSION 1

static const char *const facet_type_names[TAMIS_FACET__COUNT] = {
    "kind", "group", "device", "field", "campaign", "campaign_type", "country", "reason",
};

const char *tamis_facet_type_name(int type)
{
    return (type >= 0 && type < TAMIS_FACET__COUNT) ? facet_type_names[type] : "?";
}

/* Sets a new facet's key: short keys (most: campaign ids, countries, device ids)
 * live inside the facet, so the facet array needs no allocation per key and encoding
 * reads no scattered memory. */
static void facet_key_set(tamis_facet *f, const char *key, size_t len)
{
    f->key_len = (uint8_t)len;
    if (len < TAMIS_FACET_INLINE_KEY) {
        if (len)
            memcpy(f->key.small, key, len);
        f->key.small[len] = '\0';
    } else {
        f->key.heap = tamis_strndup(key, len);
    }
}

static void facet_key_free(tamis_facet *f)
{
    if (f->key_len >= TAMIS_FACET_INLINE_KEY)
        tamis_free(f->key.heap);
}

void tamis_user_state_init(tamis_user_state *st)
{
    memset(st, 0, sizeof *st);
}

/* Frees what the elements own (long facet keys, failure reasons). */
static void free_element_strings(tamis_user_state *st)
{
    for (size_t i = 0; i < st->n_facets; i++)
        facet_key_free(&st->facets[i]);
    for (size_t i = 0; i < st->n_failures; i++)
        tamis_free(st->failures[i].reason);
}

void tamis_user_state_clear(tamis_user_state *st)
{
    free_element_strings(st);
    st->first_ms = st->last_ms = 0;
    st->n_hours = st->n_facets = st->n_failures = st->n_recent = st->n_ids = 0;
    st->facets_evicted = 0;
}

void tamis_user_state_free(tamis_user_state *st)
{
    free_element_strings(st);
    tamis_free(st->hours);
    tamis_free(st->facets);
    tamis_free(st->failures);
    tamis_free(st->recent);
    tamis_free(st->ids);
    tamis_user_state_init(st);
}

static int64_t cutoff_ms(const tamis_user_state *st, uint32_t retention_days)
{
    return st->last_ms - (int64_t)retention_days * MS_PER_DAY;
}

static uint32_t hour_of(int64_t ts_ms)
{
    return ts_ms <= 0 ? 0 : (uint32_t)(ts_ms / MS_PER_HOUR);
}

/* ------------------------------------------------------------------------------------
 * Hour log
 * ------------------------------------------------------------------------------------ */

static void hours_add(tamis_user_state *st, uint64_t key, uint32_t count, int64_t value_micros)
{
    size_t lo = 0, hi = st->n_hours;
    tamis_hour_count *h;

    if (hi > 0 && st->hours[hi - 1].key <= key) {
        lo = hi - (st->hours[hi - 1].key == key); /* fast path: append or bump last */
    } else {
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (st->hours[mid].key < key)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    if (lo < st->n_hours && st->hours[lo].key == key) {
        st->hours[lo].count += count;
        st->hours[lo].value_micros += value_micros;
        return;
    }
    st->hours = tamis_grow(st->hours, sizeof *st->hours, &st->cap_hours, st->n_hours + 1);
    h = &st->hours[lo];
    memmove(h + 1, h, (st->n_hours - lo) * sizeof *h);
    h->key = key;
    h->count = count;
    h->value_micros = value_micros;
    st->n_hours++;
}

/* ------------------------------------------------------------------------------------
 * Facets
 * ------------------------------------------------------------------------------------ */

static int facet_cmp(uint8_t type, uint8_t platform, uint8_t kind, const char *key, size_t key_len,
                     const tamis_facet *f)
{
    size_t n;
    int c;
    if (type != f->type)
        return type < f->type ? -1 : 1;
    if (platform != f->platform)
        return platform < f->platform ? -1 : 1;
    if (kind != f->kind)
        return kind < f->kind ? -1 : 1;
    n = key_len < f->key_len ? key_len : f->key_len;
    c = n ? memcmp(key, tamis_facet_key(f), n) : 0;
    if (c)
        return c;
    return key_len == f->key_len ? 0 : (key_len < f->key_len ? -1 : 1);
}

/* Index of the facet or of its insertion point; *found says which. */
static size_t facet_find(const tamis_user_state *st, uint8_t type, uint8_t platform, uint8_t kind,
                         const char *key, size_t key_len, bool *found)
{
    size_t lo = 0, hi = st->n_facets;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = facet_cmp(type, platform, kind, key, key_len, &st->facets[mid]);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    *found = false;
    return lo;
}

const tamis_facet *tamis_user_state_facet(const tamis_user_state *st, tamis_facet_type type,
                                          uint8_t platform, uint8_t kind, const char *key,
                                          size_t key_len)
{
    bool found;
    size_t i = facet_find(st, (uint8_t)type, platform, kind, key, key_len, &found);
    return found ? &st->facets[i] : NULL;
}

/* Evicts the least recently seen facet (ties: the greatest in sort order) so that the
 * facet table stays under TAMIS_MAX_FACETS. KIND facets are never evicted. */
static void facets_evict_one(tamis_user_state *st)
{
    size_t victim = st->n_facets;
    for (size_t i = 0; i < st->n_facets; i++) {
        const tamis_facet *f = &st->facets[i];
        if (f->type == TAMIS_FACET_KIND)
            continue;
        if (victim == st->n_facets || f->last_ms <= st->facets[victim].last_ms)
            victim = i;
    }
    if (victim == st->n_facets)
        return;
    facet_key_free(&st->facets[victim]);
    memmove(&st->facets[victim], &st->facets[victim + 1],
            (st->n_facets - victim - 1) * sizeof *st->facets);
    st->n_facets--;
    st->facets_evicted++;
}

static void facet_add(tamis_user_state *st, uint8_t type, uint8_t platform, uint8_t kind,
                      const char *key, size_t key_len, uint32_t count, int64_t value_micros,
                      int64_t first_ms, int64_t last_ms)
{
    bool found;
    size_t i;
    tamis_facet *f;

    if (key_len > TAMIS_MAX_FACET_KEY_BYTES)
        key_len = TAMIS_MAX_FACET_KEY_BYTES;
    i = facet_find(st, type, platform, kind, key, key_len, &found);
    if (found) {
        f = &st->facets[i];
        f->count += count;
        f->value_micros += value_micros;
        if (first_ms < f->first_ms)
            f->first_ms = first_ms;
        if (last_ms > f->last_ms)
            f->last_ms = last_ms;
        return;
    }
    if (st->n_facets >= TAMIS_MAX_FACETS && type != TAMIS_FACET_KIND) {
        facets_evict_one(st);
        i = facet_find(st, type, platform, kind, key, key_len, &found);
    }
    st->facets = tamis_grow(st->facets, sizeof *st->facets, &st->cap_facets, st->n_facets + 1);
    f = &st->facets[i];
    memmove(f + 1, f, (st->n_facets - i) * sizeof *f);
    f->type = type;
    f->platform = platform;
    f->kind = kind;
    facet_key_set(f, key, key_len);
    f->count = count;
    f->value_micros = value_micros;
    f->first_ms = first_ms;
    f->last_ms = last_ms;
    st->n_facets++;
}

/* ------------------------------------------------------------------------------------
 * Recent activity timestamps (top-K newest of a multiset) and failures
 * ------------------------------------------------------------------------------------ */

static void recent_add(tamis_user_state *st, int64_t ts_ms)
{
    size_t i;
    if (st->n_recent >= TAMIS_RECENT_ACTIVITY) {
        if (ts_ms <= st->recent[0])
            return;
        memmove(st->recent, st->recent + 1, (st->n_recent - 1) * sizeof *st->recent);
        st->n_recent--;
    }
    st->recent = tamis_grow(st->recent, sizeof *st->recent, &st->cap_recent, st->n_recent + 1);
    i = st->n_recent;
    while (i > 0 && st->recent[i - 1] > ts_ms) {
        st->recent[i] = st->recent[i - 1];
        i--;
    }
    st->recent[i] = ts_ms;
    st->n_recent++;
}

/* Failure order: platform ascending, then newest first, then reason ascending. */
static int failure_cmp(uint8_t platform, int64_t ts_ms, const char *reason, const tamis_failure *f)
{
    int c;
    if (platform != f->platform)
        return platform < f->platform ? -1 : 1;
    if (ts_ms != f->ts_ms)
        return ts_ms > f->ts_ms ? -1 : 1;
    c = strcmp(reason, f->reason);
    return c < 0 ? -1 : (c > 0);
}

static void failure_remove(tamis_user_state *st, size_t i)
{
    tamis_free(st->failures[i].reason);
    memmove(&st->failures[i], &st->failures[i + 1], (st->n_failures - i - 1) * sizeof *st->failures);
    st->n_failures--;
}

static void failure_add(tamis_user_state *st, uint8_t platform, int64_t ts_ms, const char *reason,
                        size_t reason_len)
{
    char *r = tamis_strndup(reason, reason_len > TAMIS_MAX_FACET_KEY_BYTES ? TAMIS_MAX_FACET_KEY_BYTES
                                                                            : reason_len);
    size_t i = 0, on_platform = 0, last_on_platform = 0;

    while (i < st->n_failures && failure_cmp(platform, ts_ms, r, &st->failures[i]) > 0)
        i++;
    st->failures = tamis_grow(st->failures, sizeof *st->failures, &st->cap_failures, st->n_failures + 1);
    memmove(&st->failures[i + 1], &st->failures[i], (st->n_failures - i) * sizeof *st->failures);
    st->failures[i].platform = platform;
    st->failures[i].ts_ms = ts_ms;
    st->failures[i].reason = r;
    st->n_failures++;
    for (size_t j = 0; j < st->n_failures; j++) {
        if (st->failures[j].platform == platform) {
            on_platform++;
            last_on_platform = j;
        }
    }
    if (on_platform > TAMIS_FAILURES_PER_PLATFORM)
        failure_remove(st, last_on_platform);
}

uint32_t tamis_user_state_consecutive_failures(const tamis_user_state *st, uint8_t platform,
                                               const char **last_reason)
{
    static const uint8_t ok_kinds[] = {TAMIS_KIND_DELIVERED, TAMIS_KIND_READ, TAMIS_KIND_REPLY,
                                       TAMIS_KIND_CLICK};
    int64_t last_ok = 0;
    uint32_t n = 0;

    for (size_t k = 0; k < sizeof ok_kinds; k++) {
        const tamis_facet *f = tamis_user_state_facet(st, TAMIS_FACET_KIND, platform, ok_kinds[k], "", 0);
        if (f && f->last_ms > last_ok)
            last_ok = f->last_ms;
    }
    if (last_reason)
        *last_reason = NULL;
    for (size_t i = 0; i < st->n_failures; i++) {
        const tamis_failure *f = &st->failures[i];
        if (f->platform != platform || f->ts_ms <= last_ok)
            continue;
        if (n == 0 && last_reason)
            *last_reason = f->reason;
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------------------------
 * Event ids
 * ------------------------------------------------------------------------------------ */

static size_t ids_find(const tamis_user_state *st, uint64_t hash, bool *found)
{
    size_t lo = 0, hi = st->n_ids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->ids[mid].hash < hash)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < st->n_ids && st->ids[lo].hash == hash;
    return lo;
}

static void ids_insert_at(tamis_user_state *st, size_t i, uint64_t hash, uint32_t hour)
{
    st->ids = tamis_grow(st->ids, sizeof *st->ids, &st->cap_ids, st->n_ids + 1);
    memmove(&st->ids[i + 1], &st->ids[i], (st->n_ids - i) * sizeof *st->ids);
    st->ids[i].hash = hash;
    st->ids[i].hour = hour;
    st->n_ids++;
}

/* ------------------------------------------------------------------------------------
 * Apply, merge, prune
 * ------------------------------------------------------------------------------------ */

tamis_apply_result tamis_user_state_apply(tamis_user_state *st, const tamis_state_event *ev,
                                          uint32_t retention_days)
{
    uint32_t hour = hour_of(ev->ts_ms);
    int64_t value = ev->has_value ? ev->value_micros : 0;
    uint8_t p = ev->platform, k = ev->kind;
    (void)retention_days; /* pruning happens at encode time, see the header */

    if (ev->has_id) {
        bool found;
        size_t i = ids_find(st, ev->id_hash, &found);
        if (found)
            return TAMIS_DUPLICATE;
        ids_insert_at(st, i, ev->id_hash, hour);
    }
    if (st->n_hours == 0 && st->n_facets == 0) {
        st->first_ms = st->last_ms = ev->ts_ms;
    } else {
        if (ev->ts_ms < st->first_ms)
            st->first_ms = ev->ts_ms;
        if (ev->ts_ms > st->last_ms)
            st->last_ms = ev->ts_ms;
    }
    hours_add(st, (uint64_t)hour << 16 | (uint64_t)p << 8 | k, 1, value);
    facet_add(st, TAMIS_FACET_KIND, p, k, "", 0, 1, value, ev->ts_ms, ev->ts_ms);
    if (ev->group_len)
        facet_add(st, TAMIS_FACET_GROUP, p, k, ev->group, ev->group_len, 1, 0, ev->ts_ms, ev->ts_ms);
    if (ev->device_len)
        facet_add(st, TAMIS_FACET_DEVICE, p, TAMIS_KIND_ANY, ev->device, ev->device_len, 1, 0,
                  ev->ts_ms, ev->ts_ms);
    if (ev->field_len)
        facet_add(st, TAMIS_FACET_FIELD, p, k, ev->field, ev->field_len, 1, 0, ev->ts_ms, ev->ts_ms);
    if (ev->campaign_len)
        facet_add(st, TAMIS_FACET_CAMPAIGN, p, k, ev->campaign, ev->campaign_len, 1, value,
                  ev->ts_ms, ev->ts_ms);
    if (ev->campaign_type_len)
        facet_add(st, TAMIS_FACET_CAMPAIGN_TYPE, p, k, ev->campaign_type, ev->campaign_type_len, 1,
                  value, ev->ts_ms, ev->ts_ms);
    if (ev->country_len)
        facet_add(st, TAMIS_FACET_COUNTRY, TAMIS_PLATFORM_ANY, TAMIS_KIND_ANY, ev->country,
                  ev->country_len, 1, 0, ev->ts_ms, ev->ts_ms);
    if (ev->reason_len)
        facet_add(st, TAMIS_FACET_REASON, p, k, ev->reason, ev->reason_len, 1, 0, ev->ts_ms, ev->ts_ms);
    if (k == TAMIS_KIND_FAILED)
        failure_add(st, p, ev->ts_ms, ev->reason_len ? ev->reason : "", ev->reason_len);
    if (k < TAMIS_KIND__COUNT && tamis_kind_table[k].activity)
        recent_add(st, ev->ts_ms);
    return TAMIS_APPLIED;
}

void tamis_user_state_merge(tamis_user_state *dst, const tamis_user_state *src, uint32_t retention_days)
{
    (void)retention_days;
    if (src->n_hours == 0 && src->n_facets == 0)
        return;
    if (dst->n_hours == 0 && dst->n_facets == 0) {
        dst->first_ms = src->first_ms;
        dst->last_ms = src->last_ms;
    } else {
        if (src->first_ms < dst->first_ms)
            dst->first_ms = src->first_ms;
        if (src->last_ms > dst->last_ms)
            dst->last_ms = src->last_ms;
    }
    for (size_t i = 0; i < src->n_hours; i++)
        hours_add(dst, src->hours[i].key, src->hours[i].count, src->hours[i].value_micros);
    for (size_t i = 0; i < src->n_facets; i++) {
        const tamis_facet *f = &src->facets[i];
        facet_add(dst, f->type, f->platform, f->kind, tamis_facet_key(f), f->key_len, f->count, f->value_micros,
                  f->first_ms, f->last_ms);
    }
    for (size_t i = 0; i < src->n_failures; i++) {
        const tamis_failure *f = &src->failures[i];
        failure_add(dst, f->platform, f->ts_ms, f->reason, strlen(f->reason));
    }
    for (size_t i = 0; i < src->n_recent; i++)
        recent_add(dst, src->recent[i]);
    for (size_t i = 0; i < src->n_ids; i++) {
        bool found;
        size_t at = ids_find(dst, src->ids[i].hash, &found);
        if (!found)
            ids_insert_at(dst, at, src->ids[i].hash, src->ids[i].hour);
    }
    dst->facets_evicted += src->facets_evicted;
}

void tamis_user_state_prune(tamis_user_state *st, uint32_t retention_days)
{
    uint32_t cut_hour = hour_of(cutoff_ms(st, retention_days));
    size_t w = 0;

    /* Everything windowed (recent times, failures, ids) belongs to an event whose hour
     * is in the log, and all parts are cut at the same hour: so when the oldest hour
     * is recent enough, there is nothing to do. This keeps encode cheap. */
    if (st->n_hours == 0 || tamis_hc_hour(&st->hours[0]) >= cut_hour)
        return;
    while (w < st->n_hours && tamis_hc_hour(&st->hours[w]) < cut_hour)
        w++;
    memmove(st->hours, st->hours + w, (st->n_hours - w) * sizeof *st->hours);
    st->n_hours -= w;
    w = 0;
    while (w < st->n_recent && hour_of(st->recent[w]) < cut_hour)
        w++;
    if (w) {
        memmove(st->recent, st->recent + w, (st->n_recent - w) * sizeof *st->recent);
        st->n_recent -= w;
    }
    for (size_t i = st->n_failures; i-- > 0;)
        if (hour_of(st->failures[i].ts_ms) < cut_hour)
            failure_remove(st, i);
    w = 0;
    for (size_t i = 0; i < st->n_ids; i++)
        if (st->ids[i].hour >= cut_hour)
            st->ids[w++] = st->ids[i];
    st->n_ids = w;
}

/* ------------------------------------------------------------------------------------
 * Encoding (format version 1, documented in docs/STATE.md)
 * ------------------------------------------------------------------------------------ */

#define HOUR_FLAG_VALUE 0x80

/* Unchecked writers into a buffer reserved up front (see state_size_bound): encode
 * runs for every touched user at every commit, so it avoids a capacity check per
 * byte. */
static inline uint8_t *w_varint(uint8_t *o, uint64_t v)
{
    while (v >= 0x80) {
        *o++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *o++ = (uint8_t)v;
    return o;
}

static inline uint8_t *w_svarint(uint8_t *o, int64_t v)
{
    return w_varint(o, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static inline uint8_t *w_bytes(uint8_t *o, const void *p, size_t n)
{
    if (n)
        memcpy(o, p, n);
    return o + n;
}

/* An upper bound of the encoded size, from counts alone (varints take at most 10
 * bytes, keys and reasons at most TAMIS_MAX_FACET_KEY_BYTES). */
static size_t state_size_bound(const tamis_user_state *st)
{
    return 1 + 4 * 10 + st->n_hours * (10 + 2 + 10 + 10) + st->n_facets * (3 + 10 + 10 + 10 + 10 + 10) +
           st->n_failures * (1 + 10 + 10 + TAMIS_MAX_FACET_KEY_BYTES) + st->n_recent * 10 + st->n_ids * (8 + 10) + 64;
}

void tamis_user_state_encode(tamis_user_state *st, uint32_t retention_days, uint8_t **buf,
                             size_t *cap, size_t *len)
{
    uint32_t prev_hour = 0;
    int64_t prev_ts;
    size_t need, key_bytes = 0;
    uint8_t *o;

    tamis_user_state_prune(st, retention_days);
    for (size_t i = 0; i < st->n_facets; i++)
        key_bytes += st->facets[i].key_len;
    need = state_size_bound(st) + key_bytes;
    if (need > *cap)
        *buf = tamis_grow(*buf, 1, cap, need);
    o = *buf;

    *o++ = STATE_FORMAT_VERSION;
    o = w_svarint(o, st->first_ms);
    o = w_varint(o, (uint64_t)(st->last_ms - st->first_ms));
    o = w_varint(o, st->facets_evicted);

    o = w_varint(o, st->n_hours);
    for (size_t i = 0; i < st->n_hours; i++) {
        const tamis_hour_count *h = &st->hours[i];
        uint32_t hour = tamis_hc_hour(h);
        bool has_value = h->value_micros != 0;
        o = w_varint(o, hour - prev_hour);
        prev_hour = hour;
        *o++ = tamis_hc_platform(h);
        *o++ = (uint8_t)(tamis_hc_kind(h) | (has_value ? HOUR_FLAG_VALUE : 0));
        o = w_varint(o, h->count);
        if (has_value)
            o = w_svarint(o, h->value_micros);
    }
    o = w_varint(o, st->n_facets);
    for (size_t i = 0; i < st->n_facets; i++) {
        const tamis_facet *f = &st->facets[i];
        bool has_value = f->value_micros != 0;
        *o++ = (uint8_t)(f->type | (has_value ? HOUR_FLAG_VALUE : 0));
        *o++ = f->platform;
        *o++ = f->kind;
        o = w_varint(o, f->key_len);
        o = w_bytes(o, tamis_facet_key(f), f->key_len);
        o = w_varint(o, f->count);
        if (has_value)
            o = w_svarint(o, f->value_micros);
        o = w_svarint(o, f->first_ms - st->first_ms);
        o = w_varint(o, (uint64_t)(f->last_ms - f->first_ms));
    }
    o = w_varint(o, st->n_failures);
    for (size_t i = 0; i < st->n_failures; i++) {
        const tamis_failure *f = &st->failures[i];
        size_t n = strlen(f->reason);
        *o++ = f->platform;
        o = w_svarint(o, f->ts_ms - st->first_ms);
        o = w_varint(o, n);
        o = w_bytes(o, f->reason, n);
    }
    o = w_varint(o, st->n_recent);
    prev_ts = st->first_ms;
    for (size_t i = 0; i < st->n_recent; i++) {
        o = w_varint(o, (uint64_t)(st->recent[i] - prev_ts));
        prev_ts = st->recent[i];
    }
    o = w_varint(o, st->n_ids);
    for (size_t i = 0; i < st->n_ids; i++) {
        uint64_t h = st->ids[i].hash;
        for (int b = 0; b < 8; b++)
            *o++ = (uint8_t)(h >> (8 * b));
        o = w_varint(o, st->ids[i].hour);
    }
    *len = (size_t)(o - *buf);
}

static int corrupt(tamis_user_state *st, tamis_error *err, const char *what)
{
    tamis_user_state_clear(st);
    return tamis_error_set(err, TAMIS_ECORRUPT, "stored user state is corrupt (%s)", what);
}

/* Caps a decoded element count by the bytes left, so corrupt input cannot make us
 * allocate more than a few times the record's size. */
static bool count_ok(const tamis_rbuf *r, uint64_t n, size_t min_bytes_each)
{
    return r->ok && n <= (uint64_t)(r->end - r->p) / min_bytes_each;
}

int tamis_user_state_decode(tamis_user_state *st, const uint8_t *buf, size_t len, tamis_error *err)
{
    int rc;
    tamis_user_state_init(st);
    if ((rc = tamis_user_state_decode_reuse(st, buf, len, err)) != 0)
        tamis_user_state_free(st);
    return rc;
}

/* Reads the version and lifetime header; false when the bytes are not a state. */
static bool read_header(tamis_rbuf *r, int64_t *first_ms, int64_t *last_ms, uint32_t *evicted)
{
    if (tamis_get_u8(r) != STATE_FORMAT_VERSION)
        return false;
    *first_ms = tamis_get_svarint(r);
    *last_ms = *first_ms + (int64_t)tamis_get_varint(r);
    *evicted = (uint32_t)tamis_get_varint(r);
    return r->ok;
}

static int decode_state(tamis_user_state *st, const uint8_t *buf, size_t len, bool keep_ids, tamis_error *err);

int tamis_user_state_decode_reuse(tamis_user_state *st, const uint8_t *buf, size_t len, tamis_error *err)
{
    return decode_state(st, buf, len, true, err);
}

int tamis_user_state_decode_judge(tamis_user_state *st, const uint8_t *buf, size_t len, tamis_error *err)
{
    return decode_state(st, buf, len, false, err);
}

int tamis_user_state_scan_facets(const uint8_t *buf, size_t len, tamis_facet_type type,
                                 void (*fn)(void *ctx, const tamis_facet_view *f), void *ctx, tamis_error *err)
{
    tamis_rbuf r = tamis_rbuf_make(buf, len);
    int64_t first_ms, last_ms;
    uint32_t evicted;
    uint64_t n;

    if (!read_header(&r, &first_ms, &last_ms, &evicted))
        goto bad;
    n = tamis_get_varint(&r);
    for (uint64_t i = 0; i < n && r.ok; i++) { /* hours: delta, platform, kind, count[, value] */
        uint8_t kind;
        (void)tamis_get_varint(&r);
        (void)tamis_get_u8(&r);
        kind = tamis_get_u8(&r);
        (void)tamis_get_varint(&r);
        if (kind & HOUR_FLAG_VALUE)
            (void)tamis_get_svarint(&r);
    }
    n = tamis_get_varint(&r);
    for (uint64_t i = 0; i < n && r.ok; i++) {
        uint8_t t = tamis_get_u8(&r);
        tamis_facet_view f;
        f.platform = tamis_get_u8(&r);
        f.kind = tamis_get_u8(&r);
        f.key = tamis_get_str(&r, &f.key_len, TAMIS_MAX_FACET_KEY_BYTES);
        f.count = (uint32_t)tamis_get_varint(&r);
        if (t & HOUR_FLAG_VALUE)
            (void)tamis_get_svarint(&r);
        f.first_ms = first_ms + tamis_get_svarint(&r);
        f.last_ms = f.first_ms + (int64_t)tamis_get_varint(&r);
        if (!r.ok)
            break;
        t &= (uint8_t)~HOUR_FLAG_VALUE;
        if (t > (uint8_t)type) /* facets are sorted by type first */
            return TAMIS_OK;
        if (t == (uint8_t)type)
            fn(ctx, &f);
    }
    if (r.ok)
        return TAMIS_OK;
bad:
    return tamis_error_set(err, TAMIS_ECORRUPT, "stored user state is corrupt (facets)");
}

static int decode_state(tamis_user_state *st, const uint8_t *buf, size_t len, bool keep_ids, tamis_error *err)
{
    tamis_rbuf r = tamis_rbuf_make(buf, len);
    uint64_t n;
    uint32_t hour = 0;
    int64_t ts;

    tamis_user_state_clear(st);
    if (!read_header(&r, &st->first_ms, &st->last_ms, &st->facets_evicted))
        return corrupt(st, err, "unknown format version or short header");

    n = tamis_get_varint(&r);
    if (!count_ok(&r, n, 4))
        return corrupt(st, err, "hour count");
    st->hours = tamis_grow(st->hours, sizeof *st->hours, &st->cap_hours, n ? n : 1);
    for (uint64_t i = 0; i < n && r.ok; i++) {
        tamis_hour_count *h = &st->hours[i];
        uint8_t platform, kind;
        hour += (uint32_t)tamis_get_varint(&r);
        platform = tamis_get_u8(&r);
        kind = tamis_get_u8(&r);
        h->key = (uint64_t)hour << 16 | (uint64_t)platform << 8 | (kind & ~HOUR_FLAG_VALUE);
        h->count = (uint32_t)tamis_get_varint(&r);
        h->value_micros = (kind & HOUR_FLAG_VALUE) ? tamis_get_svarint(&r) : 0;
        st->n_hours = i + 1;
    }
    n = tamis_get_varint(&r);
    if (!count_ok(&r, n, 6))
        return corrupt(st, err, "facet count");
    st->facets = tamis_grow(st->facets, sizeof *st->facets, &st->cap_facets, n ? n : 1);
    for (uint64_t i = 0; i < n && r.ok; i++) {
        tamis_facet *f = &st->facets[i];
        uint8_t type = tamis_get_u8(&r);
        size_t key_len;
        const char *key;
        f->type = type & ~HOUR_FLAG_VALUE;
        f->platform = tamis_get_u8(&r);
        f->kind = tamis_get_u8(&r);
        key = tamis_get_str(&r, &key_len, TAMIS_MAX_FACET_KEY_BYTES);
        facet_key_set(f, key, key_len);
        f->count = (uint32_t)tamis_get_varint(&r);
        f->value_micros = (type & HOUR_FLAG_VALUE) ? tamis_get_svarint(&r) : 0;
        f->first_ms = st->first_ms + tamis_get_svarint(&r);
        f->last_ms = f->first_ms + (int64_t)tamis_get_varint(&r);
        st->n_facets = i + 1;
    }
    n = tamis_get_varint(&r);
    if (!count_ok(&r, n, 3))
        return corrupt(st, err, "failure count");
    st->failures = tamis_grow(st->failures, sizeof *st->failures, &st->cap_failures, n ? n : 1);
    for (uint64_t i = 0; i < n && r.ok; i++) {
        tamis_failure *f = &st->failures[i];
        size_t reason_len;
        const char *reason;
        f->platform = tamis_get_u8(&r);
        f->ts_ms = st->first_ms + tamis_get_svarint(&r);
        reason = tamis_get_str(&r, &reason_len, TAMIS_MAX_FACET_KEY_BYTES);
        f->reason = tamis_strndup(reason, reason_len);
        st->n_failures = i + 1;
    }
    n = tamis_get_varint(&r);
    if (!count_ok(&r, n, 1) || n > TAMIS_RECENT_ACTIVITY)
        return corrupt(st, err, "recent count");
    st->recent = tamis_grow(st->recent, sizeof *st->recent, &st->cap_recent, n ? n : 1);
    ts = st->first_ms;
    for (uint64_t i = 0; i < n && r.ok; i++) {
        ts += (int64_t)tamis_get_varint(&r);
        st->recent[i] = ts;
        st->n_recent = i + 1;
    }
    n = tamis_get_varint(&r);
    if (!count_ok(&r, n, 9))
        return corrupt(st, err, "id count");
    if (keep_ids)
        st->ids = tamis_grow(st->ids, sizeof *st->ids, &st->cap_ids, n ? n : 1);
    for (uint64_t i = 0; i < n && r.ok; i++) {
        uint64_t id_hash = tamis_get_u64(&r);
        uint32_t id_hour = (uint32_t)tamis_get_varint(&r);
        if (keep_ids) {
            st->ids[i].hash = id_hash;
            st->ids[i].hour = id_hour;
            st->n_ids = i + 1;
        }
    }
    if (!r.ok)
        return corrupt(st, err, "truncated");
    if (r.p != r.end)
        return corrupt(st, err, "trailing bytes");
    return TAMIS_OK;
}
