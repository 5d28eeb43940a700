/* contacts_import.c — merging contact rows into stored contacts, the phone index and
 * the identity map (see include/tamis/contacts_import.h). */
#include "tamis/contacts_import.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tamis/alloc.h"
#include "tamis/contact_record.h"
#include "tamis/contacts.h"
#include "tamis/limits.h"
#include "tamis/phone.h"
#include "tamis/progress.h"
#include "tamis/reader.h"
#include "tamis/tz.h"
#include "store/contacts_batch.h"
#include "util/bytes.h"
#include "util/workpool.h"

typedef struct import_run {
    tamis_store *store;
    const tamis_import_options *opts;
    tamis_import_summary *sum;
    const char *path;
    tamis_txn *txn;
    FILE *rejects, *warnings;
    char *rejects_path, *warnings_path;
    tamis_wbuf buf;
    uint64_t shown;
} import_run;

static char *data_file(tamis_store *s, const char *name)
{
    size_t n = strlen(tamis_store_dir(s)) + strlen(name) + 2;
    char *p = tamis_malloc(n);
    snprintf(p, n, "%s/%s", tamis_store_dir(s), name);
    return p;
}

static int open_append(FILE **fp, const char *path, tamis_error *err)
{
    if (*fp)
        return TAMIS_OK;
    *fp = fopen(path, "ab");
    if (!*fp)
        return tamis_error_set(err, TAMIS_EIO, "cannot open %s: %s", path, strerror(errno));
    return TAMIS_OK;
}

static void echo(import_run *run, const char *what, uint64_t line, const char *msg)
{
    if (run->opts->messages && run->shown < 10) {
        fprintf(run->opts->messages, "tamis: %s:%llu: %s: %s\n", run->path, (unsigned long long)line, what, msg);
        if (++run->shown == 10)
            fprintf(run->opts->messages, "tamis: further messages only in %s and %s\n", run->rejects_path,
                    run->warnings_path);
    }
}

static int warn(import_run *run, uint64_t line, tamis_error *err, const char *fmt, ...) TAMIS_PRINTF(4, 5);
static int warn(import_run *run, uint64_t line, tamis_error *err, const char *fmt, ...)
{
    char msg[TAMIS_ERROR_MSG_MAX];
    va_list ap;
    int rc;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if ((rc = open_append(&run->warnings, run->warnings_path, err)) != 0)
        return rc;
    fprintf(run->warnings, "%s:%llu: %s\n", run->path, (unsigned long long)line, msg);
    run->sum->warnings++;
    echo(run, "warning", line, msg);
    return TAMIS_OK;
}

static int reject_row(import_run *run, uint64_t line, const char *reason, const char *raw, size_t len,
                      tamis_error *err)
{
    size_t cut = len > TAMIS_REJECT_RAW_BYTES ? TAMIS_REJECT_RAW_BYTES : len;
    int rc = open_append(&run->rejects, run->rejects_path, err);
    if (rc)
        return rc;
    if (run->opts->on_reject)
        run->opts->on_reject(run->opts->hook_ctx, line, reason);
    fprintf(run->rejects, "%s:%llu: %s: ", run->path, (unsigned long long)line, reason);
    for (size_t i = 0; i < cut; i++) {
        char c = raw[i];
        if (c == '\n')
            fputs("\\n", run->rejects);
        else if (c == '\r')
            fputs("\\r", run->rejects);
        else if (c == '\t')
            fputs("\\t", run->rejects);
        else if (c == '\\')
            fputs("\\\\", run->rejects);
        else
            fputc(c, run->rejects);
    }
    fputc('\n', run->rejects);
    run->sum->rejected++;
    echo(run, "rejected", line, reason);
    return TAMIS_OK;
}

static int load_contact(tamis_txn *txn, uint32_t uid, tamis_contact *c, tamis_error *err)
{
    const void *data;
    size_t len;
    int rc = tamis_user_record_get(txn, uid, &data, &len, err);
    return rc ? rc : tamis_contact_decode(c, data, len, err);
}

static int save_contact(import_run *run, uint32_t uid, const tamis_contact *c, tamis_error *err)
{
    size_t len;
    tamis_contact_encode(c, &run->buf.buf, &run->buf.cap, &len);
    return tamis_user_record_put(run->txn, uid, run->buf.buf, len, err);
}

/* Moves the placeholder user `other` (auto-created by ingest) into uid / c: identities,
 * activity; then deletes it. */
static int take_over_placeholder(import_run *run, uint32_t uid, tamis_contact *c, uint32_t other,
                                 tamis_error *err)
{
    tamis_contact oc;
    tamis_user_state mine, theirs;
    uint32_t retention = tamis_store_retention_days(run->store);
    size_t len;
    int rc;

    if ((rc = load_contact(run->txn, other, &oc, err)) != 0)
        return rc;
    for (size_t i = 0; i < oc.n_ids && rc == 0; i++) {
        tamis_contact_add_identity(c, oc.ids[i].platform, oc.ids[i].id, strlen(oc.ids[i].id), oc.ids[i].learned);
        rc = tamis_identity_put(run->txn, oc.ids[i].platform, oc.ids[i].id, strlen(oc.ids[i].id), uid, err);
    }
    tamis_contact_free(&oc);
    if (rc)
        return rc;
    if ((rc = tamis_activity_get(run->txn, uid, &mine, err)) != 0)
        return rc;
    if ((rc = tamis_activity_get(run->txn, other, &theirs, err)) != 0) {
        tamis_user_state_free(&mine);
        return rc;
    }
    tamis_user_state_merge(&mine, &theirs, retention);
    tamis_user_state_encode(&mine, retention, &run->buf.buf, &run->buf.cap, &len);
    rc = tamis_activity_put(run->txn, uid, run->buf.buf, len, false, err);
    tamis_user_state_free(&mine);
    tamis_user_state_free(&theirs);
    if (rc)
        return rc;
    run->sum->placeholders_merged++;
    return tamis_user_delete(run->txn, other, err);
}

static int apply_identities(import_run *run, uint64_t line, const tamis_contact_row *row, uint32_t uid,
                            tamis_contact *c, tamis_error *err)
{
    for (size_t i = 0; i < row->n_ids; i++) {
        const tamis_contact_pair *p = &row->ids[i];
        uint8_t platform;
        uint32_t owner;
        int rc = tamis_platform_intern(run->txn, p->key.ptr, p->key.len, &platform, err);
        if (rc)
            return rc;
        rc = tamis_identity_lookup(run->txn, platform, p->value.ptr, p->value.len, &owner, err);
        if (rc == TAMIS_ENOTFOUND) {
            if ((rc = tamis_identity_put(run->txn, platform, p->value.ptr, p->value.len, uid, err)) != 0)
                return rc;
            tamis_contact_add_identity(c, platform, p->value.ptr, p->value.len, false);
            run->sum->identities_added++;
        } else if (rc) {
            return rc;
        } else if (owner != uid) {
            tamis_contact oc;
            bool placeholder;
            if ((rc = load_contact(run->txn, owner, &oc, err)) != 0)
                return rc;
            placeholder = oc.auto_created;
            if (!placeholder)
                rc = warn(run, line, err, "%.*s_id %.*s already belongs to user '%s'; not remapped to '%s'",
                          (int)p->key.len, p->key.ptr, (int)p->value.len, p->value.ptr, oc.key, c->key);
            tamis_contact_free(&oc);
            if (rc)
                return rc;
            if (placeholder) {
                if ((rc = take_over_placeholder(run, uid, c, owner, err)) != 0)
                    return rc;
            } else {
                run->sum->identity_conflicts++;
            }
        }
    }
    return TAMIS_OK;
}

/* pre: the row's phone parsed ahead (contacts_batch.c), used when its region fits. */
static int apply_phone(import_run *run, uint64_t line, const tamis_contact_row *row, uint32_t uid,
                       tamis_contact *c, const contacts_pending *pre, tamis_error *err)
{
    const char *region = c->country[0] ? c->country : run->opts->default_country;
    tamis_phone ph;
    tamis_error perr;
    uint32_t other;
    int rc;

    if (!row->phone.len)
        return TAMIS_OK;
    if (pre && contacts_pending_phone_fits(pre, c->country)) {
        ph = pre->phone;
        perr = pre->err;
        rc = pre->phone_rc;
    } else {
        rc = tamis_phone_parse(row->phone.ptr, row->phone.len, region, &ph, &perr);
    }
    if (rc != TAMIS_OK) {
        run->sum->phones_unparsable++;
        return warn(run, line, err, "user '%s': phone not stored: %s", c->key, perr.msg);
    }
    if (c->phone_e164 && strcmp(c->phone_e164, ph.e164) != 0 &&
        (rc = tamis_phone_index_remove(run->txn, c->phone_e164, uid, err)) != 0)
        return rc;
    tamis_contact_set_str(&c->phone_e164, ph.e164, strlen(ph.e164));
    c->phone_valid = ph.valid;
    c->phone_type = (uint8_t)ph.type;
    memcpy(c->phone_region, ph.region, sizeof c->phone_region);
    if (!ph.valid) {
        run->sum->phones_invalid++;
        return warn(run, line, err, "user '%s': phone %s is not a valid number%s%s", c->key, ph.e164,
                    region ? " in region " : "", region ? region : "");
    }
    run->sum->phones_valid++;
    if ((rc = tamis_phone_index_add(run->txn, ph.e164, uid, &other, err)) != 0)
        return rc;
    if (other != UINT32_MAX) {
        tamis_contact oc;
        if ((rc = load_contact(run->txn, other, &oc, err)) != 0)
            return rc;
        run->sum->duplicate_phones++;
        rc = warn(run, line, err, "duplicate phone %s: users '%s' and '%s' (kept apart, not merged)", ph.e164,
                  oc.key, c->key);
        tamis_contact_free(&oc);
        return rc;
    }
    return TAMIS_OK;
}

/* Validates the row's country and zone into c; TAMIS_EINPUT (row rejected) if bad. */
static int apply_place(const tamis_contact_row *row, tamis_contact *c, tamis_error *err)
{
    char country[3], tz[TAMIS_TZ_NAME_MAX];
    int rc;
    if (row->country.len) {
        if ((rc = tamis_country_normalize(row->country.ptr, row->country.len, country, err)) != 0)
            return rc;
        memcpy(c->country, country, 3);
    }
    if (row->tz.len) {
        if ((rc = tamis_tz_normalize(row->tz.ptr, row->tz.len, tz, err)) != 0)
            return rc;
        tamis_contact_set_str(&c->tz, tz, strlen(tz));
    }
    return TAMIS_OK;
}

static int import_row(import_run *run, uint64_t line, const tamis_contact_row *row, const char *raw,
                      size_t raw_len, const contacts_pending *pre, tamis_error *err)
{
    tamis_contact c;
    tamis_error rerr;
    uint32_t uid;
    bool created = false;
    int rc;

    /* Validate what can reject the row before touching the store. */
    tamis_contact_init(&c);
    if (apply_place(row, &c, &rerr) != TAMIS_OK) {
        tamis_contact_free(&c);
        return reject_row(run, line, rerr.msg, raw, raw_len, err);
    }
    tamis_contact_free(&c);

    rc = tamis_user_lookup(run->txn, row->user.ptr, row->user.len, &uid, err);
    if (rc == TAMIS_ENOTFOUND) {
        if ((rc = tamis_user_create(run->txn, row->user.ptr, row->user.len, &uid, err)) != 0)
            return rc;
        created = true;
    } else if (rc) {
        return rc;
    }
    if ((rc = load_contact(run->txn, uid, &c, err)) != 0)
        return rc;
    c.auto_created = false;
    if ((rc = apply_place(row, &c, err)) != 0)
        goto done;
    if (row->name.len)
        tamis_contact_set_str(&c.name, row->name.ptr, row->name.len);
    for (size_t i = 0; i < row->n_tags; i++)
        tamis_contact_add_tag(&c, row->tags[i].ptr, row->tags[i].len);
    for (size_t i = 0; i < row->n_attrs; i++)
        tamis_contact_set_attr(&c, row->attrs[i].key.ptr, row->attrs[i].key.len, row->attrs[i].value.ptr,
                               row->attrs[i].value.len);
    if ((rc = apply_phone(run, line, row, uid, &c, pre, err)) != 0)
        goto done;
    if ((rc = apply_identities(run, line, row, uid, &c, err)) != 0)
        goto done;
    rc = save_contact(run, uid, &c, err);
    if (created)
        run->sum->new_users++;
    else
        run->sum->updated_users++;
done:
    tamis_contact_free(&c);
    return rc;
}

static int flush_files(import_run *run, tamis_error *err)
{
    FILE *files[2] = {run->rejects, run->warnings};
    for (int i = 0; i < 2; i++)
        if (files[i] && (fflush(files[i]) != 0 || fsync(fileno(files[i])) != 0))
            return tamis_error_set(err, TAMIS_EIO, "cannot write rejects/warnings: %s", strerror(errno));
    return TAMIS_OK;
}

/* Applies one gathered batch in file order, committing every
 * TAMIS_CONTACT_BATCH_ROWS rows (*in_txn counts the rows of the open transaction). */
static int apply_batch(import_run *run, tamis_reader *rd, tamis_contacts_parser *parser, const contacts_batch *b,
                       tamis_progress *bar, uint64_t *in_txn, tamis_error *err)
{
    for (size_t i = 0; i < b->n; i++) {
        const contacts_pending *p = &b->rows[i];
        const char *rec = contacts_pending_record(b, p);
        tamis_contact_row row;
        tamis_error rerr;
        int rc;

        if (p->too_long) {
            if ((rc = reject_row(run, p->line, p->err.msg, rec, p->len, err)) != 0)
                return rc;
            continue;
        }
        run->sum->rows++;
        rc = tamis_contacts_parse(parser, rec, p->len, &row, &rerr);
        if (rc == TAMIS_OK)
            rc = import_row(run, p->line, &row, rec, p->len, p, err);
        else if (rc == TAMIS_EINPUT || rc == TAMIS_ELIMIT)
            rc = reject_row(run, p->line, rerr.msg, rec, p->len, err);
        if (rc)
            return rc;
        if (run->sum->rejected > run->opts->max_errors)
            return tamis_error_set(err, TAMIS_ELIMIT, "more than %llu rejected rows (--max-errors)",
                                   (unsigned long long)run->opts->max_errors);
        if (++*in_txn >= TAMIS_CONTACT_BATCH_ROWS) {
            *in_txn = 0;
            if ((rc = flush_files(run, err)) != 0 || (rc = tamis_txn_commit(run->txn, err)) != 0) {
                if (rc && run->txn)
                    tamis_txn_abort(run->txn);
                run->txn = NULL;
                return rc;
            }
            run->txn = NULL;
            if ((rc = tamis_txn_begin(run->store, true, &run->txn, err)) != 0)
                return rc;
            tamis_progress_update(bar, tamis_reader_bytes_in(rd), run->sum->rows);
        }
    }
    return TAMIS_OK;
}

/* Reads batch N+1 and parses its phones on the pool while batch N is applied. */
static int run_rows(import_run *run, tamis_reader *rd, tamis_contacts_parser *parser, tamis_progress *bar,
                    tamis_error *err)
{
    contacts_batch batches[2];
    tamis_workpool *pool = tamis_workpool_new(tamis_cpu_count(8));
    bool have_header = false;
    uint64_t in_txn = 0;
    int cur = 0, rc;

    memset(batches, 0, sizeof batches);
    rc = contacts_batch_gather(&batches[0], rd, parser, &have_header, run->path, run->opts->default_country, err);
    if (rc == 0)
        contacts_batch_parse_phones(&batches[0], pool);
    while (rc == 0) {
        contacts_batch *now = &batches[cur], *next = &batches[1 - cur];
        next->n = 0;
        if (!now->eof)
            rc = contacts_batch_gather(next, rd, parser, &have_header, run->path, run->opts->default_country, err);
        tamis_workpool_wait(pool); /* now's phones are parsed */
        if (rc)
            break;
        if (next->n)
            contacts_batch_parse_phones(next, pool);
        if ((rc = apply_batch(run, rd, parser, now, bar, &in_txn, err)) != 0 || now->eof)
            break;
        cur = 1 - cur;
    }
    tamis_workpool_free(pool); /* waits for a batch still being parsed */
    contacts_batch_free(&batches[0]);
    contacts_batch_free(&batches[1]);
    return rc;
}

int tamis_import_contacts(tamis_store *store, const char *path, const tamis_import_options *opts,
                          tamis_import_summary *sum, tamis_error *err)
{
    import_run run;
    tamis_reader *rd = NULL;
    tamis_contacts_parser *parser = NULL;
    tamis_progress *bar = NULL;
    struct timespec t0, t1;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(&run, 0, sizeof run);
    run.store = store;
    run.opts = opts;
    run.sum = sum;
    run.path = path;
    run.rejects_path = opts->rejects_path ? tamis_strdup(opts->rejects_path) : data_file(store, "rejects.log");
    run.warnings_path = opts->warnings_path ? tamis_strdup(opts->warnings_path) : data_file(store, "warnings.log");
    rc = opts->data ? tamis_reader_open_memory(path, opts->data, opts->data_len, &rd, err)
                    : tamis_reader_open(path, &rd, err);
    if (rc)
        goto done;
    tamis_reader_set_csv(rd, true);
    parser = tamis_contacts_parser_new();
    bar = tamis_progress_new(path, tamis_reader_file_size(rd), opts->progress);
    if ((rc = tamis_txn_begin(store, true, &run.txn, err)) != 0)
        goto done;
    rc = run_rows(&run, rd, parser, bar, err);
    if (run.txn && (rc == TAMIS_OK || rc == TAMIS_ELIMIT)) {
        tamis_error keep = *err;
        int crc = flush_files(&run, err);
        if (!crc)
            crc = tamis_txn_commit(run.txn, err);
        else
            tamis_txn_abort(run.txn);
        run.txn = NULL;
        if (crc)
            rc = crc;
        else if (rc == TAMIS_ELIMIT)
            *err = keep;
    }
done:
    if (run.txn)
        tamis_txn_abort(run.txn);
    tamis_progress_finish(bar);
    tamis_progress_free(bar);
    tamis_contacts_parser_free(parser);
    tamis_reader_close(rd);
    if (run.rejects)
        fclose(run.rejects);
    if (run.warnings)
        fclose(run.warnings);
    tamis_free(run.rejects_path);
    tamis_free(run.warnings_path);
    tamis_free(run.buf.buf);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    sum->seconds += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return rc;
}
