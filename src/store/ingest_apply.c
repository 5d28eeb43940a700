/* ingest_apply.c — the apply side of an ingest session (see ingest_session.h): batches
 * in, committed LMDB transactions out.
 *
 * Order of work per batch: intern new platforms, resolve new entries to uids (users
 * and placeholder users are created here), record learned identities (taking over
 * placeholders), append the events to the span and the rejects / raw archive to their
 * files. At a commit: fsync those files, flush the span (ingest_flush.c), write the
 * counters and the ledger entry, and commit. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "ingest_session.h"
#include "tamis/alloc.h"
#include "tamis/contact_record.h"
#include "tamis/limits.h"

#define RAW_ZSTD_LEVEL 3
#define SPAN_PRESIZE_MAX ((size_t)16 << 20) /* events the span reserves room for up front */

static apply_entry *entry_slot(tamis_ingest *ing, uint32_t idx)
{
    if (idx >= ing->n_applied_entries) {
        size_t n = (size_t)idx + 1, old = ing->n_applied_entries;
        ing->entries = tamis_grow(ing->entries, sizeof *ing->entries, &ing->cap_entries, n);
        ing->target_of = tamis_grow(ing->target_of, sizeof *ing->target_of, &ing->cap_target_of, n);
        memset(&ing->entries[old], 0, (n - old) * sizeof *ing->entries);
        for (size_t i = old; i < n; i++)
            ing->target_of[i] = (uint32_t)i;
        ing->n_applied_entries = n;
    }
    return &ing->entries[idx];
}

/* Adds an identity to the stored contact of uid (flagging placeholders) and maps it. */
static int contact_add_identity(tamis_ingest *ing, tamis_txn *txn, uint32_t uid, uint8_t platform,
                                const char *pid, size_t len, bool placeholder, tamis_error *err)
{
    const void *data;
    size_t n;
    tamis_contact c;
    int rc;

    if ((rc = tamis_user_record_get(txn, uid, &data, &n, err)) != 0 ||
        (rc = tamis_contact_decode(&c, data, n, err)) != 0)
        return rc;
    tamis_contact_add_identity(&c, platform, pid, len, true);
    if (placeholder)
        c.auto_created = true;
    tamis_contact_encode(&c, &ing->encode_buf.buf, &ing->encode_buf.cap, &n);
    tamis_contact_free(&c);
    if ((rc = tamis_user_record_put(txn, uid, ing->encode_buf.buf, n, err)) != 0)
        return rc;
    return tamis_identity_put(txn, platform, pid, len, uid, err);
}

static int user_for_key(tamis_ingest *ing, tamis_txn *txn, const char *key, size_t len, uint32_t *uid,
                        bool *created, tamis_error *err)
{
    int rc = tamis_user_lookup(txn, key, len, uid, err);
    *created = false;
    if (rc != TAMIS_ENOTFOUND)
        return rc;
    if ((rc = tamis_user_create(txn, key, len, uid, err)) != 0)
        return rc;
    *created = true;
    ing->new_users++;
    return TAMIS_OK;
}

static int resolve_new_entry(tamis_ingest *ing, tamis_txn *txn, const ingest_batch *b, const new_entry *ne,
                             tamis_error *err)
{
    apply_entry *e = entry_slot(ing, ne->entry);
    uint32_t len, uid, owner;
    const char *s = ingest_batch_str(b, ne->str, &len);
    bool created = false;
    int rc;

    if (ne->known && !tamis_strmap_get(ing->gone_uids, &ne->uid, sizeof ne->uid, NULL)) {
        uid = ne->uid; /* found by the parse side */
    } else if (!ne->is_identity) {
        if ((rc = user_for_key(ing, txn, s, len, &uid, &created, err)) != 0)
            return rc;
    } else {
        rc = tamis_identity_lookup(txn, ne->platform, s, len, &uid, err);
        if (rc == TAMIS_ENOTFOUND) {
            char key[TAMIS_MAX_USER_KEY_BYTES + 1];
            const char *pname = tamis_platform_name(ing->store, ne->platform);
            int klen = snprintf(key, sizeof key, "%s:%.*s", pname ? pname : "?", (int)len, s);
            if (klen < 0 || (size_t)klen > TAMIS_MAX_USER_KEY_BYTES)
                return tamis_error_set(err, TAMIS_EINTERNAL, "placeholder key too long");
            if ((rc = user_for_key(ing, txn, key, (size_t)klen, &uid, &created, err)) != 0 ||
                (rc = contact_add_identity(ing, txn, uid, ne->platform, s, len, created, err)) != 0)
                return rc;
        } else if (rc) {
            return rc;
        }
    }
    e = entry_slot(ing, ne->entry);
    e->uid = uid;
    e->is_new = created;
    if (uid >= ing->cap_uids) {
        size_t old = ing->cap_uids;
        ing->entry_of_uid = tamis_grow(ing->entry_of_uid, sizeof *ing->entry_of_uid, &ing->cap_uids, (size_t)uid + 1);
        memset(ing->entry_of_uid + old, 0xFF, (ing->cap_uids - old) * sizeof *ing->entry_of_uid);
    }
    owner = ing->entry_of_uid[uid];
    if (owner != NO_ENTRY) {
        ing->target_of[ne->entry] = owner; /* the same user reached by key and by identity */
    } else {
        ing->target_of[ne->entry] = ne->entry;
        ing->entry_of_uid[uid] = ne->entry;
    }
    return TAMIS_OK;
}

/* An event named both the user of entry `learner` and a platform id that belongs to
 * `owner_uid`. If that owner is a placeholder ("telegram:123", made from the id
 * alone), it was this user all along: merge its identities and activity into the
 * learner and delete it, as import-contacts does. This makes the outcome independent
 * of whether the id-only events came before or after. A real other owner is left
 * alone. */
static int take_over_placeholder(tamis_ingest *ing, tamis_txn *txn, uint32_t learner, uint32_t owner_uid,
                                 tamis_error *err)
{
    uint32_t owner = owner_uid < ing->cap_uids ? ing->entry_of_uid[owner_uid] : NO_ENTRY;
    pending_merge *m;
    const void *data;
    size_t n;
    tamis_contact oc, lc;
    int rc;

    if ((rc = tamis_user_record_get(txn, owner_uid, &data, &n, err)) != 0 ||
        (rc = tamis_contact_decode(&oc, data, n, err)) != 0)
        return rc;
    if (!oc.auto_created) {
        tamis_contact_free(&oc);
        return TAMIS_OK;
    }
    if ((rc = tamis_user_record_get(txn, ing->entries[learner].uid, &data, &n, err)) != 0 ||
        (rc = tamis_contact_decode(&lc, data, n, err)) != 0) {
        tamis_contact_free(&oc);
        return rc;
    }
    for (size_t i = 0; i < oc.n_ids && rc == 0; i++) {
        tamis_contact_add_identity(&lc, oc.ids[i].platform, oc.ids[i].id, strlen(oc.ids[i].id), oc.ids[i].learned);
        rc = tamis_identity_put(txn, oc.ids[i].platform, oc.ids[i].id, strlen(oc.ids[i].id),
                                ing->entries[learner].uid, err);
    }
    tamis_contact_free(&oc);
    if (rc == 0) {
        tamis_contact_encode(&lc, &ing->encode_buf.buf, &ing->encode_buf.cap, &n);
        rc = tamis_user_record_put(txn, ing->entries[learner].uid, ing->encode_buf.buf, n, err);
    }
    tamis_contact_free(&lc);
    if (rc)
        return rc;
    /* The placeholder's stored activity (what earlier commits wrote) is merged into the
     * learner at the next flush; its events still in the span follow target_of. */
    ing->merges = tamis_grow(ing->merges, sizeof *ing->merges, &ing->cap_merges, ing->n_merges + 1);
    m = &ing->merges[ing->n_merges];
    m->target = learner;
    if ((rc = tamis_activity_get(txn, owner_uid, &m->st, err)) != 0)
        return rc;
    ing->n_merges++;
    if (owner != NO_ENTRY) {
        /* Every entry that pointed at the placeholder now points at the learner. */
        for (size_t i = 0; i < ing->n_applied_entries; i++)
            if (ing->target_of[i] == owner)
                ing->target_of[i] = learner;
        ing->entry_of_uid[owner_uid] = NO_ENTRY;
    }
    tamis_strmap_put(ing->gone_uids, &owner_uid, sizeof owner_uid, 1);
    return tamis_user_delete(txn, owner_uid, err);
}

typedef struct entry_sort_key {
    const char *s;
    uint32_t len;
    uint32_t pos;
    uint8_t is_identity, platform;
} entry_sort_key;

static int cmp_entry_key(const void *a, const void *b)
{
    const entry_sort_key *x = a, *y = b;
    int c;
    if (x->is_identity != y->is_identity)
        return x->is_identity - y->is_identity;
    if (x->platform != y->platform)
        return x->platform - y->platform;
    c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Orders the batch's new entries: first the user keys the parse side already found
 * (in any order: they need no lookup), then the other keys and the identities by
 * (kind, platform, text), so that their lookups walk LMDB's B-tree in order. */
static void sort_new_entries(ingest_batch *b)
{
    entry_sort_key *keys;
    new_entry *sorted;
    size_t n_known = 0, n_rest;

    if (b->n_new < 2)
        return;
    sorted = tamis_malloc(b->n_new * sizeof *sorted);
    for (size_t i = 0; i < b->n_new; i++)
        if (b->new_entries[i].known)
            sorted[n_known++] = b->new_entries[i];
    n_rest = b->n_new - n_known;
    keys = tamis_malloc((n_rest ? n_rest : 1) * sizeof *keys);
    for (size_t i = 0, k = 0; i < b->n_new; i++) {
        if (b->new_entries[i].known)
            continue;
        keys[k].s = ingest_batch_str(b, b->new_entries[i].str, &keys[k].len);
        keys[k].pos = (uint32_t)i;
        keys[k].is_identity = b->new_entries[i].is_identity;
        keys[k].platform = b->new_entries[i].platform;
        k++;
    }
    qsort(keys, n_rest, sizeof *keys, cmp_entry_key);
    for (size_t k = 0; k < n_rest; k++)
        sorted[n_known + k] = b->new_entries[keys[k].pos];
    memcpy(b->new_entries, sorted, b->n_new * sizeof *sorted);
    tamis_free(keys);
    tamis_free(sorted);
}

static int resolve(tamis_ingest *ing, tamis_txn *txn, ingest_batch *b, tamis_error *err)
{
    int rc;
    for (size_t i = 0; i < b->n_new_platforms; i++) {
        uint32_t len;
        const char *name = ingest_batch_str(b, b->new_platform_names[i], &len);
        uint8_t id;
        if ((rc = tamis_platform_intern(txn, name, len, &id, err)) != 0)
            return rc;
        if (id != b->new_platform_ids[i])
            return tamis_error_set(err, TAMIS_EINTERNAL, "platform '%.*s' interned as %u, expected %u", (int)len,
                                   name, id, b->new_platform_ids[i]);
    }
    /* In key order, so that LMDB's B-tree is walked, not jumped around in. Found and
     * user-key entries come before unknown identities: identities learned from events
     * that name both a user and a platform id are recorded between the two, so that
     * an identity-only event of the same batch finds its owner instead of creating a
     * placeholder. */
    sort_new_entries(b);
    size_t i = 0;
    for (; i < b->n_new && (b->new_entries[i].known || !b->new_entries[i].is_identity); i++)
        if ((rc = resolve_new_entry(ing, txn, b, &b->new_entries[i], err)) != 0)
            return rc;
    for (size_t l = 0; l < b->n_learns; l++) {
        const learn_req *lr = &b->learns[l];
        uint32_t len, uid;
        const char *pid = ingest_batch_str(b, lr->pid, &len);
        uint32_t learner = ing->target_of[lr->entry];
        rc = tamis_identity_lookup(txn, lr->platform, pid, len, &uid, err);
        if (rc == TAMIS_ENOTFOUND)
            rc = contact_add_identity(ing, txn, ing->entries[learner].uid, lr->platform, pid, len, false, err);
        else if (rc == TAMIS_OK && uid != ing->entries[learner].uid)
            rc = take_over_placeholder(ing, txn, learner, uid, err);
        if (rc)
            return rc;
    }
    for (; i < b->n_new; i++)
        if ((rc = resolve_new_entry(ing, txn, b, &b->new_entries[i], err)) != 0)
            return rc;
    return TAMIS_OK;
}

/* Appends the batch's events and their strings to the span. */
static void append_span(tamis_ingest *ing, const ingest_batch *b)
{
    uint32_t ref_base = (uint32_t)ing->n_span_refs, byte_base = (uint32_t)ing->span_bytes.len;
    size_t want = ing->n_span + b->n_events;
    /* Room for a whole commit's events at once: one allocation, no copies on growth
     * (pages are only touched as events arrive). */
    if (ing->cap_span == 0) {
        size_t whole = ing->opts.batch_events < SPAN_PRESIZE_MAX ? (size_t)ing->opts.batch_events : SPAN_PRESIZE_MAX;
        uint64_t expected = ing->opts.input_bytes_hint / INGEST_MIN_RECORD_BYTES; /* 0 if unknown */
        if (expected < whole)
            whole = expected;
        if (whole > want)
            want = whole;
    }
    ing->span = tamis_grow_large(ing->span, sizeof *ing->span, &ing->cap_span, want);
    ing->span_refs =
        tamis_grow_large(ing->span_refs, sizeof *ing->span_refs, &ing->cap_span_refs, ing->n_span_refs + b->n_refs);
    for (size_t i = 0; i < b->n_events; i++) {
        batch_event *e = &ing->span[ing->n_span + i];
        *e = b->events[i];
        e->str_first += ref_base;
    }
    ing->n_span += b->n_events;
    for (size_t r = 0; r < b->n_refs; r++) {
        str_ref *ref = &ing->span_refs[ing->n_span_refs + r];
        *ref = b->refs[r];
        ref->off += byte_base;
    }
    ing->n_span_refs += b->n_refs;
    tamis_put_bytes(&ing->span_bytes, b->str_bytes.buf, b->str_bytes.len);
}

static int sync_append(FILE **fp, const char *path, const void *data, size_t len, uint64_t *size_after,
                       tamis_error *err)
{
    struct stat sb;
    if (!*fp && !(*fp = fopen(path, "ab")))
        return tamis_error_set(err, TAMIS_EIO, "cannot open %s: %s", path, strerror(errno));
    if (len && fwrite(data, 1, len, *fp) != len)
        return tamis_error_set(err, TAMIS_EIO, "cannot write %s: %s", path, strerror(errno));
    if (fflush(*fp) != 0 || fsync(fileno(*fp)) != 0)
        return tamis_error_set(err, TAMIS_EIO, "cannot sync %s: %s", path, strerror(errno));
    if (fstat(fileno(*fp), &sb) != 0)
        return tamis_error_set(err, TAMIS_EIO, "cannot stat %s: %s", path, strerror(errno));
    *size_after = (uint64_t)sb.st_size;
    return TAMIS_OK;
}

/* Rejects and the raw archive frame of the batch, before the transaction commits. */
/* Appends the batch's rejects and raw archive frame to their files. They are fsynced
 * and their sizes recorded in the ledger only at commit (sync_side_files): what a
 * crash leaves after the last commit is truncated by the next run. */
static int append_side_files(tamis_ingest *ing, const ingest_batch *b, tamis_error *err)
{
    file_run *fr = b->file;
    int rc = TAMIS_OK;
    if (!ing->rejects && !(ing->rejects = fopen(ing->rejects_path, "ab")))
        return tamis_error_set(err, TAMIS_EIO, "cannot open %s: %s", ing->rejects_path, strerror(errno));
    if (b->rejects.len && fwrite(b->rejects.buf, 1, b->rejects.len, ing->rejects) != b->rejects.len)
        return tamis_error_set(err, TAMIS_EIO, "cannot write %s: %s", ing->rejects_path, strerror(errno));
    if (fr->raw_path && b->raw.len) {
        size_t bound = ZSTD_compressBound(b->raw.len);
        uint8_t *frame = tamis_malloc(bound);
        size_t n = ZSTD_compress(frame, bound, b->raw.buf, b->raw.len, RAW_ZSTD_LEVEL);
        if (ZSTD_isError(n))
            rc = tamis_error_set(err, TAMIS_EIO, "raw archive: %s", ZSTD_getErrorName(n));
        else if (!fr->raw && !(fr->raw = fopen(fr->raw_path, "ab")))
            rc = tamis_error_set(err, TAMIS_EIO, "cannot open %s: %s", fr->raw_path, strerror(errno));
        else if (fwrite(frame, 1, n, fr->raw) != n)
            rc = tamis_error_set(err, TAMIS_EIO, "cannot write %s: %s", fr->raw_path, strerror(errno));
        tamis_free(frame);
    }
    return rc;
}

static int sync_side_files(tamis_ingest *ing, file_run *fr, tamis_error *err)
{
    int rc = sync_append(&ing->rejects, ing->rejects_path, NULL, 0, &fr->ledger.rejects_size, err);
    if (rc)
        return rc;
    fr->ledger.rejects_path_hash = ing->rejects_path_hash;
    if (fr->raw)
        rc = sync_append(&fr->raw, fr->raw_path, NULL, 0, &fr->ledger.raw_size, err);
    return rc;
}

static int write_counters(tamis_ingest *ing, tamis_txn *txn, tamis_error *err)
{
    bool present;
    int rc;
    if ((rc = tamis_meta_add_u64(txn, "events_applied", ing->accepted - ing->txn_accepted0, err)) != 0 ||
        (rc = tamis_meta_add_u64(txn, "events_rejected", ing->txn_rejected, err)) != 0 ||
        (rc = tamis_meta_add_u64(txn, "events_duplicate", ing->duplicates - ing->txn_duplicates0, err)) != 0)
        return rc;
    if (ing->txn_have_ts) {
        int64_t lo = tamis_meta_get_i64(txn, "ts_min", &present);
        if ((!present || ing->txn_ts_min < lo) && (rc = tamis_meta_put_i64(txn, "ts_min", ing->txn_ts_min, err)) != 0)
            return rc;
        int64_t hi = tamis_meta_get_i64(txn, "ts_max", &present);
        if ((!present || ing->txn_ts_max > hi) && (rc = tamis_meta_put_i64(txn, "ts_max", ing->txn_ts_max, err)) != 0)
            return rc;
    }
    return TAMIS_OK;
}

void ingest_apply_abort(tamis_ingest *ing)
{
    tamis_txn_abort(ing->txn);
    ing->txn = NULL;
    ingest_span_drop(ing);
}

/* Accumulates what the next commit writes to meta and the ledger. */
static void note_batch(tamis_ingest *ing, const ingest_batch *b)
{
    ing->txn_rejected += b->rejected;
    b->file->ledger.rejected += b->rejected;
    if (b->have_ts) {
        if (!ing->txn_have_ts || b->ts_min < ing->txn_ts_min)
            ing->txn_ts_min = b->ts_min;
        if (!ing->txn_have_ts || b->ts_max > ing->txn_ts_max)
            ing->txn_ts_max = b->ts_max;
        ing->txn_have_ts = true;
    }
}

/* Flushes the span and commits; *flush_s and *written report the flush for tracing. */
static int commit(tamis_ingest *ing, const ingest_batch *b, double *flush_s, size_t *written, tamis_error *err)
{
    file_run *fr = b->file;
    double t0 = ingest_clock();
    int rc;
    if ((rc = sync_side_files(ing, fr, err)) != 0 || (rc = ingest_flush_span(ing, ing->txn, written, err)) != 0)
        return rc;
    *flush_s = ingest_clock() - t0;
    if ((rc = write_counters(ing, ing->txn, err)) != 0)
        return rc;
    fr->ledger.committed_offset = b->end_offset;
    fr->ledger.committed_line = b->end_line;
    fr->ledger.accepted += ing->accepted - ing->txn_accepted0;
    fr->ledger.duplicates += ing->duplicates - ing->txn_duplicates0;
    fr->ledger.complete = b->last;
    if (fr->has_ledger && (rc = tamis_ledger_put(ing->txn, fr->hash, &fr->ledger, err)) != 0)
        return rc;
    rc = tamis_txn_commit(ing->txn, err);
    ing->txn = NULL;
    return rc;
}

int ingest_apply_batch(tamis_ingest *ing, ingest_batch *b, tamis_error *err)
{
    double t0 = ingest_clock(), t1, t2, t3, flush_s = 0;
    size_t written = 0;
    int rc;

    if (!ing->txn) {
        if ((rc = tamis_txn_begin(ing->store, true, &ing->txn, err)) != 0)
            return rc;
        ing->txn_accepted0 = ing->accepted;
        ing->txn_duplicates0 = ing->duplicates;
        ing->txn_rejected = 0;
        ing->txn_have_ts = false;
    }
    if ((rc = resolve(ing, ing->txn, b, err)) != 0)
        goto fail;
    t1 = ingest_clock();
    append_span(ing, b);
    if ((rc = append_side_files(ing, b, err)) != 0)
        goto fail;
    note_batch(ing, b);
    t2 = ingest_clock();
    if (b->commit && (rc = commit(ing, b, &flush_s, &written, err)) != 0)
        goto fail;
    t3 = ingest_clock();
    if (ing->opts.trace)
        fprintf(ing->opts.trace, "tamis: batch of %zu events, %zu new entries: resolve %.3f s, append %.3f s%s",
                b->n_events, b->n_new, t1 - t0, t2 - t1, b->commit ? "" : "\n");
    if (ing->opts.trace && b->commit)
        fprintf(ing->opts.trace, "; apply and write %zu users %.3f s, commit %.3f s\n", written, flush_s,
                t3 - t2 - flush_s);
    return TAMIS_OK;
fail:
    ingest_apply_abort(ing);
    return rc;
}

void ingest_apply_free(tamis_ingest *ing)
{
    ingest_flush_free(ing);
    tamis_free(ing->entries);
    tamis_free(ing->target_of);
    tamis_free(ing->entry_of_uid);
    tamis_free(ing->encode_buf.buf);
}
