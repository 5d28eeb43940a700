/* strmap.h — an open-addressing hash map from byte strings to uint32 values
 * (src/util/strmap.c). Keys are copied into an arena owned by the map; the map never
 * shrinks. Used by ingest to find the in-memory entry of a user key or a platform
 * identity without a B-tree lookup per event. */
#ifndef TAMIS_STRMAP_H
#define TAMIS_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tamis_strmap tamis_strmap;

tamis_strmap *tamis_strmap_new(void);
void tamis_strmap_free(tamis_strmap *m);

/* Returns true and sets *value (unless value is NULL) if key is present. */
bool tamis_strmap_get(const tamis_strmap *m, const void *key, size_t len, uint32_t *value);
/* Inserts or replaces. */
void tamis_strmap_put(tamis_strmap *m, const void *key, size_t len, uint32_t value);
/* Removes key if present. */
void tamis_strmap_del(tamis_strmap *m, const void *key, size_t len);
size_t tamis_strmap_count(const tamis_strmap *m);
/* Grows the table now so that n keys fit without rehashing later (a session that
 * knows it will see a million users pays for one allocation, not twenty rehashes). */
void tamis_strmap_reserve(tamis_strmap *m, size_t n);

#endif
