/* test_event_csv.c — unit tests of the CSV event parser (src/event/csv.c): header
 * matching and warnings, RFC 4180 quoting, field counts, every cap of limits.h that a
 * record can hit, the per-event checks (ts, kind, value, platform, user) and where the
 * borrowed strings point (the caller's line or the parser's scratch). */
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

/* The whole suite runs twice: through csv.c's SSE2 fast path (where built) and through
 * its general loop, which non-x86 builds and records with quotes use. */
static bool general_only;

static const char *const full_header =
    "ts,user,platform,platform_id,kind,value,group,campaign,campaign_type,device,country,"
    "field,reason,id";

static tamis_event_parser *with_header(const char *header, warnings *w)
{
    tamis_event_parser *p = tamis_event_parser_new(TAMIS_FORMAT_CSV, on_warn, w);
    tamis_error err;
    assert_non_null(p);
    p->csv_general_only = general_only;
    if (tamis_event_parser_header(p, header, strlen(header), &err) != TAMIS_OK)
        fail_msg("header '%s' rejected: %s", header, err.msg);
    return p;
}

static int parse(tamis_event_parser *p, const char *line, tamis_event *ev, tamis_error *err)
{
    tamis_error_clear(err);
    return tamis_event_parse(p, line, strlen(line), ev, err);
}

static void expect_ok(tamis_event_parser *p, const char *line, tamis_event *ev)
{
    tamis_error err;
    if (parse(p, line, ev, &err) != TAMIS_OK)
        fail_msg("'%s' rejected: %s", line, err.msg);
    const char *broken = tamis_ev_check_event(p, line, strlen(line), ev);
    if (broken)
        fail_msg("'%.100s': contract broken: %s", line, broken);
}

static void expect_fail(tamis_event_parser *p, const char *line, int code, const char *want)
{
    tamis_event ev;
    tamis_error err;
    int rc = parse(p, line, &ev, &err);
    if (rc != code)
        fail_msg("'%.80s': rc %d, want %d (%s)", line, rc, code, err.msg);
    assert_int_equal(err.code, code);
    if (!strstr(err.msg, want))
        fail_msg("'%.80s': message '%s' lacks '%s'", line, err.msg, want);
}

static void expect_header_fail(const char *header, const char *want)
{
    warnings w = {0};
    tamis_event_parser *p = tamis_event_parser_new(TAMIS_FORMAT_CSV, on_warn, &w);
    tamis_error err;
    tamis_error_clear(&err);
    int rc = tamis_event_parser_header(p, header, strlen(header), &err);
    if (rc != TAMIS_EINPUT)
        fail_msg("header '%.80s': rc %d (%s)", header, rc, err.msg);
    if (!strstr(err.msg, want))
        fail_msg("header '%.80s': message '%s' lacks '%s'", header, err.msg, want);
    /* A failed header leaves no header: records are refused. */
    tamis_event ev;
    assert_int_equal(tamis_event_parse(p, "1,2,3", 5, &ev, &err), TAMIS_EINTERNAL);
    tamis_event_parser_free(p);
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
 * Header
 * ---------------------------------------------------------------------------------- */

static void test_header_full(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = with_header(full_header, &w);
    assert_int_equal(w.count, 0);
    tamis_event ev;
    expect_ok(p, "1700000000,u1,Telegram,tg1,reply,2.5,g1,c1,promo,d1,VN,avatar,spam,e1", &ev);
    assert_int_equal(ev.ts_ms, INT64_C(1700000000000));
    assert_int_equal(ev.kind, TAMIS_KIND_REPLY);
    assert_true(ev.has_value);
    assert_true(ev.value == 2.5);
    const char *want[TAMIS_FIELD__COUNT] = {"1700000000", "u1", "telegram", "tg1", "reply",
                                           "2.5", "g1", "c1", "promo", "d1", "VN", "avatar",
                                           "spam", "e1"};
    for (int f = 0; f < TAMIS_FIELD__COUNT; f++)
        assert_text(ev.text[f], want[f]);
    tamis_event_parser_free(p);
}

static void test_header_case_order_bom(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = with_header("\xEF\xBB\xBF KIND ,User,\"Ts\"\r", &w);
    tamis_event ev;
    expect_ok(p, "online,alice,1700000000", &ev);
    assert_int_equal(ev.kind, TAMIS_KIND_ONLINE);
    assert_text(ev.text[TAMIS_FIELD_USER], "alice");
    assert_int_equal(w.count, 0);
    tamis_event_parser_free(p);
}

static void test_header_unknown_columns_warn_once(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = with_header("ts,extra,user,kind,Other", &w);
    assert_int_equal(w.count, 2);
    assert_string_equal(w.last, "unknown column 'Other' ignored");
    tamis_event ev;
    for (int i = 0; i < 3; i++)
        expect_ok(p, "1700000000,\"x,\"\"y\",u,online,zzz", &ev);
    assert_int_equal(w.count, 2);
    assert_text(ev.text[TAMIS_FIELD_USER], "u");
    /* Re-reading a header resets the mapping (and warns about its own columns). */
    tamis_error err;
    assert_int_equal(tamis_event_parser_header(p, "kind,user,ts,more", 17, &err), TAMIS_OK);
    assert_int_equal(w.count, 3);
    expect_ok(p, "click,v,1,m", &ev);
    assert_int_equal(ev.kind, TAMIS_KIND_CLICK);
    tamis_event_parser_free(p);
}

static void test_header_required(void **state)
{
    (void)state;
    expect_header_fail("user,kind", "missing required column 'ts'");
    expect_header_fail("ts,user", "missing required column 'kind'");
    expect_header_fail("ts,kind", "missing required column 'user' (or both 'platform'");
    expect_header_fail("ts,kind,platform", "missing required column 'user'");
    expect_header_fail("ts,kind,platform_id", "missing required column 'user'");
    expect_header_fail("", "empty line");
    expect_header_fail("\r", "empty line");
    warnings w = {0};
    tamis_event_parser *p = with_header("ts,kind,platform,platform_id", &w);
    tamis_event_parser_free(p);
}

static void test_header_repeats_and_syntax(void **state)
{
    (void)state;
    expect_header_fail("ts,kind,user,ts", "column 'ts' repeats");
    expect_header_fail("ts,kind,user,USER", "column 'USER' repeats");
    expect_header_fail("ts,kind,user,x,X", "column 'X' repeats");
    expect_header_fail("ts,kind,\"user", "unterminated quoted field");
    expect_header_fail("ts,kind,\"user\"x", "after the closing quote");
    expect_header_fail("ts,kind,us\"er", "quote inside an unquoted field");
}

static void test_header_caps(void **state)
{
    (void)state;
    char *h = tamis_malloc(TAMIS_MAX_LINE_BYTES + 64);
    size_t n = (size_t)snprintf(h, 64, "ts,kind,user");
    for (int i = 3; i < TAMIS_MAX_FIELDS; i++)
        n += (size_t)snprintf(h + n, 16, ",c%d", i);
    warnings w = {0};
    tamis_event_parser *p = with_header(h, &w); /* exactly the cap: fine */
    assert_int_equal(w.count, TAMIS_MAX_FIELDS - 3);
    tamis_event_parser_free(p);
    snprintf(h + n, 16, ",c%d", TAMIS_MAX_FIELDS);
    expect_header_fail(h, "TAMIS_MAX_FIELDS");

    n = (size_t)snprintf(h, 64, "ts,kind,user,");
    memset(h + n, 'x', TAMIS_MAX_FIELD_BYTES + 1);
    h[n + TAMIS_MAX_FIELD_BYTES + 1] = '\0';
    expect_header_fail(h, "TAMIS_MAX_FIELD_BYTES");

    memset(h, 'x', TAMIS_MAX_LINE_BYTES + 1);
    h[TAMIS_MAX_LINE_BYTES + 1] = '\0';
    expect_header_fail(h, "TAMIS_MAX_LINE_BYTES");
    tamis_free(h);
}

/* ------------------------------------------------------------------------------------
 * Records
 * ---------------------------------------------------------------------------------- */

static void test_every_kind(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = with_header("ts,user,kind", &w);
    for (int k = 0; k < TAMIS_KIND__COUNT; k++) {
        char line[128];
        snprintf(line, sizeof line, "1700000000,u%d,%s", k, tamis_kind_table[k].name);
        tamis_event ev;
        expect_ok(p, line, &ev);
        assert_int_equal(ev.kind, k);
        assert_text(ev.text[TAMIS_FIELD_KIND], tamis_kind_table[k].name);
        /* Kinds are exact: upper case is unknown. */
        char upper[128];
        snprintf(upper, sizeof upper, "1700000000,u,%s", tamis_kind_table[k].name);
        for (char *c = upper; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 32);
        expect_fail(p, upper, TAMIS_EINPUT, "unknown kind '");
    }
    expect_fail(p, "1700000000,u,xyz", TAMIS_EINPUT, "unknown kind 'xyz'");
    expect_fail(p, "1700000000,u,online ", TAMIS_EINPUT, "unknown kind 'online '");
    expect_fail(p, "1700000000,u,", TAMIS_EINPUT, "missing kind");
    tamis_event_parser_free(p);
}

static void test_quoting(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = with_header("ts,user,kind,group,reason", &w);
    tamis_event ev;
    const char *line = "\"1700000000\",\"a,b\",online,\"say \"\"hi\"\"\",\"\"";
    expect_ok(p, line, &ev);
    assert_text(ev.text[TAMIS_FIELD_USER], "a,b");
    assert_true(in_line(ev.text[TAMIS_FIELD_USER], line)); /* no escape: borrowed */
    assert_text(ev.text[TAMIS_FIELD_GROUP], "say \"hi\"");
    assert_true(tamis_ev_in_scratch(p, ev.text[TAMIS_FIELD_GROUP].ptr,
                                    ev.text[TAMIS_FIELD_GROUP].len));
    assert_int_equal(ev.text[TAMIS_FIELD_REASON].len, 0); /* "" is absent */

    /* A record the reader joined across lines: a newline inside quotes is data. */
    expect_ok(p, "1,\"multi\nline\r\nuser\",click,\"\"\"\",\"\"\"\"\"\"", &ev);
    assert_text(ev.text[TAMIS_FIELD_USER], "multi\nline\r\nuser");
    assert_text(ev.text[TAMIS_FIELD_GROUP], "\"");
    assert_text(ev.text[TAMIS_FIELD_REASON], "\"\"");

    /* Two escaped fields in one record land at distinct places in scratch. */
    expect_ok(p, "1,\"a\"\"b\",view,\"c\"\"d\",\"e\"\"f\"", &ev);
    assert_text(ev.text[TAMIS_FIELD_USER], "a\"b");
    assert_text(ev.text[TAMIS_FIELD_GROUP], "c\"d");
    assert_text(ev.text[TAMIS_FIELD_REASON], "e\"f");

    /* Trailing '\r' is ignored; empty trailing field counts. */
    expect_ok(p, "1,u,online,,\r", &ev);
    assert_int_equal(ev.text[TAMIS_FIELD_GROUP].len, 0);
    assert_int_equal(ev.text[TAMIS_FIELD_REASON].len, 0);
    expect_ok(p, "1,u,online,g,\"r\"\r", &ev);
    assert_text(ev.text[TAMIS_FIELD_REASON], "r");
    /* Bytes are bytes: UTF-8 and spaces pass through unchanged. */
    expect_ok(p, "1, ngọc ,online,群组,\"x\"", &ev);
    assert_text(ev.text[TAMIS_FIELD_USER], " ngọc ");
    assert_text(ev.text[TAMIS_FIELD_GROUP], "群组");
    tamis_event_parser_free(p);
}

static void test_malformed_records(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = with_header("ts,user,kind", &w);
    expect_fail(p, "1,u", TAMIS_EINPUT, "expected 3 fields, got 2");
    expect_fail(p, "1,u,online,", TAMIS_EINPUT, "expected 3 fields, got 4");
    expect_fail(p, "1,u,online,x,y", TAMIS_EINPUT, "expected 3 fields, got 5");
    expect_fail(p, "", TAMIS_EINPUT, "expected 3 fields, got 1");
    expect_fail(p, "\r", TAMIS_EINPUT, "expected 3 fields, got 1");
    expect_fail(p, "1,\"u,online", TAMIS_EINPUT, "field 2 (user): unterminated quoted field");
    expect_fail(p, "1,\"u\"x,online", TAMIS_EINPUT, "field 2 (user): unexpected byte after");
    expect_fail(p, "1,\"u\" ,online", TAMIS_EINPUT, "unexpected byte after the closing quote");
    expect_fail(p, "1,u\"v,online", TAMIS_EINPUT, "field 2 (user): quote inside an unquoted");
    expect_fail(p, "1,u,online\"", TAMIS_EINPUT, "field 3 (kind): quote inside");
    expect_fail(p, "\"", TAMIS_EINPUT, "field 1 (ts): unterminated quoted field");
    expect_fail(p, "1,u,\"online\"\"", TAMIS_EINPUT, "unterminated quoted field");
    tamis_event_parser_free(p);

    p = with_header("ts,user,kind,x", &w);
    expect_fail(p, "1,u,online,\"x", TAMIS_EINPUT, "field 4: unterminated");
    tamis_event_parser_free(p);
}

static void test_field_checks(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = with_header("ts,user,platform,platform_id,kind,value", &w);
    tamis_event ev;
    expect_fail(p, ",u,,,online,", TAMIS_EINPUT, "missing ts");
    expect_fail(p, "2026-13-01T00:00:00Z,u,,,online,", TAMIS_EINPUT,
                "bad ts '2026-13-01T00:00:00Z': month out of range");
    expect_fail(p, "-5,u,,,online,", TAMIS_EINPUT, "bad ts '-5': negative");
    expect_ok(p, "2026-01-02T10:04:05+07:00,u,,,online,", &ev);
    assert_int_equal(ev.ts_ms, INT64_C(1767323045000));
    assert_text(ev.text[TAMIS_FIELD_TS], "2026-01-02T10:04:05+07:00");

    expect_ok(p, "1,u,,,purchase,19.99", &ev);
    assert_true(ev.has_value && ev.value == 19.99);
    expect_ok(p, "1,u,,,purchase,-1e3", &ev);
    assert_true(ev.has_value && ev.value == -1000.0);
    expect_ok(p, "1,u,,,purchase,", &ev);
    assert_false(ev.has_value);
    expect_fail(p, "1,u,,,purchase,abc", TAMIS_EINPUT, "bad value 'abc': not a number");
    expect_fail(p, "1,u,,,purchase,nan", TAMIS_EINPUT, "bad value 'nan'");
    expect_fail(p, "1,u,,,purchase,1e999", TAMIS_EINPUT, "bad value '1e999': out of range");
    expect_fail(p, "1,u,,,purchase, 5", TAMIS_EINPUT, "bad value ' 5'");

    expect_fail(p, "1,,,,online,", TAMIS_EINPUT, "missing user (or platform + platform_id)");
    expect_fail(p, "1,,telegram,,online,", TAMIS_EINPUT, "missing user");
    expect_fail(p, "1,,,123,online,", TAMIS_EINPUT, "missing user");
    expect_ok(p, "1,,telegram,123,online,", &ev);
    assert_int_equal(ev.text[TAMIS_FIELD_USER].len, 0);
    assert_text(ev.text[TAMIS_FIELD_PLATFORM_ID], "123");
    tamis_event_parser_free(p);
}

static void test_platform(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = with_header("ts,user,platform,kind", &w);
    tamis_event ev;
    const char *line = "1,u,whatsapp_biz.v2-x,online";
    expect_ok(p, line, &ev);
    assert_text(ev.text[TAMIS_FIELD_PLATFORM], "whatsapp_biz.v2-x");
    assert_true(in_line(ev.text[TAMIS_FIELD_PLATFORM], line)); /* already lower: borrowed */
    expect_ok(p, "1,u,TeleGRAM,online", &ev);
    assert_text(ev.text[TAMIS_FIELD_PLATFORM], "telegram");
    assert_true(tamis_ev_in_scratch(p, ev.text[TAMIS_FIELD_PLATFORM].ptr, 8));
    expect_fail(p, "1,u,\"LI\"\"NE\",online", TAMIS_EINPUT, "must match [a-z0-9_.-]{1,32}");
    expect_fail(p, "1,u,tele gram,online", TAMIS_EINPUT,
                "bad platform 'tele gram': must match [a-z0-9_.-]{1,32}");
    expect_fail(p, "1,u,zalo/oa,online", TAMIS_EINPUT, "bad platform 'zalo/oa'");
    expect_fail(p, "1,u,viber✓,online", TAMIS_EINPUT, "bad platform");
    expect_ok(p, "1,u,abcdefghijklmnopqrstuvwxyz012345,online", &ev); /* 32 bytes */
    expect_fail(p, "1,u,abcdefghijklmnopqrstuvwxyz0123456,online", TAMIS_ELIMIT,
                "TAMIS_MAX_PLATFORM_BYTES");
    /* Upper-case platform and an escaped field share scratch without overlap. */
    expect_ok(p, "1,\"a\"\"b\",WeChat,online", &ev);
    assert_text(ev.text[TAMIS_FIELD_USER], "a\"b");
    assert_text(ev.text[TAMIS_FIELD_PLATFORM], "wechat");
    tamis_event_parser_free(p);
}

static void test_caps(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = with_header("ts,user,kind,group,extra", &w);
    char *line = tamis_malloc(2 * TAMIS_MAX_LINE_BYTES);
    tamis_event ev;
    size_t n;

    /* Field cap: 1024 bytes fine, 1025 not, for a known and an ignored column, and
     * measured after unescaping. */
    n = (size_t)snprintf(line, 64, "1,u,online,");
    memset(line + n, 'g', TAMIS_MAX_FIELD_BYTES);
    snprintf(line + n + TAMIS_MAX_FIELD_BYTES, 8, ",x");
    expect_ok(p, line, &ev);
    assert_int_equal(ev.text[TAMIS_FIELD_GROUP].len, TAMIS_MAX_FIELD_BYTES);
    memset(line + n, 'g', TAMIS_MAX_FIELD_BYTES + 1);
    snprintf(line + n + TAMIS_MAX_FIELD_BYTES + 1, 8, ",x");
    expect_fail(p, line, TAMIS_ELIMIT,
                "field 4 (group) is 1025 bytes, over the cap TAMIS_MAX_FIELD_BYTES (1024)");
    n = (size_t)snprintf(line, 64, "1,u,online,g,");
    memset(line + n, 'x', TAMIS_MAX_FIELD_BYTES + 1);
    line[n + TAMIS_MAX_FIELD_BYTES + 1] = '\0';
    expect_fail(p, line, TAMIS_ELIMIT, "field 5 is 1025 bytes");
    n = (size_t)snprintf(line, 64, "1,u,online,\"");
    for (int i = 0; i < TAMIS_MAX_FIELD_BYTES; i++, n += 2)
        memcpy(line + n, "\"\"", 2); /* 2048 raw bytes, 1024 decoded */
    snprintf(line + n, 8, "\",x");
    expect_ok(p, line, &ev);
    assert_int_equal(ev.text[TAMIS_FIELD_GROUP].len, TAMIS_MAX_FIELD_BYTES);
    n = (size_t)snprintf(line, 64, "1,u,online,g,\"");
    for (int i = 0; i <= TAMIS_MAX_FIELD_BYTES; i++, n += 2)
        memcpy(line + n, "\"\"", 2);
    snprintf(line + n, 8, "\"");
    expect_fail(p, line, TAMIS_ELIMIT, "field 5 is 1025 bytes");

    /* Field count cap. */
    n = (size_t)snprintf(line, 64, "1,u,online,g,x");
    for (int i = 5; i < TAMIS_MAX_FIELDS; i++)
        line[n++] = ',';
    line[n] = '\0';
    expect_fail(p, line, TAMIS_EINPUT, "expected 5 fields, got 128");
    line[n++] = ',';
    line[n] = '\0';
    expect_fail(p, line, TAMIS_ELIMIT, "more than 128 fields (cap TAMIS_MAX_FIELDS)");

    /* User key cap. */
    n = (size_t)snprintf(line, 64, "1,");
    memset(line + n, 'u', TAMIS_MAX_USER_KEY_BYTES);
    snprintf(line + n + TAMIS_MAX_USER_KEY_BYTES, 32, ",online,g,x");
    expect_ok(p, line, &ev);
    memset(line + n, 'u', TAMIS_MAX_USER_KEY_BYTES + 1);
    snprintf(line + n + TAMIS_MAX_USER_KEY_BYTES + 1, 32, ",online,g,x");
    expect_fail(p, line, TAMIS_ELIMIT, "is 257 bytes, over the cap TAMIS_MAX_USER_KEY_BYTES");

    /* Record length cap (a trailing '\r' does not count). */
    n = (size_t)snprintf(line, 64, "1,u,online,g,");
    memset(line + n, 'x', TAMIS_MAX_LINE_BYTES - n);
    line[TAMIS_MAX_LINE_BYTES] = '\r';
    line[TAMIS_MAX_LINE_BYTES + 1] = '\0';
    expect_fail(p, line, TAMIS_ELIMIT, "field 5 is"); /* fits, field cap fires */
    tamis_error err;
    assert_int_equal(tamis_event_parse(p, line, TAMIS_MAX_LINE_BYTES + 1, &ev, &err),
                     TAMIS_ELIMIT);
    assert_non_null(strstr(err.msg, "field 5"));
    line[TAMIS_MAX_LINE_BYTES] = 'x';
    assert_int_equal(tamis_event_parse(p, line, TAMIS_MAX_LINE_BYTES + 1, &ev, &err),
                     TAMIS_ELIMIT);
    assert_string_equal(err.msg,
                        "record is 65537 bytes, over the cap TAMIS_MAX_LINE_BYTES (65536)");
    tamis_free(line);
    tamis_event_parser_free(p);
}

static void test_messages_are_cut(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = with_header("ts,user,kind", &w);
    /* 39 ASCII bytes then 2-byte characters: the 40-byte cut falls inside one, so the
     * message backs up to the character boundary. */
    char line[128], want[128];
    memcpy(line, "1,u,", 4);
    memset(line + 4, 'a', 39);
    snprintf(line + 43, 32, "%s", "\xC3\xA9\xC3\xA9\xC3\xA9");
    snprintf(want, sizeof want, "unknown kind '%.39s...'", line + 4);
    expect_fail(p, line, TAMIS_EINPUT, want);
    expect_fail(p, "1,u,on\tline", TAMIS_EINPUT, "unknown kind 'on?line'");
    tamis_event_parser_free(p);
}

static void test_api_edges(void **state)
{
    (void)state;
    tamis_event_parser *p = tamis_event_parser_new(TAMIS_FORMAT_CSV, NULL, NULL);
    tamis_event ev;
    tamis_error err;
    assert_int_equal(tamis_event_parse(p, "1,u,online", 10, &ev, &err), TAMIS_EINTERNAL);
    /* No warning callback: unknown columns are ignored silently. NULL err is fine. */
    assert_int_equal(tamis_event_parser_header(p, "ts,x,user,kind", 14, NULL), TAMIS_OK);
    assert_int_equal(tamis_event_parse(p, "1,x,u,online", 12, &ev, NULL), TAMIS_OK);
    assert_int_equal(tamis_event_parse(p, "1,x,u,bogus", 11, &ev, NULL), TAMIS_EINPUT);
    assert_int_equal(tamis_event_parse(p, "1,\"x,u,bogus", 12, &ev, NULL), TAMIS_EINPUT);
    assert_int_equal(tamis_event_parser_header(p, "ts", 2, NULL), TAMIS_EINPUT);
    tamis_event_parser_free(p);
    tamis_event_parser_free(NULL);

    p = tamis_event_parser_new(TAMIS_FORMAT_NDJSON, NULL, NULL);
    assert_int_equal(tamis_event_parser_header(p, "ts,user,kind", 12, &err), TAMIS_EINTERNAL);
    tamis_event_parser_free(p);
}

/* A failed record must not disturb the next one (no sticky state in the parser). */
static void test_recovery(void **state)
{
    (void)state;
    warnings w = {0};
    tamis_event_parser *p = with_header("ts,user,kind,group", &w);
    tamis_event ev;
    expect_fail(p, "1,\"a\"\"b,online,g", TAMIS_EINPUT, "unterminated");
    expect_ok(p, "5,\"c\"\"d\",view,\"g\"\"h\"", &ev);
    assert_int_equal(ev.ts_ms, 5000);
    assert_text(ev.text[TAMIS_FIELD_USER], "c\"d");
    assert_text(ev.text[TAMIS_FIELD_GROUP], "g\"h");
    expect_fail(p, "x,u,view,g", TAMIS_EINPUT, "bad ts");
    expect_ok(p, "6,u,view,g", &ev);
    assert_int_equal(ev.ts_ms, 6000);
    assert_false(ev.has_value);
    tamis_event_parser_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_full),
        cmocka_unit_test(test_header_case_order_bom),
        cmocka_unit_test(test_header_unknown_columns_warn_once),
        cmocka_unit_test(test_header_required),
        cmocka_unit_test(test_header_repeats_and_syntax),
        cmocka_unit_test(test_header_caps),
        cmocka_unit_test(test_every_kind),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_malformed_records),
        cmocka_unit_test(test_field_checks),
        cmocka_unit_test(test_platform),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_messages_are_cut),
        cmocka_unit_test(test_api_edges),
        cmocka_unit_test(test_recovery),
    };
    int failed = cmocka_run_group_tests_name("csv (fast path)", tests, NULL, NULL);
    general_only = true;
    failed += cmocka_run_group_tests_name("csv (general loop)", tests, NULL, NULL);
    return failed;
}
