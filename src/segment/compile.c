/* compile.c — a parsed segment expression to its compiled form (expr_int.h): every
 * name is resolved against the one column table (include/tamis/columns.h) or the
 * contact's fields, functions are checked, types are inferred and checked, tier and
 * trend words are checked against their lists, and segment("name") references are
 * compiled and attached in place (cycles and depth refused). Unknown names get the
 * nearest known one as a suggestion. Also the explain printer and the name list. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr_int.h"
#include "tamis/alloc.h"
#include "tamis/event.h"
#include "tamis/model_config.h"
#include "tamis/rfm.h"
#include "tamis/score.h"

#define N_EXTRA_NAMES (1 + RF__COUNT)
static const char *const extra_names[N_EXTRA_NAMES] = {"country",      "r_score",      "f_score",   "m_score",
                                                       "fm_score",     "rfm_segment",  "recency_days",
                                                       "frequency",    "monetary"};
static const char *const functions[] = {"has_tag", "attr", "consent", "days_since", "segment"};

/* Index of an expression name, or -1. */
static int expr_name_index(const char *name)
{
    for (size_t i = 0; i < tamis_column_count() + N_EXTRA_NAMES; i++)
        if (strcmp(tamis_expr_name(i), name) == 0)
            return (int)i;
    return -1;
}

size_t tamis_expr_name_count(void)
{
    return tamis_column_count() + N_EXTRA_NAMES;
}

const char *tamis_expr_name(size_t i)
{
    size_t nc = tamis_column_count();
    return i < nc ? tamis_column_name(i) : i < nc + N_EXTRA_NAMES ? extra_names[i - nc] : NULL;
}

/* Edit distance (insert, delete, substitute, swap of neighbours), capped at 9. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d[64][64];
    if (la >= 63 || lb >= 63)
        return 9;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb] < 9 ? d[la][lb] : 9;
}

/* "; did you mean 'x'?" for the nearest of names (or ""). */
static void suggest(const char *word, const char *(*name_at)(size_t), size_t n, char *out, size_t cap)
{
    size_t best = 99, limit = strlen(word) / 3 + 1;
    const char *pick = NULL;
    if (limit < 2)
        limit = 2;
    for (size_t i = 0; i < n; i++) {
        const char *cand = name_at(i);
        size_t dist = strcasecmp(word, cand) == 0 ? 0 : distance(word, cand); /* names are lower case */
        if (dist < best) {
            best = dist;
            pick = cand;
        }
    }
    if (pick && best <= limit)
        snprintf(out, cap, "; did you mean '%s'?", pick);
    else
        out[0] = '\0';
}

static const char *function_at(size_t i)
{
    return functions[i];
}
static const char *tier_at(size_t i)
{
    return tamis_tier_name((int)i);
}
static const char *trend_at(size_t i)
{
    return tamis_trend_name((int)i);
}
static const char *rfm_segment_at(size_t i)
{
    return tamis_rfm_segment_name((unsigned)i);
}

bool tamis_expr_uses_rfm(const tamis_expr *e)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->nodes[i].kind == N_RFM)
            return true;
    return false;
}

typedef struct compiler {
    tamis_expr *e;
    const tamis_expr_env *env;
    tamis_error *err;
    value_type column_types[256]; /* the type of each column, from a probe row */
    char *stack[TAMIS_EXPR_MAX_SEGMENT_DEPTH + 1]; /* segments being expanded, outermost first */
    int depth;
} compiler;

static value_type type_of_value(tamis_value_type t)
{
    switch (t) {
    case TAMIS_V_BOOL: return VT_BOOL;
    case TAMIS_V_INT:
    case TAMIS_V_DOUBLE: return VT_NUMBER;
    case TAMIS_V_STRING: return VT_STRING;
    case TAMIS_V_TIME: return VT_TIME;
    case TAMIS_V_NULL: return VT_NULL;
    default: return VT_UNKNOWN; /* lists: not comparable */
    }
}

/* Each column's type, read off a probe row whose every field is set. */
static void probe_columns(compiler *c)
{
    tamis_result r;
    tamis_features f;
    tamis_platform_names names;
    tamis_export_row row = {.user = "u", .zone = "UTC", .result = &r, .features = &f, .names = &names};
    memset(&r, 0, sizeof r);
    memset(&f, 0, sizeof f);
    memset(&names, 0, sizeof names);
    r.best_channel[0] = 'x';
    for (size_t i = 0; i < tamis_column_count() && i < 256; i++) {
        tamis_value v;
        tamis_column_value(i, &row, &v);
        c->column_types[i] = type_of_value(v.type);
        if (v.type == TAMIS_V_NULL)
            c->column_types[i] = VT_NUMBER; /* the nullable numbers (rates, days since ...) */
    }
}

static const char *type_name(value_type t)
{
    static const char *const names[] = {"a list", "a boolean", "a number", "a string", "a time", "null"};
    return names[t];
}

static int compile_node(compiler *c, int idx);

/* A function's one string argument, checked. */
static int string_arg(compiler *c, int idx, const char *fn, char **out)
{
    node *n = &c->e->nodes[idx];
    node *arg;
    if (n->count != 1 || c->e->nodes[c->e->lists[n->first]].kind != N_STRING)
        return expr_error(c->err, TAMIS_EINPUT, n->line, n->col, "%s() takes one string, as %s(\"...\")", fn, fn);
    arg = &c->e->nodes[c->e->lists[n->first]];
    *out = arg->str;
    arg->str = NULL;
    return TAMIS_OK;
}

/* Compiles segment("name")'s definition and attaches it under node idx. */
static int expand_segment(compiler *c, int idx)
{
    node *n = &c->e->nodes[idx];
    int line = n->line, col = n->col, rc;
    char *name = n->str, *text = NULL;
    token_list tl;
    tamis_expr sub;
    size_t base;
    if (!c->env || !c->env->segment_definition)
        return expr_error(c->err, TAMIS_EINPUT, line, col, "segment() cannot be used here");
    for (int i = 0; i < c->depth; i++)
        if (strcmp(c->stack[i], name) == 0)
            return expr_error(c->err, TAMIS_EINPUT, line, col, "segment '%s' refers to itself", name);
    if (c->depth >= TAMIS_EXPR_MAX_SEGMENT_DEPTH)
        return expr_error(c->err, TAMIS_ELIMIT, line, col, "segments nested deeper than %d (TAMIS_EXPR_MAX_SEGMENT_DEPTH)",
                          TAMIS_EXPR_MAX_SEGMENT_DEPTH);
    rc = c->env->segment_definition(c->env->ctx, name, &text, c->err);
    if (rc == TAMIS_ENOTFOUND)
        return expr_error(c->err, TAMIS_EINPUT, line, col, "no segment named '%s'", name);
    if (rc)
        return rc;
    memset(&sub, 0, sizeof sub);
    if ((rc = expr_lex(text, strlen(text), &tl, c->err)) == 0) {
        rc = expr_parse(&tl, &sub, c->err);
        expr_tokens_free(&tl);
    }
    tamis_free(text);
    if (rc) {
        char inner[TAMIS_ERROR_MSG_MAX];
        snprintf(inner, sizeof inner, "%s", c->err->msg);
        for (size_t i = 0; i < sub.n; i++)
            tamis_free(sub.nodes[i].str);
        tamis_free(sub.nodes);
        tamis_free(sub.lists);
        return expr_error(c->err, TAMIS_EINPUT, line, col, "in segment '%s': %s", name, inner);
    }
    if (c->e->n + sub.n > TAMIS_EXPR_MAX_WORK) {
        for (size_t i = 0; i < sub.n; i++)
            tamis_free(sub.nodes[i].str);
        tamis_free(sub.nodes);
        tamis_free(sub.lists);
        return expr_error(c->err, TAMIS_ELIMIT, line, col, "more than %d parts with its segments expanded (TAMIS_EXPR_MAX_WORK)",
                          TAMIS_EXPR_MAX_WORK);
    }
    /* Append the sub-expression's nodes and lists, shifting their indices. */
    base = c->e->n;
    for (size_t i = 0; i < sub.n; i++) {
        node *m = &sub.nodes[i];
        int k = expr_node_new(c->e, m->kind, m->line, m->col);
        node *dst = &c->e->nodes[k];
        *dst = *m;
        dst->a = m->a >= 0 ? m->a + (int)base : -1;
        dst->b = m->b >= 0 ? m->b + (int)base : -1;
        dst->c = m->c >= 0 ? m->c + (int)base : -1;
        dst->first = m->first + (int)c->e->n_lists;
    }
    c->e->lists = tamis_grow(c->e->lists, sizeof *c->e->lists, &c->e->cap_lists, c->e->n_lists + sub.n_lists);
    for (size_t i = 0; i < sub.n_lists; i++)
        c->e->lists[c->e->n_lists + i] = sub.lists[i] + (int)base;
    c->e->n_lists += sub.n_lists;
    c->e->nodes[idx].a = sub.root + (int)base;
    tamis_free(sub.nodes);
    tamis_free(sub.lists);
    c->stack[c->depth++] = name;
    rc = compile_node(c, c->e->nodes[idx].a);
    c->depth--;
    if (rc) {
        char inner[TAMIS_ERROR_MSG_MAX];
        snprintf(inner, sizeof inner, "%s", c->err->msg);
        return expr_error(c->err, rc, line, col, "in segment '%s': %s", name, inner);
    }
    if (c->e->nodes[c->e->nodes[idx].a].type != VT_BOOL)
        return expr_error(c->err, TAMIS_EINPUT, line, col, "segment '%s' is not a condition", name);
    return TAMIS_OK;
}

/* Whether a name is kept in daily snapshots (include/tamis/snapshot_store.h). */
static bool in_snapshots(const char *name)
{
    static const char *const kept[] = {"score",  "tier",         "trend", "continuity", "depth",   "profile",
                                       "interaction", "rhythm", "reachability", "risk",  "country"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (strcmp(name, kept[i]) == 0)
            return true;
    return false;
}

static int not_in_snapshots(compiler *c, const node *n, const char *what)
{
    return expr_error(c->err, TAMIS_EINPUT, n->line, n->col,
                      "%s is not kept in daily snapshots: over a snapshot, use score, tier, trend, the sub-scores "
                      "and country",
                      what);
}

static int compile_call(compiler *c, int idx)
{
    node *n = &c->e->nodes[idx];
    const char *fn = n->str;
    int rc;
    char *arg = NULL, hint[128];
    if (c->env && c->env->snapshot_fields_only && strcmp(fn, "segment") != 0) {
        char what[96];
        snprintf(what, sizeof what, "%.40s()", fn);
        return not_in_snapshots(c, n, what);
    }
    if (strcmp(fn, "has_tag") == 0 || strcmp(fn, "attr") == 0 || strcmp(fn, "consent") == 0 ||
        strcmp(fn, "segment") == 0) {
        node_kind kind = fn[0] == 'h' ? N_HAS_TAG : fn[0] == 'a' ? N_ATTR : fn[0] == 'c' ? N_CONSENT : N_SEGMENT;
        if ((rc = string_arg(c, idx, fn, &arg)) != 0)
            return rc;
        n = &c->e->nodes[idx];
        tamis_free(n->str);
        n->str = arg;
        n->kind = kind;
        n->type = kind == N_HAS_TAG || kind == N_SEGMENT ? VT_BOOL : VT_STRING;
        return kind == N_SEGMENT ? expand_segment(c, idx) : TAMIS_OK;
    }
    if (strcmp(fn, "days_since") == 0) {
        int a;
        if (n->count != 1)
            return expr_error(c->err, TAMIS_EINPUT, n->line, n->col, "days_since() takes one time, as days_since(last_seen)");
        a = c->e->lists[n->first];
        if ((rc = compile_node(c, a)) != 0)
            return rc;
        n = &c->e->nodes[idx];
        if (c->e->nodes[a].type != VT_TIME)
            return expr_error(c->err, TAMIS_EINPUT, c->e->nodes[a].line, c->e->nodes[a].col,
                              "days_since() wants a time, not %s", type_name(c->e->nodes[a].type));
        n->kind = N_DAYS_SINCE;
        n->a = a;
        n->type = VT_NUMBER;
        return TAMIS_OK;
    }
    suggest(fn, function_at, sizeof functions / sizeof functions[0], hint, sizeof hint);
    return expr_error(c->err, TAMIS_EINPUT, n->line, n->col, "unknown function '%s'%s", fn, hint);
}

static int compile_name(compiler *c, int idx)
{
    node *n = &c->e->nodes[idx];
    char hint[128], what[96];
    int col = tamis_column_find(n->str, strlen(n->str));
    if (c->env && c->env->snapshot_fields_only && !in_snapshots(n->str) &&
        (col >= 0 || expr_name_index(n->str) >= 0)) {
        snprintf(what, sizeof what, "'%.40s'", n->str);
        return not_in_snapshots(c, n, what);
    }
    if (col >= 0 && c->column_types[col] != VT_UNKNOWN) {
        n->kind = N_COLUMN;
        n->col_index = col;
        n->type = c->column_types[col];
        return TAMIS_OK;
    }
    if (col >= 0)
        return expr_error(c->err, TAMIS_EINPUT, n->line, n->col, "'%s' is a list and cannot be compared", n->str);
    if (strcmp(n->str, "country") == 0) {
        n->kind = N_COUNTRY;
        n->type = VT_STRING;
        return TAMIS_OK;
    }
    for (int f = 0; f < RF__COUNT; f++)
        if (strcmp(n->str, extra_names[1 + f]) == 0) {
            n->kind = N_RFM;
            n->col_index = f;
            n->type = f == RF_SEGMENT ? VT_STRING : VT_NUMBER;
            return TAMIS_OK;
        }
    suggest(n->str, tamis_expr_name, tamis_expr_name_count(), hint, sizeof hint);
    if (!hint[0] && (strcmp(n->str, "tag") == 0 || strcmp(n->str, "tags") == 0))
        snprintf(hint, sizeof hint, "; tags are tested with has_tag(\"...\")");
    return expr_error(c->err, TAMIS_EINPUT, n->line, n->col, "unknown feature '%s'%s", n->str, hint);
}

/* Checks a string literal compared with tier or trend against their words. */
static int check_word(compiler *c, int col_node, int lit)
{
    node *cn = &c->e->nodes[col_node], *ln = &c->e->nodes[lit];
    const char *col;
    char hint[128];
    if (cn->kind == N_RFM && cn->col_index == RF_SEGMENT && ln->kind == N_STRING &&
        tamis_rfm_segment_find(ln->str, strlen(ln->str)) < 0) {
        suggest(ln->str, rfm_segment_at, TAMIS_RFM__COUNT, hint, sizeof hint);
        return expr_error(c->err, TAMIS_EINPUT, ln->line, ln->col, "unknown RFM segment '%s'%s", ln->str, hint);
    }
    if (cn->kind != N_COLUMN || ln->kind != N_STRING)
        return TAMIS_OK;
    col = tamis_column_name((size_t)cn->col_index);
    if (strcmp(col, "tier") == 0 && tamis_tier_from_name(ln->str, strlen(ln->str)) < 0) {
        suggest(ln->str, tier_at, TAMIS_TIER__COUNT, hint, sizeof hint);
        return expr_error(c->err, TAMIS_EINPUT, ln->line, ln->col, "unknown tier '%s'%s", ln->str, hint);
    }
    if (strcmp(col, "trend") == 0) {
        bool known = false;
        for (int t = 0; t < TAMIS_TREND__COUNT; t++)
            known |= strcmp(ln->str, tamis_trend_name(t)) == 0;
        if (!known) {
            suggest(ln->str, trend_at, TAMIS_TREND__COUNT, hint, sizeof hint);
            return expr_error(c->err, TAMIS_EINPUT, ln->line, ln->col, "unknown trend '%s'%s", ln->str, hint);
        }
    }
    return TAMIS_OK;
}

/* Whether values of types a and b can be compared (null compares with anything). */
static bool comparable(value_type a, value_type b)
{
    return a == b || a == VT_NULL || b == VT_NULL;
}

static int compile_pair(compiler *c, int at, int left, int right, bool ordered)
{
    node *n = &c->e->nodes[at], *l = &c->e->nodes[left], *r = &c->e->nodes[right];
    if (!comparable(l->type, r->type))
        return expr_error(c->err, TAMIS_EINPUT, r->line, r->col, "cannot compare %s with %s", type_name(l->type),
                          type_name(r->type));
    if (ordered && (l->type == VT_BOOL || r->type == VT_BOOL))
        return expr_error(c->err, TAMIS_EINPUT, n->line, n->col, "booleans have no order: use = or !=");
    if (l->type == VT_NULL || r->type == VT_NULL)
        return expr_error(c->err, TAMIS_EINPUT, n->line, n->col, "compare with null using 'is null' or 'is not null'");
    return check_word(c, left, right) || check_word(c, right, left) ? c->err->code : TAMIS_OK;
}

static int compile_node(compiler *c, int idx)
{
    node *n = &c->e->nodes[idx];
    int rc;
    switch (n->kind) {
    case N_NUMBER:
    case N_DURATION: n->type = VT_NUMBER; return TAMIS_OK;
    case N_STRING: n->type = VT_STRING; return TAMIS_OK;
    case N_TIME: n->type = VT_TIME; return TAMIS_OK;
    case N_BOOL: n->type = VT_BOOL; return TAMIS_OK;
    case N_NULL: n->type = VT_NULL; return TAMIS_OK;
    case N_NAME: return compile_name(c, idx);
    case N_CALL: return compile_call(c, idx);
    case N_OR:
    case N_AND:
    case N_NOT: {
        int kids[2] = {n->a, n->b};
        for (int k = 0; k < 2; k++) {
            node *kid;
            if (kids[k] < 0)
                continue;
            if ((rc = compile_node(c, kids[k])) != 0)
                return rc;
            kid = &c->e->nodes[kids[k]];
            if (kid->type != VT_BOOL)
                return expr_error(c->err, TAMIS_EINPUT, kid->line, kid->col, "expected a condition, found %s%s",
                                  type_name(kid->type), kid->type == VT_NUMBER ? " (compare it: > 0, = 1, ...)" : "");
        }
        c->e->nodes[idx].type = VT_BOOL;
        return TAMIS_OK;
    }
    case N_CMP:
        if ((rc = compile_node(c, n->a)) != 0 || (rc = compile_node(c, c->e->nodes[idx].b)) != 0)
            return rc;
        n = &c->e->nodes[idx];
        if ((rc = compile_pair(c, idx, n->a, n->b, n->op != OP_EQ && n->op != OP_NE)) != 0)
            return rc;
        c->e->nodes[idx].type = VT_BOOL;
        return TAMIS_OK;
    case N_BETWEEN:
        if ((rc = compile_node(c, n->a)) != 0 || (rc = compile_node(c, c->e->nodes[idx].b)) != 0 ||
            (rc = compile_node(c, c->e->nodes[idx].c)) != 0)
            return rc;
        n = &c->e->nodes[idx];
        if ((rc = compile_pair(c, idx, n->a, n->b, true)) != 0 || (rc = compile_pair(c, idx, n->a, n->c, true)) != 0)
            return rc;
        c->e->nodes[idx].type = VT_BOOL;
        return TAMIS_OK;
    case N_IN:
        if ((rc = compile_node(c, n->a)) != 0)
            return rc;
        for (int i = 0; i < c->e->nodes[idx].count; i++) {
            int item = c->e->lists[c->e->nodes[idx].first + i];
            node_kind k = c->e->nodes[item].kind;
            if (k != N_NUMBER && k != N_DURATION && k != N_STRING && k != N_TIME && k != N_BOOL)
                return expr_error(c->err, TAMIS_EINPUT, c->e->nodes[item].line, c->e->nodes[item].col,
                                  "the values in a list must be literals");
            if ((rc = compile_node(c, item)) != 0 || (rc = compile_pair(c, idx, c->e->nodes[idx].a, item, false)) != 0)
                return rc;
        }
        c->e->nodes[idx].type = VT_BOOL;
        return TAMIS_OK;
    case N_ISNULL:
        if ((rc = compile_node(c, n->a)) != 0)
            return rc;
        c->e->nodes[idx].type = VT_BOOL;
        return TAMIS_OK;
    default:
        return TAMIS_OK; /* already compiled (segment expansions share no nodes) */
    }
}

int tamis_expr_compile(const char *text, size_t len, const tamis_expr_env *env, tamis_expr **out, tamis_error *err)
{
    compiler c;
    token_list tl;
    tamis_expr *e;
    int rc;
    *out = NULL;
    if (len > TAMIS_EXPR_MAX_BYTES)
        return tamis_error_set(err, TAMIS_ELIMIT, "expression is %zu bytes, over the cap TAMIS_EXPR_MAX_BYTES (%d)", len,
                               TAMIS_EXPR_MAX_BYTES);
    if ((rc = expr_lex(text, len, &tl, err)) != 0)
        return rc;
    e = tamis_calloc(1, sizeof *e);
    rc = expr_parse(&tl, e, err);
    expr_tokens_free(&tl);
    if (rc == TAMIS_OK) {
        memset(&c, 0, sizeof c);
        c.e = e;
        c.env = env;
        c.err = err;
        probe_columns(&c);
        rc = compile_node(&c, e->root);
        if (rc == TAMIS_OK && e->nodes[e->root].type != VT_BOOL) {
            node *r = &e->nodes[e->root];
            rc = expr_error(err, TAMIS_EINPUT, r->line, r->col, "the expression is %s, not a condition%s",
                            type_name(r->type), r->type == VT_NUMBER ? " (compare it: > 0, = 1, ...)" : "");
        }
    }
    if (rc) {
        tamis_expr_free(e);
        return rc;
    }
    *out = e;
    return TAMIS_OK;
}

void tamis_expr_free(tamis_expr *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++)
        tamis_free(e->nodes[i].str);
    tamis_free(e->nodes);
    tamis_free(e->lists);
    tamis_free(e);
}
