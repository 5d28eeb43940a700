/* contacts_batch.c — contact rows read ahead, phones parsed on a pool (see
 * contacts_batch.h). */
#include "store/contacts_batch.h"

#include <stddef.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/tz.h"

/* Appends n bytes to the batch's raw area; returns their offset. */
static size_t keep_bytes(contacts_batch *b, const char *p, size_t n)
{
    size_t off = b->raw_len;
    b->raw = tamis_grow(b->raw, 1, &b->raw_cap, b->raw_len + n + 1);
    if (n)
        memcpy(b->raw + off, p, n);
    b->raw_len += n;
    return off;
}

static contacts_pending *add_row(contacts_batch *b, uint64_t line, const char *rec, size_t len)
{
    contacts_pending *p;
    b->rows = tamis_grow(b->rows, sizeof *b->rows, &b->cap, b->n + 1);
    p = &b->rows[b->n++];
    memset(p, 0, offsetof(contacts_pending, phone));
    p->line = line;
    p->len = len;
    p->off = keep_bytes(b, rec, len);
    return p;
}

/* Notes the row's phone and the region it would be parsed with, if the row parses. */
static void plan_phone(contacts_batch *b, contacts_pending *p, tamis_contacts_parser *parser, const char *rec,
                       size_t len)
{
    tamis_contact_row row;
    tamis_error ignored;
    if (tamis_contacts_parse(parser, rec, len, &row, &ignored) != TAMIS_OK || !row.phone.len)
        return; /* rejected or without a phone when applied */
    if (row.country.len) {
        if (tamis_country_normalize(row.country.ptr, row.country.len, p->region, &ignored) != TAMIS_OK)
            return; /* the row will be rejected */
    } else {
        p->phone_default = true;
    }
    p->phone_job = true;
    p->phone_len = row.phone.len;
    p->phone_off = keep_bytes(b, row.phone.ptr, row.phone.len);
}

int contacts_batch_gather(contacts_batch *b, tamis_reader *rd, tamis_contacts_parser *parser, bool *have_header,
                          const char *path, const char *default_country, tamis_error *err)
{
    b->n = b->raw_len = 0;
    b->eof = false;
    b->default_country = default_country;
    while (b->n < CONTACTS_BATCH_ROWS) {
        const char *rec;
        size_t len;
        bool eof;
        tamis_error rerr;
        int rc = tamis_reader_next(rd, &rec, &len, &eof, &rerr);

        if (rc == TAMIS_ELIMIT) {
            contacts_pending *p = add_row(b, tamis_reader_line(rd), rec, len);
            p->too_long = true;
            p->err = rerr;
            continue;
        }
        if (rc) {
            *err = rerr;
            return rc;
        }
        if (eof) {
            b->eof = true;
            return TAMIS_OK;
        }
        if (len == 0 || (len == 1 && rec[0] == '\r'))
            continue;
        if (!*have_header) {
            if (len >= 3 && (uint8_t)rec[0] == 0xEF && (uint8_t)rec[1] == 0xBB && (uint8_t)rec[2] == 0xBF) {
                rec += 3;
                len -= 3;
            }
            if ((rc = tamis_contacts_parser_header(parser, rec, len, err)) != 0) {
                tamis_error_prefix(err, "%s:%llu: header", path, (unsigned long long)tamis_reader_line(rd));
                return rc;
            }
            *have_header = true;
            continue;
        }
        plan_phone(b, add_row(b, tamis_reader_line(rd), rec, len), parser, rec, len);
    }
    return TAMIS_OK;
}

static void parse_one(void *ctx, size_t i)
{
    contacts_batch *b = ctx;
    contacts_pending *p = &b->rows[i];
    if (p->phone_job)
        p->phone_rc = tamis_phone_parse(b->raw + p->phone_off, p->phone_len,
                                        p->phone_default ? b->default_country : p->region, &p->phone, &p->err);
}

void contacts_batch_parse_phones(contacts_batch *b, tamis_workpool *pool)
{
    tamis_workpool_start(pool, parse_one, b, b->n);
}

bool contacts_pending_phone_fits(const contacts_pending *p, const char *country)
{
    if (!p->phone_job)
        return false;
    return country[0] ? !p->phone_default && strcmp(p->region, country) == 0 : p->phone_default;
}

void contacts_batch_free(contacts_batch *b)
{
    tamis_free(b->rows);
    tamis_free(b->raw);
    memset(b, 0, sizeof *b);
}
