/* render.h — writing per-user column values (include/tamis/columns.h) as CSV cells,
 * JSON text and jansson values (src/model/render.c). Shared by the CLI (export, show,
 * tiers, cooling, snapshots, transitions) and the HTTP API. */
#ifndef TAMIS_MODEL_RENDER_H
#define TAMIS_MODEL_RENDER_H

#include <jansson.h>
#include <stdio.h>

#include "tamis/columns.h"

/* One CSV cell (RFC 4180 quoting when needed; null is empty; lists are joined:
 * hour_hist_30 with ';', reasons with " | ", platforms as "name:k=v;...|..."). */
void tamis_render_csv(FILE *out, const tamis_value *v, const tamis_export_row *row);
/* One JSON value. */
void tamis_render_json(FILE *out, const tamis_value *v, const tamis_export_row *row);
/* A JSON string literal with escapes. */
/* s as one CSV field: quoted (quotes doubled) when it holds a comma, quote or line break. */
void tamis_render_csv_string(FILE *out, const char *s);
void tamis_render_json_string(FILE *out, const char *s);
/* One jansson value (new reference). */
json_t *tamis_render_jansson(const tamis_value *v, const tamis_export_row *row);
/* Every column of row as one JSON object (new reference). */
json_t *tamis_render_row_object(const tamis_export_row *row);

#endif
