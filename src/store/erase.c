/* erase.c — `tamis forget`: deleting users and scrubbing every copy of their
 * identifiers from the data directory (see include/tamis/erase.h). */
#define _GNU_SOURCE /* memmem */
#include "tamis/erase.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "tamis/alloc.h"
#include "tamis/contact_record.h"
#include "tamis/phone.h"
#include "tamis/snapshot_store.h"
#include "util/bytes.h"

/* What to look for in text: tokens (exact, bounded) and digit runs (anywhere). */
typedef struct scrub_set {
    char **tokens; size_t n_tokens;
    char **digits; size_t n_digits;
} scrub_set;

static void scrub_add(char ***list, size_t *n, const char *s)
{
    if (!s || !*s)
        return;
    *list = tamis_realloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = tamis_strdup(s);
}

static void scrub_free(scrub_set *set)
{
    for (size_t i = 0; i < set->n_tokens; i++)
        tamis_free(set->tokens[i]);
    for (size_t i = 0; i < set->n_digits; i++)
        tamis_free(set->digits[i]);
    tamis_free(set->tokens);
    tamis_free(set->digits);
}

static bool token_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == ':' || c == '@' || c == '+' || c == '-';
}

static bool line_mentions(const scrub_set *set, const char *line, size_t len)
{
    for (size_t t = 0; t < set->n_tokens; t++) {
        const char *tok = set->tokens[t];
        size_t tl = strlen(tok);
        for (const char *p = line; (size_t)(line + len - p) >= tl;) {
            const char *hit = memmem(p, (size_t)(line + len - p), tok, tl);
            if (!hit)
                break;
            bool left = hit == line || !token_char(hit[-1]);
            bool right = hit + tl == line + len || !token_char(hit[tl]);
            if (left && right)
                return true;
            p = hit + 1;
        }
    }
    for (size_t d = 0; d < set->n_digits; d++)
        if (memmem(line, len, set->digits[d], strlen(set->digits[d])))
            return true;
    return false;
}

/* Keeps the lines of in[0..len) that do not mention the set; returns lines dropped. */
static uint64_t filter_lines(const scrub_set *set, const char *in, size_t len, tamis_wbuf *out)
{
    uint64_t dropped = 0;
    const char *p = in, *end = in + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        if (line_mentions(set, p, n))
            dropped++;
        else
            tamis_put_bytes(out, p, n);
        p += n;
    }
    return dropped;
}

static int read_file(const char *path, tamis_wbuf *out, tamis_error *err)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;
    if (!f)
        return errno == ENOENT ? TAMIS_ENOTFOUND : tamis_error_set(err, TAMIS_EIO, "cannot open %s: %s", path, strerror(errno));
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        tamis_put_bytes(out, chunk, n);
    if (ferror(f)) {
        fclose(f);
        return tamis_error_set(err, TAMIS_EIO, "cannot read %s", path);
    }
    fclose(f);
    return TAMIS_OK;
}

/* Replaces path atomically with data[0..len). */
static int replace_file(const char *path, const void *data, size_t len, tamis_error *err)
{
    size_t n = strlen(path) + 8;
    char *tmp = tamis_malloc(n);
    FILE *f;
    int rc = TAMIS_OK;

    snprintf(tmp, n, "%s.tmp", path);
    f = fopen(tmp, "wb");
    if (!f) {
        rc = tamis_error_set(err, TAMIS_EIO, "cannot create %s: %s", tmp, strerror(errno));
    } else {
        if ((len && fwrite(data, 1, len, f) != len) || fflush(f) != 0 || fsync(fileno(f)) != 0)
            rc = tamis_error_set(err, TAMIS_EIO, "cannot write %s: %s", tmp, strerror(errno));
        fclose(f);
        if (!rc && rename(tmp, path) != 0)
            rc = tamis_error_set(err, TAMIS_EIO, "cannot replace %s: %s", path, strerror(errno));
        if (rc)
            unlink(tmp);
    }
    tamis_free(tmp);
    return rc;
}

static int scrub_text_file(const scrub_set *set, const char *path, uint64_t *dropped, tamis_error *err)
{
    tamis_wbuf in = {0}, out = {0};
    uint64_t d;
    int rc = read_file(path, &in, err);
    if (rc == TAMIS_ENOTFOUND) {
        rc = TAMIS_OK;
        goto done;
    }
    if (rc)
        goto done;
    d = filter_lines(set, (const char *)in.buf, in.len, &out);
    if (d) {
        *dropped += d;
        rc = replace_file(path, out.buf, out.len, err);
    }
done:
    tamis_free(in.buf);
    tamis_free(out.buf);
    return rc;
}

/* Raw archives are sequences of zstd frames of records; rewrite as one frame. */
static int scrub_raw_file(const scrub_set *set, const char *path, uint64_t *dropped, tamis_error *err)
{
    tamis_wbuf in = {0}, plain = {0}, out = {0};
    ZSTD_DStream *ds = ZSTD_createDStream();
    ZSTD_inBuffer zin;
    uint64_t d;
    int rc = read_file(path, &in, err);

    if (rc)
        goto done;
    ZSTD_initDStream(ds);
    zin.src = in.buf;
    zin.size = in.len;
    zin.pos = 0;
    while (zin.pos < zin.size) {
        size_t ret;
        ZSTD_outBuffer zout;
        tamis_wbuf_reserve(&plain, 1 << 20);
        zout.dst = plain.buf + plain.len;
        zout.size = plain.cap - plain.len;
        zout.pos = 0;
        ret = ZSTD_decompressStream(ds, &zout, &zin);
        if (ZSTD_isError(ret)) {
            rc = tamis_error_set(err, TAMIS_ECORRUPT, "%s: %s", path, ZSTD_getErrorName(ret));
            goto done;
        }
        plain.len += zout.pos;
        if (zout.pos == 0 && ret != 0 && zin.pos == zin.size)
            break;
    }
    d = filter_lines(set, (const char *)plain.buf, plain.len, &out);
    if (d) {
        size_t bound = ZSTD_compressBound(out.len);
        uint8_t *frame = tamis_malloc(bound);
        size_t n = ZSTD_compress(frame, bound, out.buf, out.len, 3);
        *dropped += d;
        rc = ZSTD_isError(n) ? tamis_error_set(err, TAMIS_EIO, "%s: %s", path, ZSTD_getErrorName(n))
                             : replace_file(path, frame, n, err);
        tamis_free(frame);
    }
done:
    ZSTD_freeDStream(ds);
    tamis_free(in.buf);
    tamis_free(plain.buf);
    tamis_free(out.buf);
    return rc;
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = tamis_malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

static int scrub_files(tamis_store *s, const scrub_set *set, uint64_t *dropped, tamis_error *err)
{
    static const char *const texts[] = {"rejects.log", "warnings.log"};
    char *rawdir = join(tamis_store_dir(s), "raw");
    DIR *dir;
    int rc = TAMIS_OK;

    for (size_t i = 0; i < sizeof texts / sizeof texts[0] && rc == 0; i++) {
        char *p = join(tamis_store_dir(s), texts[i]);
        rc = scrub_text_file(set, p, dropped, err);
        tamis_free(p);
    }
    dir = rc ? NULL : opendir(rawdir);
    if (dir) {
        struct dirent *de;
        while (rc == 0 && (de = readdir(dir)) != NULL) {
            size_t n = strlen(de->d_name);
            if (n > 4 && !strcmp(de->d_name + n - 4, ".zst")) {
                char *p = join(rawdir, de->d_name);
                rc = scrub_raw_file(set, p, dropped, err);
                tamis_free(p);
            }
        }
        closedir(dir);
    }
    tamis_free(rawdir);
    return rc;
}

/* Deletes one user inside txn and collects what to scrub. */
static int forget_one(tamis_txn *txn, const char *key, scrub_set *set, tamis_forget_summary *sum, tamis_error *err)
{
    const void *data;
    size_t len;
    tamis_contact c;
    uint32_t uid;
    int rc = tamis_user_lookup(txn, key, strlen(key), &uid, err);

    if (rc == TAMIS_ENOTFOUND) {
        sum->users_not_found++;
        return TAMIS_OK;
    }
    if (rc || (rc = tamis_user_record_get(txn, uid, &data, &len, err)) != 0 ||
        (rc = tamis_contact_decode(&c, data, len, err)) != 0)
        return rc;
    scrub_add(&set->tokens, &set->n_tokens, c.key);
    for (size_t i = 0; i < c.n_ids && rc == 0; i++) {
        rc = tamis_identity_delete(txn, c.ids[i].platform, c.ids[i].id, strlen(c.ids[i].id), err);
        scrub_add(&set->tokens, &set->n_tokens, c.ids[i].id);
        sum->identities_removed++;
    }
    if (rc == 0 && c.phone_e164) {
        tamis_phone ph;
        tamis_error perr;
        scrub_add(&set->tokens, &set->n_tokens, c.phone_e164);
        scrub_add(&set->digits, &set->n_digits, c.phone_e164 + 1);
        if (tamis_phone_parse(c.phone_e164, strlen(c.phone_e164), NULL, &ph, &perr) == TAMIS_OK)
            scrub_add(&set->digits, &set->n_digits, ph.national);
        rc = tamis_phone_index_remove(txn, c.phone_e164, uid, err);
    }
    tamis_contact_free(&c);
    if (rc == 0)
        rc = tamis_user_delete(txn, uid, err);
    if (rc == 0)
        rc = tamis_snapshots_forget_user(txn, uid, err);
    if (rc == 0)
        rc = tamis_segments_forget_uid(txn, uid, err);
    if (rc == 0)
        sum->users_forgotten++;
    return rc;
}

/* The segments' columnar copy holds countries and tags of every scored user: it goes
 * (the next `tamis score` builds it again). */
static int remove_columns_copy(tamis_store *s, tamis_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tamis_store_dir(s), TAMIS_STORE_COLUMNS_FILE);
    if (unlink(path) != 0 && errno != ENOENT)
        return tamis_error_set(err, TAMIS_EIO, "cannot remove %s: %s", path, strerror(errno));
    return TAMIS_OK;
}

int tamis_store_forget(tamis_store *s, const char *const *keys, size_t n, tamis_forget_summary *sum,
                       tamis_error *err)
{
    scrub_set set = {0};
    tamis_txn *txn;
    int rc = tamis_txn_begin(s, true, &txn, err);

    if (rc)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = forget_one(txn, keys[i], &set, sum, err);
    if (rc) {
        tamis_txn_abort(txn);
        goto done;
    }
    if ((rc = tamis_txn_commit(txn, err)) != 0)
        goto done;
    if (sum->users_forgotten == 0)
        goto done;
    if ((rc = tamis_store_rewrite(s, err)) != 0)
        goto done;
    if ((rc = remove_columns_copy(s, err)) != 0)
        goto done;
    rc = scrub_files(s, &set, &sum->lines_scrubbed, err);
done:
    scrub_free(&set);
    return rc;
}
