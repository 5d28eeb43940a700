/* test_reader.c — unit tests of the record reader: line splitting, CSV records that
 * span lines, line numbers and offsets, resuming with skip_to, over-long records and
 * compressed input (zstd and gzip, written here with the libraries themselves). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "tamis/alloc.h"
#include "tamis/limits.h"
#include "tamis/reader.h"

static char *write_temp(const void *data, size_t len)
{
    char *path = tamis_strdup("/tmp/tamis_reader_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

typedef struct rec {
    char text[128];
    uint64_t line;
} rec;

/* Reads every record; returns the count, filling out[] (text cut at 127 bytes). */
static size_t read_all(const char *path, bool csv, rec *out, size_t max, int *limit_errors)
{
    tamis_reader *r;
    tamis_error err;
    size_t n = 0;
    *limit_errors = 0;
    assert_int_equal(tamis_reader_open(path, &r, &err), TAMIS_OK);
    tamis_reader_set_csv(r, csv);
    for (;;) {
        const char *p;
        size_t len;
        bool eof;
        int rc = tamis_reader_next(r, &p, &len, &eof, &err);
        if (rc == TAMIS_ELIMIT) {
            (*limit_errors)++;
            continue;
        }
        assert_int_equal(rc, TAMIS_OK);
        if (eof)
            break;
        assert_true(n < max);
        snprintf(out[n].text, sizeof out[n].text, "%.*s", (int)(len < 127 ? len : 127), p);
        out[n].line = tamis_reader_line(r);
        n++;
    }
    tamis_reader_close(r);
    return n;
}

static void test_lines_and_numbers(void **unused)
{
    const char *data = "a,b\n1,2\r\n\n3,4";
    char *path = write_temp(data, strlen(data));
    rec recs[8];
    int lim;
    (void)unused;
    assert_int_equal(read_all(path, false, recs, 8, &lim), 4);
    assert_string_equal(recs[0].text, "a,b");
    assert_string_equal(recs[1].text, "1,2\r"); /* '\r' is the parser's business */
    assert_string_equal(recs[2].text, "");
    assert_string_equal(recs[3].text, "3,4"); /* no final newline */
    assert_int_equal(recs[3].line, 4);
    unlink(path);
    tamis_free(path);
}

static void test_csv_quoted_newlines(void **unused)
{
    const char *data = "h1,h2\nx,\"two\nlines\"\ny,\"say \"\"hi\"\"\"\nz,1\n";
    char *path = write_temp(data, strlen(data));
    rec recs[8];
    int lim;
    (void)unused;
    assert_int_equal(read_all(path, true, recs, 8, &lim), 4);
    assert_string_equal(recs[1].text, "x,\"two\nlines\"");
    assert_int_equal(recs[1].line, 2);
    assert_int_equal(recs[2].line, 4);
    assert_int_equal(recs[3].line, 5);
    /* without CSV mode the quoted newline splits */
    assert_int_equal(read_all(path, false, recs, 8, &lim), 5);
    unlink(path);
    tamis_free(path);
}

static void test_overlong_record_is_skipped(void **unused)
{
    size_t big = TAMIS_MAX_LINE_BYTES + 100;
    char *data = tamis_malloc(big + 64);
    size_t n = 0;
    char *path;
    rec recs[8];
    int lim;
    (void)unused;
    n += (size_t)snprintf(data + n, 64, "first\n");
    memset(data + n, 'x', big);
    n += big;
    n += (size_t)snprintf(data + n, 64, "\nlast\n");
    path = write_temp(data, n);
    assert_int_equal(read_all(path, false, recs, 8, &lim), 2);
    assert_int_equal(lim, 1);
    assert_string_equal(recs[1].text, "last");
    assert_int_equal(recs[1].line, 3);
    unlink(path);
    tamis_free(path);
    tamis_free(data);
}

static void test_skip_to_resumes(void **unused)
{
    const char *data = "h\nr1\nr2\nr3\n";
    char *path = write_temp(data, strlen(data));
    tamis_reader *r;
    tamis_error err;
    const char *p;
    size_t len;
    bool eof;
    uint64_t off, lines;
    (void)unused;

    assert_int_equal(tamis_reader_open(path, &r, &err), TAMIS_OK);
    assert_int_equal(tamis_reader_next(r, &p, &len, &eof, &err), TAMIS_OK); /* h */
    assert_int_equal(tamis_reader_next(r, &p, &len, &eof, &err), TAMIS_OK); /* r1 */
    off = tamis_reader_offset(r);
    lines = tamis_reader_lines_done(r);
    assert_int_equal(off, 5);
    assert_int_equal(lines, 2);
    tamis_reader_close(r);

    assert_int_equal(tamis_reader_open(path, &r, &err), TAMIS_OK);
    assert_int_equal(tamis_reader_next(r, &p, &len, &eof, &err), TAMIS_OK); /* header again */
    assert_int_equal(tamis_reader_skip_to(r, off, lines, &err), TAMIS_OK);
    assert_int_equal(tamis_reader_next(r, &p, &len, &eof, &err), TAMIS_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(p, "r2", 2);
    assert_int_equal(tamis_reader_line(r), 3);
    tamis_reader_close(r);
    unlink(path);
    tamis_free(path);
}

static void test_compressed(void **unused)
{
    const char *data = "ts,user\n1,a\n2,b\n";
    size_t n = strlen(data), bound = ZSTD_compressBound(n), zn;
    uint8_t *z = tamis_malloc(bound * 2 + 64);
    uLongf gn = (uLongf)(bound + 64);
    char *path;
    rec recs[8];
    int lim;
    tamis_reader *r;
    tamis_error err;
    (void)unused;

    /* two zstd frames back to back */
    zn = ZSTD_compress(z, bound, data, 8, 1);
    zn += ZSTD_compress(z + zn, bound, data + 8, n - 8, 1);
    path = write_temp(z, zn);
    assert_int_equal(read_all(path, false, recs, 8, &lim), 3);
    assert_string_equal(recs[2].text, "2,b");
    assert_int_equal(tamis_reader_open(path, &r, &err), TAMIS_OK);
    assert_int_equal(tamis_reader_compression(r), TAMIS_COMPRESSION_ZSTD);
    tamis_reader_close(r);
    unlink(path);
    tamis_free(path);

    /* truncated zstd: an error, not a silent short read */
    path = write_temp(z, zn - 3);
    assert_int_equal(tamis_reader_open(path, &r, &err), TAMIS_OK);
    {
        const char *p;
        size_t len;
        bool eof = false;
        int rc = TAMIS_OK;
        while (rc == TAMIS_OK && !eof)
            rc = tamis_reader_next(r, &p, &len, &eof, &err);
        assert_int_equal(rc, TAMIS_EINPUT);
        assert_non_null(strstr(err.msg, "zstd"));
    }
    tamis_reader_close(r);
    unlink(path);
    tamis_free(path);

    /* gzip via zlib's gz format: compress2 writes zlib, so build a gzip member */
    {
        z_stream s;
        memset(&s, 0, sizeof s);
        assert_int_equal(deflateInit2(&s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
        s.next_in = (Bytef *)data;
        s.avail_in = (uInt)n;
        s.next_out = z;
        s.avail_out = (uInt)gn;
        assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
        gn = s.total_out;
        deflateEnd(&s);
    }
    path = write_temp(z, gn);
    assert_int_equal(read_all(path, false, recs, 8, &lim), 3);
    assert_string_equal(recs[1].text, "1,a");
    unlink(path);
    tamis_free(path);
    tamis_free(z);
}

/* A buffer in memory reads like the same bytes in a file: records, lines, offsets, a
 * zstd-compressed buffer; the empty buffer is at once at its end. Bigger than one
 * internal read, so the copying in pieces is exercised. */
static void test_memory(void **unused)
{
    size_t n = 3000000, zn, bound; /* 100-byte lines over three internal reads */
    char *data = tamis_malloc(n);
    uint8_t *z = NULL;
    tamis_reader *r;
    tamis_error err;
    const char *p;
    size_t len;
    bool eof;
    uint64_t records = 0;
    (void)unused;
    for (size_t i = 0; i < n; i++)
        data[i] = (i % 100 == 99) ? '\n' : (char)('a' + i % 26);
    for (int pass = 0; pass < 2; pass++) {
        const void *src = data;
        size_t src_len = n;
        if (pass == 1) {
            bound = ZSTD_compressBound(n);
            z = tamis_malloc(bound);
            zn = ZSTD_compress(z, bound, data, n, 1);
            src = z;
            src_len = zn;
        }
        records = 0;
        assert_int_equal(tamis_reader_open_memory("mem", src, src_len, &r, &err), TAMIS_OK);
        assert_int_equal(tamis_reader_file_size(r), 0);
        for (;;) {
            assert_int_equal(tamis_reader_next(r, &p, &len, &eof, &err), TAMIS_OK);
            if (eof)
                break;
            assert_int_equal(len, 99);
            assert_int_equal(p[0], 'a' + (int)(records * 100 % 26));
            records++;
            assert_int_equal(tamis_reader_line(r), records);
        }
        assert_int_equal(records, n / 100);
        assert_int_equal(tamis_reader_offset(r), n);
        tamis_reader_close(r);
        if (pass == 1)
            tamis_free(z);
    }
    assert_int_equal(tamis_reader_open_memory("empty", NULL, 0, &r, &err), TAMIS_OK);
    assert_int_equal(tamis_reader_next(r, &p, &len, &eof, &err), TAMIS_OK);
    assert_true(eof);
    tamis_reader_close(r);
    tamis_free(data);
}

static void test_file_hash(void **unused)
{
    char *a = write_temp("same bytes", 10), *b = write_temp("same bytes", 10), *c = write_temp("other", 5);
    uint8_t ha[16], hb[16], hc[16];
    uint64_t size;
    tamis_error err;
    (void)unused;
    assert_int_equal(tamis_file_hash(a, ha, &size, &err), TAMIS_OK);
    assert_int_equal(size, 10);
    assert_int_equal(tamis_file_hash(b, hb, &size, &err), TAMIS_OK);
    assert_int_equal(tamis_file_hash(c, hc, &size, &err), TAMIS_OK);
    assert_memory_equal(ha, hb, 16);
    assert_memory_not_equal(ha, hc, 16);
    assert_int_equal(tamis_file_hash("/nonexistent/x", ha, &size, &err), TAMIS_ENOTFOUND);
    unlink(a);
    unlink(b);
    unlink(c);
    tamis_free(a);
    tamis_free(b);
    tamis_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_and_numbers),  cmocka_unit_test(test_csv_quoted_newlines),
        cmocka_unit_test(test_overlong_record_is_skipped), cmocka_unit_test(test_skip_to_resumes),
        cmocka_unit_test(test_compressed),         cmocka_unit_test(test_file_hash),
        cmocka_unit_test(test_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
