/* contacts.c — the contacts CSV parser (see include/tamis/contacts.h).
 *
 * First stage of `tamis contacts import`: the caller (the importer) reads the file,
 * joins physical lines while a quoted field is open, counts lines and prefixes errors
 * with "file:line:"; this file turns one header record into a column map and each
 * later record into a tamis_contact_row. Phones, zones and countries are only shaped
 * here; the importer validates them through phone.h and tz.h.
 *
 * Memory: unquoted fields and quoted fields without "" escapes are borrowed from the
 * caller's line; quoted fields with escapes are unescaped into a fixed scratch area
 * owned by the parser (TAMIS_MAX_FIELDS x TAMIS_MAX_FIELD_BYTES, allocated once, never
 * grown). Column names, lower-cased, live in a buffer rebuilt by each header call. */
#include "tamis/contacts.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tamis/alloc.h"

#define CONTACTS_QUOTE_BYTES 40 /* input shown in error messages */
#define ID_SUFFIX "_id"
#define ID_SUFFIX_LEN 3

typedef enum contact_col_kind {
    COL_USER,
    COL_PHONE,
    COL_COUNTRY,
    COL_TZ,
    COL_NAME,
    COL_TAGS,
    COL_ID,   /* <platform>_id: key is the platform */
    COL_ATTR, /* anything else: key is the whole lower-cased column name */
} contact_col_kind;

/* The columns with a meaning of their own; everything else is an identity or an
 * attribute. One table drives the header match and the docs (docs/IDENTITY.md). */
static const struct {
    const char *name;
    contact_col_kind kind;
} known_columns[] = {
    {"user", COL_USER}, {"phone", COL_PHONE}, {"country", COL_COUNTRY},
    {"tz", COL_TZ},     {"name", COL_NAME},   {"tags", COL_TAGS},
};

/* Columns that end in "_id" but are not platform identities: a contacts file is keyed
 * by `user`, so a `user_id` column is the operator's own data (kept as an attribute),
 * and `platform_id` only means something next to a `platform` column (event files). */
static const char *const not_identity_columns[] = {"user_id", "platform_id"};

typedef struct contact_col {
    contact_col_kind kind;
    tamis_str name; /* lower-cased column name, in p->names */
    tamis_str key;  /* COL_ID: platform (prefix of name); COL_ATTR: name */
} contact_col;

struct tamis_contacts_parser {
    size_t n_cols; /* 0 until a header was read successfully */
    contact_col cols[TAMIS_MAX_FIELDS];
    char *names;                       /* owned; lower-cased header names */
    char *scratch;                     /* owned; unescaped fields of the current record */
    tamis_str fields[TAMIS_MAX_FIELDS]; /* the record being parsed */
    char country[2];                   /* upper-cased country of the current row */
};

/* ------------------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------------------- */

static int quote_len(size_t len)
{
    return len < CONTACTS_QUOTE_BYTES ? (int)len : CONTACTS_QUOTE_BYTES;
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* memchr that accepts an empty (possibly NULL) range. */
static const char *find_byte(const char *s, size_t n, char c)
{
    return n ? memchr(s, c, n) : NULL;
}

static tamis_str make_str(const char *ptr, size_t len)
{
    tamis_str s = {ptr, (uint32_t)len};
    return s;
}

static tamis_str trim_str(tamis_str s)
{
    while (s.len && is_space(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len && is_space(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

static bool str_eq(tamis_str s, const char *word)
{
    size_t n = strlen(word);
    return s.len == n && memcmp(s.ptr, word, n) == 0;
}

/* Platform names as everywhere in tamis: [a-z0-9_.-]{1,TAMIS_MAX_PLATFORM_BYTES}. */
static bool is_platform_name(const char *s, size_t n)
{
    if (n == 0 || n > TAMIS_MAX_PLATFORM_BYTES)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return false;
    }
    return true;
}

/* An error about field idx (0-based; shown 1-based) naming its column when known. */
static int field_error(const tamis_contacts_parser *p, tamis_error *err, int code, size_t idx,
                       const char *fmt, ...) TAMIS_PRINTF(5, 6);

static int field_error(const tamis_contacts_parser *p, tamis_error *err, int code, size_t idx,
                       const char *fmt, ...)
{
    char what[TAMIS_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (p && idx < p->n_cols)
        return tamis_error_set(err, code, "field %zu (%.*s): %s", idx + 1,
                               quote_len(p->cols[idx].name.len), p->cols[idx].name.ptr, what);
    return tamis_error_set(err, code, "field %zu: %s", idx + 1, what);
}

/* ------------------------------------------------------------------------------------
 * RFC 4180 record splitting
 * ---------------------------------------------------------------------------------- */

/* Reads the quoted field whose opening quote is at line[*pos] into *out, moving *pos
 * past the closing quote. Fields without "" escapes are borrowed from the line; the
 * others are unescaped into scratch at *used (bounded: each field <= MAX_FIELD_BYTES
 * and at most TAMIS_MAX_FIELDS fields, which is the size of scratch). */
static int read_quoted(tamis_contacts_parser *p, const char *line, size_t len, size_t *pos,
                       size_t idx, size_t *used, tamis_str *out, tamis_error *err)
{
    size_t start = *pos + 1, i = start, end, escapes = 0;

    for (;;) {
        const char *q = find_byte(line + i, len - i, '"');
        if (!q)
            return field_error(p, err, TAMIS_EINPUT, idx, "unterminated quoted field");
        i = (size_t)(q - line);
        if (i + 1 < len && line[i + 1] == '"') {
            escapes++;
            i += 2;
            continue;
        }
        end = i;
        break;
    }
    if (end - start - escapes > TAMIS_MAX_FIELD_BYTES)
        return field_error(p, err, TAMIS_ELIMIT, idx, "longer than %d bytes "
                           "(TAMIS_MAX_FIELD_BYTES)", TAMIS_MAX_FIELD_BYTES);
    if (escapes == 0) {
        *out = make_str(line + start, end - start);
    } else {
        char *dst = p->scratch + *used;
        size_t n = 0;
        for (i = start; i < end; i++) {
            dst[n++] = line[i];
            if (line[i] == '"')
                i++; /* the second quote of a "" pair */
        }
        *out = make_str(dst, n);
        *used += n;
    }
    *pos = end + 1;
    if (*pos < len && line[*pos] != ',')
        return field_error(p, err, TAMIS_EINPUT, idx, "unexpected '%c' after closing quote "
                           "(a quote inside a quoted field is written \"\")", line[*pos]);
    return TAMIS_OK;
}

/* Splits one record into p->fields; *n_fields receives the count. More than max_fields
 * fields fails with too_many_code (ELIMIT for a header, EINPUT for a record). */
static int split_record(tamis_contacts_parser *p, const char *line, size_t len,
                        size_t max_fields, int too_many_code, size_t *n_fields,
                        tamis_error *err)
{
    size_t pos = 0, n = 0, used = 0;
    int rc;

    for (;;) {
        tamis_str f;
        if (n == max_fields)
            return too_many_code == TAMIS_ELIMIT
                       ? tamis_error_set(err, TAMIS_ELIMIT, "more than %d columns "
                                         "(TAMIS_MAX_FIELDS)", TAMIS_MAX_FIELDS)
                       : tamis_error_set(err, too_many_code, "more fields than the header's "
                                         "%zu", max_fields);
        if (pos < len && line[pos] == '"') {
            rc = read_quoted(p, line, len, &pos, n, &used, &f, err);
            if (rc)
                return rc;
        } else {
            const char *comma = find_byte(line + pos, len - pos, ',');
            size_t end = comma ? (size_t)(comma - line) : len;
            if (find_byte(line + pos, end - pos, '"'))
                return field_error(p, err, TAMIS_EINPUT, n, "'\"' inside an unquoted field "
                                   "(quote the whole field and double the quote)");
            if (end - pos > TAMIS_MAX_FIELD_BYTES)
                return field_error(p, err, TAMIS_ELIMIT, n, "longer than %d bytes "
                                   "(TAMIS_MAX_FIELD_BYTES)", TAMIS_MAX_FIELD_BYTES);
            f = make_str(line + pos, end - pos);
            pos = end;
        }
        p->fields[n++] = f;
        if (pos >= len)
            break;
        pos++; /* the comma; a comma at the very end opens one last, empty field */
    }
    *n_fields = n;
    return TAMIS_OK;
}

/* A trailing '\r' (CRLF files) is not part of the record. */
static size_t strip_cr(const char *line, size_t len)
{
    return (len && line[len - 1] == '\r') ? len - 1 : len;
}

/* ------------------------------------------------------------------------------------
 * Header
 * ---------------------------------------------------------------------------------- */

tamis_contacts_parser *tamis_contacts_parser_new(void)
{
    tamis_contacts_parser *p = tamis_calloc(1, sizeof *p);
    p->scratch = tamis_malloc((size_t)TAMIS_MAX_FIELDS * TAMIS_MAX_FIELD_BYTES);
    return p;
}

void tamis_contacts_parser_free(tamis_contacts_parser *p)
{
    if (!p)
        return;
    tamis_free(p->names);
    tamis_free(p->scratch);
    tamis_free(p);
}

/* Decides what column `name` (lower-cased, trimmed, non-empty) means. */
static int classify_column(contact_col *col, size_t idx, tamis_error *err)
{
    tamis_str name = col->name;

    col->kind = COL_ATTR;
    col->key = name;
    for (size_t k = 0; k < sizeof known_columns / sizeof known_columns[0]; k++) {
        if (str_eq(name, known_columns[k].name)) {
            col->kind = known_columns[k].kind;
            return TAMIS_OK;
        }
    }
    for (size_t k = 0; k < sizeof not_identity_columns / sizeof not_identity_columns[0]; k++)
        if (str_eq(name, not_identity_columns[k]))
            return TAMIS_OK;
    /* "_id" alone (e.g. a database export's row id) has no platform: an attribute. */
    if (name.len > ID_SUFFIX_LEN &&
        memcmp(name.ptr + name.len - ID_SUFFIX_LEN, ID_SUFFIX, ID_SUFFIX_LEN) == 0) {
        size_t plen = name.len - ID_SUFFIX_LEN;
        if (!is_platform_name(name.ptr, plen))
            return tamis_error_set(err, TAMIS_EINPUT, "header column %zu \"%.*s\": platform "
                                   "name before _id must match [a-z0-9_.-]{1,%d}", idx + 1,
                                   quote_len(name.len), name.ptr, TAMIS_MAX_PLATFORM_BYTES);
        col->kind = COL_ID;
        col->key = make_str(name.ptr, plen);
    }
    return TAMIS_OK;
}

/* Copies the trimmed, lower-cased names of p->fields into p->names and classifies
 * them; checks for empty and repeated names and for the user column. */
static int build_columns(tamis_contacts_parser *p, size_t n, tamis_error *err)
{
    size_t off = 0;
    bool has_user = false;

    for (size_t i = 0; i < n; i++) {
        tamis_str raw = trim_str(p->fields[i]);
        contact_col *col = &p->cols[i];
        int rc;

        if (raw.len == 0)
            return tamis_error_set(err, TAMIS_EINPUT, "header column %zu is empty", i + 1);
        for (size_t k = 0; k < raw.len; k++)
            p->names[off + k] = ascii_lower(raw.ptr[k]);
        col->name = make_str(p->names + off, raw.len);
        off += raw.len;
        for (size_t j = 0; j < i; j++)
            if (p->cols[j].name.len == col->name.len &&
                memcmp(p->cols[j].name.ptr, col->name.ptr, col->name.len) == 0)
                return tamis_error_set(err, TAMIS_EINPUT, "header column %zu \"%.*s\" repeats "
                                       "column %zu (names are case-insensitive)", i + 1,
                                       quote_len(col->name.len), col->name.ptr, j + 1);
        rc = classify_column(col, i, err);
        if (rc)
            return rc;
        has_user |= col->kind == COL_USER;
    }
    if (!has_user)
        return tamis_error_set(err, TAMIS_EINPUT, "header has no \"user\" column");
    return TAMIS_OK;
}

int tamis_contacts_parser_header(tamis_contacts_parser *p, const char *line, size_t len,
                                 tamis_error *err)
{
    size_t n = 0;
    int rc;

    p->n_cols = 0; /* a failed header leaves the parser unusable until the next one */
    tamis_free(p->names);
    p->names = NULL;
    len = strip_cr(line, len);
    if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) { /* UTF-8 BOM (Excel) */
        line += 3;
        len -= 3;
    }
    rc = split_record(p, line, len, TAMIS_MAX_FIELDS, TAMIS_ELIMIT, &n, err);
    if (rc)
        return rc;
    p->names = tamis_malloc(len + 1); /* names are never longer than the record */
    rc = build_columns(p, n, err);
    if (rc)
        return rc;
    p->n_cols = n;
    return TAMIS_OK;
}

/* ------------------------------------------------------------------------------------
 * Records
 * ---------------------------------------------------------------------------------- */

static int parse_country(tamis_contacts_parser *p, size_t idx, tamis_str f,
                         tamis_contact_row *out, tamis_error *err)
{
    if (f.len != 2 || !is_alpha(f.ptr[0]) || !is_alpha(f.ptr[1]))
        return field_error(p, err, TAMIS_EINPUT, idx, "bad country code \"%.*s\" (want an "
                           "ISO 3166-1 alpha-2 code such as VN)", quote_len(f.len), f.ptr);
    p->country[0] = (char)(f.ptr[0] & ~0x20); /* ASCII letters: clear the case bit */
    p->country[1] = (char)(f.ptr[1] & ~0x20);
    out->country = make_str(p->country, 2);
    return TAMIS_OK;
}

/* Splits a tags cell on ';', trimming spaces and dropping empty items. */
static int parse_tags(const tamis_contacts_parser *p, size_t idx, tamis_str f,
                      tamis_contact_row *out, tamis_error *err)
{
    size_t pos = 0;

    while (pos <= f.len) {
        const char *semi = find_byte(f.ptr + pos, f.len - pos, ';');
        size_t end = semi ? (size_t)(semi - f.ptr) : f.len;
        tamis_str tag = trim_str(make_str(f.ptr + pos, end - pos));
        if (tag.len) {
            if (out->n_tags == TAMIS_MAX_TAGS)
                return field_error(p, err, TAMIS_ELIMIT, idx, "more than %d tags "
                                   "(TAMIS_MAX_TAGS)", TAMIS_MAX_TAGS);
            out->tags[out->n_tags++] = tag;
        }
        pos = end + 1;
    }
    return TAMIS_OK;
}

static void add_pair(tamis_contact_pair *pairs, size_t *n, tamis_str key, tamis_str value)
{
    pairs[*n].key = key;
    pairs[*n].value = value;
    (*n)++;
}

/* Fills *out from p->fields according to the column map. */
static int fill_row(tamis_contacts_parser *p, tamis_contact_row *out, tamis_error *err)
{
    int rc = TAMIS_OK;

    for (size_t i = 0; i < p->n_cols && rc == TAMIS_OK; i++) {
        tamis_str f = p->fields[i];
        const contact_col *col = &p->cols[i];

        if (f.len == 0)
            continue; /* empty cells are absent */
        switch (col->kind) {
        case COL_USER: out->user = f; break;
        case COL_PHONE: out->phone = f; break;
        case COL_COUNTRY: rc = parse_country(p, i, f, out, err); break;
        case COL_TZ: out->tz = f; break;
        case COL_NAME: out->name = f; break;
        case COL_TAGS: rc = parse_tags(p, i, f, out, err); break;
        case COL_ID: add_pair(out->ids, &out->n_ids, col->key, f); break;
        case COL_ATTR: add_pair(out->attrs, &out->n_attrs, col->key, f); break;
        }
    }
    return rc;
}

int tamis_contacts_parse(tamis_contacts_parser *p, const char *line, size_t len,
                         tamis_contact_row *out, tamis_error *err)
{
    size_t n = 0;
    int rc;
    static const tamis_str none = {"", 0};

    out->user = out->phone = out->country = out->tz = out->name = none;
    out->n_tags = out->n_ids = out->n_attrs = 0;
    if (p->n_cols == 0)
        return tamis_error_set(err, TAMIS_EINTERNAL, "contacts record parsed without a "
                               "valid header");
    len = strip_cr(line, len);
    rc = split_record(p, line, len, p->n_cols, TAMIS_EINPUT, &n, err);
    if (rc)
        return rc;
    if (n != p->n_cols)
        return tamis_error_set(err, TAMIS_EINPUT, "%zu field(s) but the header has %zu columns", n,
                               p->n_cols);
    rc = fill_row(p, out, err);
    if (rc)
        return rc;
    if (out->user.len == 0)
        return tamis_error_set(err, TAMIS_EINPUT, "missing user");
    if (out->user.len > TAMIS_MAX_USER_KEY_BYTES)
        return tamis_error_set(err, TAMIS_ELIMIT, "user \"%.*s...\": longer than %d bytes "
                               "(TAMIS_MAX_USER_KEY_BYTES)", quote_len(out->user.len),
                               out->user.ptr, TAMIS_MAX_USER_KEY_BYTES);
    return TAMIS_OK;
}
