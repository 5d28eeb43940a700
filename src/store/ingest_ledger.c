/* ingest_ledger.c — the file side of an ingest session: the ledger entry of each input
 * file (skip a file fully ingested, resume one interrupted), cutting the rejects file
 * and the raw archive back to what the last commit covered, and naming the archive.
 * The parse side (ingest.c) calls these once per file; see include/tamis/ingest.h for
 * the guarantees they keep. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ingest_session.h"
#include "tamis/alloc.h"
#include "tamis/reader.h"

char *ingest_join_path(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = tamis_malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* Truncates path to size if it is longer (what an interrupted run wrote after its
 * last commit). */
static int truncate_to(const char *path, uint64_t size, tamis_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || (uint64_t)sb.st_size <= size)
        return TAMIS_OK;
    if (truncate(path, (off_t)size) != 0)
        return tamis_error_set(err, TAMIS_EIO, "cannot truncate %s: %s", path, strerror(errno));
    return TAMIS_OK;
}

static void hex16(const uint8_t h[16], char out[33])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = digits[h[i] >> 4];
        out[2 * i + 1] = digits[h[i] & 15];
    }
    out[32] = '\0';
}

/* Looks the file up in the ledger. Sets *skip for a file already fully ingested;
 * for an interrupted one, truncates the rejects file and raw archive back to what the
 * last committed batch left. */
int ingest_consult_ledger(tamis_ingest *ing, file_run *fr, tamis_reader *rd, bool *skip, tamis_error *err)
{
    tamis_txn *txn;
    uint64_t size;
    int rc;

    *skip = false;
    if (!strcmp(fr->path, "-") || tamis_reader_file_size(rd) == 0)
        return TAMIS_OK; /* stdin and pipes: no ledger, event ids dedupe */
    if ((rc = tamis_file_hash(fr->path, fr->hash, &size, err)) != 0)
        return rc;
    fr->has_ledger = true;
    if ((rc = tamis_txn_begin(ing->store, false, &txn, err)) != 0)
        return rc;
    rc = tamis_ledger_get(txn, fr->hash, &fr->ledger, err);
    tamis_txn_abort(txn);
    if (rc == TAMIS_ENOTFOUND) {
        /* Record where the rejects file ends before this file adds to it, so that a
         * run killed before its first commit can be cleaned up by the next one. */
        struct stat sb;
        memset(&fr->ledger, 0, sizeof fr->ledger);
        fr->ledger.size_bytes = size;
        fr->ledger.rejects_size = stat(ing->rejects_path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
        fr->ledger.rejects_path_hash = ing->rejects_path_hash;
        if ((rc = tamis_txn_begin(ing->store, true, &txn, err)) != 0)
            return rc;
        if ((rc = tamis_ledger_put(txn, fr->hash, &fr->ledger, err)) != 0) {
            tamis_txn_abort(txn);
            return rc;
        }
        return tamis_txn_commit(txn, err);
    }
    if (rc)
        return rc;
    if (fr->ledger.complete) {
        *skip = true;
        return TAMIS_OK;
    }
    if (fr->ledger.rejects_path_hash == ing->rejects_path_hash &&
        (rc = truncate_to(ing->rejects_path, fr->ledger.rejects_size, err)) != 0)
        return rc;
    return TAMIS_OK;
}

int ingest_open_raw_archive(tamis_ingest *ing, file_run *fr, tamis_error *err)
{
    char name[64], *dir;
    dir = ingest_join_path(tamis_store_dir(ing->store), "raw");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        int rc = tamis_error_set(err, TAMIS_EIO, "cannot create %s: %s", dir, strerror(errno));
        tamis_free(dir);
        return rc;
    }
    if (fr->has_ledger) {
        char hex[33];
        hex16(fr->hash, hex);
        snprintf(name, sizeof name, "%s.zst", hex);
    } else {
        snprintf(name, sizeof name, "stdin-%lld.zst", (long long)time(NULL));
    }
    fr->raw_path = ingest_join_path(dir, name);
    tamis_free(dir);
    if (fr->has_ledger)
        return truncate_to(fr->raw_path, fr->ledger.raw_size, err);
    return TAMIS_OK;
}

