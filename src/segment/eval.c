/* eval.c — evaluating a compiled segment expression for one user, and printing the
 * compiled form (include/tamis/expr.h). Logic is three-valued: a comparison with a
 * missing value (null) is unknown; not unknown is unknown; false and anything is
 * false, true or anything is true; a user matches when the whole is true. Evaluation
 * only reads the expression, so threads may share one. The work of one evaluation is
 * bounded by the node cap the compiler enforced (TAMIS_EXPR_MAX_WORK). */
#include <math.h>
#include <string.h>

#include "expr_int.h"
#include "tamis/event.h"
#include "tamis/rfm.h"

typedef enum truth { T_FALSE = 0, T_TRUE = 1, T_UNKNOWN = 2 } truth;

typedef struct xval {
    value_type type; /* VT_NULL for a missing value */
    bool b;
    double num;
    int64_t ms;
    const char *s;
} xval;

static truth test(const tamis_expr *e, int idx, const tamis_expr_input *in);

static const char *consent_of(const tamis_expr_input *in, const char *platform)
{
    const tamis_features *f = in->row->features;
    for (uint8_t i = 0; i < f->n_platforms; i++) {
        const tamis_platform_features *p = &f->platforms[i];
        const char *name = in->row->names->name[p->platform];
        if (name && strcmp(name, platform) == 0)
            return tamis_platform_consent(p);
    }
    return NULL;
}

static xval value(const tamis_expr *e, int idx, const tamis_expr_input *in)
{
    const node *n = &e->nodes[idx];
    xval v = {.type = VT_NULL};
    switch (n->kind) {
    case N_NUMBER:
    case N_DURATION: v.type = VT_NUMBER; v.num = n->num; break;
    case N_STRING: v.type = VT_STRING; v.s = n->str; break;
    case N_TIME: v.type = VT_TIME; v.ms = n->ms; break;
    case N_BOOL: v.type = VT_BOOL; v.b = n->truth; break;
    case N_NULL: break;
    case N_COLUMN: {
        tamis_value cv;
        tamis_column_value((size_t)n->col_index, in->row, &cv);
        if (cv.type == TAMIS_V_BOOL) {
            v.type = VT_BOOL;
            v.b = cv.b;
        } else if (cv.type == TAMIS_V_INT) {
            v.type = VT_NUMBER;
            v.num = (double)cv.i;
        } else if (cv.type == TAMIS_V_DOUBLE) {
            v.type = VT_NUMBER;
            v.num = cv.d;
        } else if (cv.type == TAMIS_V_STRING && cv.s) {
            v.type = VT_STRING;
            v.s = cv.s;
        } else if (cv.type == TAMIS_V_TIME) {
            v.type = VT_TIME;
            v.ms = cv.i;
        }
        break;
    }
    case N_RFM:
        if (in->rfm) {
            const tamis_rfm_user *r = in->rfm;
            v.type = VT_NUMBER;
            switch ((rfm_field)n->col_index) {
            case RF_R: v.num = r->r; break;
            case RF_F: v.num = r->f; break;
            case RF_M: v.num = r->m; break;
            case RF_FM: v.num = r->fm; break;
            case RF_RECENCY_DAYS: v.num = (double)r->raw.recency_hours / 24.0; break;
            case RF_FREQUENCY: v.num = r->raw.frequency; break;
            case RF_MONETARY: v.num = (double)r->raw.monetary_micros / 1e6; break;
            default:
                v.type = VT_STRING;
                v.s = tamis_rfm_segment_name(r->segment);
                break;
            }
        }
        break;
    case N_COUNTRY:
        if (in->contact && in->contact->country[0]) {
            v.type = VT_STRING;
            v.s = in->contact->country;
        }
        break;
    case N_ATTR:
        for (size_t i = 0; in->contact && i < in->contact->n_attrs; i++)
            if (strcmp(in->contact->attrs[i].key, n->str) == 0) {
                v.type = VT_STRING;
                v.s = in->contact->attrs[i].value;
            }
        break;
    case N_CONSENT:
        if ((v.s = consent_of(in, n->str)) != NULL)
            v.type = VT_STRING;
        break;
    case N_DAYS_SINCE: {
        xval t = value(e, n->a, in);
        if (t.type == VT_TIME) {
            v.type = VT_NUMBER;
            v.num = (double)(in->as_of_ms - t.ms) / 86400000.0;
        }
        break;
    }
    default: { /* a condition used as a value */
        truth t = test(e, idx, in);
        if (t != T_UNKNOWN) {
            v.type = VT_BOOL;
            v.b = t == T_TRUE;
        }
        break;
    }
    }
    return v;
}

/* -1, 0, 1 for a < b, a = b, a > b (both present and of one type). */
static int order(const xval *a, const xval *b)
{
    switch (a->type) {
    case VT_NUMBER: return a->num < b->num ? -1 : a->num > b->num;
    case VT_STRING: {
        int c = strcmp(a->s, b->s);
        return c < 0 ? -1 : c > 0;
    }
    case VT_TIME: return a->ms < b->ms ? -1 : a->ms > b->ms;
    case VT_BOOL: return (int)a->b - (int)b->b;
    default: return 0;
    }
}

static truth compare(const xval *a, cmp_op op, const xval *b)
{
    int o;
    if (a->type == VT_NULL || b->type == VT_NULL)
        return T_UNKNOWN;
    o = order(a, b);
    switch (op) {
    case OP_EQ: return o == 0;
    case OP_NE: return o != 0;
    case OP_LT: return o < 0;
    case OP_LE: return o <= 0;
    case OP_GT: return o > 0;
    default: return o >= 0;
    }
}

static truth negate(truth t)
{
    return t == T_UNKNOWN ? T_UNKNOWN : t == T_TRUE ? T_FALSE : T_TRUE;
}

static truth test(const tamis_expr *e, int idx, const tamis_expr_input *in)
{
    const node *n = &e->nodes[idx];
    switch (n->kind) {
    case N_OR: {
        truth a = test(e, n->a, in), b;
        if (a == T_TRUE)
            return T_TRUE;
        b = test(e, n->b, in);
        return b == T_TRUE ? T_TRUE : (a == T_UNKNOWN || b == T_UNKNOWN) ? T_UNKNOWN : T_FALSE;
    }
    case N_AND: {
        truth a = test(e, n->a, in), b;
        if (a == T_FALSE)
            return T_FALSE;
        b = test(e, n->b, in);
        return b == T_FALSE ? T_FALSE : (a == T_UNKNOWN || b == T_UNKNOWN) ? T_UNKNOWN : T_TRUE;
    }
    case N_NOT: return negate(test(e, n->a, in));
    case N_CMP: {
        xval a = value(e, n->a, in), b = value(e, n->b, in);
        return compare(&a, n->op, &b);
    }
    case N_BETWEEN: {
        xval a = value(e, n->a, in), lo = value(e, n->b, in), hi = value(e, n->c, in);
        truth t1 = compare(&a, OP_GE, &lo), t2 = compare(&a, OP_LE, &hi);
        truth t = (t1 == T_FALSE || t2 == T_FALSE) ? T_FALSE : (t1 == T_UNKNOWN || t2 == T_UNKNOWN) ? T_UNKNOWN : T_TRUE;
        return n->negated ? negate(t) : t;
    }
    case N_IN: {
        xval a = value(e, n->a, in);
        truth t = T_FALSE;
        if (a.type == VT_NULL)
            return T_UNKNOWN;
        for (int i = 0; i < n->count && t != T_TRUE; i++) {
            xval b = value(e, e->lists[n->first + i], in);
            if (compare(&a, OP_EQ, &b) == T_TRUE)
                t = T_TRUE;
        }
        return n->negated ? negate(t) : t;
    }
    case N_ISNULL: {
        xval a = value(e, n->a, in);
        bool is_null = a.type == VT_NULL;
        return (is_null != n->negated) ? T_TRUE : T_FALSE;
    }
    case N_HAS_TAG: {
        const tamis_contact *c = in->contact;
        size_t lo = 0, hi = c ? c->n_tags : 0;
        while (lo < hi) { /* tags are kept sorted */
            size_t mid = (lo + hi) / 2;
            int o = strcmp(c->tags[mid], n->str);
            if (o == 0)
                return T_TRUE;
            if (o < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return T_FALSE;
    }
    case N_SEGMENT: return test(e, n->a, in);
    default: {
        xval v = value(e, idx, in);
        return v.type == VT_BOOL ? (v.b ? T_TRUE : T_FALSE) : T_UNKNOWN;
    }
    }
}

bool tamis_expr_match(const tamis_expr *e, const tamis_expr_input *in)
{
    return test(e, e->root, in) == T_TRUE;
}

/* ---- explain ------------------------------------------------------------------ */

static const char *const op_text[] = {"=", "!=", "<", "<=", ">", ">="};
static const char *const type_text[] = {"list", "boolean", "number", "string", "time", "null"};

static void explain(const tamis_expr *e, int idx, int indent, FILE *out)
{
    const node *n = &e->nodes[idx];
    char when[32];
    fprintf(out, "%*s", indent * 2, "");
    switch (n->kind) {
    case N_OR: fputs("or\n", out); break;
    case N_AND: fputs("and\n", out); break;
    case N_NOT: fputs("not\n", out); break;
    case N_CMP: fprintf(out, "%s\n", op_text[n->op]); break;
    case N_BETWEEN: fprintf(out, "%sbetween (inclusive)\n", n->negated ? "not " : ""); break;
    case N_IN: fprintf(out, "%sin (%d values)\n", n->negated ? "not " : "", n->count); break;
    case N_ISNULL: fprintf(out, "is %snull\n", n->negated ? "not " : ""); break;
    case N_COLUMN: fprintf(out, "column %s : %s\n", tamis_column_name((size_t)n->col_index), type_text[n->type]); break;
    case N_COUNTRY: fputs("contact country : string\n", out); break;
    case N_RFM: fprintf(out, "rfm field %d : %s (365 days as of the scoring time)\n", n->col_index, type_text[n->type]); break;
    case N_HAS_TAG: fprintf(out, "has tag \"%s\" : boolean\n", n->str); break;
    case N_ATTR: fprintf(out, "contact attribute \"%s\" : string\n", n->str); break;
    case N_CONSENT: fprintf(out, "consent on \"%s\" : string (opted_in, opted_out, blocked)\n", n->str); break;
    case N_DAYS_SINCE: fputs("days since (as of the scoring time) : number\n", out); break;
    case N_SEGMENT: fprintf(out, "segment \"%s\" (expanded)\n", n->str); break;
    case N_NUMBER: fprintf(out, "%.17g\n", n->num); break;
    case N_DURATION: fprintf(out, "%.17g days\n", n->num); break;
    case N_STRING: fprintf(out, "\"%s\"\n", n->str); break;
    case N_TIME: tamis_format_utc(n->ms, false, when); fprintf(out, "%s\n", when); break;
    case N_BOOL: fputs(n->truth ? "true\n" : "false\n", out); break;
    case N_NULL: fputs("null\n", out); break;
    default: fputs("?\n", out); break;
    }
    if (n->a >= 0)
        explain(e, n->a, indent + 1, out);
    if (n->b >= 0)
        explain(e, n->b, indent + 1, out);
    if (n->c >= 0)
        explain(e, n->c, indent + 1, out);
    if (n->kind == N_IN)
        for (int i = 0; i < n->count; i++)
            explain(e, e->lists[n->first + i], indent + 1, out);
}

void tamis_expr_explain(const tamis_expr *e, FILE *out)
{
    explain(e, e->root, 0, out);
}
