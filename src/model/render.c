/* render.c — column values as CSV, JSON text and jansson values (see render.h).
 *
 * Doubles are written with %.17g, which reads back to the same double; CSV and JSON
 * writers are hand-written because export writes millions of rows and jansson would
 * allocate for every value. */
#define _GNU_SOURCE /* the *_unlocked stdio calls: one thread writes each stream */
#include "model/render.h"

#include <math.h>
#include <string.h>

#include "tamis/event.h"
#include "tamis/kinds.h"

/* Export writes millions of rows from one thread: skip stdio's per-call locking. */
#define fputc(c, f) fputc_unlocked((c), (f))
#define fputs(s, f) fputs_unlocked((s), (f))
#define fwrite(p, n, m, f) fwrite_unlocked((p), (n), (m), (f))

void tamis_render_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

void tamis_render_csv_string(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static const char *pname(const tamis_export_row *row, uint8_t id)
{
    const char *n = row->names ? row->names->name[id] : NULL;
    return n ? n : "?";
}

static void reason_text(const tamis_export_row *row, size_t i, char *buf, size_t cap)
{
    tamis_reason_text(&row->result->reasons[i], row->result, row->names, buf, cap);
}

/* Integers are written by hand: export writes ~100 values per row for millions of
 * rows, and printf's format parsing was most of its time. */
static void put_int(FILE *out, int64_t v)
{
    char buf[24], *p = buf + sizeof buf;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    fwrite(p, 1, (size_t)(buf + sizeof buf - p), out);
}

/* %.17g, which reads back to the same double; integral values (counts, rates of 0 or
 * 1) take the integer path, which prints what %.17g would. */
static void print_double(FILE *out, double d)
{
    char buf[32];
    int n;
    if (d == floor(d) && fabs(d) < 1e15 && !(d == 0 && signbit(d))) {
        put_int(out, (int64_t)d);
        return;
    }
    n = snprintf(buf, sizeof buf, "%.17g", d);
    fwrite(buf, 1, (size_t)n, out);
}

/* Writes sep (may be "") then v. */
static void put_sep_uint(FILE *out, const char *sep, uint64_t v)
{
    fputs(sep, out);
    put_int(out, (int64_t)v);
}

void tamis_render_csv(FILE *out, const tamis_value *v, const tamis_export_row *row)
{
    const tamis_features *f = row->features;
    char buf[256], when[64];
    switch (v->type) {
    case TAMIS_V_NULL: break;
    case TAMIS_V_BOOL: fputs(v->b ? "true" : "false", out); break;
    case TAMIS_V_INT: put_int(out, v->i); break;
    case TAMIS_V_DOUBLE: print_double(out, v->d); break;
    case TAMIS_V_STRING: tamis_render_csv_string(out, v->s); break;
    case TAMIS_V_TIME: tamis_format_utc(v->i, true, when); fputs(when, out); break;
    case TAMIS_V_HIST:
        for (int h = 0; h < 24; h++)
            put_sep_uint(out, h ? ";" : "", f->hour_hist_30[h]);
        break;
    case TAMIS_V_REASONS: {
        /* reasons never contain quotes or line breaks, but may contain commas */
        fputc('"', out);
        for (size_t i = 0; i < row->result->n_reasons; i++) {
            reason_text(row, i, buf, sizeof buf);
            fputs(i ? " | " : "", out);
            fputs(buf, out);
        }
        fputc('"', out);
        break;
    }
    case TAMIS_V_PLATFORMS:
        for (uint8_t i = 0; i < f->n_platforms; i++) {
            const tamis_platform_features *p = &f->platforms[i];
            fputs(i ? "|" : "", out);
            fputs(pname(row, p->platform), out);
            put_sep_uint(out, ":sent=", p->outbound_sent_30);
            put_sep_uint(out, ";delivered=", p->delivered_30);
            put_sep_uint(out, ";read=", p->read_30);
            put_sep_uint(out, ";reply=", p->reply_30);
            put_sep_uint(out, ";click=", p->click_30);
            put_sep_uint(out, ";failures=", p->consecutive_failures);
            put_sep_uint(out, ";usable=", p->usable);
        }
        break;
    }
}

static void json_num_or_null(FILE *out, double d)
{
    if (d != d)
        fputs("null", out);
    else
        print_double(out, d);
}

static void json_i32_or_null(FILE *out, int32_t i)
{
    if (i == TAMIS_NULL_I32)
        fputs("null", out);
    else
        put_int(out, i);
}

/* ,"key": (a member after the object's first, which is has_identity). */
static void key(FILE *out, const char *name)
{
    fputs(",\"", out);
    fputs(name, out);
    fputs("\":", out);
}

void tamis_render_platforms_json(FILE *out, const tamis_export_row *row, bool omit_nulls)
{
    const tamis_features *f = row->features;
    fputc('{', out);
    for (uint8_t i = 0; i < f->n_platforms; i++) {
        const tamis_platform_features *p = &f->platforms[i];
        const char *consent = tamis_platform_consent(p);
        const double rates[4] = {p->reply_rate_30, p->delivery_rate_30, p->read_rate_30, p->click_rate_30};
        static const char *const rate_names[4] = {"reply_rate_30", "delivery_rate_30", "read_rate_30",
                                                  "click_rate_30"};
        if (i)
            fputc(',', out);
        tamis_render_json_string(out, pname(row, p->platform));
        fputs(p->has_identity ? ":{\"has_identity\":true" : ":{\"has_identity\":false", out);
        put_sep_uint(out, ",\"activity_30\":", p->activity_30);
        put_sep_uint(out, ",\"outbound_sent_30\":", p->outbound_sent_30);
        put_sep_uint(out, ",\"delivered_30\":", p->delivered_30);
        put_sep_uint(out, ",\"read_30\":", p->read_30);
        put_sep_uint(out, ",\"reply_30\":", p->reply_30);
        put_sep_uint(out, ",\"click_30\":", p->click_30);
        for (int k = 0; k < 4; k++)
            if (!omit_nulls || rates[k] == rates[k]) {
                key(out, rate_names[k]);
                json_num_or_null(out, rates[k]);
            }
        if (!omit_nulls || p->days_since_seen != TAMIS_NULL_I32) {
            key(out, "days_since_seen");
            json_i32_or_null(out, p->days_since_seen);
        }
        put_sep_uint(out, ",\"consecutive_failures\":", p->consecutive_failures);
        if (!omit_nulls || p->last_failure_reason[0]) {
            key(out, "last_failure_reason");
            if (p->last_failure_reason[0])
                tamis_render_json_string(out, p->last_failure_reason);
            else
                fputs("null", out);
        }
        if (!omit_nulls || consent) {
            key(out, "consent");
            if (consent)
                tamis_render_json_string(out, consent);
            else
                fputs("null", out);
        }
        fputs(p->usable ? ",\"usable\":true}" : ",\"usable\":false}", out);
    }
    fputc('}', out);
}

void tamis_render_json(FILE *out, const tamis_value *v, const tamis_export_row *row)
{
    const tamis_features *f = row->features;
    char buf[256], when[64];
    switch (v->type) {
    case TAMIS_V_NULL: fputs("null", out); break;
    case TAMIS_V_BOOL: fputs(v->b ? "true" : "false", out); break;
    case TAMIS_V_INT: put_int(out, v->i); break;
    case TAMIS_V_DOUBLE: print_double(out, v->d); break;
    case TAMIS_V_STRING: tamis_render_json_string(out, v->s); break;
    case TAMIS_V_TIME: tamis_format_utc(v->i, true, when); tamis_render_json_string(out, when); break;
    case TAMIS_V_HIST:
        for (int h = 0; h < 24; h++)
            put_sep_uint(out, h ? "," : "[", f->hour_hist_30[h]);
        fputc(']', out);
        break;
    case TAMIS_V_REASONS:
        fputc('[', out);
        for (size_t i = 0; i < row->result->n_reasons; i++) {
            reason_text(row, i, buf, sizeof buf);
            if (i)
                fputc(',', out);
            tamis_render_json_string(out, buf);
        }
        fputc(']', out);
        break;
    case TAMIS_V_PLATFORMS: tamis_render_platforms_json(out, row, false); break;
    }
}

json_t *tamis_render_jansson(const tamis_value *v, const tamis_export_row *row)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    json_t *j;
    if (!mem)
        return json_null();
    tamis_render_json(mem, v, row);
    fclose(mem);
    j = json_loadb(text, len, JSON_DECODE_ANY, NULL);
    free(text); /* allocated by open_memstream, not by tamis */
    return j ? j : json_null();
}

json_t *tamis_render_row_object(const tamis_export_row *row)
{
    json_t *o = json_object();
    for (size_t c = 0; c < tamis_column_count(); c++) {
        tamis_value v;
        tamis_column_value(c, row, &v);
        json_object_set_new(o, tamis_column_name(c), tamis_render_jansson(&v, row));
    }
    return o;
}

void tamis_render_export_line(FILE *out, bool ndjson, const size_t *cols, size_t n, const tamis_export_row *row)
{
    if (ndjson)
        fputc('{', out);
    for (size_t i = 0; i < n; i++) {
        tamis_value v;
        tamis_column_value(cols[i], row, &v);
        if (i)
            fputc(',', out);
        if (ndjson) {
            tamis_render_json_string(out, tamis_column_name(cols[i]));
            fputc(':', out);
            tamis_render_json(out, &v, row);
        } else {
            tamis_render_csv(out, &v, row);
        }
    }
    fputs(ndjson ? "}\n" : "\n", out);
}

void tamis_render_export_header(FILE *out, const size_t *cols, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, i ? ",%s" : "%s", tamis_column_name(cols[i]));
    fputc('\n', out);
}

void tamis_render_row_json(FILE *out, const tamis_export_row *row)
{
    fputc('{', out);
    for (size_t c = 0; c < tamis_column_count(); c++) {
        tamis_value v;
        tamis_column_value(c, row, &v);
        if (c)
            fputc(',', out);
        tamis_render_json_string(out, tamis_column_name(c));
        fputc(':', out);
        tamis_render_json(out, &v, row);
    }
    fputc('}', out);
}
