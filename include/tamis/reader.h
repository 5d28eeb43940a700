/* reader.h — bytes of a file (or stdin) to records (src/event/reader.c).
 *
 * The reader opens a path, "-" or a buffer in memory, recognises zstd and gzip by their magic bytes and
 * decompresses on the fly, and splits the stream into records: one per line, except
 * that in CSV mode a line whose double quotes are unbalanced continues on the next
 * physical line (a quoted field with a newline in it). It tracks physical line numbers
 * and the decompressed byte offset, so an ingest can resume after its last committed
 * record. Records longer than TAMIS_MAX_LINE_BYTES are reported as errors and skipped,
 * never truncated. */
#ifndef TAMIS_READER_H
#define TAMIS_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tamis/error.h"

typedef enum tamis_compression {
    TAMIS_COMPRESSION_NONE,
    TAMIS_COMPRESSION_ZSTD,
    TAMIS_COMPRESSION_GZIP
} tamis_compression;

typedef struct tamis_reader tamis_reader;

/* Opens path ("-" for stdin). TAMIS_ENOTFOUND / TAMIS_EIO when it cannot be opened.
 * The reader is owned by the caller; close it with tamis_reader_close(). */
int tamis_reader_open(const char *path, tamis_reader **out, tamis_error *err) TAMIS_WUR;
/* Reads len bytes at data (borrowed: they must outlive the reader); name labels its
 * errors. Its file size reads as 0 (no ledger applies to it). */
int tamis_reader_open_memory(const char *name, const void *data, size_t len, tamis_reader **out,
                             tamis_error *err) TAMIS_WUR;
void tamis_reader_close(tamis_reader *r);

/* CSV mode joins physical lines while double quotes are unbalanced. Off by default. */
void tamis_reader_set_csv(tamis_reader *r, bool csv);

/* Reads the next record into *rec / *len (without its line terminator; a trailing '\r'
 * is left for the parser). Borrowed: valid until the next call. Returns TAMIS_OK with
 * *eof false for a record, TAMIS_OK with *eof true at the end, TAMIS_ELIMIT for an
 * over-long record (already skipped: the next call continues after it; *len holds the
 * first TAMIS_MAX_LINE_BYTES bytes for the rejects file), TAMIS_EIO / TAMIS_EINPUT
 * for read or decompression errors (fatal). */
int tamis_reader_next(tamis_reader *r, const char **rec, size_t *len, bool *eof,
                      tamis_error *err) TAMIS_WUR;

/* Physical line number (1-based) where the last returned record starts. */
uint64_t tamis_reader_line(const tamis_reader *r);
/* Physical lines consumed so far (the last record's last line). */
uint64_t tamis_reader_lines_done(const tamis_reader *r);
/* Decompressed byte offset just past the last returned record. */
uint64_t tamis_reader_offset(const tamis_reader *r);
/* Bytes read from the underlying file so far (compressed), for progress. */
uint64_t tamis_reader_bytes_in(const tamis_reader *r);
/* Size of the underlying file when it is a regular file, else 0. */
uint64_t tamis_reader_file_size(const tamis_reader *r);
tamis_compression tamis_reader_compression(const tamis_reader *r);

/* Discards input up to decompressed offset (which must be a record boundary returned
 * by an earlier run) and sets the line count to lines_done. Used to resume. */
int tamis_reader_skip_to(tamis_reader *r, uint64_t offset, uint64_t lines_done,
                         tamis_error *err) TAMIS_WUR;

/* XXH3-128 of a regular file's bytes, as 16 bytes (big-endian high then low), and its
 * size. TAMIS_EIO on read errors. */
int tamis_file_hash(const char *path, uint8_t out[16], uint64_t *size, tamis_error *err) TAMIS_WUR;

#endif
