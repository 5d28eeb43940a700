/* contact_record.c — building, encoding and decoding stored contacts
 * (see include/tamis/contact_record.h). Contacts are written by import-contacts and by
 * ingest when an event names a user or platform identity not seen before. */
#include "tamis/contact_record.h"

#include <string.h>

#include "tamis/alloc.h"
#include "util/bytes.h"

#define CONTACT_FORMAT_VERSION 2 /* 2: a flags byte per identity; 1 is still read */
#define IDENTITY_FLAG_LEARNED 1
#define CONTACT_STR_MAX (64 * 1024)
#define CONTACT_FLAG_AUTO 1
#define CONTACT_FLAG_PHONE_VALID 2

void tamis_contact_init(tamis_contact *c)
{
    memset(c, 0, sizeof *c);
}

void tamis_contact_free(tamis_contact *c)
{
    tamis_free(c->key);
    tamis_free(c->phone_e164);
    tamis_free(c->tz);
    tamis_free(c->name);
    for (size_t i = 0; i < c->n_tags; i++)
        tamis_free(c->tags[i]);
    tamis_free(c->tags);
    for (size_t i = 0; i < c->n_attrs; i++) {
        tamis_free(c->attrs[i].key);
        tamis_free(c->attrs[i].value);
    }
    tamis_free(c->attrs);
    for (size_t i = 0; i < c->n_ids; i++)
        tamis_free(c->ids[i].id);
    tamis_free(c->ids);
    tamis_contact_init(c);
}

void tamis_contact_set_str(char **slot, const char *s, size_t len)
{
    tamis_free(*slot);
    *slot = len ? tamis_strndup(s, len) : NULL;
}

/* Compares a counted string with a NUL-terminated one, bytewise. */
static int cmp_counted(const char *a, size_t a_len, const char *b)
{
    size_t b_len = strlen(b);
    size_t n = a_len < b_len ? a_len : b_len;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return a_len == b_len ? 0 : (a_len < b_len ? -1 : 1);
}

void tamis_contact_add_tag(tamis_contact *c, const char *tag, size_t len)
{
    size_t i = 0;
    while (i < c->n_tags && cmp_counted(tag, len, c->tags[i]) > 0)
        i++;
    if (i < c->n_tags && cmp_counted(tag, len, c->tags[i]) == 0)
        return;
    c->tags = tamis_realloc(c->tags, (c->n_tags + 1) * sizeof *c->tags);
    memmove(&c->tags[i + 1], &c->tags[i], (c->n_tags - i) * sizeof *c->tags);
    c->tags[i] = tamis_strndup(tag, len);
    c->n_tags++;
}

void tamis_contact_set_attr(tamis_contact *c, const char *key, size_t key_len, const char *value,
                            size_t value_len)
{
    size_t i = 0;
    while (i < c->n_attrs && cmp_counted(key, key_len, c->attrs[i].key) > 0)
        i++;
    if (i < c->n_attrs && cmp_counted(key, key_len, c->attrs[i].key) == 0) {
        tamis_free(c->attrs[i].value);
        c->attrs[i].value = tamis_strndup(value, value_len);
        return;
    }
    c->attrs = tamis_realloc(c->attrs, (c->n_attrs + 1) * sizeof *c->attrs);
    memmove(&c->attrs[i + 1], &c->attrs[i], (c->n_attrs - i) * sizeof *c->attrs);
    c->attrs[i].key = tamis_strndup(key, key_len);
    c->attrs[i].value = tamis_strndup(value, value_len);
    c->n_attrs++;
}

static int identity_cmp(uint8_t platform, const char *id, size_t len, const tamis_identity *x)
{
    if (platform != x->platform)
        return platform < x->platform ? -1 : 1;
    return cmp_counted(id, len, x->id);
}

bool tamis_contact_add_identity(tamis_contact *c, uint8_t platform, const char *id, size_t len, bool learned)
{
    size_t i = 0;
    while (i < c->n_ids && identity_cmp(platform, id, len, &c->ids[i]) > 0)
        i++;
    if (i < c->n_ids && identity_cmp(platform, id, len, &c->ids[i]) == 0) {
        c->ids[i].learned = c->ids[i].learned && learned; /* a contacts file makes it imported */
        return false;
    }
    c->ids = tamis_realloc(c->ids, (c->n_ids + 1) * sizeof *c->ids);
    memmove(&c->ids[i + 1], &c->ids[i], (c->n_ids - i) * sizeof *c->ids);
    c->ids[i].platform = platform;
    c->ids[i].id = tamis_strndup(id, len);
    c->ids[i].learned = learned;
    c->n_ids++;
    return true;
}

void tamis_contact_remove_identity(tamis_contact *c, uint8_t platform, const char *id, size_t len)
{
    for (size_t i = 0; i < c->n_ids; i++) {
        if (identity_cmp(platform, id, len, &c->ids[i]) == 0) {
            tamis_free(c->ids[i].id);
            memmove(&c->ids[i], &c->ids[i + 1], (c->n_ids - i - 1) * sizeof *c->ids);
            c->n_ids--;
            return;
        }
    }
}

static void put_opt(tamis_wbuf *w, const char *s)
{
    tamis_put_str(w, s ? s : "", s ? strlen(s) : 0);
}

void tamis_contact_encode(const tamis_contact *c, uint8_t **buf, size_t *cap, size_t *len)
{
    tamis_wbuf w = {*buf, 0, *cap};
    uint8_t flags = (c->auto_created ? CONTACT_FLAG_AUTO : 0) | (c->phone_valid ? CONTACT_FLAG_PHONE_VALID : 0);

    tamis_put_u8(&w, CONTACT_FORMAT_VERSION);
    tamis_put_u8(&w, flags);
    put_opt(&w, c->key);
    put_opt(&w, c->phone_e164);
    tamis_put_u8(&w, c->phone_type);
    put_opt(&w, c->phone_region);
    put_opt(&w, c->country);
    put_opt(&w, c->tz);
    put_opt(&w, c->name);
    tamis_put_varint(&w, c->n_tags);
    for (size_t i = 0; i < c->n_tags; i++)
        put_opt(&w, c->tags[i]);
    tamis_put_varint(&w, c->n_attrs);
    for (size_t i = 0; i < c->n_attrs; i++) {
        put_opt(&w, c->attrs[i].key);
        put_opt(&w, c->attrs[i].value);
    }
    tamis_put_varint(&w, c->n_ids);
    for (size_t i = 0; i < c->n_ids; i++) {
        tamis_put_u8(&w, c->ids[i].platform);
        tamis_put_u8(&w, c->ids[i].learned ? IDENTITY_FLAG_LEARNED : 0);
        put_opt(&w, c->ids[i].id);
    }
    *buf = w.buf;
    *cap = w.cap;
    *len = w.len;
}

/* Reads a string; NULL for empty when nullable. */
static char *get_dup(tamis_rbuf *r, bool nullable)
{
    size_t n;
    const char *s = tamis_get_str(r, &n, CONTACT_STR_MAX);
    if (n == 0 && nullable)
        return NULL;
    return tamis_strndup(s, n);
}

static void get_fixed(tamis_rbuf *r, char out[3])
{
    size_t n;
    const char *s = tamis_get_str(r, &n, 2);
    memcpy(out, s, n);
    out[n] = '\0';
}

int tamis_contact_decode(tamis_contact *c, const void *buf, size_t len, tamis_error *err)
{
    tamis_rbuf r = tamis_rbuf_make(buf, len);
    uint8_t flags, version;
    uint64_t n;

    tamis_contact_init(c);
    version = tamis_get_u8(&r);
    if (version != 1 && version != CONTACT_FORMAT_VERSION)
        goto fail;
    flags = tamis_get_u8(&r);
    c->auto_created = (flags & CONTACT_FLAG_AUTO) != 0;
    c->phone_valid = (flags & CONTACT_FLAG_PHONE_VALID) != 0;
    c->key = get_dup(&r, false);
    c->phone_e164 = get_dup(&r, true);
    c->phone_type = tamis_get_u8(&r);
    get_fixed(&r, c->phone_region);
    get_fixed(&r, c->country);
    c->tz = get_dup(&r, true);
    c->name = get_dup(&r, true);
    n = tamis_get_varint(&r);
    if (!r.ok || n > (uint64_t)(r.end - r.p))
        goto fail;
    c->tags = tamis_calloc(n ? n : 1, sizeof *c->tags);
    for (; c->n_tags < n && r.ok; c->n_tags++)
        c->tags[c->n_tags] = get_dup(&r, false);
    n = tamis_get_varint(&r);
    if (!r.ok || n > (uint64_t)(r.end - r.p))
        goto fail;
    c->attrs = tamis_calloc(n ? n : 1, sizeof *c->attrs);
    for (; c->n_attrs < n && r.ok; c->n_attrs++) {
        c->attrs[c->n_attrs].key = get_dup(&r, false);
        c->attrs[c->n_attrs].value = get_dup(&r, false);
    }
    n = tamis_get_varint(&r);
    if (!r.ok || n > (uint64_t)(r.end - r.p))
        goto fail;
    c->ids = tamis_calloc(n ? n : 1, sizeof *c->ids);
    for (; c->n_ids < n && r.ok; c->n_ids++) {
        c->ids[c->n_ids].platform = tamis_get_u8(&r);
        c->ids[c->n_ids].learned = version >= 2 && (tamis_get_u8(&r) & IDENTITY_FLAG_LEARNED);
        c->ids[c->n_ids].id = get_dup(&r, false);
    }
    if (!r.ok || r.p != r.end)
        goto fail;
    return TAMIS_OK;
fail:
    tamis_contact_free(c);
    return tamis_error_set(err, TAMIS_ECORRUPT, "stored contact record is corrupt");
}
