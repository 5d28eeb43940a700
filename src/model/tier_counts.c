/* tier_counts.c — users per tier from the stored scores (see tier_counts.h). */
#include "model/tier_counts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/results.h"
#include "tamis/alloc.h"

#define NO_PLATFORM "(none)"
#define NO_COUNTRY "(unknown)"

static tamis_tier_group *group_of(tamis_tier_counts *x, const char *name)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->groups[i].name, name) == 0)
            return &x->groups[i];
    x->groups = tamis_grow(x->groups, sizeof *x->groups, &x->cap, x->n + 1);
    memset(&x->groups[x->n], 0, sizeof x->groups[x->n]);
    snprintf(x->groups[x->n].name, TAMIS_TIER_GROUP_NAME_MAX, "%s", name);
    return &x->groups[x->n++];
}

static void count(tamis_tier_group *g, int tier)
{
    g->tiers[tier]++;
    g->users++;
}

static int visit(void *vctx, tamis_results_reader *rd)
{
    tamis_tier_counts *x = vctx;
    int tier = rd->result.tier;
    if (x->by == TAMIS_BY_NONE) {
        count(group_of(x, "all"), tier);
    } else if (x->by == TAMIS_BY_COUNTRY) {
        count(group_of(x, rd->contact.country[0] ? rd->contact.country : NO_COUNTRY), tier);
    } else {
        const tamis_features *f = &rd->features;
        if (f->n_platforms == 0)
            count(group_of(x, NO_PLATFORM), tier);
        for (uint8_t i = 0; i < f->n_platforms; i++) {
            const char *n = rd->names.name[f->platforms[i].platform];
            count(group_of(x, n ? n : "?"), tier);
        }
    }
    return 0;
}

static int cmp_group(const void *a, const void *b)
{
    const tamis_tier_group *x = a, *y = b;
    if (x->users != y->users)
        return x->users > y->users ? -1 : 1;
    return strcmp(x->name, y->name);
}

int tamis_tier_counts_compute(tamis_store *store, tamis_txn *t, const tamis_model_config *cfg, tamis_tier_by by,
                              tamis_tier_counts *out, tamis_error *err)
{
    tamis_results_reader rd;
    int rc;
    memset(out, 0, sizeof *out);
    out->by = by;
    if (by == TAMIS_BY_NONE)
        group_of(out, "all");
    tamis_results_reader_init(&rd, store, t, cfg);
    rc = tamis_results_foreach(&rd, visit, out, err);
    tamis_results_reader_free(&rd);
    if (rc) {
        tamis_tier_counts_free(out);
        return rc;
    }
    if (by != TAMIS_BY_NONE)
        qsort(out->groups, out->n, sizeof *out->groups, cmp_group);
    return TAMIS_OK;
}

void tamis_tier_counts_free(tamis_tier_counts *c)
{
    tamis_free(c->groups);
    memset(c, 0, sizeof *c);
}

double tamis_tier_share(uint64_t n, uint64_t total)
{
    return total ? (double)n / (double)total : 0.0;
}

int tamis_tier_by_from_name(const char *name)
{
    return strcmp(name, "country") == 0 ? TAMIS_BY_COUNTRY : strcmp(name, "platform") == 0 ? TAMIS_BY_PLATFORM : -1;
}

json_t *tamis_tier_counts_json(const tamis_tier_counts *x)
{
    json_t *doc = json_object(), *arr = json_array();
    for (size_t i = 0; i < x->n; i++) {
        json_t *g = json_object(), *tiers = json_object();
        for (int t = 0; t < TAMIS_TIER__COUNT; t++)
            json_object_set_new(tiers, tamis_tier_name(t),
                                json_pack("{s:I,s:f}", "users", (json_int_t)x->groups[i].tiers[t], "share",
                                          tamis_tier_share(x->groups[i].tiers[t], x->groups[i].users)));
        json_object_set_new(g, "group", json_string(x->groups[i].name));
        json_object_set_new(g, "users", json_integer((json_int_t)x->groups[i].users));
        json_object_set_new(g, "tiers", tiers);
        json_array_append_new(arr, g);
    }
    json_object_set_new(doc, "by", json_string(x->by == TAMIS_BY_NONE      ? "all"
                                               : x->by == TAMIS_BY_COUNTRY ? "country"
                                                                           : "platform"));
    json_object_set_new(doc, "groups", arr);
    return doc;
}
