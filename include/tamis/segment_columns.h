/* segment_columns.h — a columnar copy of what segment expressions read, so that a
 * segment over millions of users is a scan of a few arrays instead of decoding every
 * stored result and contact (src/segment/columns_build.c writes it, columns_file.c
 * opens it, columns_eval.c evaluates expressions over it).
 *
 * The copy is the file TAMIS_STORE_COLUMNS_FILE in the data directory (erasure removes
 * it: it holds contacts' countries and tags), built from the stored
 * results after `tamis score` (and by serve after each full rescoring). It records
 * the store's results generation (tamis_results_generation): any later commit that
 * writes a score or a contact makes it stale, and a stale, missing or unreadable copy
 * is simply not used: evaluation then reads the stored results row by row, with the
 * same answers. The format is docs/SEGMENTS.md ("Column copy").
 *
 * Ownership: an opened copy is the caller's (tamis_segment_columns_close); it maps the
 * file read-only, and may be shared by threads. */
#ifndef TAMIS_SEGMENT_COLUMNS_H
#define TAMIS_SEGMENT_COLUMNS_H

#include <stdbool.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/model_config.h"
#include "tamis/store.h"


typedef struct tamis_segment_columns tamis_segment_columns;

/* Builds the copy from the stored results on `threads` workers, replacing the file
 * atomically (written aside, synced, renamed). Nothing scored: the file is removed.
 * TAMIS_EBUSY if a writer committed while it read (the file is then left as it was). */
int tamis_segment_columns_build(tamis_store *store, const tamis_model_config *cfg, unsigned threads,
                                tamis_error *err) TAMIS_WUR;

/* Builds the copy unless the one there is current. */
int tamis_segment_columns_refresh(tamis_store *store, const tamis_model_config *cfg, unsigned threads,
                                  tamis_error *err) TAMIS_WUR;

/* Opens the copy if it holds what t reads (same results generation). *out is NULL,
 * with TAMIS_OK, when there is no usable copy: missing, stale, or not readable (then
 * *why, if not NULL, says why in a few words). */
int tamis_segment_columns_open(tamis_store *store, tamis_txn *t, tamis_segment_columns **out, const char **why,
                               tamis_error *err) TAMIS_WUR;
void tamis_segment_columns_close(tamis_segment_columns *c);

#endif
