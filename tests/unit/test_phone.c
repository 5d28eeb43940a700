/* test_phone.c — unit tests of the libphonenumber shim (src/identity/phone.cc).
 *
 * Expected values are written out by hand (E.164, region, national number, validity,
 * type) for national and international forms from ten countries, then invalid numbers,
 * garbage, "+" overriding the default region, caps, and concurrent use. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "tamis/phone.h"

typedef struct phone_case {
    const char *text;
    const char *region; /* default region passed in */
    const char *e164;
    const char *region_out;
    const char *national;
    bool valid;
    tamis_phone_type type;
} phone_case;

static void check_cases(const phone_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const phone_case *c = &cases[i];
        tamis_phone ph;
        tamis_error err = {0};
        int rc = tamis_phone_parse(c->text, strlen(c->text), c->region, &ph, &err);
        if (rc != TAMIS_OK)
            print_error("case %zu \"%s\" (%s): %s\n", i, c->text, c->region, err.msg);
        assert_int_equal(rc, TAMIS_OK);
        assert_string_equal(ph.e164, c->e164);
        assert_string_equal(ph.region, c->region_out);
        assert_string_equal(ph.national, c->national);
        assert_int_equal(ph.valid, c->valid);
        if (ph.type != c->type)
            print_error("case %zu \"%s\": type %s, want %s\n", i, c->text,
                        tamis_phone_type_name(ph.type), tamis_phone_type_name(c->type));
        assert_int_equal(ph.type, c->type);
    }
}

#define CHECK(cases) check_cases(cases, sizeof cases / sizeof cases[0])

static void test_vietnam(void **state)
{
    static const phone_case cases[] = {
        {"0912 345 678", "VN", "+84912345678", "VN", "912345678", true, TAMIS_PHONE_MOBILE},
        {"0912345678", "vn", "+84912345678", "VN", "912345678", true, TAMIS_PHONE_MOBILE},
        {"+84 912 345 678", NULL, "+84912345678", "VN", "912345678", true, TAMIS_PHONE_MOBILE},
        {"+84 (0) 912 345 678", "", "+84912345678", "VN", "912345678", true,
         TAMIS_PHONE_MOBILE},
        {"tel:+84-912-345-678", NULL, "+84912345678", "VN", "912345678", true,
         TAMIS_PHONE_MOBILE},
        {"024 3825 1234", "VN", "+842438251234", "VN", "2438251234", true,
         TAMIS_PHONE_FIXED_LINE},
        {"+84 24 3825 1234", NULL, "+842438251234", "VN", "2438251234", true,
         TAMIS_PHONE_FIXED_LINE},
    };
    (void)state;
    CHECK(cases);
}

static void test_united_states(void **state)
{
    static const phone_case cases[] = {
        {"(201) 555-0123", "US", "+12015550123", "US", "2015550123", true,
         TAMIS_PHONE_FIXED_LINE_OR_MOBILE},
        {"+1 201-555-0123", NULL, "+12015550123", "US", "2015550123", true,
         TAMIS_PHONE_FIXED_LINE_OR_MOBILE},
        {"1-800-555-0199", "US", "+18005550199", "US", "8005550199", true,
         TAMIS_PHONE_TOLL_FREE},
        {"+1 800 555 0199", "VN", "+18005550199", "US", "8005550199", true,
         TAMIS_PHONE_TOLL_FREE},
    };
    (void)state;
    CHECK(cases);
}

static void test_great_britain_and_germany(void **state)
{
    static const phone_case cases[] = {
        {"020 7946 0958", "GB", "+442079460958", "GB", "2079460958", true,
         TAMIS_PHONE_FIXED_LINE},
        {"07400 123456", "GB", "+447400123456", "GB", "7400123456", true, TAMIS_PHONE_MOBILE},
        {"0800 123 4567", "GB", "+448001234567", "GB", "8001234567", true,
         TAMIS_PHONE_TOLL_FREE},
        {"030 1234567", "DE", "+49301234567", "DE", "301234567", true, TAMIS_PHONE_FIXED_LINE},
        {"01512 3456789", "DE", "+4915123456789", "DE", "15123456789", true,
         TAMIS_PHONE_MOBILE},
        {"+49 1512 3456789", NULL, "+4915123456789", "DE", "15123456789", true,
         TAMIS_PHONE_MOBILE},
        {"0800 1234567", "DE", "+498001234567", "DE", "8001234567", true,
         TAMIS_PHONE_TOLL_FREE},
        /* German plan allows 15 national digits: "valid" with 17 digits in all, more than
         * E.164's 15 (found by fuzz_contacts; validity is libphonenumber's word) */
        {"030 1234567456789", "DE", "+49301234567456789", "DE", "301234567456789", true,
         TAMIS_PHONE_FIXED_LINE},
    };
    (void)state;
    CHECK(cases);
}

static void test_india_and_indonesia(void **state)
{
    static const phone_case cases[] = {
        {"09876543210", "IN", "+919876543210", "IN", "9876543210", true, TAMIS_PHONE_MOBILE},
        {"+91 98765 43210", NULL, "+919876543210", "IN", "9876543210", true,
         TAMIS_PHONE_MOBILE},
        {"011 2345 6789", "IN", "+911123456789", "IN", "1123456789", true,
         TAMIS_PHONE_FIXED_LINE},
        {"1800 123 4567", "IN", "+9118001234567", "IN", "18001234567", true,
         TAMIS_PHONE_TOLL_FREE},
        {"0812-3456-7890", "ID", "+6281234567890", "ID", "81234567890", true,
         TAMIS_PHONE_MOBILE},
        {"+62 812 3456 7890", NULL, "+6281234567890", "ID", "81234567890", true,
         TAMIS_PHONE_MOBILE},
        {"(021) 2345 6789", "ID", "+622123456789", "ID", "2123456789", true,
         TAMIS_PHONE_FIXED_LINE},
    };
    (void)state;
    CHECK(cases);
}

static void test_japan_and_thailand(void **state)
{
    static const phone_case cases[] = {
        {"090-1234-5678", "JP", "+819012345678", "JP", "9012345678", true, TAMIS_PHONE_MOBILE},
        {"03-1234-5678", "JP", "+81312345678", "JP", "312345678", true, TAMIS_PHONE_FIXED_LINE},
        {"0120-123-456", "JP", "+81120123456", "JP", "120123456", true, TAMIS_PHONE_TOLL_FREE},
        {"081 234 5678", "TH", "+66812345678", "TH", "812345678", true, TAMIS_PHONE_MOBILE},
        {"+66 81 234 5678", NULL, "+66812345678", "TH", "812345678", true, TAMIS_PHONE_MOBILE},
        {"02 123 4567", "TH", "+6621234567", "TH", "21234567", true, TAMIS_PHONE_FIXED_LINE},
        {"1800 123 456", "TH", "+661800123456", "TH", "1800123456", true,
         TAMIS_PHONE_TOLL_FREE},
    };
    (void)state;
    CHECK(cases);
}

static void test_brazil_and_russia(void **state)
{
    static const phone_case cases[] = {
        {"(11) 98765-4321", "BR", "+5511987654321", "BR", "11987654321", true,
         TAMIS_PHONE_MOBILE},
        {"+55 11 98765-4321", NULL, "+5511987654321", "BR", "11987654321", true,
         TAMIS_PHONE_MOBILE},
        {"(11) 3456-7890", "BR", "+551134567890", "BR", "1134567890", true,
         TAMIS_PHONE_FIXED_LINE},
        {"0800 123 4567", "BR", "+558001234567", "BR", "8001234567", true,
         TAMIS_PHONE_TOLL_FREE},
        {"8 (912) 345-67-89", "RU", "+79123456789", "RU", "9123456789", true,
         TAMIS_PHONE_MOBILE},
        {"+7 912 345-67-89", NULL, "+79123456789", "RU", "9123456789", true,
         TAMIS_PHONE_MOBILE},
        {"+7 495 123-45-67", NULL, "+74951234567", "RU", "4951234567", true,
         TAMIS_PHONE_FIXED_LINE},
        {"8 800 555-35-35", "RU", "+78005553535", "RU", "8005553535", true,
         TAMIS_PHONE_TOLL_FREE},
    };
    (void)state;
    CHECK(cases);
}

/* A "+" (or the default region's international prefix) wins over the default region. */
static void test_plus_overrides_default_region(void **state)
{
    static const phone_case cases[] = {
        {"+44 20 7946 0958", "VN", "+442079460958", "GB", "2079460958", true,
         TAMIS_PHONE_FIXED_LINE},
        {"00 44 20 7946 0958", "VN", "+442079460958", "GB", "2079460958", true,
         TAMIS_PHONE_FIXED_LINE},
        {"+44 7400 123456", "DE", "+447400123456", "GB", "7400123456", true,
         TAMIS_PHONE_MOBILE},
        {"+84 912 345 678", "US", "+84912345678", "VN", "912345678", true, TAMIS_PHONE_MOBILE},
        /* the same digits without "+" are a NANP number (area code 849 is the Dominican
         * Republic's), and not a valid one */
        {"84 912 345 678", "US", "+184912345678", "DO", "84912345678", false,
         TAMIS_PHONE_UNKNOWN},
    };
    (void)state;
    CHECK(cases);
}

/* Numbers that parse but are not valid in their plan: rc OK, valid false. */
static void test_parses_but_invalid(void **state)
{
    static const phone_case cases[] = {
        {"+84 12", NULL, "+8412", "VN", "12", false, TAMIS_PHONE_UNKNOWN},
        {"0123", "VN", "+840123", "VN", "0123", false, TAMIS_PHONE_UNKNOWN},
        {"(555) 0199", "US", "+15550199", "", "5550199", false, TAMIS_PHONE_UNKNOWN},
        /* 18 digits: longer than E.164 allows, but it still fits tamis_phone.e164 */
        {"+380 123456789012345", NULL, "+380123456789012345", "UA", "123456789012345",
         false, TAMIS_PHONE_UNKNOWN},
        /* non-geographic: valid, but no region */
        {"+800 1234 5678", NULL, "+80012345678", "", "12345678", true, TAMIS_PHONE_TOLL_FREE},
        /* extensions are not part of E.164 */
        {"+84 912 345 678 ext. 12", NULL, "+84912345678", "VN", "912345678", true,
         TAMIS_PHONE_MOBILE},
    };
    (void)state;
    CHECK(cases);
}

static void expect_einput(const char *text, size_t len, const char *region, const char *frag)
{
    tamis_phone ph;
    tamis_error err = {0};
    int rc = tamis_phone_parse(text, len, region, &ph, &err);
    assert_int_equal(rc, TAMIS_EINPUT);
    assert_int_equal(err.code, TAMIS_EINPUT);
    if (!strstr(err.msg, frag))
        print_error("message \"%s\" lacks \"%s\"\n", err.msg, frag);
    assert_non_null(strstr(err.msg, frag));
    assert_string_equal(ph.e164, "");
}

static void test_not_a_number(void **state)
{
    (void)state;
    expect_einput("hello", 5, "VN", "phone \"hello\": not a phone number (NOT_A_NUMBER)");
    expect_einput("", 0, "VN", "NOT_A_NUMBER");
    expect_einput("1", 1, "VN", "NOT_A_NUMBER");
    expect_einput("++", 2, NULL, "NOT_A_NUMBER");
    expect_einput("\xff\xfe\x80", 3, "VN", "NOT_A_NUMBER");
    /* no "+" and no usable region */
    expect_einput("0912345678", 10, NULL, "INVALID_COUNTRY_CODE");
    expect_einput("0912345678", 10, "", "INVALID_COUNTRY_CODE");
    expect_einput("0912345678", 10, "ZZ", "INVALID_COUNTRY_CODE");
    expect_einput("0912345678", 10, "VNM", "INVALID_COUNTRY_CODE");
    expect_einput("+99912345", 9, NULL, "INVALID_COUNTRY_CODE");
    expect_einput("123456789012345678901234", 24, "DE", "TOO_LONG_NSN");
    /* parses, but 19 and 20 digits do not fit tamis_phone.e164 */
    expect_einput("+380 1234567890123456", 21, NULL, "longer than E.164 allows");
    expect_einput("+380 12345678901234567", 22, NULL, "longer than E.164 allows");
}

static void test_caps_and_bytes(void **state)
{
    char big[300];
    tamis_phone ph;
    tamis_error err = {0};
    (void)state;

    memset(big, '1', sizeof big);
    expect_einput(big, 251, "VN", "longer than 250 bytes");
    /* exactly the cap is handed to libphonenumber (and is too long for it) */
    assert_int_equal(tamis_phone_parse(big, 250, "VN", &ph, &err), TAMIS_EINPUT);
    /* text is length-delimited: bytes after len are never read */
    assert_int_equal(tamis_phone_parse("0912345678XYZ", 10, "VN", &ph, &err), TAMIS_OK);
    assert_string_equal(ph.e164, "+84912345678");
    /* an embedded NUL is just a byte */
    expect_einput("09\0" "12345678", 11, "VN", "phone");
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(tamis_phone_type_name(TAMIS_PHONE_UNKNOWN), "unknown");
    assert_string_equal(tamis_phone_type_name(TAMIS_PHONE_FIXED_LINE), "fixed_line");
    assert_string_equal(tamis_phone_type_name(TAMIS_PHONE_MOBILE), "mobile");
    assert_string_equal(tamis_phone_type_name(TAMIS_PHONE_FIXED_LINE_OR_MOBILE),
                        "fixed_line_or_mobile");
    assert_string_equal(tamis_phone_type_name(TAMIS_PHONE_TOLL_FREE), "toll_free");
    assert_string_equal(tamis_phone_type_name(TAMIS_PHONE_PREMIUM_RATE), "premium_rate");
    assert_string_equal(tamis_phone_type_name(TAMIS_PHONE_SHARED_COST), "shared_cost");
    assert_string_equal(tamis_phone_type_name(TAMIS_PHONE_VOIP), "voip");
    assert_string_equal(tamis_phone_type_name(TAMIS_PHONE_PERSONAL_NUMBER), "personal_number");
    assert_string_equal(tamis_phone_type_name(TAMIS_PHONE_PAGER), "pager");
    assert_string_equal(tamis_phone_type_name(TAMIS_PHONE_UAN), "uan");
    assert_string_equal(tamis_phone_type_name(TAMIS_PHONE_VOICEMAIL), "voicemail");
    assert_string_equal(tamis_phone_type_name(TAMIS_PHONE_TYPE__COUNT), "unknown");
    assert_string_equal(tamis_phone_type_name((tamis_phone_type)-1), "unknown");
}

/* ------------------------------------------------------------------------------------
 * Thread safety: the contract says tamis_phone_parse may be called concurrently,
 * including the very first call (which replaces libphonenumber's logger).
 * ---------------------------------------------------------------------------------- */

#define PHONE_THREADS 4
#define PHONE_THREAD_ITERS 300

static void *parse_many(void *arg)
{
    intptr_t failures = 0;
    (void)arg;
    for (int i = 0; i < PHONE_THREAD_ITERS; i++) {
        tamis_phone ph;
        tamis_error err;
        if (tamis_phone_parse("0912 345 678", 12, "VN", &ph, &err) != TAMIS_OK ||
            strcmp(ph.e164, "+84912345678") != 0 || ph.type != TAMIS_PHONE_MOBILE)
            failures++;
        if (tamis_phone_parse("garbage", 7, "VN", &ph, &err) != TAMIS_EINPUT)
            failures++;
    }
    return (void *)failures;
}

static void test_concurrent_parse(void **state)
{
    pthread_t th[PHONE_THREADS];
    (void)state;
    for (int i = 0; i < PHONE_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, parse_many, NULL), 0);
    for (int i = 0; i < PHONE_THREADS; i++) {
        void *failures;
        assert_int_equal(pthread_join(th[i], &failures), 0);
        assert_int_equal((intptr_t)failures, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* first, so that the first-ever call happens from several threads at once */
        cmocka_unit_test(test_concurrent_parse),
        cmocka_unit_test(test_vietnam),
        cmocka_unit_test(test_united_states),
        cmocka_unit_test(test_great_britain_and_germany),
        cmocka_unit_test(test_india_and_indonesia),
        cmocka_unit_test(test_japan_and_thailand),
        cmocka_unit_test(test_brazil_and_russia),
        cmocka_unit_test(test_plus_overrides_default_region),
        cmocka_unit_test(test_parses_but_invalid),
        cmocka_unit_test(test_not_a_number),
        cmocka_unit_test(test_caps_and_bytes),
        cmocka_unit_test(test_type_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
