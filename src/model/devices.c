/* devices.c — accounts per device across users, for the risk features (see
 * tamis_device_facts in include/tamis/features.h).
 *
 * Built by the score run: one (device, uid, first sighting) entry per device facet of
 * every user — each reading thread fills its own table, then they are absorbed into
 * one — then finished: entries are grouped by device, one per (device, account) is
 * kept (its earliest sighting), and each device's run is ordered by first sighting so
 * that "first seen within N minutes of this account" is two binary searches.
 *
 * A device is named by the XXH3-128 hash of its id, not the id itself: entries are
 * fixed-size, and grouping is a counting sort on the hash's top bits (uniform) followed
 * by small sorts inside each bucket. Two distinct ids collide with probability about
 * n^2 / 2^129 — for a billion devices, below 10^-20. */
#include "tamis/features.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "tamis/alloc.h"

typedef struct device_entry {
    uint64_t hi, lo; /* XXH3-128 of the device id */
    int64_t first_ms;
    uint32_t uid;
} device_entry;

struct tamis_device_facts {
    device_entry *entries;
    size_t n_entries, cap_entries;
    uint32_t *bucket_start; /* after finish: 2^bits + 1 offsets into entries */
    unsigned bits;
    bool finished;
};

tamis_device_facts *tamis_device_facts_new(void)
{
    return tamis_calloc(1, sizeof(tamis_device_facts));
}

void tamis_device_facts_free(tamis_device_facts *f)
{
    if (!f)
        return;
    tamis_free(f->entries);
    tamis_free(f->bucket_start);
    tamis_free(f);
}

static void device_hash(const char *device, size_t len, uint64_t *hi, uint64_t *lo)
{
    XXH128_hash_t h = XXH3_128bits(device, len);
    *hi = h.high64;
    *lo = h.low64;
}

void tamis_device_facts_add(tamis_device_facts *f, const char *device, size_t len, uint32_t uid, int64_t first_ms)
{
    device_entry *e;
    f->entries = tamis_grow(f->entries, sizeof *f->entries, &f->cap_entries, f->n_entries + 1);
    e = &f->entries[f->n_entries++];
    device_hash(device, len, &e->hi, &e->lo);
    e->uid = uid;
    e->first_ms = first_ms;
    f->finished = false;
}

void tamis_device_facts_absorb(tamis_device_facts *dst, tamis_device_facts *src)
{
    if (src->n_entries) {
        dst->entries = tamis_grow(dst->entries, sizeof *dst->entries, &dst->cap_entries,
                                  dst->n_entries + src->n_entries);
        memcpy(dst->entries + dst->n_entries, src->entries, src->n_entries * sizeof *src->entries);
        dst->n_entries += src->n_entries;
        dst->finished = false;
    }
    src->n_entries = 0;
    src->finished = false;
}

static bool same_device(const device_entry *a, const device_entry *b)
{
    return a->hi == b->hi && a->lo == b->lo;
}

/* (device, uid, first_ms): groups a device's entries, an account's sightings first. */
static int entry_uid_cmp(const void *pa, const void *pb)
{
    const device_entry *a = pa, *b = pb;
    if (a->hi != b->hi)
        return a->hi < b->hi ? -1 : 1;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    if (a->uid != b->uid)
        return a->uid < b->uid ? -1 : 1;
    return a->first_ms < b->first_ms ? -1 : a->first_ms > b->first_ms;
}

/* Within one device: (first_ms, uid). */
static int entry_time_cmp(const void *pa, const void *pb)
{
    const device_entry *a = pa, *b = pb;
    if (a->first_ms != b->first_ms)
        return a->first_ms < b->first_ms ? -1 : 1;
    return a->uid < b->uid ? -1 : a->uid > b->uid;
}

static size_t bucket_of(const tamis_device_facts *f, uint64_t hi)
{
    return f->bits ? (size_t)(hi >> (64 - f->bits)) : 0;
}

void tamis_device_facts_finish(tamis_device_facts *f)
{
    size_t n = f->n_entries, nb, k = 0;
    device_entry *sorted;
    uint32_t *next;

    /* about 4 entries per bucket */
    for (f->bits = 0; f->bits < 30 && ((size_t)1 << f->bits) * 4 < n; f->bits++)
        ;
    nb = (size_t)1 << f->bits;
    tamis_free(f->bucket_start);
    f->bucket_start = tamis_calloc(nb + 1, sizeof *f->bucket_start);
    next = tamis_calloc(nb + 1, sizeof *next);
    for (size_t i = 0; i < n; i++)
        f->bucket_start[bucket_of(f, f->entries[i].hi) + 1]++;
    for (size_t b = 0; b < nb; b++)
        f->bucket_start[b + 1] += f->bucket_start[b];
    memcpy(next, f->bucket_start, nb * sizeof *next);
    sorted = tamis_malloc((n ? n : 1) * sizeof *sorted);
    for (size_t i = 0; i < n; i++)
        sorted[next[bucket_of(f, f->entries[i].hi)]++] = f->entries[i];
    tamis_free(f->entries);
    f->entries = sorted;
    f->cap_entries = n ? n : 1;

    /* per bucket: group devices, keep one entry per (device, account), order each
     * device's run by first sighting; buckets shrink, so the offsets are rewritten */
    for (size_t b = 0; b < nb; b++) {
        size_t lo = f->bucket_start[b], hi = next[b], start; /* read before rewritten */
        qsort(f->entries + lo, hi - lo, sizeof *f->entries, entry_uid_cmp);
        f->bucket_start[b] = (uint32_t)k;
        start = k;
        for (size_t i = lo; i < hi; i++) {
            device_entry *e = &f->entries[i];
            if (k > start && same_device(&f->entries[k - 1], e) && f->entries[k - 1].uid == e->uid)
                continue; /* a later sighting of the same account on the same device */
            f->entries[k++] = *e;
        }
        for (size_t i = start; i < k;) {
            size_t j = i + 1;
            while (j < k && same_device(&f->entries[i], &f->entries[j]))
                j++;
            if (j - i > 1)
                qsort(f->entries + i, j - i, sizeof *f->entries, entry_time_cmp);
            i = j;
        }
    }
    f->bucket_start[nb] = (uint32_t)k;
    f->n_entries = k;
    tamis_free(next);
    f->finished = true;
}

/* The run [*lo, *hi) of a device's entries; false when the device is unknown. */
static bool device_run(const tamis_device_facts *f, const char *device, size_t len, size_t *lo, size_t *hi)
{
    uint64_t h, l;
    size_t b, i, end;
    if (!f || !f->finished || f->n_entries == 0)
        return false;
    device_hash(device, len, &h, &l);
    b = bucket_of(f, h);
    end = f->bucket_start[b + 1];
    for (i = f->bucket_start[b]; i < end && !(f->entries[i].hi == h && f->entries[i].lo == l); i++)
        ;
    if (i == end)
        return false;
    *lo = i;
    while (i < end && f->entries[i].hi == h && f->entries[i].lo == l)
        i++;
    *hi = i;
    return true;
}

/* First entry of the run [lo, hi) with first_ms >= t. */
static size_t lower_bound(const device_entry *e, size_t lo, size_t hi, int64_t t)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].first_ms < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void tamis_device_facts_query(const tamis_device_facts *f, const char *device, size_t len, uint32_t uid,
                              int64_t first_ms, int64_t window_ms, uint32_t *accounts, uint32_t *burst)
{
    size_t lo, hi, a, b;
    bool self = false;

    *accounts = 1;
    *burst = 0;
    if (!device_run(f, device, len, &lo, &hi))
        return;
    for (size_t i = lo; i < hi && !self; i++)
        if (f->entries[i].uid == uid) {
            self = true;
            first_ms = f->entries[i].first_ms; /* its earliest sighting on the device */
        }
    *accounts = (uint32_t)(hi - lo) + (self ? 0 : 1);
    a = lower_bound(f->entries, lo, hi, first_ms - window_ms);
    b = lower_bound(f->entries, lo, hi, first_ms + window_ms + 1);
    for (size_t i = a; i < b; i++)
        if (f->entries[i].uid != uid)
            (*burst)++;
}

void tamis_device_facts_neighbours(const tamis_device_facts *f, const char *device, size_t len,
                                   void (*fn)(void *ctx, uint32_t uid), void *ctx)
{
    size_t lo, hi;
    if (!device_run(f, device, len, &lo, &hi))
        return;
    for (size_t i = lo; i < hi; i++)
        fn(ctx, f->entries[i].uid);
}
