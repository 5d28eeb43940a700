/* tag_groups.c — frequent tag sets over the users' contact tags (include/tamis/tag_groups.h,
 * docs/AUDIENCES.md).
 *
 * Users are added one by one (from the store's contact records, or by a test): tags
 * are interned to ids and each user's sorted id set is a transaction, stored once with
 * a weight. Mining renumbers tags in byte order of their names, drops infrequent tags,
 * and runs Apriori over the weighted distinct transactions. Every level's work is
 * bounded by TAMIS_TAG_GROUPS_MAX_WORK candidate checks. */
#include "tamis/tag_groups.h"

#include <stdlib.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/contact_record.h"
#include "util/strmap.h"

#define STACK_TAGS 64

void tamis_tag_groups_init(tamis_tag_groups *g)
{
    memset(g, 0, sizeof *g);
}

void tamis_tag_groups_free(tamis_tag_groups *g)
{
    for (size_t i = 0; i < g->n_names; i++)
        tamis_free(g->names[i]);
    tamis_free(g->names);
    for (size_t i = 0; i < g->n_sets; i++)
        tamis_free(g->sets[i].tags);
    tamis_free(g->sets);
    tamis_free(g->items);
    tamis_free(g->tx_start);
    tamis_free(g->tx_weight);
    tamis_strmap_free(g->name_index);
    tamis_strmap_free(g->tx_index);
    memset(g, 0, sizeof *g);
}

static int cmp_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return a < b ? -1 : a > b;
}

static size_t tx_len(const tamis_tag_groups *g, size_t t)
{
    return (t + 1 < g->n_tx ? g->tx_start[t + 1] : g->n_items) - g->tx_start[t];
}

int tamis_tag_groups_add_user(tamis_tag_groups *g, const char *const *tags, size_t n, tamis_error *err)
{
    uint32_t stack[STACK_TAGS], *ids = n > STACK_TAGS ? tamis_malloc(n * sizeof *ids) : stack;
    size_t m = 0;
    uint32_t tx;
    int rc = TAMIS_OK;

    if (!g->name_index) {
        g->name_index = tamis_strmap_new();
        g->tx_index = tamis_strmap_new();
    }
    g->users++;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(tags[i]);
        uint32_t id;
        if (!tamis_strmap_get(g->name_index, tags[i], len, &id)) {
            if (g->n_names == TAMIS_TAG_GROUPS_MAX_TAGS) {
                rc = tamis_error_set(err, TAMIS_ELIMIT, "more than %d distinct tags", TAMIS_TAG_GROUPS_MAX_TAGS);
                goto done;
            }
            g->names = tamis_grow(g->names, sizeof *g->names, &g->cap_names, g->n_names + 1);
            g->names[g->n_names] = tamis_strndup(tags[i], len);
            id = (uint32_t)g->n_names++;
            tamis_strmap_put(g->name_index, tags[i], len, id);
        }
        ids[m++] = id;
    }
    qsort(ids, m, sizeof *ids, cmp_u32);
    for (size_t i = 0, u = 0; i < m; i++) { /* unique */
        if (u == 0 || ids[i] != ids[u - 1])
            ids[u++] = ids[i];
        if (i + 1 == m)
            m = u;
    }
    if (m == 0)
        goto done;
    g->users_with_tags++;
    if (tamis_strmap_get(g->tx_index, ids, m * sizeof *ids, &tx)) {
        g->tx_weight[tx]++;
        goto done;
    }
    g->tx_start = tamis_grow(g->tx_start, sizeof *g->tx_start, &g->cap_tx, g->n_tx + 1);
    g->tx_weight = tamis_grow(g->tx_weight, sizeof *g->tx_weight, &g->cap_tx_weight, g->n_tx + 1);
    g->items = tamis_grow(g->items, sizeof *g->items, &g->cap_items, g->n_items + m);
    g->tx_start[g->n_tx] = g->n_items;
    g->tx_weight[g->n_tx] = 1;
    memcpy(g->items + g->n_items, ids, m * sizeof *ids);
    g->n_items += m;
    tamis_strmap_put(g->tx_index, ids, m * sizeof *ids, (uint32_t)g->n_tx++);
done:
    if (ids != stack)
        tamis_free(ids);
    return rc;
}

/* ---- mining ---------------------------------------------------------------------- */

/* Renumbers tags so that ids follow the byte order of names, and re-sorts every
 * transaction. qsort has no context argument, so the names are sorted as (name, id)
 * pairs. */
typedef struct name_id {
    const char *name;
    uint32_t id;
} name_id;

static int cmp_name(const void *pa, const void *pb)
{
    return strcmp(((const name_id *)pa)->name, ((const name_id *)pb)->name);
}

static void renumber(tamis_tag_groups *g)
{
    name_id *pairs = tamis_calloc(g->n_names ? g->n_names : 1, sizeof *pairs);
    uint32_t *new_id = tamis_calloc(g->n_names ? g->n_names : 1, sizeof *new_id);
    char **names = tamis_calloc(g->n_names ? g->n_names : 1, sizeof *names);
    for (size_t i = 0; i < g->n_names; i++)
        pairs[i] = (name_id){g->names[i], (uint32_t)i};
    qsort(pairs, g->n_names, sizeof *pairs, cmp_name);
    for (size_t i = 0; i < g->n_names; i++) {
        new_id[pairs[i].id] = (uint32_t)i;
        names[i] = g->names[pairs[i].id];
    }
    if (g->n_names)
        memcpy(g->names, names, g->n_names * sizeof *names);
    for (size_t i = 0; i < g->n_items; i++)
        g->items[i] = new_id[g->items[i]];
    for (size_t t = 0; t < g->n_tx; t++)
        qsort(g->items + g->tx_start[t], tx_len(g, t), sizeof *g->items, cmp_u32);
    tamis_free(names);
    tamis_free(new_id);
    tamis_free(pairs);
}

/* Is the sorted set a[0..k) inside the sorted transaction b[0..n)? */
static bool subset(const uint32_t *a, size_t k, const uint32_t *b, size_t n)
{
    size_t i = 0, j = 0;
    while (i < k && j < n && n - j >= k - i) {
        if (a[i] == b[j])
            i++, j++;
        else if (a[i] > b[j])
            j++;
        else
            return false;
    }
    return i == k;
}

/* One level: count sets of k ids each (flat, sorted, lexicographic order). */
typedef struct level {
    uint32_t *ids;
    uint64_t *support;
    size_t n, cap_ids, cap_support;
    uint32_t k;
} level;

static void level_free(level *l)
{
    tamis_free(l->ids);
    tamis_free(l->support);
    memset(l, 0, sizeof *l);
}

static void level_push(level *l, const uint32_t *ids, uint64_t support)
{
    l->ids = tamis_grow(l->ids, sizeof *l->ids, &l->cap_ids, (l->n + 1) * l->k);
    l->support = tamis_grow(l->support, sizeof *l->support, &l->cap_support, l->n + 1);
    memcpy(l->ids + l->n * l->k, ids, l->k * sizeof *ids);
    l->support[l->n++] = support;
}

static int keep_sets(tamis_tag_groups *g, const level *l, uint32_t min_tags, tamis_error *err)
{
    if (l->k < min_tags)
        return TAMIS_OK;
    for (size_t i = 0; i < l->n; i++) {
        tamis_tag_set *s;
        if (g->n_sets == TAMIS_TAG_GROUPS_MAX_SETS)
            return tamis_error_set(err, TAMIS_ELIMIT, "more than %d frequent tag sets: raise --min-users",
                                   TAMIS_TAG_GROUPS_MAX_SETS);
        g->sets = tamis_grow(g->sets, sizeof *g->sets, &g->cap_sets, g->n_sets + 1);
        s = &g->sets[g->n_sets++];
        s->n = l->k;
        s->users = l->support[i];
        s->tags = tamis_malloc(l->k * sizeof *s->tags);
        memcpy(s->tags, l->ids + i * l->k, l->k * sizeof *s->tags);
    }
    return TAMIS_OK;
}

/* Candidates of k+1 ids from prev (k ids each), pruned, into next (supports 0). */
static void candidates(const level *prev, tamis_strmap *frequent, level *next)
{
    uint32_t k = prev->k, cand[TAMIS_TAG_GROUPS_MAX_SET_TAGS + 1], sub[TAMIS_TAG_GROUPS_MAX_SET_TAGS];
    next->k = k + 1;
    for (size_t i = 0; i < prev->n; i++) {
        const uint32_t *a = prev->ids + i * k;
        for (size_t j = i + 1; j < prev->n; j++) {
            const uint32_t *b = prev->ids + j * k;
            bool ok = true;
            if (memcmp(a, b, (k - 1) * sizeof *a) != 0)
                break; /* sorted: no later set shares the prefix */
            memcpy(cand, a, k * sizeof *a);
            cand[k] = b[k - 1];
            for (uint32_t drop = 0; drop + 2 <= k && ok; drop++) { /* the subsets without a or b's last */
                uint32_t w = 0;
                for (uint32_t q = 0; q <= k; q++)
                    if (q != drop)
                        sub[w++] = cand[q];
                ok = tamis_strmap_get(frequent, sub, k * sizeof *sub, NULL);
            }
            if (ok)
                level_push(next, cand, 0);
        }
    }
}

static int count_level(const tamis_tag_groups *g, level *l, tamis_error *err)
{
    if ((uint64_t)l->n * g->n_tx > TAMIS_TAG_GROUPS_MAX_WORK)
        return tamis_error_set(err, TAMIS_ELIMIT,
                               "%zu candidate sets of %u tags over %zu distinct tag combinations is too much work: "
                               "raise --min-users",
                               l->n, l->k, g->n_tx);
    for (size_t t = 0; t < g->n_tx; t++) {
        const uint32_t *tx = g->items + g->tx_start[t];
        size_t n = tx_len(g, t);
        if (n < l->k)
            continue;
        for (size_t c = 0; c < l->n; c++)
            if (subset(l->ids + c * l->k, l->k, tx, n))
                l->support[c] += g->tx_weight[t];
    }
    return TAMIS_OK;
}

static int cmp_set(const void *pa, const void *pb)
{
    const tamis_tag_set *a = pa, *b = pb;
    if (a->users != b->users)
        return a->users > b->users ? -1 : 1;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    for (uint32_t i = 0; i < a->n; i++)
        if (a->tags[i] != b->tags[i])
            return a->tags[i] < b->tags[i] ? -1 : 1;
    return 0;
}

int tamis_tag_groups_mine(tamis_tag_groups *g, uint64_t min_users, uint32_t min_tags, tamis_error *err)
{
    level cur = {0}, next = {0};
    uint64_t *item_support;
    int rc = TAMIS_OK;

    if (min_users < 1 || min_tags < 1 || min_tags > TAMIS_TAG_GROUPS_MAX_SET_TAGS)
        return tamis_error_set(err, TAMIS_EUSAGE, "--min-users must be at least 1 and --min-tags 1 to %d",
                               TAMIS_TAG_GROUPS_MAX_SET_TAGS);
    renumber(g);
    item_support = tamis_calloc(g->n_names ? g->n_names : 1, sizeof *item_support);
    for (size_t t = 0; t < g->n_tx; t++)
        for (size_t i = g->tx_start[t], e = i + tx_len(g, t); i < e; i++)
            item_support[g->items[i]] += g->tx_weight[t];
    cur.k = 1;
    for (uint32_t id = 0; id < g->n_names; id++)
        if (item_support[id] >= min_users)
            level_push(&cur, &id, item_support[id]);
    tamis_free(item_support);
    while (cur.n > 0 && rc == 0) {
        tamis_strmap *frequent;
        if ((rc = keep_sets(g, &cur, min_tags, err)) != 0)
            break;
        frequent = tamis_strmap_new();
        for (size_t i = 0; i < cur.n; i++)
            tamis_strmap_put(frequent, cur.ids + i * cur.k, cur.k * sizeof *cur.ids, 1);
        level_free(&next);
        candidates(&cur, frequent, &next);
        tamis_strmap_free(frequent);
        if (next.n && next.k > TAMIS_TAG_GROUPS_MAX_SET_TAGS) {
            rc = tamis_error_set(err, TAMIS_ELIMIT, "tag sets of more than %d tags are frequent: raise --min-users",
                                 TAMIS_TAG_GROUPS_MAX_SET_TAGS);
            break;
        }
        if ((rc = count_level(g, &next, err)) != 0)
            break;
        level_free(&cur);
        cur.k = next.k;
        for (size_t c = 0; c < next.n; c++)
            if (next.support[c] >= min_users)
                level_push(&cur, next.ids + c * next.k, next.support[c]);
    }
    level_free(&cur);
    level_free(&next);
    if (rc == 0 && g->n_sets > 1)
        qsort(g->sets, g->n_sets, sizeof *g->sets, cmp_set);
    return rc;
}

/* ---- the pass over the store ----------------------------------------------------- */

typedef struct tags_pass {
    tamis_tag_groups *g;
    tamis_contact contact;
    tamis_error *err;
} tags_pass;

static int visit_contact(void *vctx, uint32_t uid, const void *data, size_t len)
{
    tags_pass *p = vctx;
    int rc;
    (void)uid;
    tamis_contact_free(&p->contact);
    if ((rc = tamis_contact_decode(&p->contact, data, len, p->err)) != 0)
        return rc;
    return tamis_tag_groups_add_user(p->g, (const char *const *)p->contact.tags, p->contact.n_tags, p->err);
}

int tamis_tag_groups_compute(tamis_store *store, uint64_t min_users, uint32_t min_tags, tamis_tag_groups *g,
                             tamis_error *err)
{
    tags_pass p = {g, {0}, err};
    tamis_txn *txn;
    int rc;

    tamis_contact_init(&p.contact);
    if ((rc = tamis_txn_begin(store, false, &txn, err)) != 0)
        return rc;
    rc = tamis_user_records_foreach(txn, visit_contact, &p, err);
    tamis_txn_abort(txn);
    tamis_contact_free(&p.contact);
    return rc ? rc : tamis_tag_groups_mine(g, min_users, min_tags, err);
}
