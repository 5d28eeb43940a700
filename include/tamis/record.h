/* record.h — the stored score record of one user: its result and the features it was
 * computed from (src/model/record.c), kept in the `scores` database so that tiers,
 * show and export read results without recomputing them.
 *
 * Only counts and facts are stored; ratios, rates and rhythm summaries are derived
 * again on decode (tamis_features_derive), so they always follow their definition.
 * Ownership: the encode buffer is the caller's (grown with tamis_realloc). */
#ifndef TAMIS_RECORD_H
#define TAMIS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"
#include "tamis/features.h"
#include "tamis/score.h"

#define TAMIS_RECORD_VERSION 1

void tamis_record_encode(const tamis_result *r, const tamis_features *f, uint8_t **buf, size_t *cap,
                         size_t *len);
/* TAMIS_ECORRUPT on malformed bytes. f may be NULL to decode the result only. */
int tamis_record_decode(const void *buf, size_t len, tamis_result *r, tamis_features *f,
                        tamis_error *err) TAMIS_WUR;

#endif
