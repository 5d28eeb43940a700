/* strmap.c — open-addressing string map with linear probing and tombstones
 * (see strmap.h). Slots hold the 64-bit XXH3 hash, so most probes compare hashes only.
 * Keys of up to INLINE_KEY bytes (typical user keys) live in the slot itself, so a
 * lookup costs one cache miss; longer keys live in an append-only arena. */
#include "util/strmap.h"

#include <string.h>
#include <xxhash.h>

#include "tamis/alloc.h"

#define ARENA_CHUNK (1u << 20)
#define TOMBSTONE ((const char *)1)

#define INLINE_KEY 16
#define INLINE_MARK ((const char *)2) /* key bytes are in inline_key */

typedef struct slot {
    uint64_t hash;
    const char *key; /* NULL empty, TOMBSTONE deleted, INLINE_MARK, or arena bytes */
    uint32_t len;
    uint32_t value;
    char inline_key[INLINE_KEY];
} slot;

typedef struct chunk {
    struct chunk *next;
    size_t used;
    char data[];
} chunk;

struct tamis_strmap {
    slot *slots;
    size_t mask;     /* capacity - 1, capacity a power of two */
    size_t count;    /* live keys */
    size_t occupied; /* live + tombstones */
    chunk *arena;
};

tamis_strmap *tamis_strmap_new(void)
{
    tamis_strmap *m = tamis_calloc(1, sizeof *m);
    m->mask = 1023;
    m->slots = tamis_calloc(m->mask + 1, sizeof *m->slots);
    return m;
}

void tamis_strmap_free(tamis_strmap *m)
{
    if (!m)
        return;
    while (m->arena) {
        chunk *next = m->arena->next;
        tamis_free(m->arena);
        m->arena = next;
    }
    tamis_free(m->slots);
    tamis_free(m);
}

static const char *arena_copy(tamis_strmap *m, const void *key, size_t len)
{
    chunk *c = m->arena;
    char *p;
    if (!c || c->used + len > ARENA_CHUNK) {
        size_t size = len > ARENA_CHUNK ? len : ARENA_CHUNK;
        c = tamis_malloc(sizeof *c + size);
        c->used = 0;
        c->next = m->arena;
        m->arena = c;
    }
    p = c->data + c->used;
    if (len)
        memcpy(p, key, len);
    c->used += len;
    return p;
}

static size_t find(const tamis_strmap *m, uint64_t h, const void *key, size_t len, bool *found)
{
    size_t i = (size_t)h & m->mask, first_free = SIZE_MAX;
    for (;;) {
        const slot *s = &m->slots[i];
        if (s->key == NULL) {
            *found = false;
            return first_free != SIZE_MAX ? first_free : i;
        }
        if (s->key == TOMBSTONE) {
            if (first_free == SIZE_MAX)
                first_free = i;
        } else if (s->hash == h && s->len == len &&
                   memcmp(len <= INLINE_KEY ? s->inline_key : s->key, key, len) == 0) {
            *found = true;
            return i;
        }
        i = (i + 1) & m->mask;
    }
}

static void rehash(tamis_strmap *m, size_t new_cap)
{
    slot *old = m->slots;
    size_t old_cap = m->mask + 1;
    m->slots = tamis_calloc_large(new_cap, sizeof *m->slots);
    m->mask = new_cap - 1;
    m->occupied = m->count;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].key && old[i].key != TOMBSTONE) {
            size_t j = (size_t)old[i].hash & m->mask;
            while (m->slots[j].key)
                j = (j + 1) & m->mask;
            m->slots[j] = old[i];
        }
    }
    tamis_free(old);
}

bool tamis_strmap_get(const tamis_strmap *m, const void *key, size_t len, uint32_t *value)
{
    bool found;
    size_t i = find(m, XXH3_64bits(key, len), key, len, &found);
    if (found && value)
        *value = m->slots[i].value;
    return found;
}

void tamis_strmap_put(tamis_strmap *m, const void *key, size_t len, uint32_t value)
{
    uint64_t h = XXH3_64bits(key, len);
    bool found;
    size_t i;

    if ((m->occupied + 1) * 4 > (m->mask + 1) * 3)
        rehash(m, m->count * 4 > (m->mask + 1) ? (m->mask + 1) * 2 : m->mask + 1);
    i = find(m, h, key, len, &found);
    if (found) {
        m->slots[i].value = value;
        return;
    }
    if (m->slots[i].key == NULL)
        m->occupied++;
    m->slots[i].hash = h;
    if (len <= INLINE_KEY) {
        memcpy(m->slots[i].inline_key, key, len);
        m->slots[i].key = INLINE_MARK;
    } else {
        m->slots[i].key = arena_copy(m, key, len);
    }
    m->slots[i].len = (uint32_t)len;
    m->slots[i].value = value;
    m->count++;
}

void tamis_strmap_del(tamis_strmap *m, const void *key, size_t len)
{
    bool found;
    size_t i = find(m, XXH3_64bits(key, len), key, len, &found);
    if (found) {
        m->slots[i].key = TOMBSTONE;
        m->count--;
    }
}

size_t tamis_strmap_count(const tamis_strmap *m)
{
    return m->count;
}

void tamis_strmap_reserve(tamis_strmap *m, size_t n)
{
    size_t cap = m->mask + 1;
    while (n * 4 > cap * 3)
        cap *= 2;
    if (cap > m->mask + 1)
        rehash(m, cap);
}
