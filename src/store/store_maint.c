/* store_maint.c — whole-store facts (entry counts, bytes per database) and the
 * rewrite of the environment with live records only, which erasure relies on (see
 * include/tamis/store.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "tamis/alloc.h"
#include "tamis/limits.h"

/* ------------------------------------------------------------------------------------
 * Counts and rewrite
 * ------------------------------------------------------------------------------------ */

int tamis_store_counts_get(tamis_txn *t, tamis_store_counts *c, tamis_error *err)
{
    MDB_stat st;
    MDB_envinfo info;
    struct stat sb;
    char *path = store_path_join(t->s->env_dir, "data.mdb");
    int rc;

#define DB_BYTES(st) ((uint64_t)((st).ms_branch_pages + (st).ms_leaf_pages + (st).ms_overflow_pages) * (st).ms_psize)
    memset(c, 0, sizeof *c);
    if ((rc = mdb_stat(t->txn, t->s->dbi[DB_KEYS], &st)) != 0)
        goto fail;
    c->users = st.ms_entries;
    c->index_bytes += DB_BYTES(st);
    if ((rc = mdb_stat(t->txn, t->s->dbi[DB_IDENTITIES], &st)) != 0)
        goto fail;
    c->identities = st.ms_entries;
    c->index_bytes += DB_BYTES(st);
    if ((rc = mdb_stat(t->txn, t->s->dbi[DB_PHONES], &st)) != 0)
        goto fail;
    c->phones = st.ms_entries;
    c->index_bytes += DB_BYTES(st);
    if ((rc = mdb_stat(t->txn, t->s->dbi[DB_ACTIVITY], &st)) != 0)
        goto fail;
    c->activity_bytes = DB_BYTES(st);
    if ((rc = mdb_stat(t->txn, t->s->dbi[DB_USERS], &st)) != 0)
        goto fail;
    c->contact_bytes = DB_BYTES(st);
    if (!store_db_missing(t->s, DB_SCORES)) {
        if ((rc = mdb_stat(t->txn, t->s->dbi[DB_SCORES], &st)) != 0)
            goto fail;
        c->scores = st.ms_entries;
        c->score_bytes = DB_BYTES(st);
    }
    if (!store_db_missing(t->s, DB_SNAPSHOTS)) {
        if ((rc = mdb_stat(t->txn, t->s->dbi[DB_SNAPSHOTS], &st)) != 0)
            goto fail;
        c->snapshot_bytes = DB_BYTES(st);
    }
#undef DB_BYTES
    if ((rc = mdb_stat(t->txn, t->s->dbi[DB_LEDGER], &st)) != 0)
        goto fail;
    c->ledger_files = st.ms_entries;
    mdb_env_info(t->s->env, &info);
    mdb_env_stat(t->s->env, &st);
    c->used_bytes = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
    if (stat(path, &sb) == 0)
        c->file_bytes = (uint64_t)sb.st_size;
    tamis_free(path);
    return TAMIS_OK;
fail:
    tamis_free(path);
    return store_lmdb_error(err, rc, "stat");
}

/* Copies every record of every named database into a fresh environment at path. */
static int copy_live_records(tamis_store *s, const char *path, tamis_error *err)
{
    MDB_env *dst = NULL;
    MDB_txn *rtxn = NULL, *wtxn = NULL;
    int rc;

    if ((rc = mdb_env_create(&dst)) != 0)
        return store_lmdb_error(err, rc, "rewrite: create");
    mdb_env_set_maxdbs(dst, DB__COUNT + 2);
    mdb_env_set_mapsize(dst, s->map_size);
    if ((rc = mdb_env_open(dst, path, MDB_NOSUBDIR, 0644)) != 0)
        goto fail;
    if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &rtxn)) != 0)
        goto fail;
    if ((rc = mdb_txn_begin(dst, NULL, 0, &wtxn)) != 0)
        goto fail;
    for (int d = 0; d < DB__COUNT && rc == 0; d++) {
        MDB_dbi out;
        MDB_cursor *cur;
        MDB_val k, v;
        unsigned dup = store_db_flags(d) & MDB_DUPSORT;
        if ((rc = mdb_dbi_open(wtxn, store_db_names[d], store_db_flags(d) | MDB_CREATE, &out)) != 0)
            break;
        if ((rc = mdb_cursor_open(rtxn, s->dbi[d], &cur)) != 0)
            break;
        while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
            rc = mdb_put(wtxn, out, &k, &v, dup ? MDB_APPENDDUP : MDB_APPEND);
            if (rc)
                break;
        }
        mdb_cursor_close(cur);
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    if (rc)
        goto fail;
    rc = mdb_txn_commit(wtxn);
    wtxn = NULL;
    if (rc)
        goto fail;
    mdb_txn_abort(rtxn);
    rc = mdb_env_sync(dst, 1);
    mdb_env_close(dst);
    return rc ? store_lmdb_error(err, rc, "rewrite: sync") : TAMIS_OK;
fail:
    if (wtxn)
        mdb_txn_abort(wtxn);
    if (rtxn)
        mdb_txn_abort(rtxn);
    mdb_env_close(dst);
    return store_lmdb_error(err, rc, "rewrite");
}

int tamis_store_rewrite(tamis_store *s, tamis_error *err)
{
    char *fresh = store_path_join(s->env_dir, "data.mdb.new");
    char *fresh_lock = store_path_join(s->env_dir, "data.mdb.new-lock");
    char *data = store_path_join(s->env_dir, "data.mdb");
    int rc;

    unlink(fresh);
    unlink(fresh_lock);
    if ((rc = copy_live_records(s, fresh, err)) != 0)
        goto done;
    mdb_env_close(s->env);
    s->env = NULL;
    for (int i = 0; i < 256; i++) {
        tamis_free(s->platform_names[i]);
        s->platform_names[i] = NULL;
    }
    s->n_platforms = 0;
    if (rename(fresh, data) != 0) {
        rc = tamis_error_set(err, TAMIS_EIO, "rewrite: cannot replace %s: %s", data, strerror(errno));
        goto done;
    }
    unlink(fresh_lock);
    {
        int dfd = open(s->env_dir, O_RDONLY);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    rc = store_open_env(s, err);
done:
    tamis_free(fresh);
    tamis_free(fresh_lock);
    tamis_free(data);
    return rc;
}
