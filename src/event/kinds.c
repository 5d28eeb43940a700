/* kinds.c — expands the kind table of include/tamis/kinds.h into data and lookups.
 * The parsers call tamis_kind_from_name on every record, so it compares a precomputed
 * name length and the first byte before any memcmp. */
#include "tamis/kinds.h"

#include <string.h>

const tamis_kind_info tamis_kind_table[TAMIS_KIND__COUNT] = {
#define TAMIS_KIND_ROW(id, name, activity, deep, dim) \
    {name, TAMIS_KIND_##id, activity, deep, TAMIS_DIM_##dim},
    TAMIS_KINDS(TAMIS_KIND_ROW)
#undef TAMIS_KIND_ROW
};

static const char *const dimension_names[TAMIS_DIM__COUNT] = {
#define TAMIS_DIM_NAME(id, name) name,
    TAMIS_DIMENSIONS(TAMIS_DIM_NAME)
#undef TAMIS_DIM_NAME
};

/* Name lengths, computed at compile time from the same table, so a lookup rejects most
 * kinds on one byte compare and never calls strlen. */
static const uint8_t kind_name_len[TAMIS_KIND__COUNT] = {
#define TAMIS_KIND_LEN(id, name, activity, deep, dim) sizeof(name) - 1,
    TAMIS_KINDS(TAMIS_KIND_LEN)
#undef TAMIS_KIND_LEN
};

int tamis_kind_from_name(const char *name, size_t len)
{
    if (len == 0)
        return -1;
    for (int k = 0; k < TAMIS_KIND__COUNT; k++) {
        const char *n = tamis_kind_table[k].name;
        if (kind_name_len[k] == len && n[0] == name[0] && memcmp(n, name, len) == 0)
            return k;
    }
    return -1;
}

const char *tamis_kind_name(int kind)
{
    if (kind < 0 || kind >= TAMIS_KIND__COUNT)
        return "?";
    return tamis_kind_table[kind].name;
}

const char *tamis_dimension_name(int dim)
{
    if (dim < 0 || dim >= TAMIS_DIM__COUNT)
        return "?";
    return dimension_names[dim];
}
