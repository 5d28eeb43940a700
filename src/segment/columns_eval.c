/* columns_eval.c — evaluating a compiled segment expression (expr_int.h) over the
 * column copy (columns_int.h), a block of users at a time instead of a user at a time.
 *
 * Truth values are bytes ordered false (0) < unknown (1) < true (2), so that `and` is
 * the minimum, `or` the maximum and `not` 2 - x: the three-valued logic of eval.c,
 * whose answers this file must give for every user (t_segments compares the two over
 * random expressions). Numbers, times and booleans become doubles (NaN: null; times
 * are exact as doubles); strings stay dictionary codes, and a condition on a string
 * becomes a table from the chunk's codes to truth values, built once per chunk. Tags
 * are one bitset per has_tag() per chunk, from the chunk's CRoaring bitmaps.
 *
 * Expressions over what the copy does not hold (attr(), consent(), RFM names, the
 * user key, comparisons between two string columns) are refused by cols_supports, and
 * the caller evaluates them row by row. */
#include <math.h>
#include <roaring/roaring.h>
#include <string.h>

#include "columns_int.h"
#include "expr_int.h"
#include "tamis/alloc.h"
#include "util/ordered.h"

#define BLOCK 1024 /* users per evaluation step (within a chunk): COLS_CHUNK_MIN divides */
#define LUT_SIZE 65536 /* every u16 code */
_Static_assert(COLS_CHUNK_MIN % BLOCK == 0, "a chunk is whole blocks");
#define F 0 /* false */
#define U 1 /* unknown */
#define T 2 /* true */

/* ---- what the copy can evaluate -------------------------------------------------- */

/* Whether slot holds, in every chunk, strings (want_string) or numbers. */
static bool slot_is(const tamis_segment_columns *c, size_t slot, bool want_string)
{
    for (size_t k = 0; k < c->n_chunks; k++) {
        uint8_t enc = c->chunks[k].parts[slot].enc;
        if (enc == ENC_NONE || (enc == ENC_CODE) != want_string)
            if (enc != ENC_NULL)
                return false;
    }
    return true;
}

static bool string_source(const tamis_segment_columns *c, const tamis_expr *e, int idx)
{
    const node *n = &e->nodes[idx];
    return n->kind == N_COUNTRY || (n->kind == N_COLUMN && slot_is(c, (size_t)n->col_index, true));
}

static bool supports_test(const tamis_segment_columns *c, const tamis_expr *e, int idx);

/* A number, time or boolean value. */
static bool supports_number(const tamis_segment_columns *c, const tamis_expr *e, int idx)
{
    const node *n = &e->nodes[idx];
    switch (n->kind) {
    case N_COLUMN: return n->type != VT_STRING && slot_is(c, (size_t)n->col_index, false);
    case N_NUMBER:
    case N_DURATION:
    case N_TIME:
    case N_BOOL:
    case N_NULL: return true;
    case N_DAYS_SINCE: return supports_number(c, e, n->a);
    case N_OR:
    case N_AND:
    case N_NOT:
    case N_CMP:
    case N_IN:
    case N_BETWEEN:
    case N_ISNULL:
    case N_HAS_TAG:
    case N_SEGMENT: return supports_test(c, e, idx);
    default: return false;
    }
}

static bool supports_test(const tamis_segment_columns *c, const tamis_expr *e, int idx)
{
    const node *n = &e->nodes[idx];
    switch (n->kind) {
    case N_OR:
    case N_AND: return supports_test(c, e, n->a) && supports_test(c, e, n->b);
    case N_NOT:
    case N_SEGMENT: return supports_test(c, e, n->a);
    case N_HAS_TAG: return true;
    case N_CMP:
        if (e->nodes[n->a].type == VT_STRING)
            return (string_source(c, e, n->a) && e->nodes[n->b].kind == N_STRING) ||
                   (string_source(c, e, n->b) && e->nodes[n->a].kind == N_STRING);
        return supports_number(c, e, n->a) && supports_number(c, e, n->b);
    case N_BETWEEN:
        if (e->nodes[n->a].type == VT_STRING)
            return string_source(c, e, n->a) && e->nodes[n->b].kind == N_STRING && e->nodes[n->c].kind == N_STRING;
        return supports_number(c, e, n->a) && supports_number(c, e, n->b) && supports_number(c, e, n->c);
    case N_IN:
        if (e->nodes[n->a].type == VT_STRING)
            return string_source(c, e, n->a); /* the items are literals (compile.c) */
        return supports_number(c, e, n->a);
    case N_ISNULL:
        return e->nodes[n->a].type == VT_STRING ? string_source(c, e, n->a) : supports_number(c, e, n->a);
    default:
        /* a value as a condition: a boolean one is read; any other is unknown */
        return n->type != VT_BOOL || supports_number(c, e, idx);
    }
}

bool cols_supports(const tamis_segment_columns *c, const tamis_expr *e)
{
    return supports_test(c, e, e->root);
}

/* ---- per-chunk tables -------------------------------------------------------------- */

typedef struct worker {
    const tamis_segment_columns *c;
    const tamis_expr *e;
    int64_t as_of_ms;
    size_t chunk;
    uint32_t off, n;   /* the block: chunk-local uids [off, off + n) */
    uint8_t **lut;     /* per node: truth of each code of the chunk's dictionary */
    uint64_t **tags;   /* per node: has_tag() bitset of the chunk */
    double *dpool;     /* scratch, used as a stack */
    uint8_t *tpool;
    size_t dtop, ttop, dcap, tcap;
    uint32_t members[COLS_CHUNK_UIDS]; /* the chunk's, in order */
    size_t n_members;
} worker;

/* The string a string-source node reads in this chunk (its part). */
static const cols_part *string_part(const worker *w, const node *n)
{
    size_t slot = n->kind == N_COUNTRY ? cols_country_slot(w->c) : (size_t)n->col_index;
    return &w->c->chunks[w->chunk].parts[slot];
}

static int order_text(const cols_str *s, const char *lit)
{
    return cols_str_cmp(s->s, s->len, lit, strlen(lit));
}

static uint8_t truth_of(int o, cmp_op op)
{
    bool t = op == OP_EQ ? o == 0 : op == OP_NE ? o != 0 : op == OP_LT ? o < 0 : op == OP_LE ? o <= 0
           : op == OP_GT ? o > 0 : o >= 0;
    return t ? T : F;
}

/* The truth of string condition n for a present string s. */
static uint8_t string_truth(const tamis_expr *e, const node *n, const cols_str *s)
{
    uint8_t t;
    switch (n->kind) {
    case N_CMP: {
        bool left = e->nodes[n->b].kind == N_STRING;
        int o = order_text(s, e->nodes[left ? n->b : n->a].str);
        return truth_of(left ? o : -o, n->op);
    }
    case N_BETWEEN:
        t = order_text(s, e->nodes[n->b].str) >= 0 && order_text(s, e->nodes[n->c].str) <= 0 ? T : F;
        return n->negated ? (uint8_t)(T - t) : t;
    case N_IN:
        t = F;
        for (int i = 0; i < n->count && t == F; i++)
            if (order_text(s, e->nodes[e->lists[n->first + i]].str) == 0)
                t = T;
        return n->negated ? (uint8_t)(T - t) : t;
    default: /* N_ISNULL */
        return n->negated ? T : F;
    }
}

static int string_operand(const tamis_expr *e, const node *n)
{
    return n->kind == N_CMP && e->nodes[n->a].kind == N_STRING ? n->b : n->a;
}

typedef struct tag_fill {
    uint64_t *bits;
    uint32_t n; /* uids in a chunk */
} tag_fill;

static bool set_bit(uint32_t local, void *ctx)
{
    tag_fill *f = ctx;
    if (local < f->n) /* a damaged bitmap never writes past the set */
        f->bits[local / 64] |= (uint64_t)1 << (local % 64);
    return true;
}

/* Fills the tables of every string condition and has_tag() for w->chunk. */
static void prepare_chunk(worker *w)
{
    const tamis_expr *e = w->e;
    const cols_chunk *ck = &w->c->chunks[w->chunk];
    for (size_t i = 0; i < e->n; i++) {
        const node *n = &e->nodes[i];
        if (w->lut[i]) {
            const cols_part *p = string_part(w, &e->nodes[string_operand(e, n)]);
            uint8_t null_truth = n->kind == N_ISNULL ? (n->negated ? F : T) : U;
            memset(w->lut[i], U, LUT_SIZE); /* codes past the dictionary: unknown */
            w->lut[i][0] = null_truth;
            for (uint32_t k = 0; p->enc == ENC_CODE && k < p->n_dict; k++)
                w->lut[i][k + 1] = string_truth(e, n, &p->dict[k]);
        }
        if (w->tags[i]) {
            size_t lo = 0, hi = ck->n_tags, len = strlen(n->str);
            memset(w->tags[i], 0, w->c->chunk_uids / 8);
            while (lo < hi) { /* tags are sorted */
                size_t mid = (lo + hi) / 2;
                int o = cols_str_cmp(ck->tags[mid].name.s, ck->tags[mid].name.len, n->str, len);
                if (o == 0) {
                    roaring_bitmap_t *b = roaring_bitmap_portable_deserialize_safe(ck->tags[mid].bitmap,
                                                                                   ck->tags[mid].len);
                    tag_fill fill = {w->tags[i], w->c->chunk_uids};
                    if (b) { /* NULL: a damaged bitmap, no one has the tag */
                        roaring_iterate(b, set_bit, &fill);
                        roaring_bitmap_free(b);
                    }
                    break;
                }
                if (o < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
        }
    }
}

/* ---- a block -------------------------------------------------------------------------- */

static double *take_numbers(worker *w)
{
    double *p = w->dpool + w->dtop * BLOCK;
    w->dtop++;
    return p;
}

static uint8_t *take_truths(worker *w)
{
    uint8_t *p = w->tpool + w->ttop * BLOCK;
    w->ttop++;
    return p;
}

static void vtest(worker *w, int idx, uint8_t *out);

/* Values of number, time or boolean node idx for the block (NaN: null). */
static void vnum(worker *w, int idx, double *out)
{
    const node *n = &w->e->nodes[idx];
    uint32_t len = w->n;
    switch (n->kind) {
    case N_COLUMN: {
        const cols_part *p = &w->c->chunks[w->chunk].parts[n->col_index];
        if (p->enc == ENC_U8) {
            const uint8_t *v = (const uint8_t *)p->cells + w->off;
            for (uint32_t i = 0; i < len; i++)
                out[i] = v[i] == COLS_U8_NULL ? NAN : v[i];
        } else if (p->enc == ENC_I32) {
            const int32_t *v = (const int32_t *)p->cells + w->off;
            for (uint32_t i = 0; i < len; i++)
                out[i] = v[i] == INT32_MIN ? NAN : v[i];
        } else if (p->enc == ENC_F64) {
            memcpy(out, (const double *)p->cells + w->off, len * sizeof *out);
        } else {
            for (uint32_t i = 0; i < len; i++)
                out[i] = NAN;
        }
        return;
    }
    case N_NUMBER:
    case N_DURATION:
    case N_TIME:
    case N_BOOL:
    case N_NULL: {
        double x = n->kind == N_TIME ? (double)n->ms : n->kind == N_BOOL ? (n->truth ? 1 : 0)
                 : n->kind == N_NULL ? NAN : n->num;
        for (uint32_t i = 0; i < len; i++)
            out[i] = x;
        return;
    }
    case N_DAYS_SINCE: {
        double now = (double)w->as_of_ms;
        vnum(w, n->a, out);
        for (uint32_t i = 0; i < len; i++)
            out[i] = (now - out[i]) / 86400000.0;
        return;
    }
    default: { /* a condition as a value */
        size_t mark = w->ttop;
        uint8_t *t = take_truths(w);
        vtest(w, idx, t);
        for (uint32_t i = 0; i < len; i++)
            out[i] = t[i] == U ? NAN : t[i] == T ? 1 : 0;
        w->ttop = mark;
        return;
    }
    }
}

/* out[i] = the truth of x[i] op y[i] (unknown when either is null). */
static void compare(const double *x, cmp_op op, const double *y, uint32_t len, uint8_t *out)
{
#define LOOP(expr)                                                                                                     \
    for (uint32_t i = 0; i < len; i++)                                                                                 \
        out[i] = isnan(x[i]) || isnan(y[i]) ? U : (expr) ? T : F;
    switch (op) {
    case OP_EQ: LOOP(x[i] == y[i]) break;
    case OP_NE: LOOP(x[i] != y[i]) break;
    case OP_LT: LOOP(x[i] < y[i]) break;
    case OP_LE: LOOP(x[i] <= y[i]) break;
    case OP_GT: LOOP(x[i] > y[i]) break;
    default: LOOP(x[i] >= y[i]) break;
    }
#undef LOOP
}

/* Truths of condition idx for the block. */
static void vtest(worker *w, int idx, uint8_t *out)
{
    const node *n = &w->e->nodes[idx];
    uint32_t len = w->n;
    size_t dmark = w->dtop, tmark = w->ttop;
    if (w->lut[idx]) { /* a condition on a string */
        const cols_part *p = string_part(w, &w->e->nodes[string_operand(w->e, n)]);
        const uint16_t *codes = p->enc == ENC_CODE ? (const uint16_t *)p->cells + w->off : NULL;
        for (uint32_t i = 0; i < len; i++)
            out[i] = w->lut[idx][codes ? codes[i] : 0];
        return;
    }
    switch (n->kind) {
    case N_OR:
    case N_AND: {
        uint8_t *b = take_truths(w);
        vtest(w, n->a, out);
        vtest(w, n->b, b);
        if (n->kind == N_AND)
            for (uint32_t i = 0; i < len; i++)
                out[i] = out[i] < b[i] ? out[i] : b[i];
        else
            for (uint32_t i = 0; i < len; i++)
                out[i] = out[i] > b[i] ? out[i] : b[i];
        break;
    }
    case N_NOT:
        vtest(w, n->a, out);
        for (uint32_t i = 0; i < len; i++)
            out[i] = (uint8_t)(T - out[i]);
        break;
    case N_SEGMENT: vtest(w, n->a, out); break;
    case N_HAS_TAG:
        for (uint32_t i = 0; i < len; i++) {
            uint32_t u = w->off + i;
            out[i] = (w->tags[idx][u / 64] >> (u % 64)) & 1 ? T : F;
        }
        break;
    case N_CMP: {
        double *x = take_numbers(w), *y = take_numbers(w);
        vnum(w, n->a, x);
        vnum(w, n->b, y);
        compare(x, n->op, y, len, out);
        break;
    }
    case N_BETWEEN: {
        double *x = take_numbers(w), *y = take_numbers(w);
        uint8_t *t2 = take_truths(w);
        vnum(w, n->a, x);
        vnum(w, n->b, y);
        compare(x, OP_GE, y, len, out);
        vnum(w, n->c, y);
        compare(x, OP_LE, y, len, t2);
        for (uint32_t i = 0; i < len; i++) {
            uint8_t t = out[i] < t2[i] ? out[i] : t2[i];
            out[i] = n->negated ? (uint8_t)(T - t) : t;
        }
        break;
    }
    case N_IN: {
        double *x = take_numbers(w), *y = take_numbers(w);
        vnum(w, n->a, x);
        for (uint32_t i = 0; i < len; i++)
            out[i] = F;
        for (int k = 0; k < n->count; k++) {
            vnum(w, w->e->lists[n->first + k], y);
            for (uint32_t i = 0; i < len; i++)
                if (x[i] == y[i])
                    out[i] = T;
        }
        for (uint32_t i = 0; i < len; i++)
            out[i] = isnan(x[i]) ? U : n->negated ? (uint8_t)(T - out[i]) : out[i];
        break;
    }
    case N_ISNULL: {
        double *x = take_numbers(w);
        vnum(w, n->a, x);
        for (uint32_t i = 0; i < len; i++)
            out[i] = isnan(x[i]) != n->negated ? T : F;
        break;
    }
    default: /* a value as a condition */
        if (n->type == VT_BOOL) {
            double *x = take_numbers(w);
            vnum(w, idx, x);
            for (uint32_t i = 0; i < len; i++)
                out[i] = isnan(x[i]) ? U : x[i] != 0 ? T : F;
        } else {
            for (uint32_t i = 0; i < len; i++)
                out[i] = U;
        }
        break;
    }
    w->dtop = dmark;
    w->ttop = tmark;
}

/* ---- the run ------------------------------------------------------------------------ */

typedef struct run {
    const tamis_segment_columns *c;
    const tamis_expr *e;
    int64_t as_of_ms;
    size_t depth;
    roaring_bitmap_t *members;
} run;

typedef struct run_slot {
    uint32_t *uids;
    size_t n;
} run_slot;

static size_t depth_of(const tamis_expr *e, int idx)
{
    const node *n = &e->nodes[idx];
    size_t d = 0;
    int kids[3] = {n->a, n->b, n->c};
    for (int k = 0; k < 3; k++)
        if (kids[k] >= 0) {
            size_t x = depth_of(e, kids[k]);
            d = x > d ? x : d;
        }
    if (n->kind == N_IN && n->count > 0 && d < 1)
        d = 1; /* the items */
    return d + 1;
}

/* Marks the nodes evaluation reaches from idx. */
static void mark_reached(const tamis_expr *e, int idx, bool *reached)
{
    const node *n = &e->nodes[idx];
    reached[idx] = true;
    if (n->a >= 0)
        mark_reached(e, n->a, reached);
    if (n->b >= 0)
        mark_reached(e, n->b, reached);
    if (n->c >= 0)
        mark_reached(e, n->c, reached);
    for (int i = 0; n->kind == N_IN && i < n->count; i++)
        mark_reached(e, e->lists[n->first + i], reached);
}

static bool is_string_test(const tamis_expr *e, const node *n)
{
    switch (n->kind) {
    case N_CMP: return e->nodes[n->a].type == VT_STRING;
    case N_BETWEEN:
    case N_IN:
    case N_ISNULL: return e->nodes[n->a].type == VT_STRING;
    default: return false;
    }
}

static int run_open(void *ctx, void **out, tamis_error *err)
{
    run *r = ctx;
    worker *w = tamis_calloc(1, sizeof *w);
    bool *reached = tamis_calloc(r->e->n, sizeof *reached);
    (void)err;
    w->c = r->c;
    w->e = r->e;
    w->as_of_ms = r->as_of_ms;
    w->lut = tamis_calloc(r->e->n, sizeof *w->lut);
    w->tags = tamis_calloc(r->e->n, sizeof *w->tags);
    mark_reached(r->e, r->e->root, reached);
    for (size_t i = 0; i < r->e->n; i++) { /* tables for the nodes evaluation reaches */
        if (!reached[i])
            continue;
        if (is_string_test(r->e, &r->e->nodes[i]))
            w->lut[i] = tamis_malloc(LUT_SIZE);
        if (r->e->nodes[i].kind == N_HAS_TAG)
            w->tags[i] = tamis_malloc(r->c->chunk_uids / 8);
    }
    tamis_free(reached);
    w->dcap = w->tcap = 3 * (r->depth + 2); /* 3 per level at most, and the root's */
    w->dpool = tamis_calloc(w->dcap * BLOCK, sizeof *w->dpool);
    w->tpool = tamis_calloc(w->tcap * BLOCK, 1);
    *out = w;
    return TAMIS_OK;
}

static void run_close(void *ctx, void *vw)
{
    worker *w = vw;
    (void)ctx;
    for (size_t i = 0; i < w->e->n; i++) {
        tamis_free(w->lut[i]);
        tamis_free(w->tags[i]);
    }
    tamis_free(w->lut);
    tamis_free(w->tags);
    tamis_free(w->dpool);
    tamis_free(w->tpool);
    tamis_free(w);
}

static int run_produce(void *ctx, void *vw, size_t chunk, void *vslot, tamis_error *err)
{
    worker *w = vw;
    run_slot *slot = vslot;
    const uint64_t *present = w->c->chunks[chunk].present;
    uint8_t *truth = w->tpool; /* the bottom of the stack: the root's */
    /* uids past the copy's end are no one's, even if a damaged bitset says so */
    uint32_t limit = w->c->uid_end - (uint32_t)(chunk * w->c->chunk_uids);
    (void)ctx;
    (void)err;
    w->chunk = chunk;
    w->n_members = 0;
    prepare_chunk(w);
    for (uint32_t off = 0; off < w->c->chunk_uids; off += BLOCK) {
        bool any = false;
        for (uint32_t k = off / 64; k < (off + BLOCK) / 64 && !any; k++)
            any = present[k] != 0;
        if (!any)
            continue;
        w->off = off;
        w->n = BLOCK;
        w->dtop = 0;
        w->ttop = 1;
        vtest(w, w->e->root, truth);
        for (uint32_t i = 0; i < BLOCK; i++) {
            uint32_t u = off + i;
            if (truth[i] == T && ((present[u / 64] >> (u % 64)) & 1) && u < limit)
                w->members[w->n_members++] = (uint32_t)(chunk * w->c->chunk_uids) + u;
        }
    }
    slot->uids = tamis_realloc(slot->uids, (w->n_members ? w->n_members : 1) * sizeof *slot->uids);
    memcpy(slot->uids, w->members, w->n_members * sizeof *slot->uids);
    slot->n = w->n_members;
    return TAMIS_OK;
}

static int run_consume(void *ctx, size_t chunk, void *vslot, tamis_error *err)
{
    run *r = ctx;
    run_slot *slot = vslot;
    (void)chunk;
    (void)err;
    if (slot->n)
        roaring_bitmap_add_many(r->members, slot->n, slot->uids);
    return TAMIS_OK;
}

static void run_slot_free(void *ctx, void *vslot)
{
    (void)ctx;
    tamis_free(((run_slot *)vslot)->uids);
}

int cols_evaluate(const tamis_segment_columns *c, const tamis_expr *e, unsigned threads,
                  roaring_bitmap_t *members, tamis_error *err)
{
    static const tamis_ordered_ops ops = {sizeof(run_slot), run_open,    run_close,
                                          run_produce,      run_consume, run_slot_free};
    run r = {c, e, c->as_of_ms, depth_of(e, e->root), members};
    if (c->n_chunks == 0)
        return TAMIS_OK;
    return tamis_ordered_run(&ops, &r, c->n_chunks, threads ? threads : 1, err);
}
