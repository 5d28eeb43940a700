/* expr.h — the segment expression language (src/segment/): text to a compiled filter,
 * evaluated per user. The language is docs/SEGMENTS.md; in short:
 *
 *   tier in ("daily_active", "high_interaction") and country = "VN"
 *     and reply_30 > 0 and days_since(last_seen) <= 7d and not has_tag("staff")
 *
 * Identifiers are the columns of the one column table (include/tamis/columns.h: every
 * feature, sub-score, tier, trend, channel, ...) plus `country` and the RFM names
 * (r_score, f_score, m_score, fm_score, rfm_segment, recency_days, frequency,
 * monetary: include/tamis/rfm.h, 365 days as of the scoring time); functions are
 * has_tag("t"), attr("key"), consent("platform"), days_since(time) and
 * segment("name"). Literals: numbers, "strings", durations (14d, 12h, 30m, 2w; in
 * days), dates and times (2026-11-01, 2026-11-01T08:00:00Z), true, false, null.
 * Comparisons with null are unknown, and a user matches only when the whole
 * expression is true (three-valued logic, as SQL).
 *
 * The stages each have their own file: lexer.c (tokens with line and column),
 * parser.c (syntax tree), compile.c (names resolved against the column table, types
 * checked, segment() references expanded, caps enforced), eval.c. Every error names
 * its line and column, and unknown names come with the nearest known one:
 *   line 1, col 23: unknown feature 'replyrate_30'; did you mean 'reply_rate_30'?
 *
 * Ownership: a compiled expression is the caller's (tamis_expr_free); evaluation only
 * reads it, so one expression may be evaluated by several threads at once. */
#ifndef TAMIS_EXPR_H
#define TAMIS_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tamis/columns.h"
#include "tamis/contact_record.h"
#include "tamis/error.h"

/* Caps: past any of them compiling fails with a message naming the cap. */
#define TAMIS_EXPR_MAX_BYTES 4096      /* source text */
#define TAMIS_EXPR_MAX_NODES 512       /* syntax tree nodes of one expression */
#define TAMIS_EXPR_MAX_DEPTH 64        /* nesting of parentheses and operators */
#define TAMIS_EXPR_MAX_LIST 256        /* values in one in (...) list */
#define TAMIS_EXPR_MAX_SEGMENT_DEPTH 8 /* segment("a") naming segment("b") naming ... */
#define TAMIS_EXPR_MAX_WORK 8192       /* nodes after expanding segment() references:
                                          bounds the work of one evaluation */

typedef struct tamis_expr tamis_expr;

/* Where segment("name") finds a saved segment's definition: *text gets a copy (the
 * caller of the callback frees it with tamis_free); TAMIS_ENOTFOUND for no such
 * segment. NULL callback: segment() is refused. */
typedef struct tamis_expr_env {
    int (*segment_definition)(void *ctx, const char *name, char **text, tamis_error *err);
    void *ctx;
    /* Only what daily snapshots keep may be named (score, tier, trend, the sub-scores,
     * country): for evaluating over a past snapshot (`segment diff --since`). */
    bool snapshot_fields_only;
} tamis_expr_env;

/* One user, as an expression sees it. */
typedef struct tamis_expr_input {
    const tamis_export_row *row;    /* result and features (columns.h) */
    const tamis_contact *contact;   /* tags, attributes, country; may be NULL */
    int64_t as_of_ms;               /* "now" for days_since(): the scoring time */
    const struct tamis_rfm_user *rfm; /* the user's RFM (include/tamis/rfm.h); NULL: not
                                       a purchaser, or RFM not computed */
} tamis_expr_input;

/* Compiles text (len bytes). TAMIS_EINPUT with "line L, col C: ..." for an error in
 * the text, TAMIS_ELIMIT past a cap. env may be NULL. */
int tamis_expr_compile(const char *text, size_t len, const tamis_expr_env *env, tamis_expr **out,
                       tamis_error *err) TAMIS_WUR;
void tamis_expr_free(tamis_expr *e);

/* Whether the user matches (the expression is true; false and unknown do not). */
bool tamis_expr_match(const tamis_expr *e, const tamis_expr_input *in);

/* The compiled form, one node per line with its type (`tamis segment --explain`). */
void tamis_expr_explain(const tamis_expr *e, FILE *out);

/* Whether the expression reads RFM names (r_score, rfm_segment, ...): the caller then
 * computes RFM (tamis_rfm_compute) and passes each user's row. */
bool tamis_expr_uses_rfm(const tamis_expr *e);

/* The names an expression can use: the columns, then `country` and the RFM names. */
size_t tamis_expr_name_count(void);
const char *tamis_expr_name(size_t i);

#endif
