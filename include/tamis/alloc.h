/* alloc.h — the one allocation wrapper of tamis.
 *
 * Every heap allocation goes through these functions. On exhaustion they print a
 * message to stderr and abort(): like git's xmalloc and Redis's zmalloc OOM handler,
 * we treat running out of memory as fatal rather than threading ENOMEM through every
 * parser. Memory returned is owned by the caller and released with tamis_free(). */
#ifndef TAMIS_ALLOC_H
#define TAMIS_ALLOC_H

#include <stddef.h>

void *tamis_malloc(size_t size);
void *tamis_calloc(size_t count, size_t size);
void *tamis_realloc(void *ptr, size_t size);
/* Grows an array to hold at least `need` elements of `elem_size` bytes; *cap is updated.
 * Doubles the capacity so that appends are amortised O(1). */
void *tamis_grow(void *ptr, size_t elem_size, size_t *cap, size_t need);
/* Zeroed memory for a large table that is accessed at random (hash tables): on
 * Linux it is 2 MiB-aligned and advised to use transparent huge pages, which spares
 * a TLB miss on most lookups. Freed with tamis_free(). */
void *tamis_calloc_large(size_t count, size_t size);
/* tamis_grow for big arrays filled in order (ingest's span): beyond 2 MiB the array is
 * 2 MiB-aligned and advised to use transparent huge pages, so that filling it takes
 * one page fault per 2 MiB instead of per 4 KiB. Its contents are not zeroed. */
void *tamis_grow_large(void *ptr, size_t elem_size, size_t *cap, size_t need);
char *tamis_strndup(const char *s, size_t len);
char *tamis_strdup(const char *s);
void tamis_free(void *ptr);

#endif
