/* columns.h — the one table of per-user output columns (src/model/columns.c): their
 * stable names and order, and each one's value for a user. `tamis export`, `tamis show`
 * and later the HTTP API render from this table, so a column is named and defined
 * once. The list and formats are documented in docs/MODEL.md ("Export columns").
 *
 * Ownership: values borrow from the row they were taken from. */
#ifndef TAMIS_COLUMNS_H
#define TAMIS_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/features.h"
#include "tamis/score.h"

typedef enum tamis_value_type {
    TAMIS_V_NULL = 0,
    TAMIS_V_BOOL,
    TAMIS_V_INT,
    TAMIS_V_DOUBLE,
    TAMIS_V_STRING,
    TAMIS_V_TIME,      /* i: UTC ms, rendered ISO-8601 with milliseconds */
    TAMIS_V_HIST,      /* the 24-hour histogram of the row's features */
    TAMIS_V_REASONS,   /* the row's reasons, in plain words */
    TAMIS_V_PLATFORMS  /* per-platform detail of the row's features */
} tamis_value_type;

typedef struct tamis_value {
    tamis_value_type type;
    bool b;
    int64_t i;
    double d;
    const char *s;
} tamis_value;

typedef struct tamis_export_row {
    const char *user;                    /* the operator's key */
    const char *zone;                    /* the zone used ("UTC" when none) */
    const tamis_result *result;
    const tamis_features *features;
    const tamis_platform_names *names;
} tamis_export_row;

size_t tamis_column_count(void);
const char *tamis_column_name(size_t col);
/* Index of a column by exact name, or -1. */
int tamis_column_find(const char *name, size_t len);
/* The value of column col for row. */
void tamis_column_value(size_t col, const tamis_export_row *row, tamis_value *out);
/* Every column's value for row: out[col] for col < tamis_column_count(). */
void tamis_column_values(const tamis_export_row *row, tamis_value *out);

/* Consent of a platform as a word ("opted_in", "opted_out", "blocked") or NULL. */
const char *tamis_platform_consent(const tamis_platform_features *p);

#endif
