/* pg_segments.c — the saved segments (segment_store.c) as the PostgreSQL export wants
 * them (include/tamis/pg_export.h: a name, the definition, the time of the
 * evaluation and the members' user keys), read in one snapshot of the store. */
#include <string.h>

#include "model/results.h"
#include "tamis/alloc.h"
#include "tamis/segment.h"

int tamis_segment_pg_collect(tamis_store *store, tamis_pg_segment_set *out, tamis_error *err)
{
    tamis_segment_info *infos = NULL;
    size_t n = 0;
    tamis_txn *t;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = tamis_segment_list(store, &infos, &n, err)) != 0)
        return rc;
    if ((rc = tamis_txn_begin(store, false, &t, err)) != 0) {
        for (size_t i = 0; i < n; i++)
            tamis_segment_info_free(&infos[i]);
        tamis_free(infos);
        return rc;
    }
    out->infos = infos;
    out->segments = tamis_calloc(n ? n : 1, sizeof *out->segments);
    out->keys = tamis_calloc(n ? n : 1, sizeof *out->keys);
    out->n = n;
    for (size_t i = 0; i < n && rc == 0; i++) {
        roaring_bitmap_t *members = NULL;
        roaring_uint32_iterator_t *it;
        const void *data;
        size_t len, k = 0;
        char key[1024];
        if ((rc = tamis_segment_record_get(t, 'm', infos[i].name, &data, &len, err)) != 0)
            break;
        if (!(members = roaring_bitmap_portable_deserialize_safe(data, len))) {
            rc = tamis_error_set(err, TAMIS_ECORRUPT, "segment '%s': membership is corrupt", infos[i].name);
            break;
        }
        out->keys[i] = tamis_calloc(roaring_bitmap_get_cardinality(members) + 1, sizeof *out->keys[i]);
        it = roaring_create_iterator(members);
        for (; it->has_value; roaring_advance_uint32_iterator(it)) {
            tamis_results_user_key(t, it->current_value, key, sizeof key);
            if (key[0]) /* an erased user has no key: not a member any more */
                out->keys[i][k++] = tamis_strdup(key);
        }
        roaring_free_uint32_iterator(it);
        roaring_bitmap_free(members);
        out->segments[i] = (tamis_pg_segment){.name = infos[i].name, .definition = infos[i].definition,
                                              .evaluated_at_ms = infos[i].evaluated_ms,
                                              .user_keys = (const char *const *)out->keys[i], .n_users = k};
    }
    tamis_txn_abort(t);
    if (rc)
        tamis_segment_pg_free(out);
    return rc;
}

void tamis_segment_pg_free(tamis_pg_segment_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        for (size_t k = 0; set->keys && set->keys[i] && set->keys[i][k]; k++)
            tamis_free(set->keys[i][k]);
        if (set->keys)
            tamis_free(set->keys[i]);
        if (set->infos)
            tamis_segment_info_free(&set->infos[i]);
    }
    tamis_free(set->keys);
    tamis_free(set->segments);
    tamis_free(set->infos);
    memset(set, 0, sizeof *set);
}
