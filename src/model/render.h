/* render.h — writing per-user column values (include/tamis/columns.h) as CSV cells,
 * JSON text and jansson values (src/model/render.c). Shared by the CLI (export, show,
 * tiers, cooling, snapshots, transitions) and the HTTP API. */
#ifndef TAMIS_MODEL_RENDER_H
#define TAMIS_MODEL_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tamis/columns.h"

/* One CSV cell (RFC 4180 quoting when needed; null is empty; lists are joined:
 * hour_hist_30 with ';', reasons with " | ", platforms as "name:k=v;...|..."). */
void tamis_render_csv(FILE *out, const tamis_value *v, const tamis_export_row *row);
/* One JSON value. */
void tamis_render_json(FILE *out, const tamis_value *v, const tamis_export_row *row);
/* The platforms column as a JSON object (what tamis_render_json writes for it); with
 * omit_nulls, members whose value is null are left out (PostgreSQL's ->> gives NULL
 * for them all the same, and the export sends a third fewer bytes). */
void tamis_render_platforms_json(FILE *out, const tamis_export_row *row, bool omit_nulls);
/* A JSON string literal with escapes. */
/* s as one CSV field: quoted (quotes doubled) when it holds a comma, quote or line break. */
void tamis_render_csv_string(FILE *out, const char *s);
void tamis_render_json_string(FILE *out, const char *s);
/* One jansson value (new reference). */
json_t *tamis_render_jansson(const tamis_value *v, const tamis_export_row *row);
/* Every column of row as one JSON object (new reference). */
json_t *tamis_render_row_object(const tamis_export_row *row);

/* One export line: the columns cols[0..n) of row as a CSV line, or as an NDJSON
 * object. The CSV header line is tamis_render_export_header. */
void tamis_render_export_line(FILE *out, bool ndjson, const size_t *cols, size_t n, const tamis_export_row *row);
void tamis_render_export_header(FILE *out, const size_t *cols, size_t n);
/* Every column of row as one JSON object's text (no newline): the text form of
 * tamis_render_row_object, without building a jansson tree. */
void tamis_render_row_json(FILE *out, const tamis_export_row *row);

#endif
