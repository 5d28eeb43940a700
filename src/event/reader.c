/* reader.c — files and stdin to records: decompression (zstd, gzip) and line/record
 * splitting with line numbers and offsets (see include/tamis/reader.h).
 *
 * Data flows through two buffers: `in` holds raw bytes from read(2); `buf` holds
 * decompressed bytes from which records are cut. For plain input the two are the
 * same bytes copied once. Records point into `buf` and stay valid until the next call
 * compacts or refills it. */
#include "tamis/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include "tamis/alloc.h"
#include "tamis/limits.h"

#define READ_CHUNK (1u << 20)                       /* bytes per read(2) */
#define BUF_BYTES (4u * READ_CHUNK + TAMIS_MAX_LINE_BYTES) /* decompressed window */

struct tamis_reader {
    int fd;
    bool own_fd;
    const uint8_t *mem;   /* memory source (tamis_reader_open_memory), else NULL */
    size_t mem_len, mem_pos;
    char *path;
    tamis_compression comp;
    bool csv;
    uint64_t file_size;
    uint64_t bytes_in;
    bool in_eof;    /* underlying file fully read */
    bool out_eof;   /* decompressor finished and in_eof */
    /* raw input */
    uint8_t *in;
    size_t in_pos, in_len;
    /* decompressed window */
    char *buf;
    size_t start, end;  /* unread records are buf[start..end) */
    size_t scan;        /* bytes of buf[start..] already searched for a newline */
    int quote_parity;   /* CSV: parity of '"' in buf[start..start+scan) */
    uint64_t base_offset; /* stream offset of buf[0] */
    uint64_t line, lines_done, offset;
    bool skipping;      /* discarding the rest of an over-long record */
    ZSTD_DStream *zstd;
    bool zstd_frame_done; /* the last decompress call ended a frame */
    z_stream gz;
    bool gz_init;
};

static int read_more(tamis_reader *r, tamis_error *err)
{
    ssize_t n;
    if (r->in_pos < r->in_len || r->in_eof)
        return TAMIS_OK;
    if (r->mem) {
        size_t take = r->mem_len - r->mem_pos < READ_CHUNK ? r->mem_len - r->mem_pos : READ_CHUNK;
        memcpy(r->in, r->mem + r->mem_pos, take);
        r->mem_pos += take;
        r->in_pos = 0;
        r->in_len = take;
        r->bytes_in += take;
        r->in_eof = take == 0;
        return TAMIS_OK;
    }
    do {
        n = read(r->fd, r->in, READ_CHUNK);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return tamis_error_set(err, TAMIS_EIO, "%s: read failed: %s", r->path, strerror(errno));
    r->in_pos = 0;
    r->in_len = (size_t)n;
    r->bytes_in += (uint64_t)n;
    if (n == 0)
        r->in_eof = true;
    return TAMIS_OK;
}

static void detect_compression(tamis_reader *r)
{
    static const uint8_t zstd_magic[4] = {0x28, 0xB5, 0x2F, 0xFD};
    if (r->in_len >= 4 && memcmp(r->in, zstd_magic, 4) == 0) {
        r->comp = TAMIS_COMPRESSION_ZSTD;
        r->zstd = ZSTD_createDStream();
        ZSTD_initDStream(r->zstd);
    } else if (r->in_len >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b) {
        r->comp = TAMIS_COMPRESSION_GZIP;
        memset(&r->gz, 0, sizeof r->gz);
        inflateInit2(&r->gz, 15 + 32);
        r->gz_init = true;
    }
}

int tamis_reader_open(const char *path, tamis_reader **out, tamis_error *err)
{
    tamis_reader *r = tamis_calloc(1, sizeof *r);
    struct stat sb;
    int rc;

    r->path = tamis_strdup(path);
    if (!strcmp(path, "-")) {
        r->fd = 0;
    } else {
        r->fd = open(path, O_RDONLY);
        if (r->fd < 0) {
            rc = tamis_error_set(err, errno == ENOENT ? TAMIS_ENOTFOUND : TAMIS_EIO, "cannot open %s: %s",
                                 path, strerror(errno));
            r->fd = -1;
            goto fail;
        }
        r->own_fd = true;
    }
    if (fstat(r->fd, &sb) == 0 && S_ISREG(sb.st_mode))
        r->file_size = (uint64_t)sb.st_size;
    r->in = tamis_malloc(READ_CHUNK);
    r->buf = tamis_malloc(BUF_BYTES);
    if ((rc = read_more(r, err)) != 0)
        goto fail;
    detect_compression(r);
    *out = r;
    return TAMIS_OK;
fail:
    tamis_reader_close(r);
    *out = NULL;
    return rc;
}

int tamis_reader_open_memory(const char *name, const void *data, size_t len, tamis_reader **out,
                             tamis_error *err)
{
    tamis_reader *r = tamis_calloc(1, sizeof *r);
    int rc;
    r->path = tamis_strdup(name);
    r->fd = -1;
    r->mem = len ? data : (const uint8_t *)"";
    r->mem_len = len;
    r->in = tamis_malloc(READ_CHUNK);
    r->buf = tamis_malloc(BUF_BYTES);
    if ((rc = read_more(r, err)) != 0) {
        tamis_reader_close(r);
        *out = NULL;
        return rc;
    }
    detect_compression(r);
    *out = r;
    return TAMIS_OK;
}

void tamis_reader_close(tamis_reader *r)
{
    if (!r)
        return;
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    if (r->zstd)
        ZSTD_freeDStream(r->zstd);
    if (r->gz_init)
        inflateEnd(&r->gz);
    tamis_free(r->in);
    tamis_free(r->buf);
    tamis_free(r->path);
    tamis_free(r);
}

void tamis_reader_set_csv(tamis_reader *r, bool csv) { r->csv = csv; }
uint64_t tamis_reader_line(const tamis_reader *r) { return r->line; }
uint64_t tamis_reader_lines_done(const tamis_reader *r) { return r->lines_done; }
uint64_t tamis_reader_offset(const tamis_reader *r) { return r->offset; }
uint64_t tamis_reader_bytes_in(const tamis_reader *r) { return r->bytes_in; }
uint64_t tamis_reader_file_size(const tamis_reader *r) { return r->file_size; }
tamis_compression tamis_reader_compression(const tamis_reader *r) { return r->comp; }

/* Decompresses (or copies) more bytes into buf[end..]. Sets out_eof at the end. */
static int fill(tamis_reader *r, tamis_error *err)
{
    size_t room;
    int rc;

    if (r->start > 0) { /* compact: keep the unread tail at the front */
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->base_offset += r->start;
        r->end -= r->start;
        r->start = 0;
    }
    room = BUF_BYTES - r->end;
    while (room > 0 && !r->out_eof) {
        size_t produced = 0;
        if ((rc = read_more(r, err)) != 0)
            return rc;
        if (r->comp == TAMIS_COMPRESSION_NONE) {
            size_t n = r->in_len - r->in_pos;
            if (n > room)
                n = room;
            memcpy(r->buf + r->end, r->in + r->in_pos, n);
            r->in_pos += n;
            produced = n;
        } else if (r->comp == TAMIS_COMPRESSION_ZSTD) {
            ZSTD_inBuffer zin = {r->in, r->in_len, r->in_pos};
            ZSTD_outBuffer zout = {r->buf + r->end, room, 0};
            size_t ret;
            bool input_done = r->in_eof && r->in_pos >= r->in_len;
            if (input_done && r->zstd_frame_done) {
                r->out_eof = true; /* all input consumed, last frame complete */
                break;
            }
            ret = ZSTD_decompressStream(r->zstd, &zout, &zin);
            if (ZSTD_isError(ret))
                return tamis_error_set(err, TAMIS_EINPUT, "%s: zstd: %s", r->path, ZSTD_getErrorName(ret));
            r->in_pos = zin.pos;
            produced = zout.pos;
            if (input_done && produced == 0 && ret != 0)
                return tamis_error_set(err, TAMIS_EINPUT, "%s: zstd: truncated input", r->path);
            r->zstd_frame_done = ret == 0;
        } else {
            int zr;
            r->gz.next_in = r->in + r->in_pos;
            r->gz.avail_in = (uInt)(r->in_len - r->in_pos);
            r->gz.next_out = (Bytef *)r->buf + r->end;
            r->gz.avail_out = (uInt)room;
            zr = inflate(&r->gz, Z_NO_FLUSH);
            r->in_pos = r->in_len - r->gz.avail_in;
            produced = room - r->gz.avail_out;
            if (zr == Z_STREAM_END) {
                /* Concatenated gzip members: continue with the next one if any. */
                if ((rc = read_more(r, err)) != 0)
                    return rc;
                if (r->in_pos < r->in_len)
                    inflateReset(&r->gz);
                else if (r->in_eof)
                    r->out_eof = true;
            } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
                return tamis_error_set(err, TAMIS_EINPUT, "%s: gzip: %s", r->path,
                                       r->gz.msg ? r->gz.msg : "corrupt data");
            } else if (zr == Z_BUF_ERROR && r->in_eof && produced == 0) {
                return tamis_error_set(err, TAMIS_EINPUT, "%s: gzip: truncated input", r->path);
            }
        }
        r->end += produced;
        room -= produced;
        if (r->comp == TAMIS_COMPRESSION_NONE && r->in_eof && r->in_pos >= r->in_len)
            r->out_eof = true;
        if (produced > 0 && room < READ_CHUNK)
            break;
        if (produced > 0 && r->comp == TAMIS_COMPRESSION_NONE)
            break;
    }
    return TAMIS_OK;
}

/* Counts '"' in p[0..n) and flips parity accordingly. */
static int quote_parity_of(const char *p, size_t n, int parity)
{
    const char *end = p + n;
    while ((p = memchr(p, '"', (size_t)(end - p))) != NULL) {
        parity ^= 1;
        p++;
    }
    return parity;
}

static uint64_t count_newlines(const char *p, size_t n)
{
    uint64_t c = 0;
    const char *end = p + n;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        c++;
        p++;
    }
    return c;
}

/* Hands out buf[start..start+len) as a record that consumed `consumed` bytes. */
static void emit(tamis_reader *r, size_t len, size_t consumed, const char **rec, size_t *out_len)
{
    *rec = r->buf + r->start;
    *out_len = len;
    r->line = r->lines_done + 1;
    r->lines_done += count_newlines(r->buf + r->start, consumed);
    if (consumed > len && r->buf[r->start + consumed - 1] != '\n')
        r->lines_done++;
    else if (consumed == len) /* last record without a trailing newline */
        r->lines_done++;
    r->start += consumed;
    r->offset = r->base_offset + r->start;
    r->scan = 0;
    r->quote_parity = 0;
}

int tamis_reader_next(tamis_reader *r, const char **rec, size_t *len, bool *eof, tamis_error *err)
{
    int rc;
    *eof = false;
    for (;;) {
        char *from = r->buf + r->start + r->scan;
        size_t avail = r->end - r->start - r->scan;
        char *nl = avail ? memchr(from, '\n', avail) : NULL;

        if (nl) {
            size_t upto = (size_t)(nl - (r->buf + r->start)); /* record length so far */
            if (r->csv && !r->skipping) {
                r->quote_parity = quote_parity_of(from, (size_t)(nl - from), r->quote_parity);
                if (r->quote_parity) { /* inside quotes: the newline belongs to the field */
                    r->scan = upto + 1;
                    if (r->scan <= TAMIS_MAX_LINE_BYTES)
                        continue;
                }
            }
            if (r->skipping) {
                r->skipping = false;
                r->lines_done += count_newlines(r->buf + r->start, upto + 1);
                r->start += upto + 1;
                r->offset = r->base_offset + r->start;
                r->scan = 0;
                r->quote_parity = 0;
                continue;
            }
            if (upto > TAMIS_MAX_LINE_BYTES) {
                emit(r, TAMIS_MAX_LINE_BYTES, upto + 1, rec, len);
                return tamis_error_set(err, TAMIS_ELIMIT, "record longer than %d bytes (TAMIS_MAX_LINE_BYTES)",
                                       TAMIS_MAX_LINE_BYTES);
            }
            emit(r, upto, upto + 1, rec, len);
            return TAMIS_OK;
        }
        if (r->csv && !r->skipping)
            r->quote_parity = quote_parity_of(from, avail, r->quote_parity);
        r->scan += avail;
        if (r->end - r->start > TAMIS_MAX_LINE_BYTES) {
            /* Over-long record: report its beginning, then discard up to its newline. */
            size_t consumed = r->end - r->start;
            if (!r->skipping) {
                r->line = r->lines_done + 1;
                *rec = r->buf + r->start;
                *len = TAMIS_MAX_LINE_BYTES;
                r->skipping = true;
                r->lines_done += count_newlines(r->buf + r->start, consumed);
                r->start += consumed;
                r->offset = r->base_offset + r->start;
                r->scan = 0;
                r->quote_parity = 0;
                /* The bytes stay in buf until the next fill, so *rec is still valid. */
                return tamis_error_set(err, TAMIS_ELIMIT, "record longer than %d bytes (TAMIS_MAX_LINE_BYTES)",
                                       TAMIS_MAX_LINE_BYTES);
            }
            r->lines_done += count_newlines(r->buf + r->start, consumed);
            r->start += consumed;
            r->offset = r->base_offset + r->start;
            r->scan = 0;
        }
        if (r->out_eof) {
            size_t rest = r->end - r->start;
            if (r->skipping) {
                r->skipping = false;
                r->lines_done++;
                r->start = r->end;
                r->offset = r->base_offset + r->start;
                rest = 0;
            }
            if (rest == 0) {
                *eof = true;
                return TAMIS_OK;
            }
            emit(r, rest, rest, rec, len);
            return TAMIS_OK;
        }
        if ((rc = fill(r, err)) != 0)
            return rc;
    }
}

int tamis_reader_skip_to(tamis_reader *r, uint64_t offset, uint64_t lines_done, tamis_error *err)
{
    int rc;
    while (r->base_offset + r->end < offset) {
        if (r->out_eof)
            return tamis_error_set(err, TAMIS_EINPUT, "%s: shorter than the ledger's resume offset %llu",
                                   r->path, (unsigned long long)offset);
        r->start = r->end; /* everything buffered lies before offset */
        if ((rc = fill(r, err)) != 0)
            return rc;
    }
    if (offset < r->base_offset)
        return tamis_error_set(err, TAMIS_EINTERNAL, "%s: cannot seek backwards", r->path);
    r->start = (size_t)(offset - r->base_offset);
    r->offset = offset;
    r->scan = 0;
    r->quote_parity = 0;
    r->skipping = false;
    r->lines_done = lines_done;
    return TAMIS_OK;
}

int tamis_file_hash(const char *path, uint8_t out[16], uint64_t *size, tamis_error *err)
{
    XXH3_state_t *st = XXH3_createState();
    uint8_t *chunk = tamis_malloc(READ_CHUNK);
    int fd = open(path, O_RDONLY);
    uint64_t total = 0;
    int rc = TAMIS_OK;
    XXH128_hash_t h;

    if (fd < 0) {
        rc = tamis_error_set(err, errno == ENOENT ? TAMIS_ENOTFOUND : TAMIS_EIO, "cannot open %s: %s", path,
                             strerror(errno));
        goto done;
    }
    XXH3_128bits_reset(st);
    for (;;) {
        ssize_t n = read(fd, chunk, READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = tamis_error_set(err, TAMIS_EIO, "%s: read failed: %s", path, strerror(errno));
            goto done;
        }
        if (n == 0)
            break;
        XXH3_128bits_update(st, chunk, (size_t)n);
        total += (uint64_t)n;
    }
    h = XXH3_128bits_digest(st);
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(h.high64 >> (56 - 8 * i));
        out[8 + i] = (uint8_t)(h.low64 >> (56 - 8 * i));
    }
    *size = total;
done:
    if (fd >= 0)
        close(fd);
    tamis_free(chunk);
    XXH3_freeState(st);
    return rc;
}
