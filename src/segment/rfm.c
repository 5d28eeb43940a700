/* rfm.c — RFM quintile scores and named segments (include/tamis/rfm.h; the
 * definitions and the segment grid are in docs/AUDIENCES.md).
 *
 * src/model/rfm.c hands over the purchasers with their raw measures; here each
 * dimension is ranked among them: a value's score is 1 + floor(5 * below / n), below =
 * purchasers with a strictly worse value, so equal values share a score and no
 * tie-break is needed. Only four order statistics per dimension matter, read from a
 * radix-sorted copy of the keys (millions of purchasers sort in tens of milliseconds,
 * where qsort would take most of the one-second budget). The segment is a lookup in
 * a 5 x 5 grid of R and FM = ceil((F + M) / 2). */
#include "tamis/rfm.h"

#include <string.h>

#include "tamis/alloc.h"

#define DIMS 3

static const char *const seg_names[TAMIS_RFM__COUNT] = {
#define SEG_NAME(id, name, title) name,
    TAMIS_RFM_SEGMENTS(SEG_NAME)
#undef SEG_NAME
};
static const char *const seg_titles[TAMIS_RFM__COUNT] = {
#define SEG_TITLE(id, name, title) title,
    TAMIS_RFM_SEGMENTS(SEG_TITLE)
#undef SEG_TITLE
};

/* [R - 1][FM - 1]: the R x F map popularised by RFM practitioners (Blast Analytics'
 * ten segments), read with FM for F, and Lost carved out of Hibernating at its
 * corner as in Putler's eleven. docs/AUDIENCES.md prints the same grid. */
static const uint8_t seg_grid[5][5] = {
    {TAMIS_RFM_LOST, TAMIS_RFM_HIBERNATING, TAMIS_RFM_AT_RISK, TAMIS_RFM_AT_RISK, TAMIS_RFM_CANT_LOSE},
    {TAMIS_RFM_HIBERNATING, TAMIS_RFM_HIBERNATING, TAMIS_RFM_AT_RISK, TAMIS_RFM_AT_RISK, TAMIS_RFM_CANT_LOSE},
    {TAMIS_RFM_ABOUT_TO_SLEEP, TAMIS_RFM_ABOUT_TO_SLEEP, TAMIS_RFM_NEED_ATTENTION, TAMIS_RFM_LOYAL, TAMIS_RFM_LOYAL},
    {TAMIS_RFM_PROMISING, TAMIS_RFM_POTENTIAL_LOYALIST, TAMIS_RFM_POTENTIAL_LOYALIST, TAMIS_RFM_LOYAL,
     TAMIS_RFM_LOYAL},
    {TAMIS_RFM_NEW, TAMIS_RFM_POTENTIAL_LOYALIST, TAMIS_RFM_POTENTIAL_LOYALIST, TAMIS_RFM_CHAMPIONS,
     TAMIS_RFM_CHAMPIONS},
};

tamis_rfm_segment tamis_rfm_segment_of(unsigned r, unsigned fm)
{
    r = r < 1 ? 1 : r > 5 ? 5 : r;
    fm = fm < 1 ? 1 : fm > 5 ? 5 : fm;
    return (tamis_rfm_segment)seg_grid[r - 1][fm - 1];
}

const char *tamis_rfm_segment_name(unsigned segment)
{
    return segment < TAMIS_RFM__COUNT ? seg_names[segment] : "none";
}

const char *tamis_rfm_segment_title(unsigned segment)
{
    return segment < TAMIS_RFM__COUNT ? seg_titles[segment] : "-";
}

int tamis_rfm_segment_find(const char *name, size_t len)
{
    for (int i = 0; i < TAMIS_RFM__COUNT; i++)
        if (strlen(seg_names[i]) == len && memcmp(seg_names[i], name, len) == 0)
            return i;
    return -1;
}

/* ---- ranking --------------------------------------------------------------------- */

/* A key that grows with how good the value is (recent, many, high). */
static uint64_t dim_key(const tamis_rfm_raw *raw, int dim)
{
    switch (dim) {
    case 0: return (uint64_t)(UINT32_MAX - raw->recency_hours);
    case 1: return raw->frequency;
    default: return (uint64_t)raw->monetary_micros ^ (1ULL << 63);
    }
}

static int64_t dim_raw(const tamis_rfm_raw *raw, int dim)
{
    return dim == 0 ? (int64_t)raw->recency_hours : dim == 1 ? (int64_t)raw->frequency : raw->monetary_micros;
}

/* LSD radix sort of keys[0..n) by bytes, using tmp[0..n); byte positions where every
 * key agrees are skipped (frequencies fit a byte or two). The result is in keys. */
static void radix_sort(uint64_t *keys, uint64_t *tmp, size_t n)
{
    size_t count[256];
    for (int shift = 0; shift < 64; shift += 8) {
        size_t pos = 0;
        bool one_bucket = false;
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++)
            count[(keys[i] >> shift) & 0xFF]++;
        for (int b = 0; b < 256; b++) {
            size_t c = count[b];
            one_bucket |= c == n;
            count[b] = pos;
            pos += c;
        }
        if (one_bucket)
            continue;
        for (size_t i = 0; i < n; i++)
            tmp[count[(keys[i] >> shift) & 0xFF]++] = keys[i];
        memcpy(keys, tmp, n * sizeof *keys);
    }
}

/* The four thresholds of a dimension: a key's score is 1 + the number of them it
 * exceeds. Threshold s (scores 2..5) is the sorted key at index ceil((s-1) n / 5) - 1,
 * because below(v) >= k  <=>  sorted[k - 1] < v. */
static void thresholds(const uint64_t *sorted, size_t n, uint64_t th[4])
{
    for (int s = 2; s <= TAMIS_RFM_SCORES; s++) {
        size_t k = (size_t)(((uint64_t)(s - 1) * n + 4) / 5);
        th[s - 2] = sorted[k - 1];
    }
}

static uint8_t score_of(uint64_t key, const uint64_t th[4])
{
    return (uint8_t)(1 + (key > th[0]) + (key > th[1]) + (key > th[2]) + (key > th[3]));
}

void tamis_rfm_score(tamis_rfm_table *t)
{
    uint64_t th[DIMS][4];
    uint64_t *keys, *tmp;

    memset(t->bands, 0, sizeof t->bands);
    memset(t->segments, 0, sizeof t->segments);
    if (t->n == 0)
        return;
    keys = tamis_malloc(t->n * sizeof *keys);
    tmp = tamis_malloc(t->n * sizeof *tmp);
    for (int d = 0; d < DIMS; d++) {
        for (size_t i = 0; i < t->n; i++)
            keys[i] = dim_key(&t->rows[i].raw, d);
        radix_sort(keys, tmp, t->n);
        thresholds(keys, t->n, th[d]);
    }
    tamis_free(keys);
    tamis_free(tmp);
    for (size_t i = 0; i < t->n; i++) {
        tamis_rfm_user *u = &t->rows[i];
        uint8_t sc[DIMS];
        for (int d = 0; d < DIMS; d++) {
            tamis_rfm_band *b;
            int64_t raw = dim_raw(&u->raw, d);
            sc[d] = score_of(dim_key(&u->raw, d), th[d]);
            b = &t->bands[d][sc[d] - 1];
            if (b->users++ == 0 || raw < b->lo)
                b->lo = raw;
            if (b->users == 1 || raw > b->hi)
                b->hi = raw;
        }
        u->r = sc[0];
        u->f = sc[1];
        u->m = sc[2];
        u->fm = (uint8_t)((u->f + u->m + 1) / 2);
        u->segment = (uint8_t)tamis_rfm_segment_of(u->r, u->fm);
        t->segments[u->segment]++;
    }
}

/* ---- the table ------------------------------------------------------------------- */

void tamis_rfm_table_init(tamis_rfm_table *t)
{
    memset(t, 0, sizeof *t);
}

void tamis_rfm_table_free(tamis_rfm_table *t)
{
    tamis_free(t->rows);
    memset(t, 0, sizeof *t);
}

int tamis_rfm_compute(tamis_store *store, int64_t as_of_ms, uint32_t window_days, unsigned threads,
                      tamis_progress *progress, tamis_rfm_table *out, tamis_error *err)
{
    int rc;
    tamis_rfm_table_init(out);
    if ((rc = tamis_rfm_collect(store, as_of_ms, window_days, threads, progress, out, err)) != 0)
        return rc;
    tamis_rfm_score(out);
    return TAMIS_OK;
}

const tamis_rfm_user *tamis_rfm_find(const tamis_rfm_table *t, uint32_t uid)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->rows[mid].uid < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->n && t->rows[lo].uid == uid ? &t->rows[lo] : NULL;
}
