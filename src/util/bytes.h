/* bytes.h — little helpers to encode and decode stored records: LEB128 varints,
 * fixed-width little-endian integers and doubles, with a bounds-checked reader.
 * Used by src/store for every value written to LMDB. Header-only (static inline). */
#ifndef TAMIS_BYTES_H
#define TAMIS_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tamis/alloc.h"

/* A growable output buffer; the caller owns buf. */
typedef struct tamis_wbuf {
    uint8_t *buf;
    size_t len, cap;
} tamis_wbuf;

static inline void tamis_wbuf_reserve(tamis_wbuf *w, size_t more)
{
    if (w->len + more > w->cap)
        w->buf = tamis_grow(w->buf, 1, &w->cap, w->len + more);
}

static inline void tamis_put_u8(tamis_wbuf *w, uint8_t v)
{
    tamis_wbuf_reserve(w, 1);
    w->buf[w->len++] = v;
}

static inline void tamis_put_varint(tamis_wbuf *w, uint64_t v)
{
    tamis_wbuf_reserve(w, 10);
    while (v >= 0x80) {
        w->buf[w->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    w->buf[w->len++] = (uint8_t)v;
}

/* Signed values as zigzag varints. */
static inline void tamis_put_svarint(tamis_wbuf *w, int64_t v)
{
    tamis_put_varint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static inline void tamis_put_u64(tamis_wbuf *w, uint64_t v)
{
    tamis_wbuf_reserve(w, 8);
    for (int i = 0; i < 8; i++)
        w->buf[w->len++] = (uint8_t)(v >> (8 * i));
}

static inline void tamis_put_f64(tamis_wbuf *w, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    tamis_put_u64(w, v);
}

static inline void tamis_put_bytes(tamis_wbuf *w, const void *p, size_t n)
{
    tamis_wbuf_reserve(w, n);
    if (n)
        memcpy(w->buf + w->len, p, n);
    w->len += n;
}

/* Length-prefixed byte string. */
static inline void tamis_put_str(tamis_wbuf *w, const char *s, size_t n)
{
    tamis_put_varint(w, n);
    tamis_put_bytes(w, s, n);
}

/* A bounds-checked reader: any read past the end sets ok = false and returns 0. */
typedef struct tamis_rbuf {
    const uint8_t *p, *end;
    bool ok;
} tamis_rbuf;

static inline tamis_rbuf tamis_rbuf_make(const void *p, size_t n)
{
    tamis_rbuf r = {(const uint8_t *)p, (const uint8_t *)p + n, true};
    return r;
}

static inline uint8_t tamis_get_u8(tamis_rbuf *r)
{
    if (r->p >= r->end) {
        r->ok = false;
        return 0;
    }
    return *r->p++;
}

static inline uint64_t tamis_get_varint(tamis_rbuf *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) {
            r->ok = false;
            return 0;
        }
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    r->ok = false;
    return 0;
}

static inline int64_t tamis_get_svarint(tamis_rbuf *r)
{
    uint64_t u = tamis_get_varint(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static inline uint64_t tamis_get_u64(tamis_rbuf *r)
{
    uint64_t v = 0;
    if (r->end - r->p < 8) {
        r->ok = false;
        return 0;
    }
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += 8;
    return v;
}

static inline double tamis_get_f64(tamis_rbuf *r)
{
    uint64_t v = tamis_get_u64(r);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

/* Borrows a length-prefixed string (not NUL-terminated) of at most max bytes. */
static inline const char *tamis_get_str(tamis_rbuf *r, size_t *n, size_t max)
{
    uint64_t len = tamis_get_varint(r);
    const char *s;
    if (!r->ok || len > max || (uint64_t)(r->end - r->p) < len) {
        r->ok = false;
        *n = 0;
        return "";
    }
    s = (const char *)r->p;
    r->p += len;
    *n = (size_t)len;
    return s;
}

#endif
