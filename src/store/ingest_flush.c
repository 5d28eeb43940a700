/* ingest_flush.c — the apply side's commit-time work (see ingest_session.h): the span
 * of events handed over since the last commit is applied to the users it touches.
 *
 * Steps: map every span event to the user holding it (target_of may have changed
 * since the event arrived: placeholders taken over), radix-sort the span by uid
 * (stable: file order within a user), then walk it with one LMDB cursor in ascending
 * uid order, per user: read the stored state into one reused state, merge pending
 * placeholder states, apply the events, encode and write. Each touched user is read,
 * decoded, encoded and written once per commit; no per-user allocation survives it,
 * and every pass over the span is sequential. */
#include <stdlib.h>
#include <string.h>

#include "ingest_session.h"
#include "tamis/alloc.h"

#define PREFETCH_AHEAD 8 /* events ahead whose record and strings are fetched */
#define RADIX_MAX_BITS 11 /* bits per pass of the span's radix sort */

static void fill_state_event(const tamis_ingest *ing, const batch_event *be, tamis_state_event *se)
{
    memset(se, 0, sizeof *se);
    se->ts_ms = be->ts_ms;
    se->platform = be->platform;
    se->kind = be->kind;
    se->has_value = (be->flags & EV_HAS_VALUE) != 0;
    se->value_micros = be->value_micros;
    se->has_id = (be->flags & EV_HAS_ID) != 0;
    se->id_hash = be->id_hash;
    for (uint32_t r = 0; r < be->n_str; r++) {
        const str_ref *ref = &ing->span_refs[be->str_first + r];
        uint32_t len = ref->len;
        const char *s = (const char *)ing->span_bytes.buf + ref->off;
        switch (ref->field) {
        case TAMIS_FIELD_GROUP: se->group = s; se->group_len = len; break;
        case TAMIS_FIELD_DEVICE: se->device = s; se->device_len = len; break;
        case TAMIS_FIELD_FIELD: se->field = s; se->field_len = len; break;
        case TAMIS_FIELD_CAMPAIGN: se->campaign = s; se->campaign_len = len; break;
        case TAMIS_FIELD_CAMPAIGN_TYPE: se->campaign_type = s; se->campaign_type_len = len; break;
        case TAMIS_FIELD_COUNTRY: se->country = s; se->country_len = len; break;
        case TAMIS_FIELD_REASON: se->reason = s; se->reason_len = len; break;
        default: break;
        }
    }
}

/* Maps every span event to the user that holds it: its `entry` field becomes that
 * user's uid (the sort key) and EV_NEW_USER marks users with nothing stored yet.
 * Merges get their target's uid. Returns the largest uid seen. */
static uint32_t map_to_users(tamis_ingest *ing)
{
    uint32_t max_uid = 0;
    for (size_t i = 0; i < ing->n_span; i++) {
        /* target_of and entries are read at random: fetch a few events ahead. */
        if (i + PREFETCH_AHEAD < ing->n_span)
            __builtin_prefetch(&ing->entries[ing->target_of[ing->span[i + PREFETCH_AHEAD].entry]]);
        const apply_entry *e = &ing->entries[ing->target_of[ing->span[i].entry]];
        ing->span[i].entry = e->uid;
        if (e->is_new)
            ing->span[i].flags |= EV_NEW_USER;
        if (e->uid > max_uid)
            max_uid = e->uid;
    }
    for (size_t m = 0; m < ing->n_merges; m++) {
        uint32_t t = ing->target_of[ing->merges[m].target];
        ing->merges[m].target = t;
        ing->merges[m].uid = ing->entries[t].uid;
    }
    return max_uid;
}

/* Stable LSD radix sort of the span by uid, in as few passes of at most
 * RADIX_MAX_BITS bits as the largest uid needs (two for a million users). Each pass
 * streams the span into at most 2^RADIX_MAX_BITS runs, which stays in cache, where a
 * direct scatter of records to their final places would miss on nearly every one. */
static void sort_span(tamis_ingest *ing, uint32_t max_uid)
{
    int bits = 1, passes, digit;
    batch_event *from = ing->span, *to;
    size_t n = ing->n_span;

    while (bits < 32 && (max_uid >> bits) != 0)
        bits++;
    passes = (bits + RADIX_MAX_BITS - 1) / RADIX_MAX_BITS;
    digit = (bits + passes - 1) / passes;
    ing->span_tmp = tamis_grow_large(ing->span_tmp, sizeof *ing->span_tmp, &ing->cap_span_tmp, n ? n : 1);
    if (!ing->radix_counts)
        ing->radix_counts = tamis_malloc(((1u << RADIX_MAX_BITS) + 1) * sizeof *ing->radix_counts);
    to = ing->span_tmp;
    for (int p = 0; p < passes; p++) {
        uint32_t *count = ing->radix_counts, shift = (uint32_t)(p * digit), mask = (1u << digit) - 1;
        batch_event *swap;
        memset(count, 0, ((size_t)mask + 2) * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[((from[i].entry >> shift) & mask) + 1]++;
        for (uint32_t k = 0; k <= mask; k++)
            count[k + 1] += count[k];
        for (size_t i = 0; i < n; i++)
            to[count[(from[i].entry >> shift) & mask]++] = from[i];
        swap = from;
        from = to;
        to = swap;
    }
    if (from != ing->span) { /* an odd number of passes: the sorted run is in span_tmp */
        batch_event *swap = ing->span;
        size_t cap = ing->cap_span;
        ing->span = ing->span_tmp;
        ing->cap_span = ing->cap_span_tmp;
        ing->span_tmp = swap;
        ing->cap_span_tmp = cap;
    }
}

static int cmp_merge_uid(const void *a, const void *b)
{
    uint32_t x = ((const pending_merge *)a)->uid, y = ((const pending_merge *)b)->uid;
    return (x > y) - (x < y);
}

/* Rebuilds user uid's state in ing->work: its stored state (none if is_new), the
 * pending merges into it, then its events span[*next_event ..] (file order).
 * *changed tells whether anything was added. */
static int rebuild(tamis_ingest *ing, tamis_activity_cursor *cur, uint32_t uid, bool is_new, size_t *next_event,
                   size_t *next_merge, bool *changed, tamis_error *err)
{
    uint32_t retention = tamis_store_retention_days(ing->store);
    size_t n = ing->n_span, k;
    int rc;

    *changed = false;
    if (is_new)
        tamis_user_state_clear(&ing->work);
    else if ((rc = tamis_activity_cursor_get(cur, uid, &ing->work, err)) != 0)
        return rc;
    for (; *next_merge < ing->n_merges && ing->merges[*next_merge].uid == uid; (*next_merge)++) {
        tamis_user_state_merge(&ing->work, &ing->merges[*next_merge].st, retention);
        *changed = true;
    }
    for (k = *next_event; k < n && ing->span[k].entry == uid; k++) {
        const batch_event *be = &ing->span[k];
        tamis_state_event se;
        /* Events are read in order; their strings are not: fetch the refs two stages
         * ahead and the bytes one, so that no prefetch waits on a miss of its own. */
        if (k + 2 * PREFETCH_AHEAD < n && ing->span[k + 2 * PREFETCH_AHEAD].n_str)
            __builtin_prefetch(&ing->span_refs[ing->span[k + 2 * PREFETCH_AHEAD].str_first]);
        if (k + PREFETCH_AHEAD < n && ing->span[k + PREFETCH_AHEAD].n_str)
            __builtin_prefetch(ing->span_bytes.buf + ing->span_refs[ing->span[k + PREFETCH_AHEAD].str_first].off);
        fill_state_event(ing, be, &se);
        if (tamis_user_state_apply(&ing->work, &se, retention) == TAMIS_DUPLICATE) {
            ing->duplicates++;
            if (ing->job_counts)
                ing->job_counts[be->job][1]++;
            continue;
        }
        ing->accepted++;
        if (ing->job_counts)
            ing->job_counts[be->job][0]++;
        *changed = true;
    }
    *next_event = k;
    return TAMIS_OK;
}

int ingest_flush_span(tamis_ingest *ing, tamis_txn *txn, size_t *n_written, tamis_error *err)
{
    uint32_t retention = tamis_store_retention_days(ing->store);
    tamis_activity_cursor *cur;
    size_t next_event = 0, next_merge = 0, written = 0;
    int rc = TAMIS_OK;

    double t0 = ingest_clock(), t1, t2;
    uint32_t max_uid = map_to_users(ing);
    t1 = ingest_clock();
    sort_span(ing, max_uid);
    t2 = ingest_clock();
    if (ing->n_merges > 1)
        qsort(ing->merges, ing->n_merges, sizeof *ing->merges, cmp_merge_uid);
    if ((rc = tamis_activity_cursor_open(txn, &cur, err)) != 0)
        return rc;
    /* Users in ascending uid order: the span's runs merged with the pending merges. */
    while (rc == TAMIS_OK && (next_event < ing->n_span || next_merge < ing->n_merges)) {
        bool from_span = next_event < ing->n_span &&
                         (next_merge >= ing->n_merges || ing->span[next_event].entry <= ing->merges[next_merge].uid);
        uint32_t uid = from_span ? ing->span[next_event].entry : ing->merges[next_merge].uid;
        apply_entry *target = from_span ? NULL : &ing->entries[ing->merges[next_merge].target];
        bool is_new = from_span ? (ing->span[next_event].flags & EV_NEW_USER) != 0 : target->is_new;
        bool changed;
        size_t len;

        if ((rc = rebuild(ing, cur, uid, is_new, &next_event, &next_merge, &changed, err)) != 0 || !changed)
            continue;
        tamis_user_state_encode(&ing->work, retention, &ing->encode_buf.buf, &ing->encode_buf.cap, &len);
        if ((rc = tamis_activity_cursor_put(cur, uid, ing->encode_buf.buf, len, err)) != 0)
            break;
        if (is_new && uid < ing->cap_uids && ing->entry_of_uid[uid] != NO_ENTRY)
            ing->entries[ing->entry_of_uid[uid]].is_new = false;
        written++;
    }
    tamis_activity_cursor_close(cur);
    if (ing->opts.trace)
        fprintf(ing->opts.trace, "tamis: flush of %zu events: map %.3f s, sort %.3f s, apply and write %.3f s\n",
                ing->n_span, t1 - t0, t2 - t1, ingest_clock() - t2);
    if (rc == TAMIS_OK) {
        ingest_span_drop(ing);
        *n_written = written;
    }
    return rc;
}

void ingest_span_drop(tamis_ingest *ing)
{
    for (size_t m = 0; m < ing->n_merges; m++)
        tamis_user_state_free(&ing->merges[m].st);
    ing->n_merges = 0;
    ing->n_span = 0;
    ing->n_span_refs = 0;
    ing->span_bytes.len = 0;
}

void ingest_flush_free(tamis_ingest *ing)
{
    ingest_span_drop(ing);
    tamis_free(ing->merges);
    tamis_free(ing->span);
    tamis_free(ing->span_refs);
    tamis_free(ing->span_bytes.buf);
    tamis_free(ing->span_tmp);
    tamis_free(ing->radix_counts);
    tamis_user_state_free(&ing->work);
}
