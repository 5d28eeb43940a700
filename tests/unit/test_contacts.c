/* test_contacts.c — unit tests of the contacts CSV parser (src/event/contacts.c).
 *
 * Headers to column maps, records to rows: RFC 4180 quoting, borrowed vs unescaped
 * fields, identities and attributes, tags, every cap at and past its limit, and the
 * exact error messages the importer will prefix with "file:line:". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "tamis/alloc.h"
#include "tamis/contacts.h"

/* One parser and one row per test; the row is large (two TAMIS_MAX_FIELDS arrays). */
typedef struct fixture {
    tamis_contacts_parser *p;
    tamis_contact_row row;
    tamis_error err;
} fixture;

static int setup(void **state)
{
    fixture *f = tamis_calloc(1, sizeof *f);
    f->p = tamis_contacts_parser_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tamis_contacts_parser_free(f->p);
    tamis_free(f);
    return 0;
}

static void header_ok(fixture *f, const char *line)
{
    int rc = tamis_contacts_parser_header(f->p, line, strlen(line), &f->err);
    if (rc)
        print_error("header \"%s\": %s\n", line, f->err.msg);
    assert_int_equal(rc, TAMIS_OK);
}

static void header_fails(fixture *f, const char *line, int code, const char *frag)
{
    int rc = tamis_contacts_parser_header(f->p, line, strlen(line), &f->err);
    assert_int_equal(rc, code);
    assert_int_equal(f->err.code, code);
    if (!strstr(f->err.msg, frag))
        print_error("message \"%s\" lacks \"%s\"\n", f->err.msg, frag);
    assert_non_null(strstr(f->err.msg, frag));
}

static void parse_ok(fixture *f, const char *line, size_t len)
{
    int rc = tamis_contacts_parse(f->p, line, len, &f->row, &f->err);
    if (rc)
        print_error("record: %s\n", f->err.msg);
    assert_int_equal(rc, TAMIS_OK);
}

static void parse_fails(fixture *f, const char *line, size_t len, int code, const char *frag)
{
    int rc = tamis_contacts_parse(f->p, line, len, &f->row, &f->err);
    assert_int_equal(rc, code);
    assert_int_equal(f->err.code, code);
    if (!strstr(f->err.msg, frag))
        print_error("message \"%s\" lacks \"%s\"\n", f->err.msg, frag);
    assert_non_null(strstr(f->err.msg, frag));
}

static void assert_str(tamis_str s, const char *want)
{
    size_t n = strlen(want);
    if (s.len != n || (n && memcmp(s.ptr, want, n) != 0))
        print_error("got \"%.*s\", want \"%s\"\n", (int)s.len, s.ptr ? s.ptr : "", want);
    assert_int_equal(s.len, n);
    assert_memory_equal(s.ptr, want, n);
}

static bool inside(tamis_str s, const char *line, size_t len)
{
    return s.ptr >= line && s.ptr + s.len <= line + len;
}

#define PARSE(f, lit) parse_ok(f, lit, strlen(lit))

/* ------------------------------------------------------------------------------------
 * Rows
 * ---------------------------------------------------------------------------------- */

static void test_full_row(void **state)
{
    fixture *f = *state;
    const char *line = "u1,+84 912 345 678,vn,Asia/Ho_Chi_Minh,Nguy\xe1\xbb\x85n V\xc4\x83n A,"
                       "vip; hanoi ;;b2b ,12345,,Hanoi,42";
    header_ok(f, "user,phone,country,tz,name,tags,telegram_id,zalo_id,city,user_id");
    PARSE(f, line);
    assert_str(f->row.user, "u1");
    assert_str(f->row.phone, "+84 912 345 678");
    assert_str(f->row.country, "VN");
    assert_str(f->row.tz, "Asia/Ho_Chi_Minh");
    assert_str(f->row.name, "Nguy\xe1\xbb\x85n V\xc4\x83n A");
    assert_int_equal(f->row.n_tags, 3);
    assert_str(f->row.tags[0], "vip");
    assert_str(f->row.tags[1], "hanoi");
    assert_str(f->row.tags[2], "b2b");
    assert_int_equal(f->row.n_ids, 1); /* the empty zalo_id cell is skipped */
    assert_str(f->row.ids[0].key, "telegram");
    assert_str(f->row.ids[0].value, "12345");
    assert_int_equal(f->row.n_attrs, 2);
    assert_str(f->row.attrs[0].key, "city");
    assert_str(f->row.attrs[0].value, "Hanoi");
    assert_str(f->row.attrs[1].key, "user_id"); /* not an identity */
    assert_str(f->row.attrs[1].value, "42");
    /* unquoted fields are borrowed from the line */
    assert_true(inside(f->row.user, line, strlen(line)));
    assert_true(inside(f->row.ids[0].value, line, strlen(line)));
}

static void test_absent_fields_and_only_user(void **state)
{
    fixture *f = *state;
    header_ok(f, "user,phone,country,tz,name,tags,line_id,note");
    PARSE(f, "alice,,,,,,,");
    assert_str(f->row.user, "alice");
    assert_int_equal(f->row.phone.len, 0);
    assert_int_equal(f->row.country.len, 0);
    assert_int_equal(f->row.tz.len, 0);
    assert_int_equal(f->row.name.len, 0);
    assert_int_equal(f->row.n_tags, 0);
    assert_int_equal(f->row.n_ids, 0);
    assert_int_equal(f->row.n_attrs, 0);
    /* a quoted empty field is empty too; tags of only separators and spaces: none */
    PARSE(f, "bob,\"\",,,, ; ;\t;,\"\",");
    assert_int_equal(f->row.phone.len, 0);
    assert_int_equal(f->row.n_tags, 0);
    assert_int_equal(f->row.n_ids, 0);
}

static void test_header_case_and_spaces(void **state)
{
    fixture *f = *state;
    header_ok(f, "\xEF\xBB\xBF" "User, PHONE ,Country,Telegram_ID,WhatsApp.Business_Id,City,"
                 "Th\xc3\xa0nh Ph\xe1\xbb\x91,_id,Platform_ID\r");
    PARSE(f, "u,0912345678,Th,t1,w1,Bangkok,HCM,row7,x\r");
    assert_str(f->row.user, "u");
    assert_str(f->row.phone, "0912345678");
    assert_str(f->row.country, "TH");
    assert_int_equal(f->row.n_ids, 2);
    assert_str(f->row.ids[0].key, "telegram");
    assert_str(f->row.ids[0].value, "t1");
    assert_str(f->row.ids[1].key, "whatsapp.business");
    assert_int_equal(f->row.n_attrs, 4);
    assert_str(f->row.attrs[0].key, "city");
    assert_str(f->row.attrs[1].key, "th\xc3\xa0nh ph\xe1\xbb\x91"); /* ASCII folded only */
    assert_str(f->row.attrs[1].value, "HCM");
    assert_str(f->row.attrs[2].key, "_id"); /* no platform before _id: attribute */
    assert_str(f->row.attrs[2].value, "row7");
    assert_str(f->row.attrs[3].key, "platform_id");
    assert_str(f->row.attrs[3].value, "x"); /* trailing \r dropped */
}

static void test_quoting(void **state)
{
    fixture *f = *state;
    const char *line = "\"u,1\",\"+84 \"\"912\"\" 345\",\"plain\",\"a\nb\",\"\"\"\"";
    header_ok(f, "user,phone,name,note,q");
    PARSE(f, line);
    assert_str(f->row.user, "u,1");
    assert_str(f->row.phone, "+84 \"912\" 345");
    assert_str(f->row.name, "plain");
    assert_str(f->row.attrs[0].value, "a\nb"); /* the caller joined two physical lines */
    assert_str(f->row.attrs[1].value, "\"");
    /* quoted without escapes: borrowed; with escapes: unescaped into scratch */
    assert_true(inside(f->row.user, line, strlen(line)));
    assert_true(inside(f->row.name, line, strlen(line)));
    assert_false(inside(f->row.phone, line, strlen(line)));
    assert_false(inside(f->row.attrs[1].value, line, strlen(line)));
    /* quoted trailing field followed by CR */
    PARSE(f, "u2,\"\",x,y,\"z\"\r");
    assert_str(f->row.attrs[1].value, "z");
}

static void test_crlf_inside_quotes_and_trailing_comma(void **state)
{
    fixture *f = *state;
    header_ok(f, "user,note");
    PARSE(f, "u,\"line1\r\nline2\"\r");
    assert_str(f->row.attrs[0].value, "line1\r\nline2");
    PARSE(f, "u,");
    assert_int_equal(f->row.n_attrs, 0);
}

static void test_tags(void **state)
{
    fixture *f = *state;
    char line[1100];
    size_t n = 0;
    header_ok(f, "user,tags");
    PARSE(f, "u,\" a b ;c\t;  ;d;\"");
    assert_int_equal(f->row.n_tags, 3);
    assert_str(f->row.tags[0], "a b");
    assert_str(f->row.tags[1], "c");
    assert_str(f->row.tags[2], "d");
    /* exactly TAMIS_MAX_TAGS tags, then one more */
    n += (size_t)snprintf(line, sizeof line, "u,");
    for (int i = 0; i < TAMIS_MAX_TAGS; i++)
        n += (size_t)snprintf(line + n, sizeof line - n, "t%d;", i);
    parse_ok(f, line, n);
    assert_int_equal(f->row.n_tags, TAMIS_MAX_TAGS);
    assert_str(f->row.tags[63], "t63");
    n += (size_t)snprintf(line + n, sizeof line - n, "extra");
    parse_fails(f, line, n, TAMIS_ELIMIT, "field 2 (tags): more than 64 tags (TAMIS_MAX_TAGS)");
}

static void test_identity_and_attribute_order(void **state)
{
    fixture *f = *state;
    header_ok(f, "zalo_id,b,user,telegram_id,a,line_id");
    PARSE(f, "z1,bv,u,t1,av,l1");
    assert_int_equal(f->row.n_ids, 3);
    assert_str(f->row.ids[0].key, "zalo");
    assert_str(f->row.ids[1].key, "telegram");
    assert_str(f->row.ids[2].key, "line");
    assert_str(f->row.ids[2].value, "l1");
    assert_int_equal(f->row.n_attrs, 2);
    assert_str(f->row.attrs[0].key, "b");
    assert_str(f->row.attrs[1].key, "a");
}

/* ------------------------------------------------------------------------------------
 * Record errors
 * ---------------------------------------------------------------------------------- */

static void test_record_errors(void **state)
{
    fixture *f = *state;
    header_ok(f, "user,phone,country");
    parse_fails(f, ",0912,VN", 8, TAMIS_EINPUT, "missing user");
    parse_fails(f, "", 0, TAMIS_EINPUT, "1 field(s) but the header has 3 columns");
    parse_fails(f, "u,0912", 6, TAMIS_EINPUT, "2 field(s) but the header has 3 columns");
    parse_fails(f, "u,0912,VN,x", 11, TAMIS_EINPUT, "more fields than the header's 3");
    parse_fails(f, "u,\"0912,VN", 10, TAMIS_EINPUT, "field 2 (phone): unterminated quoted field");
    parse_fails(f, "u,\"0912\"x,VN", 12, TAMIS_EINPUT,
                "field 2 (phone): unexpected 'x' after closing quote");
    parse_fails(f, "u\"1,0912,VN", 11, TAMIS_EINPUT,
                "field 1 (user): '\"' inside an unquoted field");
    parse_fails(f, "u,0912,VNM", 10, TAMIS_EINPUT,
                "field 3 (country): bad country code \"VNM\"");
    parse_fails(f, "u,0912,V1", 9, TAMIS_EINPUT, "bad country code \"V1\"");
    parse_fails(f, "u,0912, vn", 10, TAMIS_EINPUT, "bad country code \" vn\"");
    /* a quote left open swallows the rest of the record */
    parse_fails(f, "u,\"a\",\"b", 8, TAMIS_EINPUT, "field 3 (country): unterminated");
    /* the parser stays usable after a bad record */
    parse_ok(f, "u,0912,gb", 9);
    assert_str(f->row.country, "GB");
}

static void test_field_caps(void **state)
{
    fixture *f = *state;
    char *line = tamis_malloc(4 * TAMIS_MAX_FIELD_BYTES);
    size_t n;
    assert_non_null(line);
    header_ok(f, "user,note");

    /* unquoted: exactly the cap, then one more byte */
    memcpy(line, "u,", 2);
    memset(line + 2, 'x', TAMIS_MAX_FIELD_BYTES + 1);
    parse_ok(f, line, 2 + TAMIS_MAX_FIELD_BYTES);
    assert_int_equal(f->row.attrs[0].value.len, TAMIS_MAX_FIELD_BYTES);
    parse_fails(f, line, 2 + TAMIS_MAX_FIELD_BYTES + 1, TAMIS_ELIMIT,
                "field 2 (note): longer than 1024 bytes (TAMIS_MAX_FIELD_BYTES)");

    /* quoted with escapes: the cap counts unescaped bytes (1024 quotes = 2048 raw) */
    n = 0;
    line[n++] = 'u';
    line[n++] = ',';
    line[n++] = '"';
    for (int i = 0; i < TAMIS_MAX_FIELD_BYTES; i++) {
        line[n++] = '"';
        line[n++] = '"';
    }
    line[n++] = '"';
    parse_ok(f, line, n);
    assert_int_equal(f->row.attrs[0].value.len, TAMIS_MAX_FIELD_BYTES);
    assert_int_equal(f->row.attrs[0].value.ptr[TAMIS_MAX_FIELD_BYTES - 1], '"');
    line[n - 1] = '"';
    line[n++] = '"';
    line[n++] = '"';
    parse_fails(f, line, n, TAMIS_ELIMIT, "longer than 1024 bytes");

    /* the user key has its own, smaller cap */
    memset(line, 'k', TAMIS_MAX_USER_KEY_BYTES + 1);
    memcpy(line + TAMIS_MAX_USER_KEY_BYTES + 1, ",n", 2);
    parse_fails(f, line, TAMIS_MAX_USER_KEY_BYTES + 3, TAMIS_ELIMIT,
                "longer than 256 bytes (TAMIS_MAX_USER_KEY_BYTES)");
    parse_ok(f, line + 1, TAMIS_MAX_USER_KEY_BYTES + 2);
    assert_int_equal(f->row.user.len, TAMIS_MAX_USER_KEY_BYTES);
    tamis_free(line);
}

/* Every column quoted with escapes: scratch must hold TAMIS_MAX_FIELDS full fields. */
static void test_scratch_holds_every_field(void **state)
{
    fixture *f = *state;
    size_t cap = (size_t)TAMIS_MAX_FIELDS * (2 * TAMIS_MAX_FIELD_BYTES + 3) + 64;
    char *line = tamis_malloc(cap);
    size_t n = 0;
    assert_non_null(line);

    n += (size_t)snprintf(line, cap, "user");
    for (int i = 1; i < TAMIS_MAX_FIELDS; i++)
        n += (size_t)snprintf(line + n, cap - n, ",c%d", i);
    header_ok(f, line);
    n = 0;
    for (int i = 0; i < TAMIS_MAX_FIELDS; i++) {
        size_t len = i == 0 ? TAMIS_MAX_USER_KEY_BYTES / 2 : TAMIS_MAX_FIELD_BYTES / 2;
        if (i)
            line[n++] = ',';
        line[n++] = '"';
        for (size_t k = 0; k < len; k++) {
            memcpy(line + n, "\"\"", 2);
            n += 2;
        }
        line[n++] = '"';
    }
    parse_ok(f, line, n);
    assert_int_equal(f->row.user.len, TAMIS_MAX_USER_KEY_BYTES / 2);
    assert_int_equal(f->row.n_attrs, TAMIS_MAX_FIELDS - 1);
    for (size_t i = 0; i < f->row.n_attrs; i++) {
        assert_int_equal(f->row.attrs[i].value.len, TAMIS_MAX_FIELD_BYTES / 2);
        assert_int_equal(f->row.attrs[i].value.ptr[0], '"');
    }
    tamis_free(line);
}

/* ------------------------------------------------------------------------------------
 * Header errors and parser state
 * ---------------------------------------------------------------------------------- */

static void test_header_errors(void **state)
{
    fixture *f = *state;
    char name[64];
    header_fails(f, "phone,country", TAMIS_EINPUT, "header has no \"user\" column");
    header_fails(f, "", TAMIS_EINPUT, "header column 1 is empty");
    header_fails(f, "user,,x", TAMIS_EINPUT, "header column 2 is empty");
    header_fails(f, "user,phone,", TAMIS_EINPUT, "header column 3 is empty");
    header_fails(f, "user, ,x", TAMIS_EINPUT, "header column 2 is empty");
    header_fails(f, "user,phone,Phone", TAMIS_EINPUT,
                 "header column 3 \"phone\" repeats column 2");
    header_fails(f, "user,Telegram_id,TELEGRAM_ID", TAMIS_EINPUT, "repeats column 2");
    header_fails(f, "user,tele gram_id", TAMIS_EINPUT,
                 "header column 2 \"tele gram_id\": platform name before _id must match "
                 "[a-z0-9_.-]{1,32}");
    header_fails(f, "user,\"a\"\"b_id\"", TAMIS_EINPUT, "platform name before _id");
    header_fails(f, "user,\"unterminated", TAMIS_EINPUT,
                 "field 2: unterminated quoted field");
    /* platform names: 32 bytes is the cap */
    memset(name, 'p', 32);
    memcpy(name + 32, "_id", 4);
    {
        char line[80];
        snprintf(line, sizeof line, "user,%s", name);
        header_ok(f, line);
        snprintf(line, sizeof line, "user,p%s", name);
        header_fails(f, line, TAMIS_EINPUT, "platform name before _id");
    }
}

static void test_header_column_cap(void **state)
{
    fixture *f = *state;
    char line[2048];
    size_t n = 0;
    n += (size_t)snprintf(line, sizeof line, "user");
    for (int i = 1; i < TAMIS_MAX_FIELDS; i++)
        n += (size_t)snprintf(line + n, sizeof line - n, ",c%d", i);
    header_ok(f, line);
    n += (size_t)snprintf(line + n, sizeof line - n, ",one_more");
    header_fails(f, line, TAMIS_ELIMIT, "more than 128 columns (TAMIS_MAX_FIELDS)");
}

static void test_parser_state(void **state)
{
    fixture *f = *state;
    /* no header yet */
    parse_fails(f, "u", 1, TAMIS_EINTERNAL, "without a valid header");
    header_ok(f, "user");
    PARSE(f, "u");
    /* a failed header leaves the parser unusable (no half-applied column map) */
    header_fails(f, "user,user", TAMIS_EINPUT, "repeats");
    parse_fails(f, "u", 1, TAMIS_EINTERNAL, "without a valid header");
    /* a new header replaces the old map entirely */
    header_ok(f, "name,user");
    PARSE(f, "Ann,u7");
    assert_str(f->row.user, "u7");
    assert_str(f->row.name, "Ann");
}

static void test_free_null(void **state)
{
    (void)state;
    tamis_contacts_parser_free(NULL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_full_row),
        T(test_absent_fields_and_only_user),
        T(test_header_case_and_spaces),
        T(test_quoting),
        T(test_crlf_inside_quotes_and_trailing_comma),
        T(test_tags),
        T(test_identity_and_attribute_order),
        T(test_record_errors),
        T(test_field_caps),
        T(test_scratch_holds_every_field),
        T(test_header_errors),
        T(test_header_column_cap),
        T(test_parser_state),
        cmocka_unit_test(test_free_null),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
