/* phone.cc — the extern "C" shim over libphonenumber (see include/tamis/phone.h).
 *
 * The only C++ in tamis. The contacts importer hands us the operator's free-text phone
 * field and a region (the contact's country or --default-country); we hand back E.164,
 * validity, number type, region and national significant number in plain C structs.
 * Nothing C++ crosses the boundary: every entry point catches all exceptions, and no
 * C++ type appears in phone.h. PhoneNumberUtil is libphonenumber's own process-wide,
 * thread-safe singleton; we keep no state of our own. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <exception>
#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

extern "C" {
#include "tamis/phone.h"
}

using i18n::phonenumbers::NullLogger;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace {

/* libphonenumber itself refuses longer inputs (kMaxInputStringLength); checking first
 * keeps us from copying arbitrarily large text into a std::string. */
constexpr size_t kMaxPhoneTextBytes = 250;

/* Shown in error messages: enough of the input to find it, never the whole field. */
constexpr int kQuoteBytes = 40;

/* Names indexed by tamis_phone_type: the one table for tamis_phone_type_name(). */
const char *const kTypeNames[TAMIS_PHONE_TYPE__COUNT] = {
    "unknown",         /* TAMIS_PHONE_UNKNOWN */
    "fixed_line",      /* TAMIS_PHONE_FIXED_LINE */
    "mobile",          /* TAMIS_PHONE_MOBILE */
    "fixed_line_or_mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",       /* TAMIS_PHONE_VOICEMAIL */
};
static_assert(TAMIS_PHONE_VOICEMAIL == 11 && TAMIS_PHONE_TYPE__COUNT == 12,
              "kTypeNames must follow tamis_phone_type");

/* The singleton, with its logger replaced once by a NullLogger. libphonenumber 8.12
 * logs nothing by default, but other builds install a stdout/stderr logger and would
 * then print on every parse failure; SetLogger takes ownership of the pointer. The
 * function-local static makes this happen exactly once, thread-safely (C++11). */
const PhoneNumberUtil &phone_util()
{
    static PhoneNumberUtil *const util = [] {
        PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
        u->SetLogger(new NullLogger());
        return u;
    }();
    return *util;
}

tamis_phone_type map_type(PhoneNumberUtil::PhoneNumberType t)
{
    switch (t) {
    case PhoneNumberUtil::FIXED_LINE: return TAMIS_PHONE_FIXED_LINE;
    case PhoneNumberUtil::MOBILE: return TAMIS_PHONE_MOBILE;
    case PhoneNumberUtil::FIXED_LINE_OR_MOBILE: return TAMIS_PHONE_FIXED_LINE_OR_MOBILE;
    case PhoneNumberUtil::TOLL_FREE: return TAMIS_PHONE_TOLL_FREE;
    case PhoneNumberUtil::PREMIUM_RATE: return TAMIS_PHONE_PREMIUM_RATE;
    case PhoneNumberUtil::SHARED_COST: return TAMIS_PHONE_SHARED_COST;
    case PhoneNumberUtil::VOIP: return TAMIS_PHONE_VOIP;
    case PhoneNumberUtil::PERSONAL_NUMBER: return TAMIS_PHONE_PERSONAL_NUMBER;
    case PhoneNumberUtil::PAGER: return TAMIS_PHONE_PAGER;
    case PhoneNumberUtil::UAN: return TAMIS_PHONE_UAN;
    case PhoneNumberUtil::VOICEMAIL: return TAMIS_PHONE_VOICEMAIL;
    case PhoneNumberUtil::UNKNOWN: break;
    }
    return TAMIS_PHONE_UNKNOWN;
}

const char *parse_error_name(PhoneNumberUtil::ErrorType e)
{
    switch (e) {
    case PhoneNumberUtil::NO_PARSING_ERROR: return "NO_PARSING_ERROR";
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
        return "INVALID_COUNTRY_CODE: no '+' country code and no usable region";
    case PhoneNumberUtil::NOT_A_NUMBER: return "NOT_A_NUMBER";
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD: return "TOO_SHORT_AFTER_IDD";
    case PhoneNumberUtil::TOO_SHORT_NSN: return "TOO_SHORT_NSN";
    case PhoneNumberUtil::TOO_LONG_NSN: return "TOO_LONG_NSN";
    }
    return "unknown parse error";
}

bool is_ascii_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

char ascii_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

/* libphonenumber wants an upper-case ISO 3166-1 alpha-2 code; "ZZ" means "unknown", so
 * a number then parses only if it carries its own "+" country code. */
std::string region_for(const char *default_region)
{
    if (default_region && is_ascii_alpha(default_region[0]) &&
        is_ascii_alpha(default_region[1]) && default_region[2] == '\0') {
        return std::string{ascii_upper(default_region[0]), ascii_upper(default_region[1])};
    }
    return "ZZ";
}

/* Copies s into dst (cap bytes with the NUL); false when it does not fit. */
bool copy_out(char *dst, size_t cap, const std::string &s)
{
    if (s.size() >= cap)
        return false;
    s.copy(dst, s.size());
    dst[s.size()] = '\0';
    return true;
}

int parse_impl(const char *text, size_t len, const char *default_region, tamis_phone *out,
               tamis_error *err)
{
    const PhoneNumberUtil &util = phone_util();
    const int quote = len < static_cast<size_t>(kQuoteBytes) ? static_cast<int>(len) : kQuoteBytes;
    PhoneNumber number;
    std::string e164, region, national;

    if (len > kMaxPhoneTextBytes)
        return tamis_error_set(err, TAMIS_EINPUT, "phone \"%.*s...\": longer than %zu bytes",
                               quote, text, kMaxPhoneTextBytes);
    const std::string input(text, len);
    const PhoneNumberUtil::ErrorType pe = util.Parse(input, region_for(default_region), &number);
    if (pe != PhoneNumberUtil::NO_PARSING_ERROR)
        return tamis_error_set(err, TAMIS_EINPUT, "phone \"%.*s\": not a phone number (%s)",
                               quote, text, parse_error_name(pe));

    util.Format(number, PhoneNumberUtil::E164, &e164);
    util.GetRegionCodeForNumber(number, &region);
    util.GetNationalSignificantNumber(number, &national);
    /* E.164 allows 15 digits; libphonenumber parses up to 17 national digits, so an
     * (always invalid) over-long number may not fit: it is not a phone number. */
    if (!copy_out(out->e164, sizeof out->e164, e164) ||
        !copy_out(out->national, sizeof out->national, national))
        return tamis_error_set(err, TAMIS_EINPUT,
                               "phone \"%.*s\": not a phone number (longer than E.164 allows)",
                               quote, text);
    /* "ZZ" (unknown) and "001" (non-geographic, e.g. +800) have no region. */
    if (region.size() == 2 && region != "ZZ")
        copy_out(out->region, sizeof out->region, region);
    else
        out->region[0] = '\0';
    /* IsValidNumber(n) is IsValidNumberForRegion(n, GetRegionCodeForNumber(n)), which is
     * "the region's metadata exists and the number matches one of its types" — the same
     * test GetNumberType makes: valid exactly when the type is known. Asking once halves
     * the regular-expression work, which is most of a contacts import. */
    const PhoneNumberUtil::PhoneNumberType type = util.GetNumberType(number);
    out->type = map_type(type);
    out->valid = type != PhoneNumberUtil::UNKNOWN;
    return TAMIS_OK;
}

} // namespace

extern "C" int tamis_phone_parse(const char *text, size_t len, const char *default_region,
                                 tamis_phone *out, tamis_error *err)
{
    *out = tamis_phone{};
    try {
        return parse_impl(text, len, default_region, out, err);
    } catch (const std::exception &e) {
        *out = tamis_phone{};
        return tamis_error_set(err, TAMIS_EINTERNAL, "phone parser failed: %s", e.what());
    } catch (...) {
        *out = tamis_phone{};
        return tamis_error_set(err, TAMIS_EINTERNAL, "phone parser failed");
    }
}

extern "C" const char *tamis_phone_type_name(tamis_phone_type t)
{
    if (static_cast<int>(t) < 0 || t >= TAMIS_PHONE_TYPE__COUNT)
        return "unknown";
    return kTypeNames[t];
}
