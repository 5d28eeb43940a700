/* routes_write.c — the write routes of `tamis serve`: POST /v1/events, POST
 * /v1/contacts and DELETE /v1/users/{key} (erasure). Bodies are turned into the text
 * the file paths read (NDJSON or CSV) and handed to the writer (server_writer.c),
 * which answers after the commit: a 200 means the accepted records are durable. */
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/render.h"
#include "server_int.h"
#include "tamis/alloc.h"

#define ERRORS_LISTED 1000 /* per-record errors in one answer; more are only counted */

/* Per-record errors of one request, for its answer. */
typedef struct record_errors {
    json_t *list;
    const char *unit;   /* "line" or "index" (of a JSON array's element) */
    long long base;     /* added to the reader's line number */
    uint64_t more;      /* errors past ERRORS_LISTED */
} record_errors;

static void note_error(record_errors *e, uint64_t line, const char *reason)
{
    if (json_array_size(e->list) >= ERRORS_LISTED) {
        e->more++;
        return;
    }
    json_array_append_new(e->list, json_pack("{s:I,s:s}", e->unit, (json_int_t)((long long)line + e->base),
                                             "error", reason));
}

static void on_reject(void *ctx, uint64_t line, const char *reason)
{
    note_error(ctx, line, reason);
}

static bool content_type_is(struct MHD_Connection *c, const char *type)
{
    const char *v = srv_header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
    return v && strncasecmp(v, type, strlen(type)) == 0;
}

/* A JSON array's elements as NDJSON (one compact object per line: element i is line
 * i + 1). NULL with *why set when the body is not a JSON array. */
static char *array_to_ndjson(const char *body, size_t len, size_t *out_len, char *why, size_t why_cap)
{
    json_error_t jerr;
    json_t *arr = json_loadb(body, len, 0, &jerr), *v;
    char *text = NULL;
    size_t i, n = 0;
    FILE *out;
    if (!json_is_array(arr)) {
        if (arr)
            snprintf(why, why_cap, "the body must be a JSON array of events (or NDJSON)");
        else
            snprintf(why, why_cap, "bad JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        json_decref(arr);
        return NULL;
    }
    out = open_memstream(&text, &n);
    json_array_foreach(arr, i, v)
    {
        char *line = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
        fputs(line ? line : "null", out);
        fputc('\n', out);
        free(line); /* jansson's allocator */
    }
    fclose(out);
    json_decref(arr);
    *out_len = n;
    return text;
}

/* The answer of an events request, once the committer resumed its connection. */
static enum MHD_Result events_answer(tamis_server *s, struct MHD_Connection *c, srv_request *req)
{
    srv_event_job *job = req->job;
    record_errors *errs = job->errors;
    const tamis_ingest_summary *sum = &job->part.sum;
    enum MHD_Result ok;
    json_t *doc;

    if (job->part.rc == TAMIS_EINPUT) /* an unusable CSV header: nothing was read */
        ok = srv_send_error(s, c, req, 400, "bad_input", job->part.err.msg);
    else if (job->part.rc)
        ok = srv_send_error(s, c, req, 500, "store", job->part.err.msg);
    else {
        doc = json_pack("{s:I,s:I,s:I,s:I,s:I,s:O}", "records", (json_int_t)sum->records, "accepted",
                        (json_int_t)sum->accepted, "duplicate", (json_int_t)sum->duplicates, "rejected",
                        (json_int_t)sum->rejected, "new_users", (json_int_t)sum->new_users, "errors", errs->list);
        if (errs->more)
            json_object_set_new(doc, "errors_not_listed", json_integer((json_int_t)errs->more));
        ok = srv_send_json(s, c, req, 200, doc);
    }
    srv_free_job(job);
    req->job = NULL;
    return ok;
}

void srv_free_job(srv_event_job *job)
{
    record_errors *errs;
    if (!job)
        return;
    errs = job->errors;
    json_decref(errs->list);
    tamis_free(errs);
    free(job->converted); /* open_memstream's buffer, from libc */
    tamis_free((char *)job->part.name);
    tamis_free(job);
}

enum MHD_Result srv_post_events(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
{
    srv_event_job *job;
    record_errors *errs;
    tamis_format format = TAMIS_FORMAT_NDJSON;
    char name[64], why[256];
    const char *data = req->body ? req->body : "";
    char *converted = NULL;
    size_t len = req->len;

    if (req->job) { /* resumed: the commit is done */
        (void)srv_writer_job_done(s->writer, req->job); /* (its lock orders the committer's writes first) */
        return events_answer(s, c, req);
    }
    if (content_type_is(c, "application/json")) {
        if (!(converted = array_to_ndjson(data, len, &len, why, sizeof why)))
            return srv_send_error(s, c, req, 400, "bad_json", why);
        data = converted;
    } else if (content_type_is(c, "text/csv")) {
        format = TAMIS_FORMAT_CSV;
    }
    errs = tamis_calloc(1, sizeof *errs);
    *errs = (record_errors){.list = json_array(), .unit = converted ? "index" : "line", .base = converted ? -1 : 0};
    snprintf(name, sizeof name, "POST /v1/events by key %s", req->key.id);
    job = tamis_calloc(1, sizeof *job);
    job->conn = c;
    job->converted = converted;
    job->errors = errs;
    job->part.name = tamis_strdup(name);
    job->part.data = data;
    job->part.len = len;
    job->part.opts = (tamis_ingest_buffer_options){.format = format, .on_reject = on_reject, .ctx = errs,
                                                   .ids_from_bytes = true};
    req->job = job;
    if (!srv_writer_submit(s->writer, job)) {
        req->job = NULL;
        srv_free_job(job);
        return srv_send_error(s, c, req, 503, "stopping", "the server is stopping; retry against its successor");
    }
    return MHD_YES; /* suspended until the committer resumes the connection */
}

/* ------------------------------------------------------------------------------------
 * Contacts: JSON objects -> the contacts CSV
 * ------------------------------------------------------------------------------------ */

/* One JSON value as CSV cell text; false for a value a cell cannot hold. Arrays of
 * strings (tags) are joined with ';'. */
static bool write_cell(FILE *out, json_t *v)
{
    char num[64];
    if (json_is_null(v))
        return true;
    if (json_is_string(v)) {
        tamis_render_csv_string(out, json_string_value(v));
        return true;
    }
    if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        fputs(num, out);
        return true;
    }
    if (json_is_real(v)) {
        snprintf(num, sizeof num, "%.17g", json_real_value(v));
        fputs(num, out);
        return true;
    }
    if (json_is_boolean(v)) {
        fputs(json_is_true(v) ? "true" : "false", out);
        return true;
    }
    if (json_is_array(v)) {
        char *joined = NULL;
        size_t n = 0, i;
        json_t *item;
        FILE *j = open_memstream(&joined, &n);
        bool ok = true;
        json_array_foreach(v, i, item)
        {
            if (!json_is_string(item) || strchr(json_string_value(item), ';'))
                ok = false;
            else
                fprintf(j, "%s%s", i ? ";" : "", json_string_value(item));
        }
        fclose(j);
        if (ok)
            tamis_render_csv_string(out, joined);
        free(joined); /* open_memstream's buffer */
        return ok;
    }
    return false;
}

/* The contacts as CSV text: columns are the objects' keys in first-seen order; row i
 * is line i + 2. NULL with why set for a body that is not an array of flat objects. */
static char *contacts_to_csv(const char *body, size_t len, size_t *out_len, char *why, size_t why_cap)
{
    json_error_t jerr;
    json_t *arr = json_loadb(body, len, 0, &jerr), *cols, *obj, *v;
    char *text = NULL;
    size_t i, j, n = 0;
    const char *k;
    FILE *out;
    if (!json_is_array(arr)) {
        if (arr)
            snprintf(why, why_cap, "the body must be a JSON array of contact objects");
        else
            snprintf(why, why_cap, "bad JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        json_decref(arr);
        return NULL;
    }
    cols = json_object();
    json_array_foreach(arr, i, obj)
    {
        if (!json_is_object(obj)) {
            snprintf(why, why_cap, "contact %zu is not an object", i);
            goto bad;
        }
        json_object_foreach(obj, k, v) if (!json_object_get(cols, k))
            json_object_set_new(cols, k, json_integer((json_int_t)json_object_size(cols)));
    }
    if (json_object_size(cols) == 0) {
        snprintf(why, why_cap, "no contacts: send a JSON array of objects with at least 'user'");
        goto bad;
    }
    out = open_memstream(&text, &n);
    j = 0;
    json_object_foreach(cols, k, v) /* insertion order: the first-seen order */
    {
        fputs(j++ ? "," : "", out);
        tamis_render_csv_string(out, k);
    }
    fputc('\n', out);
    json_array_foreach(arr, i, obj)
    {
        j = 0;
        json_object_foreach(cols, k, v)
        {
            json_t *cell = json_object_get(obj, k);
            fputs(j++ ? "," : "", out);
            if (cell && !write_cell(out, cell)) {
                fclose(out);
                free(text); /* open_memstream's buffer */
                snprintf(why, why_cap, "contact %zu: '%s' must be a string, number, boolean or list of strings", i,
                         k);
                goto bad;
            }
        }
        fputc('\n', out);
    }
    fclose(out);
    json_decref(cols);
    json_decref(arr);
    *out_len = n;
    return text;
bad:
    json_decref(cols);
    json_decref(arr);
    return NULL;
}

enum MHD_Result srv_post_contacts(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *rest)
{
    record_errors errs = {.list = json_array(), .unit = "index", .base = -2};
    tamis_import_summary sum;
    tamis_error err = {0};
    char name[64], why[256];
    const char *data = req->body ? req->body : "";
    char *converted = NULL;
    size_t len = req->len;
    json_t *doc;
    int rc;

    if (content_type_is(c, "text/csv")) {
        errs.unit = "line";
        errs.base = 0;
    } else if (!(converted = contacts_to_csv(data, len, &len, why, sizeof why))) {
        json_decref(errs.list);
        return srv_send_error(s, c, req, 400, "bad_json", why);
    } else {
        data = converted;
    }
    snprintf(name, sizeof name, "POST /v1/contacts by key %s", req->key.id);
    rc = srv_writer_contacts(s->writer, name, data, len, &errs, on_reject, &sum, &err);
    free(converted); /* open_memstream's buffer */
    if (rc == TAMIS_EINPUT) {
        json_decref(errs.list);
        return srv_send_error(s, c, req, 400, "bad_input", err.msg);
    }
    if (rc) {
        json_decref(errs.list);
        return srv_send_error(s, c, req, 500, "store", err.msg);
    }
    doc = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "rows", (json_int_t)sum.rows, "new_users",
                    (json_int_t)sum.new_users, "updated_users", (json_int_t)sum.updated_users, "rejected",
                    (json_int_t)sum.rejected, "warnings", (json_int_t)sum.warnings, "identities_added",
                    (json_int_t)sum.identities_added, "identity_conflicts", (json_int_t)sum.identity_conflicts,
                    "errors", errs.list);
    if (errs.more)
        json_object_set_new(doc, "errors_not_listed", json_integer((json_int_t)errs.more));
    return srv_send_json(s, c, req, 200, doc);
}

enum MHD_Result srv_delete_user(tamis_server *s, struct MHD_Connection *c, srv_request *req, const char *key)
{
    tamis_forget_summary sum;
    tamis_error err = {0};
    int rc = srv_writer_forget(s->writer, key, &sum, &err);
    if (rc == TAMIS_EBUSY)
        return srv_send_error(s, c, req, 503, "busy", err.msg);
    if (rc)
        return srv_send_error(s, c, req, 500, "store", err.msg);
    if (sum.users_not_found)
        return srv_send_error(s, c, req, 404, "unknown_user", "no such user");
    return srv_send_json(s, c, req, 200,
                         json_pack("{s:s,s:b,s:I,s:I}", "user", key, "erased", 1, "identities_removed",
                                   (json_int_t)sum.identities_removed, "lines_scrubbed",
                                   (json_int_t)sum.lines_scrubbed));
}
