/* alloc.c — the allocation wrapper (see include/tamis/alloc.h). */
#include "tamis/alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#define HUGE_PAGE_BYTES (2u << 20)

static void *oom(size_t size)
{
    fprintf(stderr, "tamis: out of memory allocating %zu bytes\n", size);
    abort();
}

void *tamis_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    return p ? p : oom(size);
}

void *tamis_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    return p ? p : oom(count * size);
}

void *tamis_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    return p ? p : oom(size);
}

void *tamis_grow(void *ptr, size_t elem_size, size_t *cap, size_t need)
{
    size_t n = *cap ? *cap : 4;
    if (need <= *cap)
        return ptr;
    while (n < need)
        n *= 2;
    ptr = tamis_realloc(ptr, n * elem_size);
    *cap = n;
    return ptr;
}

/* bytes rounded up to whole huge pages, 2 MiB-aligned, advised to use them. */
static void *huge_alloc(size_t *bytes)
{
    void *p;
    *bytes = (*bytes + HUGE_PAGE_BYTES - 1) / HUGE_PAGE_BYTES * HUGE_PAGE_BYTES;
    p = aligned_alloc(HUGE_PAGE_BYTES, *bytes);
    if (!p)
        return oom(*bytes);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    madvise(p, *bytes, MADV_HUGEPAGE); /* advice only: failure changes nothing */
#endif
    return p;
}

void *tamis_calloc_large(size_t count, size_t size)
{
    size_t bytes = count * size;
    void *p;
    if (size && bytes / size != count)
        return oom(SIZE_MAX);
    if (bytes < HUGE_PAGE_BYTES)
        return tamis_calloc(count, size);
    p = huge_alloc(&bytes);
    memset(p, 0, bytes);
    return p;
}

void *tamis_grow_large(void *ptr, size_t elem_size, size_t *cap, size_t need)
{
    size_t n = *cap ? *cap : 4, bytes;
    void *p;
    if (need <= *cap)
        return ptr;
    while (n < need)
        n *= 2;
    if (n > SIZE_MAX / elem_size)
        return oom(SIZE_MAX);
    bytes = n * elem_size;
    if (bytes < HUGE_PAGE_BYTES)
        return tamis_grow(ptr, elem_size, cap, need);
    p = huge_alloc(&bytes);
    if (ptr && *cap)
        memcpy(p, ptr, *cap * elem_size);
    tamis_free(ptr);
    *cap = bytes / elem_size;
    return p;
}

char *tamis_strndup(const char *s, size_t len)
{
    char *p = tamis_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *tamis_strdup(const char *s)
{
    return tamis_strndup(s, strlen(s));
}

void tamis_free(void *ptr)
{
    free(ptr);
}
