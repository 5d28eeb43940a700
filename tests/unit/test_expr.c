/* test_expr.c — unit tests of the segment expression language (include/tamis/expr.h):
 * exact error messages with line, column and suggestions; caps; types; three-valued
 * evaluation over a hand-made user (columns, country, tags, attributes, consent,
 * days_since with durations and times); segment() references, cycles and depth;
 * the explain printer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/expr.h"
#include "tamis/model_config.h"
#include "tamis/rfm.h"

/* The error compiling text gives (msg "" when it compiles); read .msg at once. */
static tamis_error compile_result(const char *text, const tamis_expr_env *env)
{
    tamis_expr *e = NULL;
    tamis_error err = {0};
    if (tamis_expr_compile(text, strlen(text), env, &e, &err) == TAMIS_OK)
        err.msg[0] = '\0';
    tamis_expr_free(e);
    return err;
}
#define compile_error(text, env) (compile_result(text, env).msg)

static void test_errors_point_at_the_column(void **unused)
{
    (void)unused;
    assert_string_equal(compile_error("tier = \"daily_active\" and replyrate_30 > 0.2", NULL),
                        "line 1, col 27: unknown feature 'replyrate_30'; did you mean 'reply_rate_30'?");
    assert_string_equal(compile_error("tier = \"dayly_active\"", NULL),
                        "line 1, col 8: unknown tier 'dayly_active'; did you mean 'daily_active'?");
    assert_string_equal(compile_error("trend in (\"warming\", \"colling\")", NULL),
                        "line 1, col 22: unknown trend 'colling'; did you mean 'cooling'?");
    assert_string_equal(compile_error("score > 50 and\n  (streak > 2", NULL),
                        "line 2, col 14: expected ')', but the expression ends");
    assert_string_equal(compile_error("score > ", NULL),
                        "line 1, col 9: expected a value, a name or '(', but the expression ends");
    assert_string_equal(compile_error("score > 5 5", NULL), "line 1, col 11: expected 'and', 'or' or the end, found '5'");
    assert_string_equal(compile_error("tier = \"x", NULL), "line 1, col 8: string not closed: a \" is missing");
    assert_string_equal(compile_error("tier = 5", NULL), "line 1, col 8: cannot compare a string with a number");
    assert_string_equal(compile_error("score", NULL),
                        "line 1, col 1: the expression is a number, not a condition (compare it: > 0, = 1, ...)");
    assert_string_equal(compile_error("has_tags(\"vip\")", NULL),
                        "line 1, col 1: unknown function 'has_tags'; did you mean 'has_tag'?");
    assert_string_equal(compile_error("has_tag(vip)", NULL), "line 1, col 1: has_tag() takes one string, as has_tag(\"...\")");
    assert_string_equal(compile_error("days_since(score) < 3", NULL),
                        "line 1, col 12: days_since() wants a time, not a number");
    assert_string_equal(compile_error("reasons = \"x\"", NULL), "line 1, col 1: 'reasons' is a list and cannot be compared");
    assert_string_equal(compile_error("score = null", NULL),
                        "line 1, col 7: compare with null using 'is null' or 'is not null'");
    assert_string_equal(compile_error("blocked < true", NULL), "line 1, col 9: booleans have no order: use = or !=");
    assert_string_equal(compile_error("", NULL), "line 1, col 1: the expression is empty");
    assert_string_equal(compile_error("TIER = \"silent\"", NULL), "line 1, col 1: unknown feature 'TIER'; did you mean 'tier'?");
    assert_string_equal(compile_error("score @ 3", NULL), "line 1, col 7: unexpected character '@'");
    assert_string_equal(compile_error("last_seen > 2026-13-01", NULL),
                        "line 1, col 13: bad time '2026-13-01' (write 2026-11-01 or 2026-11-01T08:00:00Z)");
    assert_string_equal(compile_error("score in (1, streak)", NULL), "line 1, col 14: the values in a list must be literals");
    assert_string_equal(compile_error("segment(\"x\")", NULL), "line 1, col 1: segment() cannot be used here");
    assert_string_equal(compile_error("rfm_segment = \"champion\"", NULL),
                        "line 1, col 15: unknown RFM segment 'champion'; did you mean 'champions'?");
    assert_string_equal(compile_error("score > 3x", NULL),
                        "line 1, col 10: unexpected 'x' after a number (durations are 14d, 12h, 30m or 2w)");
}

static void test_caps(void **unused)
{
    char *big = tamis_malloc(4 * TAMIS_EXPR_MAX_BYTES);
    size_t n = 0;
    (void)unused;
    memset(big, ' ', TAMIS_EXPR_MAX_BYTES + 1);
    big[TAMIS_EXPR_MAX_BYTES + 1] = '\0';
    assert_non_null(strstr(compile_error(big, NULL), "TAMIS_EXPR_MAX_BYTES"));
    /* 100 nested parentheses */
    for (int i = 0; i < 100; i++)
        big[n++] = '(';
    n += (size_t)sprintf(big + n, "score > 1");
    for (int i = 0; i < 100; i++)
        big[n++] = ')';
    big[n] = '\0';
    assert_non_null(strstr(compile_error(big, NULL), "TAMIS_EXPR_MAX_DEPTH"));
    /* a list of 300 values */
    n = (size_t)sprintf(big, "score in (");
    for (int i = 0; i < 300; i++)
        n += (size_t)sprintf(big + n, "%d,", i);
    big[n - 1] = ')';
    big[n] = '\0';
    assert_non_null(strstr(compile_error(big, NULL), "TAMIS_EXPR_MAX_LIST"));
    /* 200 clauses (800 nodes, 2.6 KB): over the node cap */
    n = 0;
    for (int i = 0; i < 200; i++)
        n += (size_t)sprintf(big + n, "%sscore>%d", i ? " or " : "", i);
    assert_non_null(strstr(compile_error(big, NULL), "TAMIS_EXPR_MAX_NODES"));
    tamis_free(big);
}

/* A hand-made user: scored, with some nulls, tags, attributes and one platform. */
typedef struct fixture {
    tamis_result r;
    tamis_features f;
    tamis_platform_names names;
    tamis_export_row row;
    tamis_contact contact;
    tamis_expr_input in;
} fixture;

static void fixture_init(fixture *x)
{
    memset(x, 0, sizeof *x);
    x->r.score = 72;
    x->r.tier = TAMIS_TIER_DAILY_ACTIVE;
    x->r.trend = TAMIS_TREND_COOLING;
    for (int i = 0; i < TAMIS_SUB__COUNT; i++)
        x->r.sub[i] = 50;
    x->r.sub[TAMIS_SUB_INTERACTION] = TAMIS_SUB_NULL;
    snprintf(x->r.best_channel, sizeof x->r.best_channel, "zalo");
    x->f.active_days_30 = 12;
    x->f.reply_rate_30 = NAN; /* null */
    x->f.last_seen_ms = 1793491200000LL - 3 * 86400000LL; /* 2026-10-29: 3 days before as-of */
    x->f.n_platforms = 1;
    x->f.platforms[0].platform = 2;
    x->f.platforms[0].opted_out = true;
    x->names.name[2] = "zalo";
    x->row = (tamis_export_row){.user = "u1", .zone = "Asia/Ho_Chi_Minh", .result = &x->r, .features = &x->f,
                                .names = &x->names};
    tamis_contact_init(&x->contact);
    memcpy(x->contact.country, "VN", 3);
    tamis_contact_add_tag(&x->contact, "vip", 3);
    tamis_contact_add_tag(&x->contact, "hanoi", 5);
    tamis_contact_set_attr(&x->contact, "plan", 4, "gold", 4);
    x->in = (tamis_expr_input){.row = &x->row, .contact = &x->contact, .as_of_ms = 1793491200000LL};
}

static bool matches(fixture *x, const char *text)
{
    tamis_expr *e;
    tamis_error err = {0};
    bool m;
    if (tamis_expr_compile(text, strlen(text), NULL, &e, &err) != TAMIS_OK)
        fail_msg("'%s' does not compile: %s", text, err.msg);
    m = tamis_expr_match(e, &x->in);
    tamis_expr_free(e);
    return m;
}

static void test_evaluation(void **unused)
{
    fixture x;
    (void)unused;
    fixture_init(&x);
    assert_true(matches(&x, "tier = \"daily_active\" and score >= 72 and score < 73"));
    assert_true(matches(&x, "tier in (\"daily_active\", \"high_interaction\") and trend = 'cooling'"));
    assert_false(matches(&x, "tier not in (\"daily_active\")"));
    assert_true(matches(&x, "score between 70 and 75 and active_days_30 not between 0 and 11"));
    assert_true(matches(&x, "country = \"VN\" and has_tag(\"vip\") and not has_tag(\"staff\")"));
    assert_true(matches(&x, "attr(\"plan\") = \"gold\" and attr(\"city\") is null"));
    assert_true(matches(&x, "consent(\"zalo\") = \"opted_out\" and consent(\"line\") is null"));
    assert_true(matches(&x, "best_channel = \"zalo\" and best_channel != \"line\""));
    /* durations are days; times compare with times */
    assert_true(matches(&x, "days_since(last_seen) <= 3d and days_since(last_seen) > 71h"));
    assert_true(matches(&x, "days_since(last_seen) < 1w and last_seen >= 2026-10-29 and last_seen < 2026-10-29T00:00:01Z"));
    /* three-valued: a null compared is unknown, and not unknown stays unknown */
    assert_false(matches(&x, "reply_rate_30 > 0.1"));
    assert_false(matches(&x, "not (reply_rate_30 > 0.1)"));
    assert_true(matches(&x, "reply_rate_30 is null and interaction is null and depth is not null"));
    assert_true(matches(&x, "reply_rate_30 > 0.1 or score > 50"));
    assert_false(matches(&x, "reply_rate_30 > 0.1 and score > 50"));
    assert_false(matches(&x, "not (reply_rate_30 > 0.1 or score < 50)"));
    assert_true(matches(&x, "(score > 90 or streak = 0) and not blocked"));
    assert_true(matches(&x, "tier = \"daily_active\" AND score > -5 # a comment\n"));
    /* RFM: null for a non-purchaser, the row's fields otherwise */
    assert_true(matches(&x, "rfm_segment is null and r_score is null"));
    {
        tamis_rfm_user r = {.uid = 1, .raw = {.recency_hours = 36, .frequency = 4, .monetary_micros = 12500000},
                            .r = 5, .f = 4, .m = 3, .fm = 4, .segment = (uint8_t)tamis_rfm_segment_find("loyal", 5)};
        x.in.rfm = &r;
        assert_true(matches(&x, "rfm_segment = \"loyal\" and r_score = 5 and fm_score = 4 and recency_days = 1.5"
                                " and frequency = 4 and monetary = 12.5"));
        x.in.rfm = NULL;
    }
    tamis_contact_free(&x.contact);
}

/* segment() definitions for the tests: a tiny name -> text table. */
static int definitions(void *ctx, const char *name, char **text, tamis_error *err)
{
    const char *const *table = ctx;
    (void)err;
    for (size_t i = 0; table[i]; i += 2)
        if (strcmp(table[i], name) == 0) {
            *text = tamis_strdup(table[i + 1]);
            return TAMIS_OK;
        }
    return TAMIS_ENOTFOUND;
}

static void test_segments(void **unused)
{
    static const char *const table[] = {"active",   "tier in (\"daily_active\", \"high_interaction\")",
                                        "vn_active", "segment(\"active\") and country = \"VN\"",
                                        "loop_a",   "segment(\"loop_b\")",
                                        "loop_b",   "segment(\"loop_a\")",
                                        "broken",   "score >",
                                        "numeric",  "score",
                                        NULL};
    tamis_expr_env env = {.segment_definition = definitions, .ctx = (void *)table};
    fixture x;
    tamis_expr *e;
    tamis_error err = {0};
    char *text = NULL;
    size_t len = 0;
    FILE *out;
    (void)unused;
    fixture_init(&x);
    assert_int_equal(tamis_expr_compile("segment(\"vn_active\") and score > 70", 35, &env, &e, &err), TAMIS_OK);
    assert_true(tamis_expr_match(e, &x.in));
    out = open_memstream(&text, &len);
    tamis_expr_explain(e, out);
    fclose(out);
    assert_non_null(strstr(text, "segment \"vn_active\" (expanded)"));
    assert_non_null(strstr(text, "      column tier : string"));
    assert_non_null(strstr(text, "contact country : string"));
    free(text); /* open_memstream's buffer */
    tamis_expr_free(e);
    memcpy(x.contact.country, "TH", 3);
    assert_int_equal(tamis_expr_compile("segment(\"vn_active\")", 20, &env, &e, &err), TAMIS_OK);
    assert_false(tamis_expr_match(e, &x.in));
    tamis_expr_free(e);
    assert_string_equal(compile_error("score > 1 and segment(\"loop_a\")", &env),
                        "line 1, col 15: in segment 'loop_a': line 1, col 1: in segment 'loop_b': line 1, col 1: "
                        "segment 'loop_a' refers to itself");
    assert_string_equal(compile_error("segment(\"nope\")", &env), "line 1, col 1: no segment named 'nope'");
    assert_string_equal(compile_error("segment(\"broken\")", &env),
                        "line 1, col 1: in segment 'broken': line 1, col 8: expected a value, a name or '(', but the "
                        "expression ends");
    assert_string_equal(compile_error("segment(\"numeric\")", &env), "line 1, col 1: segment 'numeric' is not a condition");
    /* over a snapshot, only what snapshots keep */
    env.snapshot_fields_only = true;
    assert_string_equal(compile_error("segment(\"vn_active\") and score > 3 and risk < 50", &env), "");
    assert_string_equal(compile_error("score > 3 and reply_30 > 0", &env),
                        "line 1, col 15: 'reply_30' is not kept in daily snapshots: over a snapshot, use score, "
                        "tier, trend, the sub-scores and country");
    assert_string_equal(compile_error("has_tag(\"vip\")", &env),
                        "line 1, col 1: has_tag() is not kept in daily snapshots: over a snapshot, use score, tier, "
                        "trend, the sub-scores and country");
    assert_string_equal(compile_error("r_score > 3", &env),
                        "line 1, col 1: 'r_score' is not kept in daily snapshots: over a snapshot, use score, tier, "
                        "trend, the sub-scores and country");
    tamis_contact_free(&x.contact);
}

static void test_names(void **unused)
{
    bool country = false, tier = false;
    (void)unused;
    for (size_t i = 0; i < tamis_expr_name_count(); i++) {
        country |= strcmp(tamis_expr_name(i), "country") == 0;
        tier |= strcmp(tamis_expr_name(i), "tier") == 0;
    }
    assert_true(country && tier);
    assert_null(tamis_expr_name(tamis_expr_name_count()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_point_at_the_column),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_evaluation),
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
