/* devices.c — accounts per device across users, for the risk features (see
 * tamis_device_facts in include/tamis/features.h).
 *
 * Built by the score run: one (device, uid, first sighting) entry per device facet of
 * every user, then sorted by (device, first sighting) so that a device's accounts are
 * one run and "first seen within N minutes of this account" is two binary searches. */
#include "tamis/features.h"

#include <stdlib.h>

#include "tamis/alloc.h"
#include "util/strmap.h"

typedef struct device_entry {
    uint32_t device; /* index in order of first add */
    uint32_t uid;
    int64_t first_ms;
} device_entry;

struct tamis_device_facts {
    tamis_strmap *ids; /* device key -> device index */
    device_entry *entries;
    size_t n_entries, cap_entries;
    uint32_t *run_start; /* per device index: first entry (after finish) */
    uint32_t *run_len;
    uint32_t n_devices;
    bool finished;
};

tamis_device_facts *tamis_device_facts_new(void)
{
    tamis_device_facts *f = tamis_calloc(1, sizeof *f);
    f->ids = tamis_strmap_new();
    return f;
}

void tamis_device_facts_free(tamis_device_facts *f)
{
    if (!f)
        return;
    tamis_strmap_free(f->ids);
    tamis_free(f->entries);
    tamis_free(f->run_start);
    tamis_free(f->run_len);
    tamis_free(f);
}

void tamis_device_facts_add(tamis_device_facts *f, const char *device, size_t len, uint32_t uid, int64_t first_ms)
{
    uint32_t id;
    if (!tamis_strmap_get(f->ids, device, len, &id)) {
        id = f->n_devices++;
        tamis_strmap_put(f->ids, device, len, id);
    }
    f->entries = tamis_grow(f->entries, sizeof *f->entries, &f->cap_entries, f->n_entries + 1);
    f->entries[f->n_entries++] = (device_entry){id, uid, first_ms};
    f->finished = false;
}

static int entry_cmp(const void *a, const void *b)
{
    const device_entry *x = a, *y = b;
    if (x->device != y->device)
        return x->device < y->device ? -1 : 1;
    if (x->first_ms != y->first_ms)
        return x->first_ms < y->first_ms ? -1 : 1;
    return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int entry_uid_cmp(const void *a, const void *b)
{
    const device_entry *x = a, *y = b;
    if (x->device != y->device)
        return x->device < y->device ? -1 : 1;
    if (x->uid != y->uid)
        return x->uid < y->uid ? -1 : 1;
    return x->first_ms < y->first_ms ? -1 : x->first_ms > y->first_ms;
}

void tamis_device_facts_finish(tamis_device_facts *f)
{
    size_t k = 0;
    /* one entry per (device, account): a user seen on a device through several
     * platforms has one device facet per platform; keep its earliest sighting */
    qsort(f->entries, f->n_entries, sizeof *f->entries, entry_uid_cmp);
    for (size_t i = 0; i < f->n_entries; i++)
        if (k == 0 || f->entries[k - 1].device != f->entries[i].device || f->entries[k - 1].uid != f->entries[i].uid)
            f->entries[k++] = f->entries[i];
    f->n_entries = k;
    qsort(f->entries, f->n_entries, sizeof *f->entries, entry_cmp);
    tamis_free(f->run_start);
    tamis_free(f->run_len);
    f->run_start = tamis_calloc(f->n_devices ? f->n_devices : 1, sizeof *f->run_start);
    f->run_len = tamis_calloc(f->n_devices ? f->n_devices : 1, sizeof *f->run_len);
    for (size_t i = 0; i < f->n_entries; i++) {
        uint32_t d = f->entries[i].device;
        if (f->run_len[d]++ == 0)
            f->run_start[d] = (uint32_t)i;
    }
    f->finished = true;
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
    uint32_t id;
    size_t lo, hi, a, b;
    bool self = false;

    *accounts = 1;
    *burst = 0;
    if (!f || !f->finished || !tamis_strmap_get(f->ids, device, len, &id))
        return;
    lo = f->run_start[id];
    hi = lo + f->run_len[id];
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
    uint32_t id;
    if (!f || !f->finished || !tamis_strmap_get(f->ids, device, len, &id))
        return;
    for (size_t i = f->run_start[id]; i < (size_t)f->run_start[id] + f->run_len[id]; i++)
        fn(ctx, f->entries[i].uid);
}
