/* csv.c — the event parser object and the CSV event format.
 *
 * First stage of the data flow: the reader (src/event/reader.c) cuts a file into records
 * (joining physical lines while a quote is open) and the ingest (src/store/ingest.c)
 * hands each one to tamis_event_parse(), which lands here. This file owns the parser object shared by both formats (creation,
 * dispatch to ndjson.c, the checks every event finishes with) and the RFC 4180 reader:
 * one pass over the record, unquoted fields borrowed from the caller's line, quoted
 * fields borrowed too unless they contain "" escapes, in which case they are unescaped
 * into the parser's scratch buffer. Nothing is allocated per record. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "event/event_int.h"
#include "tamis/alloc.h"
#include "tamis/event.h"
#include "tamis/kinds.h"
#include "tamis/limits.h"

/* ------------------------------------------------------------------------------------
 * The parser object
 * ---------------------------------------------------------------------------------- */

_Static_assert(TAMIS_EV_NAME_SLOTS >= 2 * (int)TAMIS_KIND__COUNT &&
                   TAMIS_EV_NAME_SLOTS >= 2 * (int)TAMIS_FIELD__COUNT,
               "name hash tables too small");

/* Inserts names[0..n) into slot[] (open addressing, linear probing) and records their
 * lengths. */
static void name_index_build(int8_t *slot, uint8_t *lens, const char *const *names, int n)
{
    memset(slot, -1, TAMIS_EV_NAME_SLOTS);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        unsigned h = tamis_ev_name_hash(names[i], len);
        while (slot[h] >= 0)
            h = (h + 1) & (TAMIS_EV_NAME_SLOTS - 1);
        slot[h] = (int8_t)i;
        lens[i] = (uint8_t)len;
    }
}

static void name_indexes_build(tamis_event_parser *p)
{
    for (int k = 0; k < TAMIS_KIND__COUNT; k++)
        p->kind_name[k] = tamis_kind_table[k].name;
    name_index_build(p->kind_slot, p->kind_len, p->kind_name, TAMIS_KIND__COUNT);
    for (int f = 0; f < TAMIS_FIELD__COUNT; f++)
        p->field_name[f] = tamis_field_name((tamis_field)f);
    name_index_build(p->field_slot, p->field_len, p->field_name, TAMIS_FIELD__COUNT);
}

/* tamis_kind_from_name through the parser's hash table (same answers). */
static int kind_lookup(const tamis_event_parser *p, const char *s, size_t len)
{
    if (len == 0 || len > UINT8_MAX)
        return -1;
    for (unsigned h = tamis_ev_name_hash(s, len);; h = (h + 1) & (TAMIS_EV_NAME_SLOTS - 1)) {
        int k = p->kind_slot[h];
        if (k < 0)
            return -1;
        if (p->kind_len[k] == len && tamis_ev_same_bytes(p->kind_name[k], s, len))
            return k;
    }
}

tamis_event_parser *tamis_event_parser_new(tamis_format fmt, tamis_warn_fn warn, void *warn_ctx)
{
    assert(fmt == TAMIS_FORMAT_CSV || fmt == TAMIS_FORMAT_NDJSON);
    if (fmt != TAMIS_FORMAT_CSV && fmt != TAMIS_FORMAT_NDJSON)
        return NULL;
    tamis_event_parser *p = tamis_calloc(1, sizeof *p);
    p->fmt = fmt;
    p->warn = warn;
    p->warn_ctx = warn_ctx;
    p->scratch = tamis_malloc(TAMIS_EV_SCRATCH_BYTES);
    name_indexes_build(p);
    return p;
}

void tamis_event_parser_free(tamis_event_parser *p)
{
    if (!p)
        return;
    tamis_ev_ndjson_release(p);
    tamis_free(p->scratch);
    tamis_free(p);
}

static int csv_record(tamis_event_parser *p, const char *line, size_t len, tamis_event *ev,
                      tamis_error *err);

int tamis_event_parse(tamis_event_parser *p, const char *line, size_t len, tamis_event *out,
                      tamis_error *err)
{
    tamis_error scratch_err;
    if (!err)
        err = &scratch_err;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > TAMIS_MAX_LINE_BYTES)
        return tamis_error_set(err, TAMIS_ELIMIT,
                               "record is %zu bytes, over the cap TAMIS_MAX_LINE_BYTES (%d)",
                               len, TAMIS_MAX_LINE_BYTES);
    out->ts_ms = 0;
    out->kind = 0;
    out->has_value = false;
    out->value = 0;
    p->scratch_used = 0;
    if (p->fmt == TAMIS_FORMAT_NDJSON) {
        memset(out->text, 0, sizeof out->text);
        return tamis_ev_ndjson_parse(p, line, len, out, err);
    }
    if (!p->have_header)
        return tamis_error_set(err, TAMIS_EINTERNAL, "CSV record parsed before the header");
    /* Every column of the header is stored by a successful parse; only the fields
     * without a column need clearing. */
    for (uint32_t i = 0; i < p->n_absent; i++)
        out->text[p->absent_field[i]] = (tamis_str){NULL, 0};
    return csv_record(p, line, len, out, err);
}

/* ------------------------------------------------------------------------------------
 * Checks shared by both formats
 * ---------------------------------------------------------------------------------- */

/* Platform bytes: 1 allowed as is, 2 upper-case (allowed after folding), 0 rejected. */
static const uint8_t platform_class[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
    ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
    ['A'] = 2, ['B'] = 2, ['C'] = 2, ['D'] = 2, ['E'] = 2, ['F'] = 2, ['G'] = 2,
    ['H'] = 2, ['I'] = 2, ['J'] = 2, ['K'] = 2, ['L'] = 2, ['M'] = 2, ['N'] = 2,
    ['O'] = 2, ['P'] = 2, ['Q'] = 2, ['R'] = 2, ['S'] = 2, ['T'] = 2, ['U'] = 2,
    ['V'] = 2, ['W'] = 2, ['X'] = 2, ['Y'] = 2, ['Z'] = 2,
};

/* Folds the platform to lower case (into scratch, only if it has upper case) and checks
 * it against [a-z0-9_.-]{1,32}. */
static int finish_platform(tamis_event_parser *p, tamis_str *pl, tamis_error *err)
{
    char q[TAMIS_EV_QUOTE_BUF];
    if (pl->len > TAMIS_MAX_PLATFORM_BYTES)
        return tamis_error_set(err, TAMIS_ELIMIT,
                               "platform '%s' is %u bytes, over the cap "
                               "TAMIS_MAX_PLATFORM_BYTES (%d)",
                               tamis_ev_quote(q, pl->ptr, pl->len), pl->len,
                               TAMIS_MAX_PLATFORM_BYTES);
    bool ok = true, upper = false;
    for (uint32_t i = 0; i < pl->len; i++) {
        uint8_t c = platform_class[(unsigned char)pl->ptr[i]];
        ok &= c != 0;
        upper |= c == 2;
    }
    if (!ok)
        return tamis_error_set(err, TAMIS_EINPUT,
                               "bad platform '%s': must match [a-z0-9_.-]{1,32}",
                               tamis_ev_quote(q, pl->ptr, pl->len));
    if (upper) {
        char *w = p->scratch + p->scratch_used;
        for (uint32_t i = 0; i < pl->len; i++) {
            unsigned char c = (unsigned char)pl->ptr[i];
            w[i] = (char)(platform_class[c] == 2 ? c + ('a' - 'A') : c);
        }
        pl->ptr = w;
        p->scratch_used += pl->len;
    }
    return TAMIS_OK;
}

int tamis_ev_finish(tamis_event_parser *p, tamis_event *ev, tamis_error *err)
{
    tamis_str *t = ev->text;
    char q[TAMIS_EV_QUOTE_BUF];
    if (t[TAMIS_FIELD_TS].len == 0)
        return tamis_error_set(err, TAMIS_EINPUT, "missing ts");
    int rc = tamis_parse_ts(t[TAMIS_FIELD_TS].ptr, t[TAMIS_FIELD_TS].len, &ev->ts_ms, err);
    if (rc != TAMIS_OK)
        return rc;
    if (t[TAMIS_FIELD_KIND].len == 0)
        return tamis_error_set(err, TAMIS_EINPUT, "missing kind");
    int kind = kind_lookup(p, t[TAMIS_FIELD_KIND].ptr, t[TAMIS_FIELD_KIND].len);
    if (kind < 0)
        return tamis_error_set(err, TAMIS_EINPUT, "unknown kind '%s'",
                               tamis_ev_quote(q, t[TAMIS_FIELD_KIND].ptr,
                                              t[TAMIS_FIELD_KIND].len));
    ev->kind = (uint8_t)kind;
    if (t[TAMIS_FIELD_USER].len == 0 &&
        (t[TAMIS_FIELD_PLATFORM].len == 0 || t[TAMIS_FIELD_PLATFORM_ID].len == 0))
        return tamis_error_set(err, TAMIS_EINPUT, "missing user (or platform + platform_id)");
    if (t[TAMIS_FIELD_USER].len > TAMIS_MAX_USER_KEY_BYTES)
        return tamis_error_set(err, TAMIS_ELIMIT,
                               "user '%s' is %u bytes, over the cap "
                               "TAMIS_MAX_USER_KEY_BYTES (%d)",
                               tamis_ev_quote(q, t[TAMIS_FIELD_USER].ptr,
                                              t[TAMIS_FIELD_USER].len),
                               t[TAMIS_FIELD_USER].len, TAMIS_MAX_USER_KEY_BYTES);
    if (t[TAMIS_FIELD_VALUE].len != 0) {
        const char *why = tamis_ev_number_reason(t[TAMIS_FIELD_VALUE].ptr,
                                                 t[TAMIS_FIELD_VALUE].len, &ev->value);
        if (why)
            return tamis_error_set(err, TAMIS_EINPUT, "bad value '%s': %s",
                                   tamis_ev_quote(q, t[TAMIS_FIELD_VALUE].ptr,
                                                  t[TAMIS_FIELD_VALUE].len),
                                   why);
        ev->has_value = true;
    }
    if (t[TAMIS_FIELD_PLATFORM].len != 0)
        return finish_platform(p, &t[TAMIS_FIELD_PLATFORM], err);
    return TAMIS_OK;
}

/* Reads every byte of the contract back; used by tests and fuzz targets, not by ingest. */
const char *tamis_ev_check_event(const tamis_event_parser *p, const char *line, size_t len,
                                 const tamis_event *ev)
{
    uintptr_t lo = (uintptr_t)line, hi = lo + len;
    for (int f = 0; f < TAMIS_FIELD__COUNT; f++) {
        tamis_str t = ev->text[f];
        uintptr_t a = (uintptr_t)t.ptr;
        if (t.len == 0)
            continue;
        if (t.len > TAMIS_MAX_FIELD_BYTES)
            return "string longer than TAMIS_MAX_FIELD_BYTES";
        if (!(a >= lo && a <= hi && t.len <= hi - a) && !tamis_ev_in_scratch(p, t.ptr, t.len))
            return "string outside the line and the scratch buffer";
    }
    const tamis_str *t = ev->text;
    if (ev->kind >= TAMIS_KIND__COUNT)
        return "kind out of range";
    const char *kn = tamis_kind_name(ev->kind);
    if (t[TAMIS_FIELD_KIND].len != strlen(kn) || memcmp(kn, t[TAMIS_FIELD_KIND].ptr, strlen(kn)))
        return "kind text differs from the kind's name";
    if (ev->ts_ms < 0 || ev->ts_ms > INT64_C(253402300799999))
        return "ts_ms outside 1970..9999";
    int64_t again;
    if (t[TAMIS_FIELD_TS].len == 0 ||
        tamis_parse_ts(t[TAMIS_FIELD_TS].ptr, t[TAMIS_FIELD_TS].len, &again, NULL) != TAMIS_OK ||
        again != ev->ts_ms)
        return "ts text does not parse back to ts_ms";
    if (ev->has_value != (t[TAMIS_FIELD_VALUE].len != 0) || (ev->has_value && !isfinite(ev->value)))
        return "value inconsistent with its text";
    if (t[TAMIS_FIELD_USER].len == 0 &&
        (t[TAMIS_FIELD_PLATFORM].len == 0 || t[TAMIS_FIELD_PLATFORM_ID].len == 0))
        return "no user and no platform + platform_id";
    if (t[TAMIS_FIELD_USER].len > TAMIS_MAX_USER_KEY_BYTES)
        return "user longer than TAMIS_MAX_USER_KEY_BYTES";
    if (t[TAMIS_FIELD_PLATFORM].len > TAMIS_MAX_PLATFORM_BYTES)
        return "platform longer than TAMIS_MAX_PLATFORM_BYTES";
    for (uint32_t i = 0; i < t[TAMIS_FIELD_PLATFORM].len; i++)
        if (platform_class[(unsigned char)t[TAMIS_FIELD_PLATFORM].ptr[i]] != 1)
            return "platform not folded or outside [a-z0-9_.-]";
    return NULL;
}

/* ------------------------------------------------------------------------------------
 * CSV fields
 * ---------------------------------------------------------------------------------- */

/* Bytes that end an unquoted field's fast scan: ',' ends it, '"' is an error. */
static const uint8_t csv_stop[256] = {[','] = 1, ['"'] = 1};

static const char *col_label(const tamis_event_parser *p, uint32_t col, char *buf, size_t cap)
{
    int f = (p->have_header && col < p->n_cols) ? p->col_field[col] : -1;
    if (f >= 0)
        snprintf(buf, cap, "field %u (%s)", col + 1, tamis_field_name((tamis_field)f));
    else
        snprintf(buf, cap, "field %u", col + 1);
    return buf;
}

/* A quoted field starting at line[*pos] == '"'. On success *pos is at the ',' after the
 * closing quote or at len. The content is borrowed when it has no "" escape; otherwise
 * it is unescaped into scratch when keep is set, and only measured when not. */
static int csv_quoted(tamis_event_parser *p, const char *line, size_t len, size_t *pos,
                      uint32_t col, bool keep, tamis_str *out, tamis_error *err)
{
    char lbl[48];
    const char *end = line + len;
    const char *q = line + *pos + 1;
    const char *run = q;      /* start of the bytes not yet copied */
    char *w = NULL;           /* scratch destination once an escape is seen */
    size_t dlen = 0;          /* decoded bytes before run */
    for (;;) {
        const char *c = memchr(q, '"', (size_t)(end - q));
        if (!c)
            return tamis_error_set(err, TAMIS_EINPUT, "%s: unterminated quoted field",
                                   col_label(p, col, lbl, sizeof lbl));
        if (c + 1 < end && c[1] == '"') {
            size_t n = (size_t)(c + 1 - run); /* keeps one of the two quotes */
            if (keep) {
                if (!w)
                    w = p->scratch + p->scratch_used;
                memcpy(w + dlen, run, n);
            }
            dlen += n;
            run = q = c + 2;
            continue;
        }
        size_t tail = (size_t)(c - run);
        if (w) {
            memcpy(w + dlen, run, tail);
            out->ptr = w;
            p->scratch_used += (uint32_t)(dlen + tail);
        } else {
            out->ptr = dlen ? NULL : run;
        }
        dlen += tail;
        out->len = (uint32_t)dlen;
        *pos = (size_t)(c + 1 - line);
        if (*pos < len && line[*pos] != ',')
            return tamis_error_set(err, TAMIS_EINPUT,
                                   "%s: unexpected byte after the closing quote (a quote "
                                   "inside a quoted field is written \"\")",
                                   col_label(p, col, lbl, sizeof lbl));
        return TAMIS_OK;
    }
}

/* End of the unquoted field starting at line[pos]: the index of the ',' or '"' that
 * stops it, or len. */
static inline size_t csv_unquoted_end(const char *line, size_t pos, size_t len)
{
    while (pos < len && !csv_stop[(unsigned char)line[pos]])
        pos++;
    return pos;
}

static int csv_quote_inside(const tamis_event_parser *p, uint32_t col, tamis_error *err)
{
    char lbl[48];
    return tamis_error_set(err, TAMIS_EINPUT,
                           "%s: quote inside an unquoted field (quote the whole field and "
                           "write the quote as \"\")",
                           col_label(p, col, lbl, sizeof lbl));
}

static int csv_over_field_cap(const tamis_event_parser *p, uint32_t col, size_t len,
                              tamis_error *err)
{
    char lbl[48];
    return tamis_error_set(err, TAMIS_ELIMIT,
                           "%s is %zu bytes, over the cap TAMIS_MAX_FIELD_BYTES (%d)",
                           col_label(p, col, lbl, sizeof lbl), len, TAMIS_MAX_FIELD_BYTES);
}

/* The field starting at line[*pos] (used for the header; csv_record inlines the same
 * steps); *pos ends at the ',' after it or at len. */
static int csv_field(tamis_event_parser *p, const char *line, size_t len, size_t *pos,
                     uint32_t col, tamis_str *out, tamis_error *err)
{
    if (*pos < len && line[*pos] == '"') {
        int rc = csv_quoted(p, line, len, pos, col, true, out, err);
        if (rc != TAMIS_OK)
            return rc;
    } else {
        size_t end = csv_unquoted_end(line, *pos, len);
        if (end < len && line[end] == '"')
            return csv_quote_inside(p, col, err);
        out->ptr = line + *pos;
        out->len = (uint32_t)(end - *pos);
        *pos = end;
    }
    if (out->len > TAMIS_MAX_FIELD_BYTES)
        return csv_over_field_cap(p, col, out->len, err);
    return TAMIS_OK;
}

/* ------------------------------------------------------------------------------------
 * CSV records
 * ---------------------------------------------------------------------------------- */

/* Stores field col of a record into ev (if its column is kept). */
static inline void csv_store(const tamis_event_parser *p, tamis_event *ev, uint32_t col,
                             const char *ptr, size_t len)
{
    int field = col < p->n_cols ? p->col_field[col] : -1;
    if (field >= 0) {
        ev->text[field].ptr = ptr;
        ev->text[field].len = (uint32_t)len;
    }
}

#if defined(__SSE2__)
#define CSV_HAS_QUOTE (-1)

/* Bits of the ',' bytes among the 64 at s; *quotes gets the bits of the '"' bytes. */
static inline uint64_t csv_block_commas(const char *s, uint64_t *quotes)
{
    const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"');
    uint64_t c = 0, q = 0;
    for (int i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + 16 * i));
        c |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma)) << (16 * i);
        q |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) << (16 * i);
    }
    *quotes = q;
    return c;
}

/* The common case, a record without any '"': finds the commas 64 bytes at a time with
 * SSE2 and walks their bits, so the cost per field is a few instructions and no
 * data-dependent branch per byte (the byte loop below mispredicts once per field).
 * Returns CSV_HAS_QUOTE as soon as a block holds a quote (the caller then starts over
 * with the general loop, which reports errors in the same order), else TAMIS_OK or an
 * error code. */
static int csv_record_simd(tamis_event_parser *p, const char *line, size_t len,
                           tamis_event *ev, tamis_error *err)
{
    char pad[64];
    size_t start = 0;
    uint32_t col = 0;
    for (size_t base = 0; base < len; base += 64) {
        const char *blk = line + base;
        if (len - base < 64) {
            memset(pad, 0, sizeof pad);
            memcpy(pad, blk, len - base);
            blk = pad;
        }
        uint64_t quotes, commas = csv_block_commas(blk, &quotes);
        if (quotes)
            return CSV_HAS_QUOTE;
        for (; commas; commas &= commas - 1) {
            size_t end = base + (size_t)__builtin_ctzll(commas);
            if (end - start > TAMIS_MAX_FIELD_BYTES)
                return csv_over_field_cap(p, col, end - start, err);
            csv_store(p, ev, col, line + start, end - start);
            start = end + 1;
            if (++col == TAMIS_MAX_FIELDS)
                return tamis_error_set(err, TAMIS_ELIMIT,
                                       "more than %d fields (cap TAMIS_MAX_FIELDS)",
                                       TAMIS_MAX_FIELDS);
        }
    }
    if (len - start > TAMIS_MAX_FIELD_BYTES)
        return csv_over_field_cap(p, col, len - start, err);
    csv_store(p, ev, col, line + start, len - start);
    col++;
    if (col != p->n_cols)
        return tamis_error_set(err, TAMIS_EINPUT, "expected %u fields, got %u", p->n_cols,
                               col);
    return tamis_ev_finish(p, ev, err);
}
#endif

/* The general loop of CSV records (quotes, or no SSE2). Field bounds stay in locals and
 * are stored once into the event (a tamis_str built in memory and copied would cost a
 * store-forwarding stall per field); errors are formatted out of line. */
static int csv_record(tamis_event_parser *p, const char *line, size_t len, tamis_event *ev,
                      tamis_error *err)
{
#if defined(__SSE2__)
    if (!p->csv_general_only) {
        int rc = csv_record_simd(p, line, len, ev, err);
        if (rc != CSV_HAS_QUOTE)
            return rc;
    }
#endif
    const int8_t *col_field = p->col_field;
    const uint32_t n_cols = p->n_cols;
    size_t pos = 0;
    uint32_t col = 0;
    for (;;) {
        int field = col < n_cols ? col_field[col] : -1;
        const char *fptr = line + pos;
        size_t flen;
        if (pos < len && line[pos] == '"') {
            tamis_str q;
            int rc = csv_quoted(p, line, len, &pos, col, field >= 0, &q, err);
            if (rc != TAMIS_OK)
                return rc;
            fptr = q.ptr;
            flen = q.len;
        } else {
            size_t end = csv_unquoted_end(line, pos, len);
            if (end < len && line[end] == '"')
                return csv_quote_inside(p, col, err);
            flen = end - pos;
            pos = end;
        }
        if (flen > TAMIS_MAX_FIELD_BYTES)
            return csv_over_field_cap(p, col, flen, err);
        if (field >= 0) {
            ev->text[field].ptr = fptr;
            ev->text[field].len = (uint32_t)flen;
        }
        col++;
        if (pos == len)
            break;
        pos++; /* the ',' */
        if (col == TAMIS_MAX_FIELDS)
            return tamis_error_set(err, TAMIS_ELIMIT,
                                   "more than %d fields (cap TAMIS_MAX_FIELDS)",
                                   TAMIS_MAX_FIELDS);
    }
    if (col != n_cols)
        return tamis_error_set(err, TAMIS_EINPUT, "expected %u fields, got %u", n_cols, col);
    return tamis_ev_finish(p, ev, err);
}

/* ------------------------------------------------------------------------------------
 * CSV header
 * ---------------------------------------------------------------------------------- */

static bool same_name_fold(tamis_str a, tamis_str b)
{
    if (a.len != b.len)
        return false;
    for (uint32_t i = 0; i < a.len; i++) {
        unsigned char x = (unsigned char)a.ptr[i], y = (unsigned char)b.ptr[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return false;
    }
    return true;
}

static tamis_str trim_blanks(tamis_str s)
{
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t'))
        s.ptr++, s.len--;
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}

/* Reads the column names into names[] (borrowed from line or scratch). */
static int header_split(tamis_event_parser *p, const char *line, size_t len, tamis_str *names,
                        uint32_t *n_names, tamis_error *err)
{
    size_t pos = 0;
    uint32_t col = 0;
    for (;;) {
        if (col == TAMIS_MAX_FIELDS)
            return tamis_error_set(err, TAMIS_EINPUT,
                                   "header has more than %d columns (cap TAMIS_MAX_FIELDS)",
                                   TAMIS_MAX_FIELDS);
        tamis_str f;
        if (csv_field(p, line, len, &pos, col, &f, err) != TAMIS_OK) {
            /* Every header failure is TAMIS_EINPUT (event.h), caps included. */
            tamis_error_prefix(err, "header");
            err->code = TAMIS_EINPUT;
            return TAMIS_EINPUT;
        }
        names[col++] = trim_blanks(f);
        if (pos == len)
            break;
        pos++;
    }
    *n_names = col;
    return TAMIS_OK;
}

/* Maps names[] to fields, rejects repeats, warns once about each unknown column. */
static int header_map(tamis_event_parser *p, const tamis_str *names, uint32_t n,
                      tamis_error *err)
{
    char q[TAMIS_EV_QUOTE_BUF];
    uint32_t seen = 0;
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < i; j++)
            if (same_name_fold(names[i], names[j]))
                return tamis_error_set(err, TAMIS_EINPUT, "header: column '%s' repeats",
                                       tamis_ev_quote(q, names[i].ptr, names[i].len));
        int f = tamis_ev_field_lookup_fold(names[i].ptr, names[i].len);
        p->col_field[i] = (int8_t)f;
        if (f >= 0) {
            seen |= 1u << f;
        } else if (p->warn) {
            char msg[TAMIS_EV_QUOTE_BUF + 64];
            snprintf(msg, sizeof msg, "unknown column '%s' ignored",
                     tamis_ev_quote(q, names[i].ptr, names[i].len));
            p->warn(p->warn_ctx, msg);
        }
    }
    if (!(seen & (1u << TAMIS_FIELD_TS)))
        return tamis_error_set(err, TAMIS_EINPUT, "header: missing required column 'ts'");
    if (!(seen & (1u << TAMIS_FIELD_KIND)))
        return tamis_error_set(err, TAMIS_EINPUT, "header: missing required column 'kind'");
    if (!(seen & (1u << TAMIS_FIELD_USER)) &&
        (!(seen & (1u << TAMIS_FIELD_PLATFORM)) || !(seen & (1u << TAMIS_FIELD_PLATFORM_ID))))
        return tamis_error_set(err, TAMIS_EINPUT,
                               "header: missing required column 'user' (or both 'platform' "
                               "and 'platform_id')");
    p->n_absent = 0;
    for (int f = 0; f < TAMIS_FIELD__COUNT; f++)
        if (!(seen & (1u << f)))
            p->absent_field[p->n_absent++] = (uint8_t)f;
    return TAMIS_OK;
}

int tamis_event_parser_header(tamis_event_parser *p, const char *line, size_t len,
                              tamis_error *err)
{
    tamis_str names[TAMIS_MAX_FIELDS];
    uint32_t n = 0;
    tamis_error scratch_err;
    if (!err)
        err = &scratch_err;
    if (p->fmt != TAMIS_FORMAT_CSV)
        return tamis_error_set(err, TAMIS_EINTERNAL, "header given to a non-CSV parser");
    p->have_header = false;
    p->n_cols = 0;
    p->scratch_used = 0;
    if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) /* UTF-8 byte-order mark */
        line += 3, len -= 3;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0)
        return tamis_error_set(err, TAMIS_EINPUT, "header: empty line");
    if (len > TAMIS_MAX_LINE_BYTES)
        return tamis_error_set(err, TAMIS_EINPUT,
                               "header is %zu bytes, over the cap TAMIS_MAX_LINE_BYTES (%d)",
                               len, TAMIS_MAX_LINE_BYTES);
    int rc = header_split(p, line, len, names, &n, err);
    if (rc == TAMIS_OK)
        rc = header_map(p, names, n, err);
    if (rc != TAMIS_OK)
        return rc;
    p->n_cols = n;
    p->have_header = true;
    return TAMIS_OK;
}
