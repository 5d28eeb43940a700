/* progress.h — a one-line progress bar on stderr (src/util/progress.c).
 *
 * Shows done/total bytes as a bar with percentage, items per second and ETA; with an
 * unknown total (stdin, compressed input) shows bytes and rate only. Redraws at most
 * ten times a second, so calling update on every batch costs nothing. When disabled
 * (stderr not a terminal) every call is a no-op: output stays clean for scripts. */
#ifndef TAMIS_PROGRESS_H
#define TAMIS_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct tamis_progress tamis_progress;

/* label is copied (cut at 48 bytes). total_bytes 0 means unknown. Owned by the caller,
 * released with tamis_progress_free. Draws on stderr. */
tamis_progress *tamis_progress_new(const char *label, uint64_t total_bytes, bool enabled);
/* The same, drawing on `out` (borrowed: must outlive the bar); for tests. */
tamis_progress *tamis_progress_new_to(FILE *out, const char *label, uint64_t total_bytes,
                                      bool enabled);
/* done_bytes: bytes consumed so far; items: records so far (for the rate). */
void tamis_progress_update(tamis_progress *p, uint64_t done_bytes, uint64_t items);
/* Erases the bar line (the caller then prints its summary). A NULL p is a no-op for
 * every call here. */
void tamis_progress_finish(tamis_progress *p);
void tamis_progress_free(tamis_progress *p);

#endif
