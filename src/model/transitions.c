/* transitions.c — the tier x tier matrix between two snapshots (see transitions.h). */
#include "model/transitions.h"

#include <stdio.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/event.h"

#define COUNTRY_GROUPS (26 * 26 + 1)

const char *tamis_transition_state_name(int s, bool row)
{
    return s == TAMIS_TRANS_NEW_OR_GONE ? (row ? "new" : "gone") : tamis_tier_name(s);
}

static size_t country_group(const char *c)
{
    if (c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z')
        return (size_t)(c[0] - 'A') * 26 + (size_t)(c[1] - 'A');
    return 26 * 26; /* unknown */
}

static void count(tamis_trans_matrix *m, int from, int to)
{
    m->n[from][to]++;
    m->users++;
}

static int visit(void *vctx, uint32_t uid, const tamis_snapshot_user *a, const tamis_snapshot_user *b)
{
    tamis_transitions *x = vctx;
    int from = a ? a->tier : TAMIS_TRANS_NEW_OR_GONE, to = b ? b->tier : TAMIS_TRANS_NEW_OR_GONE;
    const tamis_snapshot_user *now = b ? b : a;
    (void)uid;
    if (from > TAMIS_TRANS_NEW_OR_GONE || to > TAMIS_TRANS_NEW_OR_GONE)
        return TAMIS_ECORRUPT;
    if (x->by == TAMIS_BY_NONE)
        count(&x->groups[0], from, to);
    else if (x->by == TAMIS_BY_COUNTRY)
        count(&x->groups[country_group(now->country)], from, to);
    else
        for (uint8_t i = 0; i < now->n_platforms; i++)
            count(&x->groups[now->platforms[i]], from, to);
    return 0;
}

int tamis_transitions_check_days(tamis_txn *t, uint32_t day_from, uint32_t day_to, tamis_error *err)
{
    tamis_snapshot_info info;
    uint32_t days[2] = {day_from, day_to};
    for (int i = 0; i < 2; i++) {
        int rc = tamis_snapshot_info_get(t, days[i], &info, err);
        if (rc == TAMIS_ENOTFOUND) {
            char date[32];
            tamis_format_utc_date(days[i], date);
            return tamis_error_set(err, TAMIS_ENOTFOUND, "no snapshot of %s (see tamis snapshots)", date);
        }
        if (rc)
            return rc;
    }
    return TAMIS_OK;
}

int tamis_transitions_compute(tamis_txn *t, const tamis_platform_names *names, uint32_t day_from, uint32_t day_to,
                              tamis_tier_by by, tamis_transitions *out, tamis_error *err)
{
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = tamis_transitions_check_days(t, day_from, day_to, err)) != 0)
        return rc;
    out->by = by;
    out->names = names;
    out->n_groups = by == TAMIS_BY_NONE ? 1 : by == TAMIS_BY_COUNTRY ? COUNTRY_GROUPS : 256;
    out->groups = tamis_calloc(out->n_groups, sizeof *out->groups);
    rc = tamis_snapshot_walk_pair(t, day_from, day_to, visit, out, err);
    if (rc == TAMIS_ECORRUPT && !err->msg[0])
        tamis_error_set(err, TAMIS_ECORRUPT, "a snapshot holds an unknown tier");
    if (rc)
        tamis_transitions_free(out);
    return rc;
}

void tamis_transitions_free(tamis_transitions *x)
{
    tamis_free(x->groups);
    memset(x, 0, sizeof *x);
}

void tamis_transitions_group_name(const tamis_transitions *x, size_t g, char *out, size_t cap)
{
    if (x->by == TAMIS_BY_NONE)
        snprintf(out, cap, "all");
    else if (x->by == TAMIS_BY_COUNTRY)
        g == 26 * 26 ? snprintf(out, cap, "unknown") : snprintf(out, cap, "%c%c", (int)('A' + g / 26), (int)('A' + g % 26));
    else
        snprintf(out, cap, "%s", x->names && x->names->name[g] ? x->names->name[g] : "?");
}

uint64_t tamis_transitions_row_total(const tamis_trans_matrix *m, int from)
{
    uint64_t t = 0;
    for (int to = 0; to < TAMIS_TRANS_STATES; to++)
        t += m->n[from][to];
    return t;
}

json_t *tamis_transitions_json(const tamis_transitions *x, uint32_t day_from, uint32_t day_to)
{
    json_t *doc = json_object(), *arr = json_array();
    char name[64], d1[32], d2[32];
    for (size_t g = 0; g < x->n_groups; g++) {
        const tamis_trans_matrix *m = &x->groups[g];
        json_t *o, *rows;
        if (!m->users)
            continue;
        tamis_transitions_group_name(x, g, name, sizeof name);
        o = json_object();
        rows = json_object();
        for (int from = 0; from < TAMIS_TRANS_STATES; from++) {
            uint64_t total = tamis_transitions_row_total(m, from);
            json_t *row = json_object();
            for (int to = 0; to < TAMIS_TRANS_STATES; to++)
                json_object_set_new(row, tamis_transition_state_name(to, false),
                                    json_pack("{s:I,s:f}", "users", (json_int_t)m->n[from][to], "share",
                                              total ? (double)m->n[from][to] / (double)total : 0.0));
            json_object_set_new(rows, tamis_transition_state_name(from, true), row);
        }
        json_object_set_new(o, "group", json_string(name));
        json_object_set_new(o, "users", json_integer((json_int_t)m->users));
        json_object_set_new(o, "matrix", rows);
        json_array_append_new(arr, o);
    }
    tamis_format_utc_date(day_from, d1);
    tamis_format_utc_date(day_to, d2);
    json_object_set_new(doc, "from", json_string(d1));
    json_object_set_new(doc, "to", json_string(d2));
    json_object_set_new(doc, "by", json_string(x->by == TAMIS_BY_NONE      ? "all"
                                               : x->by == TAMIS_BY_COUNTRY ? "country"
                                                                           : "platform"));
    json_object_set_new(doc, "groups", arr);
    return doc;
}
