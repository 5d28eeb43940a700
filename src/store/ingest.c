/* ingest.c — the parse side of an ingest session and its orchestration: per file,
 * the ledger, records -> parsed events -> batches handed to the apply thread
 * (ingest_apply.c). See include/tamis/ingest.h for the guarantees and
 * ingest_session.h for how the two sides split the work. */
#include "tamis/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "ingest_session.h"
#include "tamis/alloc.h"
#include "tamis/limits.h"
#include "tamis/progress.h"
#include "tamis/reader.h"

#define PROGRESS_EVERY 65536 /* records between progress updates */
/* by_key values with this bit hold a preloaded uid: the key exists in the store but
 * has no entry yet. Without it they are entry numbers. */
#define PRELOADED_UID 0x80000000u

/* ------------------------------------------------------------------------------------
 * The apply thread and the hand-off
 * ------------------------------------------------------------------------------------ */

/* A fresh read snapshot for the parse side's lookups, so that an old one does not
 * keep LMDB from reusing pages. Without one, lookups are left to the apply side. */
static void renew_peek(tamis_ingest *ing)
{
    tamis_error ignored;
    tamis_txn_abort(ing->peek);
    ing->peek = NULL;
    if (tamis_txn_begin(ing->store, false, &ing->peek, &ignored) != TAMIS_OK)
        ing->peek = NULL;
}

static void *apply_thread(void *arg)
{
    tamis_ingest *ing = arg;
    pthread_mutex_lock(&ing->mu);
    for (;;) {
        ingest_batch *b;
        tamis_error err = {0};
        int rc;
        while (ing->queued == 0 && !ing->quit)
            pthread_cond_wait(&ing->cv, &ing->mu);
        if (ing->queued == 0) {
            /* LMDB wants a write transaction ended by the thread that began it. */
            ingest_apply_abort(ing);
            break;
        }
        /* The oldest handed-over batch sits `queued` places before `filling`. */
        b = &ing->batches[(ing->filling + TAMIS_PIPELINE_DEPTH - ing->queued) % TAMIS_PIPELINE_DEPTH];
        rc = ing->apply_rc;
        pthread_mutex_unlock(&ing->mu);
        /* After a failure, later batches are dropped: nothing half-applied commits. */
        if (rc == TAMIS_OK)
            rc = ingest_apply_batch(ing, b, &err);
        pthread_mutex_lock(&ing->mu);
        if (rc && !ing->apply_rc) {
            ing->apply_rc = rc;
            ing->apply_err = err;
        }
        ing->queued--;
        pthread_cond_broadcast(&ing->cv);
    }
    pthread_mutex_unlock(&ing->mu);
    return NULL;
}

/* Waits until the apply side has finished everything handed to it; returns its
 * first error (copied into err). */
static int wait_idle(tamis_ingest *ing, tamis_error *err)
{
    int rc;
    pthread_mutex_lock(&ing->mu);
    while (ing->queued > 0)
        pthread_cond_wait(&ing->cv, &ing->mu);
    rc = ing->apply_rc;
    if (rc)
        *err = ing->apply_err;
    pthread_mutex_unlock(&ing->mu);
    return rc;
}

/* Hands the filled batch over and moves to the next one in the ring, waiting while
 * every other batch is still with the apply side. */
static int hand_off(tamis_ingest *ing, tamis_error *err)
{
    double t0 = ingest_clock();
    int rc;
    pthread_mutex_lock(&ing->mu);
    rc = ing->apply_rc;
    if (rc) {
        *err = ing->apply_err;
    } else {
        ing->queued++;
        ing->filling = (ing->filling + 1) % TAMIS_PIPELINE_DEPTH;
        pthread_cond_broadcast(&ing->cv);
        while (ing->queued >= TAMIS_PIPELINE_DEPTH)
            pthread_cond_wait(&ing->cv, &ing->mu);
    }
    pthread_mutex_unlock(&ing->mu);
    ing->parse_waited += ingest_clock() - t0;
    if (rc)
        return rc;
    ingest_batch_reset(&ing->batches[ing->filling]);
    renew_peek(ing);
    return TAMIS_OK;
}

static int preload_one(void *ctx, uint32_t uid, const char *key, size_t len)
{
    tamis_ingest *ing = ctx;
    if (uid & PRELOADED_UID)
        return 1; /* uids this large do not fit the flag: fall back to lookups */
    tamis_strmap_put(ing->by_key, key, len, uid | PRELOADED_UID);
    return 0;
}

/* Reads every user key into by_key. Afterwards a key missing from by_key is missing
 * from the store too (the store is locked for this session), so the parse side
 * needs no B-tree lookup per new user. */
static void preload_keys(tamis_ingest *ing, tamis_txn *t)
{
    tamis_error ignored;
    if (tamis_user_keys_foreach(t, preload_one, ing, &ignored) == TAMIS_OK) {
        ing->keys_preloaded = true;
        return;
    }
    tamis_strmap_free(ing->by_key); /* partly loaded: start over without */
    ing->by_key = tamis_strmap_new();
}

int tamis_ingest_new(tamis_store *store, const tamis_ingest_options *opts, tamis_ingest **out, tamis_error *err)
{
    tamis_ingest *ing = tamis_calloc(1, sizeof *ing);
    ing->store = store;
    ing->opts = *opts;
    if (!ing->opts.batch_events)
        ing->opts.batch_events = TAMIS_DEFAULT_BATCH_EVENTS;
    ing->rejects_path = opts->rejects_path ? tamis_strdup(opts->rejects_path)
                                           : ingest_join_path(tamis_store_dir(store), "rejects.log");
    ing->rejects_path_hash = XXH3_64bits(ing->rejects_path, strlen(ing->rejects_path));
    ing->by_key = tamis_strmap_new();
    ing->by_identity = tamis_strmap_new();
    ing->learned = tamis_strmap_new();
    ing->platforms = tamis_strmap_new();
    for (int id = 0; id < 256; id++) {
        const char *name = tamis_platform_name(store, (uint8_t)id);
        if (name) {
            tamis_strmap_put(ing->platforms, name, strlen(name), (uint32_t)id);
            ing->n_platforms++;
        }
    }
    {
        /* Size the key map for the users the store already has, and read them all if
         * the input looks big enough to meet most of them. */
        tamis_txn *t;
        tamis_store_counts c;
        tamis_error ignored; /* a size hint and a shortcut: failure costs speed only */
        if (tamis_txn_begin(store, false, &t, &ignored) == TAMIS_OK) {
            if (tamis_store_counts_get(t, &c, &ignored) == TAMIS_OK) {
                tamis_strmap_reserve(ing->by_key, (size_t)c.users);
                if (c.users && c.users <= opts->input_bytes_hint / INGEST_MIN_RECORD_BYTES)
                    preload_keys(ing, t);
            }
            tamis_txn_abort(t);
        }
    }
    for (int i = 0; i < TAMIS_PIPELINE_DEPTH; i++)
        ingest_batch_init(&ing->batches[i]);
    ing->gone_uids = tamis_strmap_new();
    renew_peek(ing);
    pthread_mutex_init(&ing->mu, NULL);
    pthread_cond_init(&ing->cv, NULL);
    if (pthread_create(&ing->worker, NULL, apply_thread, ing) != 0) {
        tamis_ingest_free(ing);
        return tamis_error_set(err, TAMIS_EINTERNAL, "cannot start the apply thread");
    }
    ing->worker_started = true;
    *out = ing;
    return TAMIS_OK;
}

void tamis_ingest_free(tamis_ingest *ing)
{
    if (!ing)
        return;
    if (ing->worker_started) {
        pthread_mutex_lock(&ing->mu);
        ing->quit = true;
        pthread_cond_broadcast(&ing->cv);
        pthread_mutex_unlock(&ing->mu);
        pthread_join(ing->worker, NULL);
    }
    pthread_mutex_destroy(&ing->mu);
    pthread_cond_destroy(&ing->cv);
    ingest_apply_free(ing);
    for (int i = 0; i < TAMIS_PIPELINE_DEPTH; i++)
        ingest_batch_free(&ing->batches[i]);
    tamis_txn_abort(ing->peek);
    tamis_strmap_free(ing->gone_uids);
    tamis_strmap_free(ing->by_key);
    tamis_strmap_free(ing->by_identity);
    tamis_strmap_free(ing->learned);
    tamis_strmap_free(ing->platforms);
    if (ing->rejects)
        fclose(ing->rejects);
    tamis_free(ing->rejects_path);
    tamis_free(ing);
}

/* ------------------------------------------------------------------------------------
 * Rejects
 * ------------------------------------------------------------------------------------ */

/* Appends raw to the reject buffer with '\n', '\r', '\t' and '\\' escaped. */
static void put_escaped(tamis_wbuf *w, const char *raw, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = raw[i];
        const char *esc = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\\' ? "\\\\" : NULL;
        if (esc)
            tamis_put_bytes(w, esc, 2);
        else
            tamis_put_u8(w, (uint8_t)c);
    }
}

static void reject(tamis_ingest *ing, const char *file, uint64_t line, const char *reason, const char *raw,
                   size_t raw_len, tamis_ingest_summary *sum)
{
    ingest_batch *b = &ing->batches[ing->filling];
    char head[TAMIS_ERROR_MSG_MAX + 512];
    int n = snprintf(head, sizeof head, "%s:%llu: %s: ", file, (unsigned long long)line, reason);
    size_t cut = raw_len > TAMIS_REJECT_RAW_BYTES ? TAMIS_REJECT_RAW_BYTES : raw_len;

    tamis_put_bytes(&b->rejects, head, n > 0 && (size_t)n < sizeof head ? (size_t)n : strlen(head));
    put_escaped(&b->rejects, raw, cut);
    tamis_put_u8(&b->rejects, '\n');
    b->rejected++;
    sum->rejected++;
    if (ing->on_reject)
        ing->on_reject(ing->on_reject_ctx, line, reason);
    ing->session_rejected++;
    if (ing->opts.messages && ing->rejects_shown < TAMIS_REJECTS_SHOWN) {
        fprintf(ing->opts.messages, "tamis: %s:%llu: rejected: %s\n", file, (unsigned long long)line, reason);
        if (++ing->rejects_shown == TAMIS_REJECTS_SHOWN)
            fprintf(ing->opts.messages, "tamis: further rejects only in %s\n", ing->rejects_path);
    }
}

/* ------------------------------------------------------------------------------------
 * Parse side: one record to one batch event
 * ------------------------------------------------------------------------------------ */

typedef struct parse_run {
    file_run *fr;
    tamis_reader *reader;
    tamis_event_parser *parser;
    tamis_format format;
    uint64_t in_batch;      /* records in the batch being filled */
    uint64_t since_commit;  /* records since the last batch marked commit */
} parse_run;

static void warn_to_messages(void *ctx, const char *msg)
{
    tamis_ingest *ing = ctx;
    if (ing->opts.messages)
        fprintf(ing->opts.messages, "tamis: warning: %s\n", msg);
}

static int platform_id(tamis_ingest *ing, ingest_batch *b, const char *name, size_t len, uint8_t *id,
                       tamis_error *err)
{
    uint32_t v;
    if (tamis_strmap_get(ing->platforms, name, len, &v)) {
        *id = (uint8_t)v;
        return TAMIS_OK;
    }
    if (ing->n_platforms >= TAMIS_MAX_PLATFORMS)
        return tamis_error_set(err, TAMIS_ELIMIT, "too many distinct platforms (cap %d): '%.*s'",
                               TAMIS_MAX_PLATFORMS, (int)len, name);
    *id = (uint8_t)ing->n_platforms++;
    tamis_strmap_put(ing->platforms, name, len, *id);
    b->new_platform_ids[b->n_new_platforms] = *id;
    b->new_platform_names[b->n_new_platforms++] = ingest_batch_string(b, name, len);
    return TAMIS_OK;
}

static uint32_t new_entry_for(tamis_ingest *ing, ingest_batch *b, const char *s, size_t len, uint8_t platform,
                              bool is_identity)
{
    new_entry *ne;
    tamis_error ignored;
    b->new_entries = tamis_grow(b->new_entries, sizeof *b->new_entries, &b->cap_new, b->n_new + 1);
    ne = &b->new_entries[b->n_new++];
    ne->entry = ing->n_entries++;
    ne->str = ingest_batch_string(b, s, len);
    ne->platform = platform;
    ne->is_identity = is_identity;
    /* Look keys and identities up here, in a read snapshot, to take work off the apply
     * side. "Not found" is left to the apply side, which sees the newest state; a
     * found uid stays right unless the apply side took that placeholder over since. */
    if (!ing->peek || (!is_identity && ing->keys_preloaded))
        ne->known = false;
    else if (is_identity)
        ne->known = tamis_identity_lookup(ing->peek, platform, s, len, &ne->uid, &ignored) == TAMIS_OK;
    else
        ne->known = tamis_user_lookup(ing->peek, s, len, &ne->uid, &ignored) == TAMIS_OK;
    return ne->entry;
}

/* A new entry for a user key found among the preloaded keys. */
static uint32_t new_known_entry(tamis_ingest *ing, ingest_batch *b, const char *s, size_t len, uint8_t platform,
                                uint32_t uid)
{
    new_entry *ne;
    b->new_entries = tamis_grow(b->new_entries, sizeof *b->new_entries, &b->cap_new, b->n_new + 1);
    ne = &b->new_entries[b->n_new++];
    ne->entry = ing->n_entries++;
    ne->str = ingest_batch_string(b, s, len);
    ne->platform = platform;
    ne->is_identity = false;
    ne->known = true;
    ne->uid = uid;
    return ne->entry;
}

/* Names the event's subject: an entry number for its user key or its identity. */
static int subject(tamis_ingest *ing, ingest_batch *b, const tamis_event *ev, uint8_t platform, uint32_t *entry,
                   tamis_error *err)
{
    const tamis_str *user = &ev->text[TAMIS_FIELD_USER], *pid = &ev->text[TAMIS_FIELD_PLATFORM_ID];
    char mkey[TAMIS_MAX_FIELD_BYTES + 1];
    size_t mlen = 0;

    if (pid->len) {
        if (pid->len > TAMIS_MAX_FIELD_BYTES)
            return tamis_error_set(err, TAMIS_ELIMIT, "platform_id longer than %d bytes", TAMIS_MAX_FIELD_BYTES);
        mkey[0] = (char)platform;
        memcpy(mkey + 1, pid->ptr, pid->len);
        mlen = pid->len + 1;
    }
    if (ing->n_entries >= PRELOADED_UID)
        return tamis_error_set(err, TAMIS_ELIMIT, "more than %u distinct users in one ingest session", PRELOADED_UID);
    if (user->len) {
        if (!tamis_strmap_get(ing->by_key, user->ptr, user->len, entry)) {
            *entry = new_entry_for(ing, b, user->ptr, user->len, platform, false);
            tamis_strmap_put(ing->by_key, user->ptr, user->len, *entry);
        } else if (*entry & PRELOADED_UID) {
            uint32_t uid = *entry & ~PRELOADED_UID;
            *entry = new_known_entry(ing, b, user->ptr, user->len, platform, uid);
            tamis_strmap_put(ing->by_key, user->ptr, user->len, *entry);
        }
        if (pid->len && ev->text[TAMIS_FIELD_PLATFORM].len && !tamis_strmap_get(ing->learned, mkey, mlen, NULL)) {
            learn_req *lr;
            tamis_strmap_put(ing->learned, mkey, mlen, 1);
            b->learns = tamis_grow(b->learns, sizeof *b->learns, &b->cap_learns, b->n_learns + 1);
            lr = &b->learns[b->n_learns++];
            lr->entry = *entry;
            lr->pid = ingest_batch_string(b, pid->ptr, pid->len);
            lr->platform = platform;
        }
        return TAMIS_OK;
    }
    if (tamis_strmap_get(ing->by_identity, mkey, mlen, entry))
        return TAMIS_OK;
    {
        uint32_t plen = (uint32_t)ev->text[TAMIS_FIELD_PLATFORM].len;
        if (plen + 1 + pid->len > TAMIS_MAX_USER_KEY_BYTES)
            return tamis_error_set(err, TAMIS_ELIMIT, "placeholder user key '<platform>:<platform_id>' would exceed %d bytes",
                                   TAMIS_MAX_USER_KEY_BYTES);
    }
    *entry = new_entry_for(ing, b, pid->ptr, pid->len, platform, true);
    tamis_strmap_put(ing->by_identity, mkey, mlen, *entry);
    return TAMIS_OK;
}

static const tamis_field string_fields[] = {TAMIS_FIELD_GROUP,    TAMIS_FIELD_DEVICE,        TAMIS_FIELD_FIELD,
                                            TAMIS_FIELD_CAMPAIGN, TAMIS_FIELD_CAMPAIGN_TYPE, TAMIS_FIELD_COUNTRY,
                                            TAMIS_FIELD_REASON};

/* Turns a parsed event into a batch event. TAMIS_EINPUT / TAMIS_ELIMIT reject it. */
static int add_event(tamis_ingest *ing, const tamis_event *ev, const char *rec, size_t rec_len, tamis_error *err)
{
    ingest_batch *b = &ing->batches[ing->filling];
    const tamis_str *t = ev->text;
    batch_event *be;
    uint8_t platform;
    uint32_t entry;
    int rc;

    if (ev->has_value && !(ev->value >= -TAMIS_MAX_ABS_VALUE && ev->value <= TAMIS_MAX_ABS_VALUE))
        return tamis_error_set(err, TAMIS_EINPUT, "value %g out of range (|value| <= %g)", ev->value,
                               TAMIS_MAX_ABS_VALUE);
    if (t[TAMIS_FIELD_PLATFORM].len)
        rc = platform_id(ing, b, t[TAMIS_FIELD_PLATFORM].ptr, t[TAMIS_FIELD_PLATFORM].len, &platform, err);
    else
        rc = platform_id(ing, b, "unknown", 7, &platform, err);
    if (rc || (rc = subject(ing, b, ev, platform, &entry, err)) != 0)
        return rc;
    b->events = tamis_grow(b->events, sizeof *b->events, &b->cap_events, b->n_events + 1);
    be = &b->events[b->n_events++];
    be->ts_ms = ev->ts_ms;
    be->value_micros = ev->has_value ? llround(ev->value * 1e6) : 0;
    be->entry = entry;
    be->platform = platform;
    be->kind = ev->kind;
    be->flags = (uint8_t)((ev->has_value ? EV_HAS_VALUE : 0) | (t[TAMIS_FIELD_ID].len ? EV_HAS_ID : 0));
    be->id_hash = t[TAMIS_FIELD_ID].len ? XXH3_64bits(t[TAMIS_FIELD_ID].ptr, t[TAMIS_FIELD_ID].len) : 0;
    if (!t[TAMIS_FIELD_ID].len && ing->ids_from_bytes) {
        be->flags |= EV_HAS_ID;
        be->id_hash = XXH3_64bits_withSeed(rec, rec_len, INGEST_BYTES_ID_SEED);
    }
    be->job = ing->cur_job;
    be->str_first = (uint32_t)b->n_refs;
    be->n_str = 0;
    for (size_t i = 0; i < sizeof string_fields / sizeof string_fields[0]; i++) {
        const tamis_str *v = &t[string_fields[i]];
        if (!v->len)
            continue;
        b->refs = tamis_grow(b->refs, sizeof *b->refs, &b->cap_refs, b->n_refs + 1);
        b->refs[b->n_refs].field = (uint16_t)string_fields[i];
        b->refs[b->n_refs].len = (uint16_t)v->len; /* the parser caps fields at TAMIS_MAX_FIELD_BYTES */
        b->refs[b->n_refs].off = ingest_batch_bytes(b, v->ptr, v->len);
        b->n_refs++;
        be->n_str++;
    }
    if (!b->have_ts || ev->ts_ms < b->ts_min)
        b->ts_min = ev->ts_ms;
    if (!b->have_ts || ev->ts_ms > b->ts_max)
        b->ts_max = ev->ts_ms;
    b->have_ts = true;
    return TAMIS_OK;
}

/* Closes the batch being filled at the reader's position and hands it over; the
 * apply side commits after it if `commit`. */
static int close_batch(tamis_ingest *ing, parse_run *pr, bool last, bool commit, tamis_error *err)
{
    ingest_batch *b = &ing->batches[ing->filling];
    b->file = pr->fr;
    b->end_offset = tamis_reader_offset(pr->reader);
    b->end_line = tamis_reader_lines_done(pr->reader);
    b->last = last;
    b->commit = (commit || last) && !ing->defer_commit;
    pr->in_batch = 0;
    if (b->commit)
        pr->since_commit = 0;
    return hand_off(ing, err);
}

static bool is_blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

/* Decides the format from the first record and prepares the parser (reading the CSV
 * header). Returns TAMIS_EINPUT for an unusable header. */
static int start_parser(tamis_ingest *ing, parse_run *pr, const char *rec, size_t len, tamis_error *err)
{
    tamis_format fmt = ing->opts.format;
    bool bom = len >= 3 && (uint8_t)rec[0] == 0xEF && (uint8_t)rec[1] == 0xBB && (uint8_t)rec[2] == 0xBF;
    if (bom) {
        rec += 3;
        len -= 3;
    }
    if (fmt == TAMIS_FORMAT_AUTO) {
        size_t i = 0;
        while (i < len && (rec[i] == ' ' || rec[i] == '\t'))
            i++;
        fmt = (i < len && rec[i] == '{') ? TAMIS_FORMAT_NDJSON : TAMIS_FORMAT_CSV;
    }
    pr->format = fmt;
    pr->parser = tamis_event_parser_new(fmt, warn_to_messages, ing);
    if (fmt == TAMIS_FORMAT_CSV) {
        int rc;
        tamis_reader_set_csv(pr->reader, true);
        if ((rc = tamis_event_parser_header(pr->parser, rec, len, err)) != 0)
            tamis_error_prefix(err, "%s:%llu: header", pr->fr->path,
                               (unsigned long long)tamis_reader_line(pr->reader));
        return rc;
    }
    return TAMIS_OK;
}

/* Reads the first non-blank record, picks the parser, and positions the reader where
 * event records start: after the CSV header, or back at the first NDJSON object; on a
 * resume, at the ledger's committed offset. *empty is set for a file with no records. */
static int begin_file(tamis_ingest *ing, parse_run *pr, bool *empty, tamis_error *err)
{
    const char *rec;
    size_t len;
    bool eof;
    int rc;

    *empty = false;
    do {
        if ((rc = tamis_reader_next(pr->reader, &rec, &len, &eof, err)) != 0)
            return rc;
        if (eof) {
            *empty = true;
            return TAMIS_OK;
        }
    } while (is_blank(rec, len));
    if ((rc = start_parser(ing, pr, rec, len, err)) != 0)
        return rc;
    if (pr->fr->ledger.committed_offset > tamis_reader_offset(pr->reader))
        return tamis_reader_skip_to(pr->reader, pr->fr->ledger.committed_offset, pr->fr->ledger.committed_line, err);
    if (pr->format == TAMIS_FORMAT_NDJSON)
        return tamis_reader_skip_to(pr->reader, 0, 0, err);
    return TAMIS_OK;
}

static int process_records(tamis_ingest *ing, parse_run *pr, tamis_ingest_summary *sum, tamis_progress *bar,
                           tamis_error *err)
{
    uint64_t since_progress = 0;
    tamis_error rec_err;
    int rc;

    for (;;) {
        const char *rec;
        size_t len;
        bool eof;
        tamis_event ev;

        rc = tamis_reader_next(pr->reader, &rec, &len, &eof, &rec_err);
        if (rc == TAMIS_ELIMIT) {
            reject(ing, pr->fr->path, tamis_reader_line(pr->reader), rec_err.msg, rec, len, sum);
            goto next;
        }
        if (rc) {
            *err = rec_err;
            return rc;
        }
        if (eof)
            return TAMIS_OK;
        if (is_blank(rec, len))
            continue;
        sum->records++;
        sum->bytes += len + 1;
        rc = tamis_event_parse(pr->parser, rec, len, &ev, &rec_err);
        if (rc == TAMIS_OK)
            rc = add_event(ing, &ev, rec, len, &rec_err);
        if (rc == TAMIS_EINPUT || rc == TAMIS_ELIMIT) {
            reject(ing, pr->fr->path, tamis_reader_line(pr->reader), rec_err.msg, rec, len, sum);
        } else if (rc) {
            *err = rec_err;
            return rc;
        } else if (ing->opts.keep_raw) {
            ingest_batch *b = &ing->batches[ing->filling];
            tamis_put_bytes(&b->raw, rec, len);
            tamis_put_u8(&b->raw, '\n');
        }
    next:
        if (ing->session_rejected > ing->opts.max_errors)
            return tamis_error_set(err, TAMIS_ELIMIT, "more than %llu rejected records (--max-errors)",
                                   (unsigned long long)ing->opts.max_errors);
        ++pr->since_commit;
        if (++pr->in_batch >= TAMIS_PIPELINE_EVENTS || pr->since_commit >= ing->opts.batch_events) {
            if ((rc = close_batch(ing, pr, false, pr->since_commit >= ing->opts.batch_events, err)) != 0)
                return rc;
        }
        if (++since_progress >= PROGRESS_EVERY) {
            since_progress = 0;
            tamis_progress_update(bar, tamis_reader_bytes_in(pr->reader), sum->records);
        }
    }
}

/* Ingests what reader holds (taken over: closed here), labelled path. */
static int ingest_stream(tamis_ingest *ing, const char *path, tamis_reader *reader, tamis_ingest_summary *sum,
                         tamis_error *err)
{
    file_run fr;
    parse_run pr;
    tamis_progress *bar = NULL;
    double t0 = ingest_clock();
    bool skip, empty = true;
    int rc;

    memset(&fr, 0, sizeof fr);
    memset(&pr, 0, sizeof pr);
    fr.path = path;
    pr.fr = &fr;
    pr.reader = reader;
    if (!ing->peek)
        renew_peek(ing);
    if ((rc = ingest_consult_ledger(ing, &fr, pr.reader, &skip, err)) != 0)
        goto done;
    sum->files++;
    if (skip) {
        sum->files_skipped++;
        if (ing->opts.messages)
            fprintf(ing->opts.messages, "tamis: %s: already ingested (same content), skipped\n", path);
        goto done;
    }
    if (fr.ledger.committed_offset > 0) {
        sum->files_resumed++;
        if (ing->opts.messages)
            fprintf(ing->opts.messages, "tamis: %s: resuming after line %llu\n", path,
                    (unsigned long long)fr.ledger.committed_line);
    }
    if (ing->opts.keep_raw && (rc = ingest_open_raw_archive(ing, &fr, err)) != 0)
        goto done;
    if ((rc = begin_file(ing, &pr, &empty, err)) != 0)
        goto done;
    bar = tamis_progress_new(path, tamis_reader_file_size(pr.reader), ing->opts.progress);
    if (!empty)
        rc = process_records(ing, &pr, sum, bar, err);
    if (rc == TAMIS_OK || rc == TAMIS_ELIMIT) {
        /* The final batch commits what was good, also when --max-errors stopped us. */
        tamis_error keep = *err;
        int crc = close_batch(ing, &pr, rc == TAMIS_OK, true, err);
        if (!crc)
            crc = wait_idle(ing, err);
        if (crc)
            rc = crc;
        else if (rc == TAMIS_ELIMIT)
            *err = keep;
    }
done:
    {
        /* Whatever happened, the apply side must be done with this file's batches
         * before its file_run goes away; a fatal error there wins. */
        tamis_error werr;
        int wrc = wait_idle(ing, &werr);
        if (wrc && (rc == TAMIS_OK || rc == TAMIS_ELIMIT)) {
            rc = wrc;
            *err = werr;
        }
        ingest_batch_reset(&ing->batches[ing->filling]);
    }
    sum->accepted += ing->accepted;
    sum->duplicates += ing->duplicates;
    sum->new_users += ing->new_users;
    ing->accepted = ing->duplicates = ing->new_users = 0;
    tamis_progress_finish(bar);
    tamis_progress_free(bar);
    if (pr.parser)
        tamis_event_parser_free(pr.parser);
    if (fr.raw)
        fclose(fr.raw);
    tamis_free(fr.raw_path);
    tamis_reader_close(pr.reader);
    sum->seconds += ingest_clock() - t0;
    if (ing->opts.trace)
        fprintf(ing->opts.trace, "tamis: %s: parse side waited %.3f s for the apply side\n", path, ing->parse_waited);
    ing->parse_waited = 0;
    return rc;
}

int tamis_ingest_file(tamis_ingest *ing, const char *path, tamis_ingest_summary *sum, tamis_error *err)
{
    tamis_reader *reader;
    int rc = tamis_reader_open(path, &reader, err);
    if (rc)
        return rc;
    return ingest_stream(ing, path, reader, sum, err);
}

/* Commits what the apply side holds (an empty batch marked commit). */
static int commit_now(tamis_ingest *ing, tamis_error *err)
{
    file_run fr;
    ingest_batch *b = &ing->batches[ing->filling];
    int rc;
    memset(&fr, 0, sizeof fr);
    fr.path = "(group)";
    ingest_batch_reset(b);
    b->file = &fr;
    b->last = b->commit = true;
    if ((rc = hand_off(ing, err)) != 0)
        return rc;
    return wait_idle(ing, err); /* fr must outlive the batch */
}

int tamis_ingest_buffers(tamis_ingest *ing, tamis_ingest_part *parts, size_t n, tamis_error *err)
{
    uint64_t (*counts)[2];
    int rc = TAMIS_OK;
    if (n == 0)
        return TAMIS_OK;
    if (n > TAMIS_INGEST_MAX_PARTS)
        return tamis_error_set(err, TAMIS_EINTERNAL, "more than %d parts in one ingest", TAMIS_INGEST_MAX_PARTS);
    counts = tamis_calloc(n, sizeof *counts);
    ing->job_counts = counts;
    ing->defer_commit = true;
    for (size_t i = 0; i < n && rc == TAMIS_OK; i++) {
        tamis_ingest_part *p = &parts[i];
        memset(&p->sum, 0, sizeof p->sum);
        memset(&p->err, 0, sizeof p->err);
        ing->cur_job = (uint16_t)i;
        p->rc = tamis_ingest_buffer(ing, p->name, p->data, p->len, &p->opts, &p->sum, &p->err);
        if (p->rc != TAMIS_OK && p->rc != TAMIS_EINPUT && p->rc != TAMIS_ELIMIT) {
            rc = p->rc; /* fatal: the transaction is gone, with every part in it */
            *err = p->err;
        }
    }
    ing->defer_commit = false;
    ing->cur_job = 0;
    if (rc == TAMIS_OK)
        rc = commit_now(ing, err);
    for (size_t i = 0; i < n; i++) {
        if (rc != TAMIS_OK) {
            parts[i].rc = rc;
            parts[i].err = *err;
            continue;
        }
        parts[i].sum.accepted = counts[i][0];
        parts[i].sum.duplicates = counts[i][1];
    }
    ing->accepted = ing->duplicates = 0; /* harvested above, by part */
    ing->job_counts = NULL;
    tamis_free(counts);
    return rc;
}

int tamis_ingest_buffer(tamis_ingest *ing, const char *name, const void *data, size_t len,
                        const tamis_ingest_buffer_options *bopts, tamis_ingest_summary *sum, tamis_error *err)
{
    tamis_reader *reader;
    tamis_format keep = ing->opts.format;
    int rc = tamis_reader_open_memory(name, data, len, &reader, err);
    if (rc)
        return rc;
    ing->opts.format = bopts->format;
    ing->on_reject = bopts->on_reject;
    ing->on_reject_ctx = bopts->ctx;
    ing->ids_from_bytes = bopts->ids_from_bytes;
    rc = ingest_stream(ing, name, reader, sum, err);
    ing->opts.format = keep;
    ing->on_reject = NULL;
    ing->on_reject_ctx = NULL;
    ing->ids_from_bytes = false;
    /* Between buffers hold no read snapshot: it would keep LMDB from reusing pages
     * for as long as the session idles. */
    tamis_txn_abort(ing->peek);
    ing->peek = NULL;
    return rc;
}
