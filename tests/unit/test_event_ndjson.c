/* test_event_ndjson.c — unit tests of the NDJSON event parser (src/event/ndjson.c):
 * JSON syntax (strings and every escape, surrogate pairs, UTF-8, numbers, literals,
 * nesting), the typing rules of event.h (numbers for some fields, null and "" absent),
 * duplicate and unknown keys with their bounded warnings, caps, trailing bytes, and
 * where borrowed strings point. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/event_int.h"
#include "tamis/alloc.h"
#include "tamis/event.h"
#include "tamis/kinds.h"
#include "tamis/limits.h"

typedef struct warnings {
    int count;
    char last[TAMIS_ERROR_MSG_MAX];
} warnings;

static void on_warn(void *ctx, const char *msg)
{
    warnings *w = ctx;
    w->count++;
    snprintf(w->last, sizeof w->last, "%s", msg);
}

static tamis_event_parser *new_parser(warnings *w)
{
    tamis_event_parser *p = tamis_event_parser_new(TAMIS_FORMAT_NDJSON, on_warn, w);
    assert_non_null(p);
    return p;
}

static void expect_ok(tamis_event_parser *p, const char *line, tamis_event *ev)
{
    tamis_error err;
    tamis_error_clear(&err);
    if (tamis_event_parse(p, line, strlen(line), ev, &err) != TAMIS_OK)
        fail_msg("'%.100s' rejected: %s", line, err.msg);
    const char *broken = tamis_ev_check_event(p, line, strlen(line), ev);
    if (broken)
        fail_msg("'%.100s': contract broken: %s", line, broken);
}

static void expect_fail(tamis_event_parser *p, const char *line, int code, const char *want)
{
    tamis_event ev;
    tamis_error err;
    tamis_error_clear(&err);
    int rc = tamis_event_parse(p, line, strlen(line), &ev, &err);
    if (rc != code)
        fail_msg("'%.100s': rc %d, want %d (%s)", line, rc, code, err.msg);
    assert_int_equal(err.code, code);
    if (!strstr(err.msg, want))
        fail_msg("'%.100s': message '%s' lacks '%s'", line, err.msg, want);
}

static void assert_text(tamis_str s, const char *want)
{
    if (s.len != strlen(want) || memcmp(s.ptr, want, s.len) != 0)
        fail_msg("got '%.*s' want '%s'", (int)s.len, s.ptr ? s.ptr : "", want);
}

static bool in_line(tamis_str s, const char *line)
{
    return s.ptr >= line && s.ptr + s.len <= line + strlen(line);
}

/* ------------------------------------------------------------------------------------
 * Fields and typing rules
 * ---------------------------------------------------------------------------------- */

static void test_all_fields(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = new_parser(&w);
    tamis_event ev;
    const char *line =
        "{\"ts\":\"2026-01-02T03:04:05Z\",\"user\":\"u1\",\"platform\":\"Telegram\","
        "\"platform_id\":\"tg1\",\"kind\":\"purchase\",\"value\":19.99,\"group\":\"g1\","
        "\"campaign\":\"c1\",\"campaign_type\":\"promo\",\"device\":\"d1\",\"country\":\"VN\","
        "\"field\":\"avatar\",\"reason\":\"spam\",\"id\":\"e1\"}";
    expect_ok(p, line, &ev);
    assert_int_equal(ev.ts_ms, INT64_C(1767323045000));
    assert_int_equal(ev.kind, TAMIS_KIND_PURCHASE);
    assert_true(ev.has_value && ev.value == 19.99);
    const char *want[TAMIS_FIELD__COUNT] = {"2026-01-02T03:04:05Z", "u1", "telegram", "tg1",
                                           "purchase", "19.99", "g1", "c1", "promo", "d1",
                                           "VN", "avatar", "spam", "e1"};
    for (int f = 0; f < TAMIS_FIELD__COUNT; f++) {
        assert_text(ev.text[f], want[f]);
        if (f != TAMIS_FIELD_PLATFORM)
            assert_true(in_line(ev.text[f], line)); /* no escapes: all borrowed */
    }
    assert_true(tamis_ev_in_scratch(p, ev.text[TAMIS_FIELD_PLATFORM].ptr, 8));
    assert_int_equal(w.count, 0);
    tamis_event_parser_free(p);
}

static void test_every_kind(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = new_parser(&w);
    for (int k = 0; k < TAMIS_KIND__COUNT; k++) {
        char line[160];
        tamis_event ev;
        snprintf(line, sizeof line, "{\"ts\":1700000000,\"user\":\"u\",\"kind\":\"%s\"}",
                 tamis_kind_table[k].name);
        expect_ok(p, line, &ev);
        assert_int_equal(ev.kind, k);
        /* The same name through escapes is the same kind. */
        size_t n = (size_t)snprintf(line, sizeof line, "{\"ts\":1,\"user\":\"u\",\"kind\":\"");
        for (const char *c = tamis_kind_table[k].name; *c; c++)
            n += (size_t)snprintf(line + n, sizeof line - n, "\\u%04x", *c);
        snprintf(line + n, sizeof line - n, "\"}");
        expect_ok(p, line, &ev);
        assert_int_equal(ev.kind, k);
    }
    expect_fail(p, "{\"ts\":1,\"user\":\"u\",\"kind\":\"xyz\"}", TAMIS_EINPUT,
                "unknown kind 'xyz'");
    expect_fail(p, "{\"ts\":1,\"user\":\"u\",\"kind\":\"Online\"}", TAMIS_EINPUT,
                "unknown kind 'Online'");
    tamis_event_parser_free(p);
}

static void test_numbers_as_fields(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = new_parser(&w);
    tamis_event ev;
    const char *line = "{\"ts\":1700000000.5,\"user\":12345,\"platform\":\"line\","
                       "\"platform_id\":-7,\"group\":1.5e3,\"campaign\":0,\"id\":99,"
                       "\"kind\":\"view\",\"value\":\"2.5\"}";
    expect_ok(p, line, &ev);
    assert_int_equal(ev.ts_ms, INT64_C(1700000000500));
    assert_text(ev.text[TAMIS_FIELD_TS], "1700000000.5");
    assert_text(ev.text[TAMIS_FIELD_USER], "12345");
    assert_text(ev.text[TAMIS_FIELD_PLATFORM_ID], "-7");
    assert_text(ev.text[TAMIS_FIELD_GROUP], "1.5e3");
    assert_text(ev.text[TAMIS_FIELD_CAMPAIGN], "0");
    assert_text(ev.text[TAMIS_FIELD_ID], "99");
    assert_true(ev.has_value && ev.value == 2.5);
    expect_ok(p, "{\"ts\":\"1700000000123\",\"user\":\"u\",\"kind\":\"read\",\"value\":-0.5e1}",
              &ev);
    assert_int_equal(ev.ts_ms, INT64_C(1700000000123));
    assert_true(ev.value == -5.0);
    expect_fail(p, "{\"ts\":1.7e9,\"user\":\"u\",\"kind\":\"read\"}", TAMIS_EINPUT,
                "bad ts '1.7e9'");
    expect_fail(p, "{\"ts\":-1,\"user\":\"u\",\"kind\":\"read\"}", TAMIS_EINPUT,
                "bad ts '-1': negative");
    expect_fail(p, "{\"ts\":1,\"user\":\"u\",\"kind\":\"read\",\"value\":\"x\"}", TAMIS_EINPUT,
                "bad value 'x': not a number");
    expect_fail(p, "{\"ts\":1,\"user\":\"u\",\"kind\":\"read\",\"value\":1e999}", TAMIS_EINPUT,
                "bad value '1e999': out of range");
    tamis_event_parser_free(p);
}

static void test_wrong_types(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = new_parser(&w);
    static const char *const string_only[] = {"platform", "kind",   "campaign_type", "device",
                                              "country",  "field",  "reason"};
    for (size_t i = 0; i < sizeof string_only / sizeof string_only[0]; i++) {
        char line[160], want[96];
        snprintf(line, sizeof line, "{\"ts\":1,\"user\":\"u\",\"%s\":5}", string_only[i]);
        snprintf(want, sizeof want, "field '%s' must be a string, not a number",
                 string_only[i]);
        expect_fail(p, line, TAMIS_EINPUT, want);
    }
    expect_fail(p, "{\"ts\":true}", TAMIS_EINPUT, "field 'ts' must be a number or a string, not true");
    expect_fail(p, "{\"value\":false}", TAMIS_EINPUT, "field 'value' must be a number or a string, not false");
    expect_fail(p, "{\"user\":{\"a\":1}}", TAMIS_EINPUT,
                "field 'user' must be a string or a number, not an object");
    expect_fail(p, "{\"kind\":[\"online\"]}", TAMIS_EINPUT,
                "field 'kind' must be a string, not an array");
    expect_fail(p, "{\"group\":true}", TAMIS_EINPUT, "field 'group' must be a string or a number");
    tamis_event_parser_free(p);
}

static void test_null_and_empty_are_absent(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = new_parser(&w);
    tamis_event ev;
    expect_ok(p, "{\"ts\":1,\"user\":null,\"platform\":\"wa\",\"platform_id\":\"84\","
                 "\"kind\":\"online\",\"value\":null,\"group\":\"\",\"device\":null}",
              &ev);
    assert_int_equal(ev.text[TAMIS_FIELD_USER].len, 0);
    assert_int_equal(ev.text[TAMIS_FIELD_GROUP].len, 0);
    assert_int_equal(ev.text[TAMIS_FIELD_DEVICE].len, 0);
    assert_false(ev.has_value);
    expect_ok(p, "{\"ts\":1,\"user\":\"u\",\"kind\":\"online\",\"value\":\"\"}", &ev);
    assert_false(ev.has_value);
    expect_fail(p, "{\"ts\":null,\"user\":\"u\",\"kind\":\"online\"}", TAMIS_EINPUT, "missing ts");
    expect_fail(p, "{\"ts\":\"\",\"user\":\"u\",\"kind\":\"online\"}", TAMIS_EINPUT, "missing ts");
    expect_fail(p, "{\"ts\":1,\"user\":\"u\",\"kind\":null}", TAMIS_EINPUT, "missing kind");
    expect_fail(p, "{\"ts\":1,\"user\":\"\",\"kind\":\"online\"}", TAMIS_EINPUT,
                "missing user (or platform + platform_id)");
    expect_fail(p, "{\"ts\":1,\"platform\":\"wa\",\"platform_id\":null,\"kind\":\"online\"}",
                TAMIS_EINPUT, "missing user");
    expect_fail(p, "{}", TAMIS_EINPUT, "missing ts");
    tamis_event_parser_free(p);
}

static void test_platform(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = new_parser(&w);
    tamis_event ev;
    expect_ok(p, "{\"ts\":1,\"platform\":\"\\u004cINE\",\"platform_id\":\"U1\",\"kind\":\"online\"}",
              &ev);
    assert_text(ev.text[TAMIS_FIELD_PLATFORM], "line");
    expect_fail(p, "{\"ts\":1,\"platform\":\"we chat\",\"platform_id\":\"1\",\"kind\":\"online\"}",
                TAMIS_EINPUT, "bad platform 'we chat': must match [a-z0-9_.-]{1,32}");
    expect_fail(p,
                "{\"ts\":1,\"user\":\"u\",\"platform\":\"abcdefghijklmnopqrstuvwxyz0123456\","
                "\"kind\":\"online\"}",
                TAMIS_ELIMIT, "TAMIS_MAX_PLATFORM_BYTES");
    tamis_event_parser_free(p);
}

/* ------------------------------------------------------------------------------------
 * Strings
 * ---------------------------------------------------------------------------------- */

static void test_escapes(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = new_parser(&w);
    tamis_event ev;
    const char *line = "{\"ts\":1,\"kind\":\"online\",\"user\":\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\","
                       "\"group\":\"caf\\u00e9 \\u4E2D \\ud83d\\ude00 \\u0041\","
                       "\"reason\":\"plain\"}";
    expect_ok(p, line, &ev);
    assert_text(ev.text[TAMIS_FIELD_USER], "a\"b\\c/d\be\ff\ng\rh\ti");
    assert_text(ev.text[TAMIS_FIELD_GROUP], "caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80 A");
    assert_true(tamis_ev_in_scratch(p, ev.text[TAMIS_FIELD_USER].ptr, ev.text[TAMIS_FIELD_USER].len));
    assert_true(tamis_ev_in_scratch(p, ev.text[TAMIS_FIELD_GROUP].ptr, ev.text[TAMIS_FIELD_GROUP].len));
    assert_true(in_line(ev.text[TAMIS_FIELD_REASON], line));
    /* Decoded strings do not overlap. */
    assert_true(ev.text[TAMIS_FIELD_USER].ptr + ev.text[TAMIS_FIELD_USER].len <=
                    ev.text[TAMIS_FIELD_GROUP].ptr ||
                ev.text[TAMIS_FIELD_GROUP].ptr + ev.text[TAMIS_FIELD_GROUP].len <=
                    ev.text[TAMIS_FIELD_USER].ptr);
    /* Raw UTF-8 passes as is; \u0000 is a byte like any other. */
    expect_ok(p, "{\"ts\":1,\"kind\":\"online\",\"user\":\"Nguyễn 中文 😀\",\"group\":\"a\\u0000b\"}",
              &ev);
    assert_text(ev.text[TAMIS_FIELD_USER], "Nguyễn 中文 😀");
    assert_int_equal(ev.text[TAMIS_FIELD_GROUP].len, 3);
    assert_memory_equal(ev.text[TAMIS_FIELD_GROUP].ptr, "a\0b", 3);
    tamis_event_parser_free(p);
}

static void test_bad_strings(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = new_parser(&w);
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"{\"user\":\"a\\x\"}", "invalid escape"},
        {"{\"user\":\"a\\u12\"}", "bad \\u escape"},
        {"{\"user\":\"a\\u12G4\"}", "bad \\u escape"},
        {"{\"user\":\"\\ud83d\"}", "unpaired high surrogate"},
        {"{\"user\":\"\\ud83dx\"}", "unpaired high surrogate"},
        {"{\"user\":\"\\ud83d\\u0041\"}", "unpaired high surrogate"},
        {"{\"user\":\"\\ude00\"}", "unpaired low surrogate"},
        {"{\"user\":\"a\tb\"}", "control character in string"},
        {"{\"user\":\"a\\n\x01\"}", "control character in string"},
        {"{\"user\":\"\xFF\"}", "invalid UTF-8"},
        {"{\"user\":\"\xC0\x80\"}", "invalid UTF-8"},       /* overlong NUL */
        {"{\"user\":\"\xE0\x80\xAF\"}", "invalid UTF-8"},   /* overlong '/' */
        {"{\"user\":\"\xED\xA0\x80\"}", "invalid UTF-8"},   /* encoded surrogate */
        {"{\"user\":\"\xF4\x90\x80\x80\"}", "invalid UTF-8"}, /* above U+10FFFF */
        {"{\"user\":\"\xE4\xB8\"}", "invalid UTF-8"},       /* truncated */
        {"{\"user\":\"\\n\xE4\xB8\"}", "invalid UTF-8"},    /* truncated, slow path */
        {"{\"user\":\"abc", "unterminated string"},
        {"{\"user\":\"abc\\", "unterminated string"},
        {"{\"user\":\"abc\\\"", "unterminated string"},
        {"{\"us\\qer\":1}", "invalid escape"},
        {"{\"x\":[\"\\q\"]}", "invalid escape"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_fail(p, cases[i].line, TAMIS_EINPUT, cases[i].want);
    tamis_event_parser_free(p);
}

/* ------------------------------------------------------------------------------------
 * Syntax
 * ---------------------------------------------------------------------------------- */

static void test_syntax_errors(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = new_parser(&w);
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"", "bad JSON at end of line: expected '{'"},
        {"   ", "expected '{'"},
        {"[1]", "bad JSON at byte 1: expected '{' (each line must be one JSON object)"},
        {"\"ts\"", "expected '{'"},
        {"{", "bad JSON at end of line: expected a key string"},
        {"{\"ts\"", "expected ':' after a key"},
        {"{\"ts\" 1}", "bad JSON at byte 7: expected ':' after a key"},
        {"{\"ts\":}", "expected a value"},
        {"{\"ts\":1", "expected ',' or '}'"},
        {"{\"ts\":1 \"kind\":\"online\"}", "expected ',' or '}'"},
        {"{\"ts\":1,}", "expected a key string"},
        {"{,}", "expected a key string"},
        {"{ts:1}", "expected a key string"},
        {"{'ts':1}", "expected a key string"},
        {"{\"ts\":01}", "leading zero in number"},
        {"{\"ts\":-}", "bad number"},
        {"{\"ts\":+1}", "expected a value"},
        {"{\"ts\":.5}", "expected a value"},
        {"{\"ts\":1.}", "no digit after '.'"},
        {"{\"ts\":1e}", "no digit in exponent"},
        {"{\"ts\":1e+}", "no digit in exponent"},
        {"{\"ts\":NaN}", "expected a value"},
        {"{\"ts\":1} x", "bad JSON at byte 10: unexpected bytes after the object"},
        {"{\"ts\":1}{}", "unexpected bytes after the object"},
        {"{\"ts\":1},", "unexpected bytes after the object"},
        {"{\"x\":tru}", "expected a value"},
        {"{\"x\":nul}", "expected a value"},
        {"{\"x\":nulll}", "expected ',' or '}'"},
        {"{\"x\":[1,]}", "expected a value"},
        {"{\"x\":[1 2]}", "expected ',' or ']'"},
        {"{\"x\":{\"a\" 1}}", "expected ':' after a key"},
        {"{\"x\":{\"a\":1,}}", "expected a key string"},
        {"{\"x\":{\"a\":1]}", "expected ',' or '}'"},
        {"{\"x\":[}", "expected a value"},
        {"{\"x\":{1:2}}", "expected a key string"},
        {"{\"x\":[[[", "expected a value"},
        {"{\"x\":-01}", "leading zero"},
        {"{\"kind\":\"online\",\"x\":1e5x}", "expected ',' or '}'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_fail(p, cases[i].line, TAMIS_EINPUT, cases[i].want);
    tamis_event_parser_free(p);
}

static void test_whitespace_and_trailing(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = new_parser(&w);
    tamis_event ev;
    expect_ok(p, " \t{ \"ts\" :\t1 ,\n\"user\" : \"u\" , \"kind\":\"click\" }  \t", &ev);
    assert_int_equal(ev.kind, TAMIS_KIND_CLICK);
    expect_ok(p, "{\"ts\":1,\"user\":\"u\",\"kind\":\"click\"}\r", &ev);
    expect_ok(p, "\xEF\xBB\xBF{\"ts\":1,\"user\":\"u\",\"kind\":\"click\"}", &ev);
    assert_int_equal(ev.ts_ms, 1000);
    tamis_event_parser_free(p);
}

/* ------------------------------------------------------------------------------------
 * Keys: duplicates, unknown keys, warnings, nesting
 * ---------------------------------------------------------------------------------- */

static void test_duplicate_keys(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = new_parser(&w);
    expect_fail(p, "{\"ts\":1,\"user\":\"a\",\"user\":\"b\",\"kind\":\"online\"}", TAMIS_EINPUT,
                "duplicate key 'user'");
    expect_fail(p, "{\"ts\":1,\"user\":null,\"user\":\"b\",\"kind\":\"online\"}", TAMIS_EINPUT,
                "duplicate key 'user'");
    expect_fail(p, "{\"ts\":1,\"user\":\"a\",\"\\u0075ser\":\"b\",\"kind\":\"online\"}",
                TAMIS_EINPUT, "duplicate key 'user'");
    expect_fail(p, "{\"ts\":1,\"x\":1,\"user\":\"a\",\"x\":2,\"kind\":\"online\"}", TAMIS_EINPUT,
                "duplicate key 'x'");
    expect_fail(p, "{\"ts\":1,\"x\\ny\":1,\"x\\u000ay\":2}", TAMIS_EINPUT,
                "duplicate key 'x?y'");
    /* Keys are case-sensitive: "User" is another (unknown) key. Same key nested is fine. */
    tamis_event ev;
    expect_ok(p, "{\"ts\":1,\"user\":\"a\",\"User\":\"b\",\"kind\":\"online\","
                 "\"meta\":{\"user\":1,\"user\":2}}",
              &ev);
    assert_text(ev.text[TAMIS_FIELD_USER], "a");
    tamis_event_parser_free(p);
}

static void test_unknown_keys_skipped_and_warned_once(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = new_parser(&w);
    tamis_event ev;
    const char *line = "{\"meta\":{\"a\":[1,-2.5e-3,true,false,null,\"s\\u00e9\",{},[]],\"b\":{}},"
                       "\"ts\":1,\"tags\":[\"x\",\"y\"],\"user\":\"u\",\"n\":null,\"kind\":\"reply\","
                       "\"score\":-0.0E+2,\"ok\":true,\"e\":\"\"}";
    for (int i = 0; i < 3; i++) {
        expect_ok(p, line, &ev);
        assert_int_equal(ev.kind, TAMIS_KIND_REPLY);
        assert_text(ev.text[TAMIS_FIELD_USER], "u");
    }
    assert_int_equal(w.count, 6); /* meta tags n score ok e, each once */
    assert_string_equal(w.last, "unknown key 'e' ignored");
    expect_ok(p, "{\"ts\":1,\"user\":\"u\",\"kind\":\"reply\",\"tags\":1,\"new\":2}", &ev);
    assert_int_equal(w.count, 7);
    assert_string_equal(w.last, "unknown key 'new' ignored");
    /* Unknown keys are warned even when the record is rejected afterwards. */
    expect_fail(p, "{\"other\":1}", TAMIS_EINPUT, "missing ts");
    assert_int_equal(w.count, 8);
    tamis_event_parser_free(p);
}

static void test_warning_cap(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = new_parser(&w);
    tamis_event ev;
    char line[4096];
    size_t n = (size_t)snprintf(line, sizeof line, "{\"ts\":1,\"user\":\"u\",\"kind\":\"view\"");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(line + n, sizeof line - n, ",\"k%d\":%d", i, i);
    snprintf(line + n, sizeof line - n, "}");
    expect_ok(p, line, &ev);
    assert_int_equal(w.count, TAMIS_EV_MAX_WARNED_KEYS);
    assert_string_equal(w.last, "unknown key 'k63' ignored (64 distinct unknown keys reported; "
                                "further unknown keys are ignored without warning)");
    expect_ok(p, "{\"ts\":1,\"user\":\"u\",\"kind\":\"view\",\"brand_new\":1}", &ev);
    assert_int_equal(w.count, TAMIS_EV_MAX_WARNED_KEYS);
    tamis_event_parser_free(p);
}

static void test_depth_cap(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = new_parser(&w);
    tamis_event ev;
    char line[512];
    for (int depth = TAMIS_MAX_JSON_DEPTH; depth <= TAMIS_MAX_JSON_DEPTH + 1; depth++) {
        size_t n = (size_t)snprintf(line, sizeof line, "{\"ts\":1,\"user\":\"u\",\"kind\":\"view\",\"deep\":");
        for (int i = 0; i < depth; i++)
            n += (size_t)snprintf(line + n, sizeof line - n, i % 2 ? "[" : "{\"k\":");
        n += (size_t)snprintf(line + n, sizeof line - n, "0");
        for (int i = depth - 1; i >= 0; i--)
            n += (size_t)snprintf(line + n, sizeof line - n, i % 2 ? "]" : "}");
        snprintf(line + n, sizeof line - n, "}");
        /* Levels alternate objects and arrays around an innermost 0. */
        if (depth == TAMIS_MAX_JSON_DEPTH)
            expect_ok(p, line, &ev);
        else
            expect_fail(p, line, TAMIS_ELIMIT,
                        "value of 'deep' nests deeper than 32 levels (cap TAMIS_MAX_JSON_DEPTH)");
    }
    /* Deep but malformed input fails on the cap or the syntax, never crashes. */
    memset(line, '[', sizeof line - 1);
    memcpy(line, "{\"x\":", 5);
    line[sizeof line - 1] = '\0';
    expect_fail(p, line, TAMIS_ELIMIT, "TAMIS_MAX_JSON_DEPTH");
    tamis_event_parser_free(p);
}

/* ------------------------------------------------------------------------------------
 * Caps
 * ---------------------------------------------------------------------------------- */

static void test_caps(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = new_parser(&w);
    tamis_event ev;
    char *line = tamis_malloc(TAMIS_MAX_LINE_BYTES + 64);
    size_t n;

    /* String cap on decoded length: 1024 fine, 1025 not; escapes count once. */
    n = (size_t)snprintf(line, 64, "{\"ts\":1,\"kind\":\"view\",\"user\":\"u\",\"group\":\"");
    memset(line + n, 'g', TAMIS_MAX_FIELD_BYTES);
    snprintf(line + n + TAMIS_MAX_FIELD_BYTES, 8, "\"}");
    expect_ok(p, line, &ev);
    assert_int_equal(ev.text[TAMIS_FIELD_GROUP].len, TAMIS_MAX_FIELD_BYTES);
    memset(line + n, 'g', TAMIS_MAX_FIELD_BYTES + 1);
    snprintf(line + n + TAMIS_MAX_FIELD_BYTES + 1, 8, "\"}");
    expect_fail(p, line, TAMIS_ELIMIT,
                "field 'group' is 1025 bytes, over the cap TAMIS_MAX_FIELD_BYTES (1024)");
    for (int i = 0; i < TAMIS_MAX_FIELD_BYTES; i++)
        memcpy(line + n + 6 * (size_t)i, "\\u00e9", 6); /* 2 bytes each once decoded */
    snprintf(line + n + 6 * TAMIS_MAX_FIELD_BYTES, 8, "\"}");
    expect_fail(p, line, TAMIS_ELIMIT, "field 'group' is 2048 bytes");
    for (int i = 0; i < TAMIS_MAX_FIELD_BYTES; i++)
        memcpy(line + n + 2 * (size_t)i, "\\n", 2);
    snprintf(line + n + 2 * TAMIS_MAX_FIELD_BYTES, 8, "\"}");
    expect_ok(p, line, &ev);
    assert_int_equal(ev.text[TAMIS_FIELD_GROUP].len, TAMIS_MAX_FIELD_BYTES);

    /* The cap applies to keys and to strings inside skipped values too. */
    n = (size_t)snprintf(line, 64, "{\"");
    memset(line + n, 'k', TAMIS_MAX_FIELD_BYTES + 1);
    snprintf(line + n + TAMIS_MAX_FIELD_BYTES + 1, 8, "\":1}");
    expect_fail(p, line, TAMIS_ELIMIT, "key 'kkkk");
    n = (size_t)snprintf(line, 64, "{\"meta\":[\"");
    memset(line + n, 's', TAMIS_MAX_FIELD_BYTES + 1);
    snprintf(line + n + TAMIS_MAX_FIELD_BYTES + 1, 8, "\"]}");
    expect_fail(p, line, TAMIS_ELIMIT, "a string in the value of 'meta' is 1025 bytes");
    n = (size_t)snprintf(line, 64, "{\"meta\":{\"");
    memset(line + n, 's', TAMIS_MAX_FIELD_BYTES + 1);
    snprintf(line + n + TAMIS_MAX_FIELD_BYTES + 1, 8, "\":1}}");
    expect_fail(p, line, TAMIS_ELIMIT, "a key inside the value of 'meta' is 1025 bytes");

    /* Number literals kept as text obey the cap as well. */
    n = (size_t)snprintf(line, 64, "{\"ts\":1,\"kind\":\"view\",\"user\":");
    memset(line + n, '7', TAMIS_MAX_FIELD_BYTES + 1);
    snprintf(line + n + TAMIS_MAX_FIELD_BYTES + 1, 8, "}");
    expect_fail(p, line, TAMIS_ELIMIT, "field 'user' is 1025 bytes");

    /* User key cap. */
    n = (size_t)snprintf(line, 64, "{\"ts\":1,\"kind\":\"view\",\"user\":\"");
    memset(line + n, 'u', TAMIS_MAX_USER_KEY_BYTES + 1);
    snprintf(line + n + TAMIS_MAX_USER_KEY_BYTES + 1, 8, "\"}");
    expect_fail(p, line, TAMIS_ELIMIT, "TAMIS_MAX_USER_KEY_BYTES (256)");

    /* Key count cap: 128 keys fine, 129 not. */
    n = (size_t)snprintf(line, 64, "{\"ts\":1,\"kind\":\"view\",\"user\":\"u\"");
    for (int i = 3; i < TAMIS_MAX_FIELDS; i++)
        n += (size_t)snprintf(line + n, 32, ",\"c%d\":0", i);
    snprintf(line + n, 8, "}");
    expect_ok(p, line, &ev);
    snprintf(line + n, 32, ",\"last\":0}");
    expect_fail(p, line, TAMIS_ELIMIT, "more than 128 keys in the object (cap TAMIS_MAX_FIELDS)");

    /* Record length cap. */
    memset(line, ' ', TAMIS_MAX_LINE_BYTES + 1);
    memcpy(line, "{\"ts\":1,\"kind\":\"view\",\"user\":\"u\"}", 33);
    line[TAMIS_MAX_LINE_BYTES] = '\r';
    line[TAMIS_MAX_LINE_BYTES + 1] = '\0';
    expect_ok(p, line, &ev);
    line[TAMIS_MAX_LINE_BYTES] = ' ';
    expect_fail(p, line, TAMIS_ELIMIT, "record is 65537 bytes, over the cap TAMIS_MAX_LINE_BYTES");
    tamis_free(line);
    tamis_event_parser_free(p);
}

/* A whole line of escapes fills the scratch buffer to its bound without overflow. */
static void test_scratch_bound(void **state)
{
    (void)state;
    tamis_event_parser *p = tamis_event_parser_new(TAMIS_FORMAT_NDJSON, NULL, NULL);
    char *line = tamis_malloc(TAMIS_MAX_LINE_BYTES + 1);
    size_t n = (size_t)snprintf(line, 64, "{\"ts\":1,\"kind\":\"view\",\"user\":\"u\"");
    int k = 0;
    while (n + 1100 < TAMIS_MAX_LINE_BYTES) {
        n += (size_t)snprintf(line + n, 32, ",\"k%d\":\"", k++);
        for (int i = 0; i < 500; i++, n += 2)
            memcpy(line + n, "\\t", 2);
        line[n++] = '"';
    }
    line[n++] = '}';
    tamis_event ev;
    tamis_error err;
    assert_int_equal(tamis_event_parse(p, line, n, &ev, &err), TAMIS_OK);
    tamis_free(line);
    tamis_event_parser_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_fields),
        cmocka_unit_test(test_every_kind),
        cmocka_unit_test(test_numbers_as_fields),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_null_and_empty_are_absent),
        cmocka_unit_test(test_platform),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_bad_strings),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_whitespace_and_trailing),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_unknown_keys_skipped_and_warned_once),
        cmocka_unit_test(test_warning_cap),
        cmocka_unit_test(test_depth_cap),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_scratch_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
