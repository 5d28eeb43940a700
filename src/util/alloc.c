/* alloc.c — the allocation wrapper (see include/tamis/alloc.h). */
#include "tamis/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
