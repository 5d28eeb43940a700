/* columns.c — the per-user output columns (see include/tamis/columns.h).
 *
 * COLUMNS is an X-macro of (name, expression filling v from r = result, f = features,
 * row); the order is the stable export order. Kind counts are generated from the kinds
 * table, so a new kind gets its `<kind>_30` column without an edit here. */
#include "tamis/columns.h"

#include <math.h>
#include <string.h>

#define KIND_COLUMN_FIRST 21 /* index of online_30: after the columns before it below */

static void v_null(tamis_value *v)
{
    v->type = TAMIS_V_NULL;
}
static void v_int(tamis_value *v, int64_t i)
{
    v->type = TAMIS_V_INT;
    v->i = i;
}
static void v_bool(tamis_value *v, bool b)
{
    v->type = TAMIS_V_BOOL;
    v->b = b;
}
static void v_str(tamis_value *v, const char *s)
{
    v->type = TAMIS_V_STRING;
    v->s = s;
}
static void v_dbl(tamis_value *v, double d)
{
    if (d != d)
        v_null(v);
    else {
        v->type = TAMIS_V_DOUBLE;
        v->d = d;
    }
}
static void v_i32(tamis_value *v, int32_t i)
{
    if (i == TAMIS_NULL_I32)
        v_null(v);
    else
        v_int(v, i);
}
static void v_sub(tamis_value *v, uint8_t s)
{
    if (s == TAMIS_SUB_NULL)
        v_null(v);
    else
        v_int(v, s);
}

/* Columns before the kind counts, then after them. */
#define COLUMNS_HEAD(X)                                                                                                \
    X("user", v_str(v, row->user))                                                                                     \
    X("score", v_int(v, r->score))                                                                                     \
    X("tier", v_str(v, tamis_tier_name(r->tier)))                                                                      \
    X("trend", v_str(v, tamis_trend_name(r->trend)))                                                                   \
    X("continuity", v_sub(v, r->sub[TAMIS_SUB_CONTINUITY]))                                                            \
    X("depth", v_sub(v, r->sub[TAMIS_SUB_DEPTH]))                                                                      \
    X("profile", v_sub(v, r->sub[TAMIS_SUB_PROFILE]))                                                                  \
    X("interaction", v_sub(v, r->sub[TAMIS_SUB_INTERACTION]))                                                          \
    X("rhythm", v_sub(v, r->sub[TAMIS_SUB_RHYTHM]))                                                                    \
    X("reachability", v_sub(v, r->sub[TAMIS_SUB_REACHABILITY]))                                                        \
    X("risk", v_sub(v, r->sub[TAMIS_SUB_RISK]))                                                                        \
    X("best_channel", r->best_channel[0] ? v_str(v, r->best_channel) : v_null(v))                                      \
    X("best_hour", v_int(v, r->best_hour))                                                                             \
    X("cadence_days", v_int(v, r->cadence_days))                                                                       \
    X("active_days_7", v_int(v, f->active_days_7))                                                                     \
    X("active_days_30", v_int(v, f->active_days_30))                                                                   \
    X("active_days_90", v_int(v, f->active_days_90))                                                                   \
    X("streak", v_int(v, f->streak))                                                                                   \
    X("longest_streak_30", v_int(v, f->longest_streak_30))                                                             \
    X("last_seen",                                                                                                     \
      f->last_seen_ms == TAMIS_NULL_I64 ? v_null(v) : (void)(v->type = TAMIS_V_TIME, v->i = f->last_seen_ms))          \
    X("days_since_seen", v_i32(v, f->days_since_seen))

#define COLUMNS_TAIL(X)                                                                                                \
    X("activity_30", v_int(v, f->activity_30))                                                                         \
    X("deep_actions_30", v_int(v, f->deep_actions_30))                                                                 \
    X("depth_ratio", v_dbl(v, f->depth_ratio))                                                                         \
    X("reply_rate_30", v_dbl(v, f->reply_rate_30))                                                                     \
    X("delivery_rate_30", v_dbl(v, f->delivery_rate_30))                                                               \
    X("read_rate_30", v_dbl(v, f->read_rate_30))                                                                       \
    X("click_rate_30", v_dbl(v, f->click_rate_30))                                                                     \
    X("has_avatar", v_bool(v, f->has_avatar))                                                                          \
    X("has_nickname", v_bool(v, f->has_nickname))                                                                      \
    X("has_status", v_bool(v, f->has_status))                                                                          \
    X("profile_updates_90", v_int(v, f->profile_updates_90))                                                           \
    X("days_since_profile_update", v_i32(v, f->days_since_profile_update))                                             \
    X("hour_hist_30", v->type = TAMIS_V_HIST)                                                                          \
    X("peak_hour", f->peak_hour < 0 ? v_null(v) : v_int(v, f->peak_hour))                                              \
    X("day_share", v_dbl(v, f->day_share))                                                                             \
    X("regularity", v_dbl(v, f->regularity))                                                                           \
    X("max_consecutive_failures", v_int(v, f->max_consecutive_failures))                                               \
    X("usable_platforms", v_int(v, f->n_usable_platforms))                                                             \
    X("phone_usable", v_bool(v, f->phone_usable))                                                                      \
    X("device_accounts", v_int(v, f->device_accounts))                                                                 \
    X("device_burst", v_int(v, f->device_burst))                                                                       \
    X("timing_cv", v_dbl(v, f->timing_cv))                                                                             \
    X("machine_regular", v_bool(v, f->machine_regular))                                                                \
    X("blocked", v_bool(v, f->blocked_any))                                                                            \
    X("opted_out", v_bool(v, f->opted_out_any))                                                                        \
    X("days_since_purchase", v_i32(v, f->days_since_purchase))                                                         \
    X("purchases_90", v_int(v, f->purchases_90))                                                                       \
    X("purchase_value_90", v_dbl(v, f->purchase_value_90))                                                             \
    X("zone", v_str(v, row->zone ? row->zone : "UTC"))                                                                 \
    X("reasons", v->type = TAMIS_V_REASONS)                                                                            \
    X("platforms", v->type = TAMIS_V_PLATFORMS)

#define NAME_OF(name, expr) name,
static const char *const head_names[] = {COLUMNS_HEAD(NAME_OF)};
static const char *const tail_names[] = {COLUMNS_TAIL(NAME_OF)};
#undef NAME_OF

#define N_HEAD (sizeof head_names / sizeof head_names[0])
#define N_TAIL (sizeof tail_names / sizeof tail_names[0])

_Static_assert(N_HEAD == KIND_COLUMN_FIRST, "KIND_COLUMN_FIRST must follow COLUMNS_HEAD");

static const char *const kind_column_names[TAMIS_KIND__COUNT] = {
#define KIND_COL(id, name, activity, deep, dim) name "_30",
    TAMIS_KINDS(KIND_COL)
#undef KIND_COL
};

size_t tamis_column_count(void)
{
    return N_HEAD + TAMIS_KIND__COUNT + N_TAIL;
}

const char *tamis_column_name(size_t col)
{
    if (col < N_HEAD)
        return head_names[col];
    if (col < N_HEAD + TAMIS_KIND__COUNT)
        return kind_column_names[col - N_HEAD];
    if (col < tamis_column_count())
        return tail_names[col - N_HEAD - TAMIS_KIND__COUNT];
    return NULL;
}

int tamis_column_find(const char *name, size_t len)
{
    for (size_t i = 0; i < tamis_column_count(); i++) {
        const char *n = tamis_column_name(i);
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            return (int)i;
    }
    return -1;
}

void tamis_column_value(size_t col, const tamis_export_row *row, tamis_value *v)
{
    const tamis_result *r = row->result;
    const tamis_features *f = row->features;
    size_t i = 0;

    memset(v, 0, sizeof *v);
#define CASE(name, expr)                                                                                               \
    if (col == i++) {                                                                                                  \
        expr;                                                                                                          \
        return;                                                                                                        \
    }
    COLUMNS_HEAD(CASE)
    if (col < N_HEAD + TAMIS_KIND__COUNT) {
        v_int(v, f->kind_30[col - N_HEAD]);
        return;
    }
    i = N_HEAD + TAMIS_KIND__COUNT;
    COLUMNS_TAIL(CASE)
#undef CASE
    v_null(v);
}

void tamis_column_values(const tamis_export_row *row, tamis_value *out)
{
    const tamis_result *r = row->result;
    const tamis_features *f = row->features;
    tamis_value *v = out;

    memset(out, 0, tamis_column_count() * sizeof *out);
#define FILL(name, expr)                                                                                               \
    expr;                                                                                                              \
    v++;
    COLUMNS_HEAD(FILL)
    for (size_t k = 0; k < TAMIS_KIND__COUNT; k++, v++)
        v_int(v, f->kind_30[k]);
    COLUMNS_TAIL(FILL)
#undef FILL
}

const char *tamis_platform_consent(const tamis_platform_features *p)
{
    return p->blocked ? "blocked" : p->opted_out ? "opted_out" : p->opted_in ? "opted_in" : NULL;
}
