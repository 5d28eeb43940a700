/* ingest.c — the ingest pipeline: per file, records -> events -> user states, in
 * batches committed atomically with the file's ledger entry (see include/tamis/ingest.h
 * for the guarantees, ingest_users.c for user resolution). */
#include "tamis/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "ingest_session.h"
#include "tamis/alloc.h"
#include "tamis/limits.h"
#include "tamis/progress.h"
#include "tamis/reader.h"

#define PROGRESS_EVERY 65536 /* records between progress updates */
#define RAW_ZSTD_LEVEL 3

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *join_path(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = tamis_malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

int tamis_ingest_new(tamis_store *store, const tamis_ingest_options *opts, tamis_ingest **out, tamis_error *err)
{
    tamis_ingest *ing = tamis_calloc(1, sizeof *ing);
    ing->store = store;
    ing->opts = *opts;
    if (!ing->opts.batch_events)
        ing->opts.batch_events = TAMIS_DEFAULT_BATCH_EVENTS;
    ing->rejects_path = opts->rejects_path ? tamis_strdup(opts->rejects_path)
                                           : join_path(tamis_store_dir(store), "rejects.log");
    ing->rejects_path_hash = XXH3_64bits(ing->rejects_path, strlen(ing->rejects_path));
    ing->by_key = tamis_strmap_new();
    ing->by_identity = tamis_strmap_new();
    ing->by_uid = tamis_strmap_new();
    ing->platforms = tamis_strmap_new();
    *out = ing;
    (void)err;
    return TAMIS_OK;
}

void tamis_ingest_free(tamis_ingest *ing)
{
    if (!ing)
        return;
    for (size_t i = 0; i < ing->n_entries; i++)
        tamis_user_state_free(&ing->entries[i].st);
    tamis_free(ing->entries);
    tamis_strmap_free(ing->by_key);
    tamis_strmap_free(ing->by_identity);
    tamis_strmap_free(ing->by_uid);
    tamis_strmap_free(ing->platforms);
    tamis_free(ing->dirty);
    tamis_free(ing->encode_buf.buf);
    tamis_free(ing->reject_buf.buf);
    tamis_free(ing->raw_buf.buf);
    if (ing->rejects)
        fclose(ing->rejects);
    tamis_free(ing->rejects_path);
    tamis_free(ing);
}

/* ------------------------------------------------------------------------------------
 * Rejects and raw archive: appended and fsynced before each commit
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
    char head[TAMIS_ERROR_MSG_MAX + 512];
    int n = snprintf(head, sizeof head, "%s:%llu: %s: ", file, (unsigned long long)line, reason);
    size_t cut = raw_len > TAMIS_REJECT_RAW_BYTES ? TAMIS_REJECT_RAW_BYTES : raw_len;

    tamis_put_bytes(&ing->reject_buf, head, n > 0 && (size_t)n < sizeof head ? (size_t)n : strlen(head));
    put_escaped(&ing->reject_buf, raw, cut);
    tamis_put_u8(&ing->reject_buf, '\n');
    sum->rejected++;
    ing->session_rejected++;
    if (ing->opts.messages && ing->rejects_shown < TAMIS_REJECTS_SHOWN) {
        fprintf(ing->opts.messages, "tamis: %s:%llu: rejected: %s\n", file, (unsigned long long)line, reason);
        if (++ing->rejects_shown == TAMIS_REJECTS_SHOWN)
            fprintf(ing->opts.messages, "tamis: further rejects only in %s\n", ing->rejects_path);
    }
}

static int sync_append(FILE **fp, const char *path, const void *data, size_t len, uint64_t *size_after,
                       tamis_error *err)
{
    struct stat sb;
    if (!*fp) {
        *fp = fopen(path, "ab");
        if (!*fp)
            return tamis_error_set(err, TAMIS_EIO, "cannot open %s: %s", path, strerror(errno));
    }
    if (len && fwrite(data, 1, len, *fp) != len)
        return tamis_error_set(err, TAMIS_EIO, "cannot write %s: %s", path, strerror(errno));
    if (fflush(*fp) != 0 || (len && fsync(fileno(*fp)) != 0))
        return tamis_error_set(err, TAMIS_EIO, "cannot sync %s: %s", path, strerror(errno));
    if (fstat(fileno(*fp), &sb) != 0)
        return tamis_error_set(err, TAMIS_EIO, "cannot stat %s: %s", path, strerror(errno));
    *size_after = (uint64_t)sb.st_size;
    return TAMIS_OK;
}

/* Truncates path to size if it is longer (what an interrupted run wrote after its
 * last commit). */
static int truncate_to(const char *path, uint64_t size, tamis_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || (uint64_t)sb.st_size <= size)
        return TAMIS_OK;
    if (truncate(path, (off_t)size) != 0)
        return tamis_error_set(err, TAMIS_EIO, "cannot truncate %s: %s", path, strerror(errno));
    return TAMIS_OK;
}

/* ------------------------------------------------------------------------------------
 * One file
 * ------------------------------------------------------------------------------------ */

typedef struct file_run {
    const char *path;
    bool has_ledger;
    uint8_t hash[16];
    tamis_ledger_entry ledger;
    char *raw_path;
    FILE *raw;
    tamis_reader *reader;
    tamis_event_parser *parser;
    tamis_txn *txn;
    tamis_format format;
    uint64_t batch_events;
    uint64_t batch_accepted, batch_rejected, batch_duplicates;
    int64_t ts_min, ts_max;
    bool have_ts;
} file_run;

static void warn_to_messages(void *ctx, const char *msg)
{
    tamis_ingest *ing = ctx;
    if (ing->opts.messages)
        fprintf(ing->opts.messages, "tamis: warning: %s\n", msg);
}

/* Commits the current batch: rejects and raw archive first (fsynced), then states,
 * counters and the ledger in one LMDB transaction. A new transaction is begun unless
 * this was the last batch. */
static int commit_batch(tamis_ingest *ing, file_run *fr, bool complete, bool reopen, tamis_error *err)
{
    int rc;
    uint64_t rejects_size = 0, raw_size = fr->ledger.raw_size;
    bool present;

    if ((rc = sync_append(&ing->rejects, ing->rejects_path, ing->reject_buf.buf, ing->reject_buf.len,
                          &rejects_size, err)) != 0)
        goto fail;
    ing->reject_buf.len = 0;
    if (fr->raw && ing->raw_buf.len) {
        size_t bound = ZSTD_compressBound(ing->raw_buf.len);
        uint8_t *frame = tamis_malloc(bound);
        size_t n = ZSTD_compress(frame, bound, ing->raw_buf.buf, ing->raw_buf.len, RAW_ZSTD_LEVEL);
        if (ZSTD_isError(n)) {
            tamis_free(frame);
            rc = tamis_error_set(err, TAMIS_EIO, "raw archive: %s", ZSTD_getErrorName(n));
            goto fail;
        }
        rc = sync_append(&fr->raw, fr->raw_path, frame, n, &raw_size, err);
        tamis_free(frame);
        if (rc)
            goto fail;
        ing->raw_buf.len = 0;
    }
    if ((rc = ingest_flush_states(ing, fr->txn, err)) != 0)
        goto fail;
    if ((rc = tamis_meta_add_u64(fr->txn, "events_applied", fr->batch_accepted, err)) != 0 ||
        (rc = tamis_meta_add_u64(fr->txn, "events_rejected", fr->batch_rejected, err)) != 0 ||
        (rc = tamis_meta_add_u64(fr->txn, "events_duplicate", fr->batch_duplicates, err)) != 0)
        goto fail;
    if (fr->have_ts) {
        int64_t lo = tamis_meta_get_i64(fr->txn, "ts_min", &present);
        if (!present || fr->ts_min < lo)
            if ((rc = tamis_meta_put_i64(fr->txn, "ts_min", fr->ts_min, err)) != 0)
                goto fail;
        int64_t hi = tamis_meta_get_i64(fr->txn, "ts_max", &present);
        if (!present || fr->ts_max > hi)
            if ((rc = tamis_meta_put_i64(fr->txn, "ts_max", fr->ts_max, err)) != 0)
                goto fail;
    }
    fr->ledger.committed_offset = tamis_reader_offset(fr->reader);
    fr->ledger.committed_line = tamis_reader_lines_done(fr->reader);
    fr->ledger.accepted += fr->batch_accepted;
    fr->ledger.rejected += fr->batch_rejected;
    fr->ledger.duplicates += fr->batch_duplicates;
    fr->ledger.rejects_size = rejects_size;
    fr->ledger.rejects_path_hash = ing->rejects_path_hash;
    fr->ledger.raw_size = raw_size;
    fr->ledger.complete = complete;
    if (fr->has_ledger && (rc = tamis_ledger_put(fr->txn, fr->hash, &fr->ledger, err)) != 0)
        goto fail;
    rc = tamis_txn_commit(fr->txn, err);
    fr->txn = NULL;
    if (rc)
        return rc;
    fr->batch_events = fr->batch_accepted = fr->batch_rejected = fr->batch_duplicates = 0;
    fr->have_ts = false;
    ingest_trim_cache(ing);
    if (reopen)
        return tamis_txn_begin(ing->store, true, &fr->txn, err);
    return TAMIS_OK;
fail:
    tamis_txn_abort(fr->txn);
    fr->txn = NULL;
    return rc;
}

static bool is_blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

/* Applies one parsed event. Returns TAMIS_OK, TAMIS_ELIMIT / TAMIS_EINPUT for a
 * record-level problem (the caller rejects it), or a fatal store error. */
static int apply_event(tamis_ingest *ing, file_run *fr, const tamis_event *ev, tamis_ingest_summary *sum,
                       tamis_error *err)
{
    const tamis_str *t = ev->text;
    tamis_state_event se;
    uint8_t platform;
    uint32_t idx;
    bool created = false;
    ingest_entry *e;
    int rc;

    if (ev->has_value && !(ev->value >= -TAMIS_MAX_ABS_VALUE && ev->value <= TAMIS_MAX_ABS_VALUE))
        return tamis_error_set(err, TAMIS_EINPUT, "value %g out of range (|value| <= %g)", ev->value,
                               TAMIS_MAX_ABS_VALUE);
    if (t[TAMIS_FIELD_PLATFORM].len)
        rc = ingest_platform(ing, fr->txn, t[TAMIS_FIELD_PLATFORM].ptr, t[TAMIS_FIELD_PLATFORM].len, &platform, err);
    else
        rc = ingest_platform(ing, fr->txn, "unknown", 7, &platform, err);
    if (rc)
        return rc;
    if (t[TAMIS_FIELD_USER].len) {
        if ((rc = ingest_entry_for_key(ing, fr->txn, t[TAMIS_FIELD_USER].ptr, t[TAMIS_FIELD_USER].len, &idx,
                                       &created, err)) != 0)
            return rc;
        if (t[TAMIS_FIELD_PLATFORM_ID].len && t[TAMIS_FIELD_PLATFORM].len &&
            (rc = ingest_learn_identity(ing, fr->txn, idx, platform, t[TAMIS_FIELD_PLATFORM_ID].ptr,
                                        t[TAMIS_FIELD_PLATFORM_ID].len, err)) != 0)
            return rc;
    } else {
        size_t before = tamis_strmap_count(ing->by_key);
        if ((rc = ingest_entry_for_identity(ing, fr->txn, platform, t[TAMIS_FIELD_PLATFORM_ID].ptr,
                                            t[TAMIS_FIELD_PLATFORM_ID].len, &idx, err)) != 0)
            return rc;
        created = tamis_strmap_count(ing->by_key) > before && ing->entries[idx].is_new;
    }
    if (created)
        sum->new_users++;
    e = &ing->entries[idx];
    if ((rc = ingest_entry_load(ing, fr->txn, e, err)) != 0)
        return rc;

    memset(&se, 0, sizeof se);
    se.ts_ms = ev->ts_ms;
    se.platform = platform;
    se.kind = ev->kind;
    se.has_value = ev->has_value;
    se.value = ev->value;
    if (t[TAMIS_FIELD_ID].len) {
        se.has_id = true;
        se.id_hash = XXH3_64bits(t[TAMIS_FIELD_ID].ptr, t[TAMIS_FIELD_ID].len);
    }
#define TAKE(field, name)                    \
    se.name = t[TAMIS_FIELD_##field].ptr;    \
    se.name##_len = t[TAMIS_FIELD_##field].len;
    TAKE(GROUP, group)
    TAKE(DEVICE, device)
    TAKE(FIELD, field)
    TAKE(CAMPAIGN, campaign)
    TAKE(CAMPAIGN_TYPE, campaign_type)
    TAKE(COUNTRY, country)
    TAKE(REASON, reason)
#undef TAKE
    if (tamis_user_state_apply(&e->st, &se, tamis_store_retention_days(ing->store)) == TAMIS_DUPLICATE) {
        fr->batch_duplicates++;
        sum->duplicates++;
        return TAMIS_OK;
    }
    if (!e->dirty) {
        e->dirty = true;
        ing->dirty = tamis_grow(ing->dirty, sizeof *ing->dirty, &ing->cap_dirty, ing->n_dirty + 1);
        ing->dirty[ing->n_dirty++] = idx;
    }
    fr->batch_accepted++;
    sum->accepted++;
    if (!fr->have_ts || ev->ts_ms < fr->ts_min)
        fr->ts_min = ev->ts_ms;
    if (!fr->have_ts || ev->ts_ms > fr->ts_max)
        fr->ts_max = ev->ts_ms;
    fr->have_ts = true;
    return TAMIS_OK;
}

/* Decides the format from the first record and prepares the parser (reading the CSV
 * header). Returns TAMIS_EINPUT for an unusable header. */
static int start_parser(tamis_ingest *ing, file_run *fr, const char *rec, size_t len, tamis_error *err)
{
    tamis_format fmt = ing->opts.format;
    if (fmt == TAMIS_FORMAT_AUTO) {
        size_t i = 0;
        while (i < len && (rec[i] == ' ' || rec[i] == '\t'))
            i++;
        if (len >= 3 && (uint8_t)rec[0] == 0xEF && (uint8_t)rec[1] == 0xBB && (uint8_t)rec[2] == 0xBF)
            i = 3;
        fmt = (i < len && rec[i] == '{') ? TAMIS_FORMAT_NDJSON : TAMIS_FORMAT_CSV;
    }
    fr->format = fmt;
    fr->parser = tamis_event_parser_new(fmt, warn_to_messages, ing);
    if (fmt == TAMIS_FORMAT_CSV) {
        tamis_reader_set_csv(fr->reader, true);
        if (len >= 3 && (uint8_t)rec[0] == 0xEF && (uint8_t)rec[1] == 0xBB && (uint8_t)rec[2] == 0xBF) {
            rec += 3; /* UTF-8 byte order mark */
            len -= 3;
        }
        int rc = tamis_event_parser_header(fr->parser, rec, len, err);
        if (rc)
            tamis_error_prefix(err, "%s:%llu: header", fr->path, (unsigned long long)tamis_reader_line(fr->reader));
        return rc;
    }
    return TAMIS_OK;
}

/* Reads the first non-blank record, picks the parser, and positions the reader where
 * event records start: after the CSV header, or back at the first NDJSON object; on a
 * resume, at the ledger's committed offset. *empty is set for a file with no records. */
static int begin_file(tamis_ingest *ing, file_run *fr, bool *empty, tamis_error *err)
{
    const char *rec;
    size_t len;
    bool eof;
    int rc;

    *empty = false;
    do {
        if ((rc = tamis_reader_next(fr->reader, &rec, &len, &eof, err)) != 0)
            return rc;
        if (eof) {
            *empty = true;
            return TAMIS_OK;
        }
    } while (is_blank(rec, len));
    if ((rc = start_parser(ing, fr, rec, len, err)) != 0)
        return rc;
    if (fr->ledger.committed_offset > tamis_reader_offset(fr->reader))
        return tamis_reader_skip_to(fr->reader, fr->ledger.committed_offset, fr->ledger.committed_line, err);
    if (fr->format == TAMIS_FORMAT_NDJSON)
        return tamis_reader_skip_to(fr->reader, 0, 0, err);
    return TAMIS_OK;
}

static int process_records(tamis_ingest *ing, file_run *fr, tamis_ingest_summary *sum, tamis_progress *bar,
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

        rc = tamis_reader_next(fr->reader, &rec, &len, &eof, &rec_err);
        if (rc == TAMIS_ELIMIT) {
            fr->batch_rejected++;
            reject(ing, fr->path, tamis_reader_line(fr->reader), rec_err.msg, rec, len, sum);
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
        rc = tamis_event_parse(fr->parser, rec, len, &ev, &rec_err);
        if (rc == TAMIS_OK)
            rc = apply_event(ing, fr, &ev, sum, &rec_err);
        if (rc == TAMIS_EINPUT || rc == TAMIS_ELIMIT) {
            fr->batch_rejected++;
            reject(ing, fr->path, tamis_reader_line(fr->reader), rec_err.msg, rec, len, sum);
        } else if (rc) {
            *err = rec_err;
            tamis_error_prefix(err, "%s:%llu", fr->path, (unsigned long long)tamis_reader_line(fr->reader));
            return rc;
        } else if (ing->opts.keep_raw) {
            tamis_put_bytes(&ing->raw_buf, rec, len);
            tamis_put_u8(&ing->raw_buf, '\n');
        }
    next:
        if (ing->session_rejected > ing->opts.max_errors)
            return tamis_error_set(err, TAMIS_ELIMIT, "more than %llu rejected records (--max-errors)",
                                   (unsigned long long)ing->opts.max_errors);
        if (++fr->batch_events >= ing->opts.batch_events && (rc = commit_batch(ing, fr, false, true, err)) != 0)
            return rc;
        if (++since_progress >= PROGRESS_EVERY) {
            since_progress = 0;
            tamis_progress_update(bar, tamis_reader_bytes_in(fr->reader), sum->records);
        }
    }
}

static void hex16(const uint8_t h[16], char out[33])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = digits[h[i] >> 4];
        out[2 * i + 1] = digits[h[i] & 15];
    }
    out[32] = '\0';
}

/* Looks the file up in the ledger. Sets *skip for a file already fully ingested;
 * for an interrupted one, truncates the rejects file and raw archive back to what the
 * last committed batch left. */
static int consult_ledger(tamis_ingest *ing, file_run *fr, bool *skip, tamis_error *err)
{
    tamis_txn *txn;
    uint64_t size;
    int rc;

    *skip = false;
    if (!strcmp(fr->path, "-") || tamis_reader_file_size(fr->reader) == 0)
        return TAMIS_OK; /* stdin and pipes: no ledger, event ids dedupe */
    if ((rc = tamis_file_hash(fr->path, fr->hash, &size, err)) != 0)
        return rc;
    fr->has_ledger = true;
    if ((rc = tamis_txn_begin(ing->store, false, &txn, err)) != 0)
        return rc;
    rc = tamis_ledger_get(txn, fr->hash, &fr->ledger, err);
    tamis_txn_abort(txn);
    if (rc == TAMIS_ENOTFOUND) {
        /* Record where the rejects file ends before this file adds to it, so that a
         * run killed before its first commit can be cleaned up by the next one. */
        struct stat sb;
        memset(&fr->ledger, 0, sizeof fr->ledger);
        fr->ledger.size_bytes = size;
        fr->ledger.rejects_size = stat(ing->rejects_path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
        fr->ledger.rejects_path_hash = ing->rejects_path_hash;
        if ((rc = tamis_txn_begin(ing->store, true, &txn, err)) != 0)
            return rc;
        if ((rc = tamis_ledger_put(txn, fr->hash, &fr->ledger, err)) != 0) {
            tamis_txn_abort(txn);
            return rc;
        }
        return tamis_txn_commit(txn, err);
    }
    if (rc)
        return rc;
    if (fr->ledger.complete) {
        *skip = true;
        return TAMIS_OK;
    }
    if (fr->ledger.rejects_path_hash == ing->rejects_path_hash &&
        (rc = truncate_to(ing->rejects_path, fr->ledger.rejects_size, err)) != 0)
        return rc;
    return TAMIS_OK;
}

static int open_raw_archive(tamis_ingest *ing, file_run *fr, tamis_error *err)
{
    char name[64], *dir;
    dir = join_path(tamis_store_dir(ing->store), "raw");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        int rc = tamis_error_set(err, TAMIS_EIO, "cannot create %s: %s", dir, strerror(errno));
        tamis_free(dir);
        return rc;
    }
    if (fr->has_ledger) {
        char hex[33];
        hex16(fr->hash, hex);
        snprintf(name, sizeof name, "%s.zst", hex);
    } else {
        snprintf(name, sizeof name, "stdin-%lld.zst", (long long)time(NULL));
    }
    fr->raw_path = join_path(dir, name);
    tamis_free(dir);
    if (fr->has_ledger)
        return truncate_to(fr->raw_path, fr->ledger.raw_size, err);
    return TAMIS_OK;
}

int tamis_ingest_file(tamis_ingest *ing, const char *path, tamis_ingest_summary *sum, tamis_error *err)
{
    file_run fr;
    tamis_progress *bar = NULL;
    double t0 = now_seconds();
    bool skip, empty;
    int rc;

    memset(&fr, 0, sizeof fr);
    fr.path = path;
    if ((rc = tamis_reader_open(path, &fr.reader, err)) != 0)
        return rc;
    if ((rc = consult_ledger(ing, &fr, &skip, err)) != 0)
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
    if (ing->opts.keep_raw && (rc = open_raw_archive(ing, &fr, err)) != 0)
        goto done;
    if ((rc = begin_file(ing, &fr, &empty, err)) != 0)
        goto done;
    bar = tamis_progress_new(path, tamis_reader_file_size(fr.reader), ing->opts.progress);
    if ((rc = tamis_txn_begin(ing->store, true, &fr.txn, err)) != 0)
        goto done;
    if (!empty)
        rc = process_records(ing, &fr, sum, bar, err);
    if (rc == TAMIS_OK || rc == TAMIS_ELIMIT) {
        tamis_error keep = *err;
        int crc = commit_batch(ing, &fr, rc == TAMIS_OK, false, err);
        if (crc)
            rc = crc;
        else if (rc == TAMIS_ELIMIT)
            *err = keep;
    }
done:
    if (fr.txn)
        tamis_txn_abort(fr.txn);
    tamis_progress_finish(bar);
    tamis_progress_free(bar);
    if (fr.parser)
        tamis_event_parser_free(fr.parser);
    if (fr.raw)
        fclose(fr.raw);
    tamis_free(fr.raw_path);
    tamis_reader_close(fr.reader);
    sum->seconds += now_seconds() - t0;
    return rc;
}
