/* cross.c — label crosses: every user counted into the cell of its label values, and
 * the cells grouped into at most N groups (include/tamis/cross.h, docs/AUDIENCES.md).
 *
 * The pass over the store reads contact records in uid order in one read transaction,
 * with the stored score record when a score label (tier, trend, best_channel) is
 * crossed, and the RFM table (computed first, on worker threads) when rfm is. Cells
 * are found through a hash map keyed by the length-prefixed values. Grouping is one
 * greedy walk over the cells, largest first, so its work is cells x groups x labels. */
#include "tamis/cross.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/contact_record.h"
#include "tamis/model_config.h"
#include "tamis/record.h"
#include "tamis/rfm.h"
#include "util/strmap.h"

#define CELL_KEY_MAX (TAMIS_CROSS_MAX_LABELS * (2 + 1024))
#define VALUE_MAX 1024 /* label values longer than this are a cap error */

static const char *const plain_labels[] = {"tier", "trend", "country", "best_channel", "rfm"};

void tamis_cross_init(tamis_cross *x)
{
    memset(x, 0, sizeof *x);
}

void tamis_cross_free(tamis_cross *x)
{
    for (size_t i = 0; i < x->n_labels; i++) {
        tamis_free(x->labels[i].text);
        tamis_free(x->labels[i].arg);
    }
    for (size_t c = 0; c < x->n_cells; c++) {
        for (size_t i = 0; i < x->n_labels; i++)
            tamis_free(x->cells[c].values[i]);
        tamis_free(x->cells[c].values);
    }
    tamis_free(x->cells);
    tamis_free(x->groups);
    tamis_free(x->order);
    tamis_free(x->user_uid);
    tamis_free(x->user_cell);
    tamis_strmap_free(x->index);
    memset(x, 0, sizeof *x);
}

int tamis_cross_add_label(tamis_cross *x, const char *text, tamis_error *err)
{
    tamis_cross_label *l;
    size_t len = strlen(text);
    int kind = -1;
    const char *arg = NULL;

    if (x->n_labels == TAMIS_CROSS_MAX_LABELS)
        return tamis_error_set(err, TAMIS_ELIMIT, "at most %d labels can be crossed", TAMIS_CROSS_MAX_LABELS);
    if (len == 0 || len > TAMIS_CROSS_MAX_LABEL_BYTES)
        return tamis_error_set(err, TAMIS_EUSAGE, "a label is 1 to %d bytes", TAMIS_CROSS_MAX_LABEL_BYTES);
    for (size_t i = 0; i < sizeof plain_labels / sizeof *plain_labels; i++)
        if (!strcmp(text, plain_labels[i]))
            kind = (int)i;
    if (kind < 0 && !strncmp(text, "attr:", 5) && text[5]) {
        kind = TAMIS_LABEL_ATTR;
        arg = text + 5;
    } else if (kind < 0 && !strncmp(text, "tag:", 4) && text[4]) {
        kind = TAMIS_LABEL_TAG;
        arg = text + 4;
    }
    if (kind < 0)
        return tamis_error_set(err, TAMIS_EUSAGE,
                               "unknown label '%.64s' (tier, trend, country, best_channel, rfm, attr:KEY, tag:NAME)",
                               text);
    for (size_t i = 0; i < x->n_labels; i++)
        if (!strcmp(x->labels[i].text, text))
            return tamis_error_set(err, TAMIS_EUSAGE, "label '%.64s' is given twice", text);
    l = &x->labels[x->n_labels++];
    l->kind = (tamis_cross_label_kind)kind;
    l->text = tamis_strdup(text);
    l->arg = arg ? tamis_strdup(arg) : NULL;
    return TAMIS_OK;
}

int tamis_cross_count(tamis_cross *x, const char *const *values, uint64_t users, uint32_t *cell, tamis_error *err)
{
    uint8_t key[CELL_KEY_MAX];
    size_t klen = 0;
    uint32_t idx;

    if (!x->index)
        x->index = tamis_strmap_new();
    for (size_t i = 0; i < x->n_labels; i++) {
        size_t n = strlen(values[i]);
        if (n > VALUE_MAX)
            return tamis_error_set(err, TAMIS_ELIMIT, "a value of label %s is longer than %d bytes: '%.40s...'",
                                   x->labels[i].text, VALUE_MAX, values[i]);
        key[klen++] = (uint8_t)(n >> 8);
        key[klen++] = (uint8_t)n;
        memcpy(key + klen, values[i], n);
        klen += n;
    }
    if (!tamis_strmap_get(x->index, key, klen, &idx)) {
        tamis_cross_cell *c;
        if (x->n_cells == TAMIS_CROSS_MAX_CELLS)
            return tamis_error_set(err, TAMIS_ELIMIT,
                                   "the labels make more than %d distinct combinations: cross fewer or coarser labels",
                                   TAMIS_CROSS_MAX_CELLS);
        x->cells = tamis_grow(x->cells, sizeof *x->cells, &x->cap_cells, x->n_cells + 1);
        c = &x->cells[x->n_cells];
        c->values = tamis_calloc(x->n_labels ? x->n_labels : 1, sizeof *c->values);
        for (size_t i = 0; i < x->n_labels; i++)
            c->values[i] = tamis_strdup(values[i]);
        c->users = 0;
        c->group = 0;
        idx = (uint32_t)x->n_cells++;
        tamis_strmap_put(x->index, key, klen, idx);
    }
    x->cells[idx].users += users;
    x->users += users;
    if (cell)
        *cell = idx;
    return TAMIS_OK;
}

/* ---- grouping -------------------------------------------------------------------- */

/* A group while grouping: its pattern is the head cell's first `level` values, the
 * other labels generalised to "(other)". */
typedef struct work_group {
    uint32_t head, level, cells, parent; /* parent: the group it was merged into, or NONE */
    uint64_t users;
} work_group;

#define NONE UINT32_MAX

typedef struct grouping {
    tamis_cross *x;
    work_group *g;
    size_t n, cap, live;
    tamis_strmap *by_pattern; /* pattern -> live group */
    uint8_t key[CELL_KEY_MAX];
} grouping;

static size_t pattern_key(grouping *w, uint32_t cell, uint32_t level)
{
    size_t klen = 0;
    w->key[klen++] = (uint8_t)level;
    for (uint32_t i = 0; i < level; i++) {
        const char *v = w->x->cells[cell].values[i];
        size_t n = strlen(v); /* <= VALUE_MAX, checked when counted */
        w->key[klen++] = (uint8_t)(n >> 8);
        w->key[klen++] = (uint8_t)n;
        memcpy(w->key + klen, v, n);
        klen += n;
    }
    return klen;
}

/* Cells in the order groups are listed: larger first, then values in byte order. */
static int cell_cmp(const tamis_cross *x, uint32_t a, uint32_t b)
{
    const tamis_cross_cell *ca = &x->cells[a], *cb = &x->cells[b];
    if (ca->users != cb->users)
        return ca->users > cb->users ? -1 : 1;
    for (size_t i = 0; i < x->n_labels; i++) {
        int c = strcmp(ca->values[i], cb->values[i]);
        if (c)
            return c;
    }
    return 0;
}

/* Generalises group i's last kept label: it merges into the group of the coarser
 * pattern, which is created when absent. */
static void coarsen(grouping *w, uint32_t i)
{
    work_group *g = &w->g[i];
    uint32_t head = g->head, level = g->level - 1, t;
    size_t klen = pattern_key(w, head, g->level);

    tamis_strmap_del(w->by_pattern, w->key, klen);
    klen = pattern_key(w, head, level);
    if (tamis_strmap_get(w->by_pattern, w->key, klen, &t)) {
        work_group *to = &w->g[t];
        to->users += w->g[i].users;
        to->cells += w->g[i].cells;
        if (cell_cmp(w->x, w->g[i].head, to->head) < 0)
            to->head = w->g[i].head; /* the name comes from the largest cell */
        w->live--;
    } else {
        w->g = tamis_grow(w->g, sizeof *w->g, &w->cap, w->n + 1);
        t = (uint32_t)w->n++;
        w->g[t] = (work_group){head, level, w->g[i].cells, NONE, w->g[i].users};
        tamis_strmap_put(w->by_pattern, w->key, klen, t);
    }
    w->g[i].parent = t;
}

/* Sorting groups needs the cells: the comparison works on (group, x) pairs. */
typedef struct group_ref {
    const tamis_cross *x;
    const work_group *g;
    uint32_t index;
} group_ref;

/* Coarsening order within a level: smaller first, then the later-listed cell first. */
static int coarsen_order(const void *pa, const void *pb)
{
    const group_ref *a = pa, *b = pb;
    if (a->g->users != b->g->users)
        return a->g->users < b->g->users ? -1 : 1;
    return -cell_cmp(a->x, a->g->head, b->g->head);
}

/* Listing order: larger first, "everyone else" (level 0) last, then by head cell. */
static int list_order(const void *pa, const void *pb)
{
    const group_ref *a = pa, *b = pb;
    if ((a->g->level == 0) != (b->g->level == 0))
        return a->g->level == 0 ? 1 : -1;
    if (a->g->users != b->g->users)
        return a->g->users > b->g->users ? -1 : 1;
    if (a->g->level != b->g->level)
        return a->g->level > b->g->level ? -1 : 1;
    return cell_cmp(a->x, a->g->head, b->g->head);
}

/* The live groups at level (all of them when level is NONE), in refs, sorted. */
static size_t live_groups(const grouping *w, uint32_t level, group_ref *refs, int (*cmp)(const void *, const void *))
{
    size_t n = 0;
    for (size_t i = 0; i < w->n; i++)
        if (w->g[i].parent == NONE && (level == NONE || w->g[i].level == level))
            refs[n++] = (group_ref){w->x, &w->g[i], (uint32_t)i};
    qsort(refs, n, sizeof *refs, cmp);
    return n;
}

static void finish(grouping *w, group_ref *refs)
{
    tamis_cross *x = w->x;
    size_t n = live_groups(w, NONE, refs, list_order);
    uint32_t *final = tamis_calloc(w->n ? w->n : 1, sizeof *final);
    tamis_free(x->groups);
    x->groups = tamis_calloc(n ? n : 1, sizeof *x->groups);
    for (size_t k = 0; k < n; k++) {
        x->groups[k] = (tamis_cross_group){refs[k].g->head, refs[k].g->level, refs[k].g->cells, refs[k].g->users};
        final[refs[k].index] = (uint32_t)k;
    }
    x->n_groups = n;
    for (size_t c = 0; c < x->n_cells; c++) { /* cell c started as group c */
        uint32_t i = (uint32_t)c;
        while (w->g[i].parent != NONE)
            i = w->g[i].parent;
        x->cells[c].group = final[i];
    }
    tamis_free(final);
}

/* x->order: the cells in listing order (qsort has no context: pairs carry x). */
typedef struct cell_ref {
    const tamis_cross *x;
    uint32_t cell;
} cell_ref;

static int cell_ref_cmp(const void *pa, const void *pb)
{
    const cell_ref *a = pa, *b = pb;
    return cell_cmp(a->x, a->cell, b->cell);
}

static void cell_listing(tamis_cross *x)
{
    cell_ref *refs = tamis_calloc(x->n_cells ? x->n_cells : 1, sizeof *refs);
    for (size_t c = 0; c < x->n_cells; c++)
        refs[c] = (cell_ref){x, (uint32_t)c};
    qsort(refs, x->n_cells, sizeof *refs, cell_ref_cmp);
    tamis_free(x->order);
    x->order = tamis_calloc(x->n_cells ? x->n_cells : 1, sizeof *x->order);
    for (size_t c = 0; c < x->n_cells; c++)
        x->order[c] = refs[c].cell;
    tamis_free(refs);
}

void tamis_cross_make_groups(tamis_cross *x, uint32_t max_groups, uint64_t min_size)
{
    grouping w = {x, NULL, 0, 0, 0, tamis_strmap_new(), {0}};
    group_ref *refs;

    if (max_groups == 0)
        max_groups = TAMIS_CROSS_DEFAULT_GROUPS;
    if (min_size == 0)
        min_size = (uint64_t)((double)x->users * TAMIS_CROSS_DEFAULT_MIN_SHARE + 0.999999);
    x->min_size = min_size ? min_size : 1;
    w.g = tamis_calloc(x->n_cells ? x->n_cells : 1, sizeof *w.g);
    w.cap = x->n_cells ? x->n_cells : 1;
    for (size_t c = 0; c < x->n_cells; c++) {
        size_t klen = pattern_key(&w, (uint32_t)c, (uint32_t)x->n_labels);
        w.g[c] = (work_group){(uint32_t)c, (uint32_t)x->n_labels, 1, NONE, x->cells[c].users};
        tamis_strmap_put(w.by_pattern, w.key, klen, (uint32_t)c);
    }
    w.n = w.live = x->n_cells;
    /* 1. too small: generalise the last label, then the one before, ... */
    for (uint32_t level = (uint32_t)x->n_labels; level > 0; level--)
        for (size_t i = 0, n = w.n; i < n; i++)
            if (w.g[i].parent == NONE && w.g[i].level == level && w.g[i].users < x->min_size)
                coarsen(&w, (uint32_t)i);
    /* 2. too many: the same, smallest first, until at most max_groups are left. Every
     * group a level creates lies one level up, so each level is sorted once. */
    for (uint32_t level = (uint32_t)x->n_labels; level > 0 && w.live > max_groups; level--) {
        size_t n;
        refs = tamis_calloc(w.n + 1, sizeof *refs);
        n = live_groups(&w, level, refs, coarsen_order);
        for (size_t k = 0; k < n && w.live > max_groups; k++)
            coarsen(&w, refs[k].index);
        tamis_free(refs);
    }
    refs = tamis_calloc(w.n + 1, sizeof *refs);
    finish(&w, refs);
    tamis_free(refs);
    cell_listing(x);
    tamis_free(w.g);
    tamis_strmap_free(w.by_pattern);
}

void tamis_cross_group_name(const tamis_cross *x, size_t g, char *out, size_t cap)
{
    const tamis_cross_group *gr = &x->groups[g];
    size_t used = 0;
    out[0] = '\0';
    if (gr->level == 0) {
        snprintf(out, cap, "everyone else");
        return;
    }
    for (size_t i = 0; i < x->n_labels && used < cap; i++) {
        int n = snprintf(out + used, cap - used, "%s%s=%s", i ? ", " : "", x->labels[i].text,
                         i < gr->level ? x->cells[gr->head].values[i] : "(other)");
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* ---- the pass over the store ----------------------------------------------------- */

typedef struct cross_pass {
    tamis_cross *x;
    tamis_txn *txn;
    const tamis_rfm_table *rfm;
    bool need_score;
    tamis_contact contact;
    tamis_error *err;
} cross_pass;

static const char *attr_value(const tamis_contact *c, const char *key)
{
    for (size_t i = 0; i < c->n_attrs; i++)
        if (!strcmp(c->attrs[i].key, key))
            return c->attrs[i].value && c->attrs[i].value[0] ? c->attrs[i].value : "(none)";
    return "(none)";
}

static const char *has_tag(const tamis_contact *c, const char *tag)
{
    for (size_t i = 0; i < c->n_tags; i++)
        if (!strcmp(c->tags[i], tag))
            return "yes";
    return "no";
}

static int visit_user(void *vctx, uint32_t uid, const void *data, size_t len)
{
    cross_pass *p = vctx;
    tamis_cross *x = p->x;
    const char *values[TAMIS_CROSS_MAX_LABELS];
    tamis_result r;
    bool scored = false;
    uint32_t cell;
    int rc;

    tamis_contact_free(&p->contact);
    if ((rc = tamis_contact_decode(&p->contact, data, len, p->err)) != 0)
        return rc;
    if (p->need_score) {
        const void *sdata;
        size_t slen;
        rc = tamis_score_record_get(p->txn, uid, &sdata, &slen, p->err);
        if (rc == 0 && (rc = tamis_record_decode(sdata, slen, &r, NULL, p->err)) != 0)
            return rc;
        if (rc && rc != TAMIS_ENOTFOUND)
            return rc;
        scored = rc == 0;
    }
    for (size_t i = 0; i < x->n_labels; i++) {
        const tamis_cross_label *l = &x->labels[i];
        const tamis_rfm_user *u;
        switch (l->kind) {
        case TAMIS_LABEL_TIER: values[i] = scored ? tamis_tier_name(r.tier) : "(unscored)"; break;
        case TAMIS_LABEL_TREND: values[i] = scored ? tamis_trend_name(r.trend) : "(unscored)"; break;
        case TAMIS_LABEL_BEST_CHANNEL:
            values[i] = !scored ? "(unscored)" : r.best_channel[0] ? r.best_channel : "(none)";
            break;
        case TAMIS_LABEL_COUNTRY: values[i] = p->contact.country[0] ? p->contact.country : "(none)"; break;
        case TAMIS_LABEL_RFM:
            u = tamis_rfm_find(p->rfm, uid);
            values[i] = tamis_rfm_segment_name(u ? u->segment : TAMIS_RFM_NONE);
            break;
        case TAMIS_LABEL_ATTR: values[i] = attr_value(&p->contact, l->arg); break;
        default: values[i] = has_tag(&p->contact, l->arg); break;
        }
    }
    if ((rc = tamis_cross_count(x, values, 1, &cell, p->err)) != 0)
        return rc;
    if (x->n_users == x->cap_users) {
        x->user_uid = tamis_grow(x->user_uid, sizeof *x->user_uid, &x->cap_users, x->n_users + 1);
        x->user_cell = tamis_realloc(x->user_cell, x->cap_users * sizeof *x->user_cell);
    }
    x->user_uid[x->n_users] = uid;
    x->user_cell[x->n_users++] = cell;
    return 0;
}

int tamis_cross_compute(tamis_store *store, tamis_cross *x, const tamis_cross_options *opts, tamis_error *err)
{
    cross_pass p = {x, NULL, NULL, false, {0}, err};
    tamis_rfm_table rfm;
    bool need_rfm = false;
    int rc = TAMIS_OK;

    tamis_rfm_table_init(&rfm);
    if (x->n_labels == 0)
        return tamis_error_set(err, TAMIS_EUSAGE, "name at least one label to cross");
    for (size_t i = 0; i < x->n_labels; i++) {
        tamis_cross_label_kind k = x->labels[i].kind;
        p.need_score |= k == TAMIS_LABEL_TIER || k == TAMIS_LABEL_TREND || k == TAMIS_LABEL_BEST_CHANNEL;
        need_rfm |= k == TAMIS_LABEL_RFM;
    }
    if (need_rfm)
        rc = tamis_rfm_compute(store, opts->as_of_ms,
                               opts->window_days ? opts->window_days : TAMIS_RFM_DEFAULT_WINDOW_DAYS, opts->threads,
                               NULL, &rfm, err);
    p.rfm = &rfm;
    tamis_contact_init(&p.contact);
    if (rc == 0 && (rc = tamis_txn_begin(store, false, &p.txn, err)) == 0) {
        rc = tamis_user_records_foreach(p.txn, visit_user, &p, err);
        tamis_txn_abort(p.txn);
    }
    tamis_contact_free(&p.contact);
    tamis_rfm_table_free(&rfm);
    if (rc == 0)
        tamis_cross_make_groups(x, opts->max_groups, opts->min_size);
    return rc;
}
