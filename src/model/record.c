/* record.c — encoding of the stored score record (see include/tamis/record.h).
 *
 * Layout, version 1 (varints are LEB128, svarints zigzag; null integers are stored as
 * their TAMIS_NULL_* value):
 *   u8 version
 *   result:   u8 score, tier, trend, sub[7]; str best_channel; u8 channel_source,
 *             best_hour, hour_source; varint cadence_days; u8 n_reasons
 *             { u8 code, u8 platform, svarint a, svarint b }
 *   features: svarint as_of_ms, window_end_ms, day, tz_offset; u8 zone_source;
 *             varint active_days_7/30/90, streak, longest_streak_30;
 *             svarint last_seen_ms, days_since_seen; varint kind_30[17],
 *             activity_30, deep_actions_30; u8 flags (avatar, nickname, status,
 *             phone_usable, machine_regular, blocked_any, opted_out_any);
 *             varint profile_updates_90; svarint days_since_profile_update;
 *             varint hour_hist_30[24], max_consecutive_failures, n_usable_platforms,
 *             n_channel_platforms,
 *             device_accounts, device_burst; f64 timing_cv; svarint days_since_purchase;
 *             varint purchases_90; svarint purchase_value_90_micros; u8 n_platforms
 *             { u8 platform, u8 flags (identity, opted_in, opted_out, blocked, usable),
 *               varint activity_30, outbound_sent_30, delivered_30, read_30, reply_30,
 *               click_30; svarint days_since_seen; varint consecutive_failures;
 *               str last_failure_reason } */
#include "tamis/record.h"

#include <string.h>

#include "util/bytes.h"

void tamis_record_encode(const tamis_result *r, const tamis_features *f, uint8_t **buf, size_t *cap, size_t *len)
{
    tamis_wbuf w = {*buf, 0, *cap};
    uint8_t flags;

    tamis_put_u8(&w, TAMIS_RECORD_VERSION);
    tamis_put_u8(&w, r->score);
    tamis_put_u8(&w, r->tier);
    tamis_put_u8(&w, r->trend);
    tamis_put_bytes(&w, r->sub, TAMIS_SUB__COUNT);
    tamis_put_str(&w, r->best_channel, strlen(r->best_channel));
    tamis_put_u8(&w, r->channel_source);
    tamis_put_u8(&w, r->best_hour);
    tamis_put_u8(&w, r->hour_source);
    tamis_put_varint(&w, r->cadence_days);
    tamis_put_u8(&w, r->n_reasons);
    for (uint8_t i = 0; i < r->n_reasons; i++) {
        tamis_put_u8(&w, r->reasons[i].code);
        tamis_put_u8(&w, r->reasons[i].platform);
        tamis_put_svarint(&w, r->reasons[i].a);
        tamis_put_svarint(&w, r->reasons[i].b);
    }
    tamis_put_svarint(&w, f->as_of_ms);
    tamis_put_svarint(&w, f->window_end_ms);
    tamis_put_svarint(&w, f->day);
    tamis_put_svarint(&w, f->tz_offset_minutes);
    tamis_put_u8(&w, f->zone_source);
    tamis_put_varint(&w, f->active_days_7);
    tamis_put_varint(&w, f->active_days_30);
    tamis_put_varint(&w, f->active_days_90);
    tamis_put_varint(&w, f->streak);
    tamis_put_varint(&w, f->longest_streak_30);
    tamis_put_svarint(&w, f->last_seen_ms);
    tamis_put_svarint(&w, f->days_since_seen);
    for (int k = 0; k < TAMIS_KIND__COUNT; k++)
        tamis_put_varint(&w, f->kind_30[k]);
    tamis_put_varint(&w, f->activity_30);
    tamis_put_varint(&w, f->deep_actions_30);
    flags = (uint8_t)(f->has_avatar | f->has_nickname << 1 | f->has_status << 2 | f->phone_usable << 3 |
                      f->machine_regular << 4 | f->blocked_any << 5 | f->opted_out_any << 6);
    tamis_put_u8(&w, flags);
    tamis_put_varint(&w, f->profile_updates_90);
    tamis_put_svarint(&w, f->days_since_profile_update);
    for (int h = 0; h < 24; h++)
        tamis_put_varint(&w, f->hour_hist_30[h]);
    tamis_put_varint(&w, f->max_consecutive_failures);
    tamis_put_varint(&w, f->n_usable_platforms);
    tamis_put_varint(&w, f->n_channel_platforms);
    tamis_put_varint(&w, f->device_accounts);
    tamis_put_varint(&w, f->device_burst);
    tamis_put_f64(&w, f->timing_cv);
    tamis_put_svarint(&w, f->days_since_purchase);
    tamis_put_varint(&w, f->purchases_90);
    tamis_put_svarint(&w, f->purchase_value_90_micros);
    tamis_put_u8(&w, f->n_platforms);
    for (uint8_t i = 0; i < f->n_platforms; i++) {
        const tamis_platform_features *p = &f->platforms[i];
        tamis_put_u8(&w, p->platform);
        tamis_put_u8(
            &w, (uint8_t)(p->has_identity | p->opted_in << 1 | p->opted_out << 2 | p->blocked << 3 | p->usable << 4));
        tamis_put_varint(&w, p->activity_30);
        tamis_put_varint(&w, p->outbound_sent_30);
        tamis_put_varint(&w, p->delivered_30);
        tamis_put_varint(&w, p->read_30);
        tamis_put_varint(&w, p->reply_30);
        tamis_put_varint(&w, p->click_30);
        tamis_put_svarint(&w, p->days_since_seen);
        tamis_put_varint(&w, p->consecutive_failures);
        tamis_put_str(&w, p->last_failure_reason, strlen(p->last_failure_reason));
    }
    *buf = w.buf;
    *cap = w.cap;
    *len = w.len;
}

/* Copies a stored string into a fixed buffer; false if it does not fit. */
static bool get_fixed_str(tamis_rbuf *rb, char *out, size_t cap)
{
    size_t n = 0;
    const char *s = tamis_get_str(rb, &n, cap - 1);
    if (!rb->ok || !s)
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

int tamis_record_decode(const void *buf, size_t len, tamis_result *r, tamis_features *f, tamis_error *err)
{
    tamis_rbuf rb = tamis_rbuf_make(buf, len);
    tamis_features scratch;
    uint8_t flags;

    memset(r, 0, sizeof *r);
    if (!f)
        f = &scratch;
    memset(f, 0, sizeof *f);
    if (tamis_get_u8(&rb) != TAMIS_RECORD_VERSION)
        return tamis_error_set(err, TAMIS_ECORRUPT, "score record: unknown version");
    r->score = tamis_get_u8(&rb);
    r->tier = tamis_get_u8(&rb);
    r->trend = tamis_get_u8(&rb);
    for (int i = 0; i < TAMIS_SUB__COUNT; i++)
        r->sub[i] = tamis_get_u8(&rb);
    if (!get_fixed_str(&rb, r->best_channel, sizeof r->best_channel))
        return tamis_error_set(err, TAMIS_ECORRUPT, "score record: bad channel");
    r->channel_source = tamis_get_u8(&rb);
    r->best_hour = tamis_get_u8(&rb);
    r->hour_source = tamis_get_u8(&rb);
    r->cadence_days = (uint16_t)tamis_get_varint(&rb);
    r->n_reasons = tamis_get_u8(&rb);
    if (r->n_reasons > TAMIS_MAX_REASONS || r->tier >= TAMIS_TIER__COUNT || r->trend >= TAMIS_TREND__COUNT ||
        r->best_hour > 23)
        return tamis_error_set(err, TAMIS_ECORRUPT, "score record: value out of range");
    for (uint8_t i = 0; i < r->n_reasons; i++) {
        r->reasons[i].code = tamis_get_u8(&rb);
        r->reasons[i].platform = tamis_get_u8(&rb);
        r->reasons[i].a = (int32_t)tamis_get_svarint(&rb);
        r->reasons[i].b = (int32_t)tamis_get_svarint(&rb);
    }
    f->as_of_ms = tamis_get_svarint(&rb);
    f->window_end_ms = tamis_get_svarint(&rb);
    f->day = (int32_t)tamis_get_svarint(&rb);
    f->tz_offset_minutes = (int16_t)tamis_get_svarint(&rb);
    f->zone_source = tamis_get_u8(&rb);
    f->active_days_7 = (uint16_t)tamis_get_varint(&rb);
    f->active_days_30 = (uint16_t)tamis_get_varint(&rb);
    f->active_days_90 = (uint16_t)tamis_get_varint(&rb);
    f->streak = (uint16_t)tamis_get_varint(&rb);
    f->longest_streak_30 = (uint16_t)tamis_get_varint(&rb);
    f->last_seen_ms = tamis_get_svarint(&rb);
    f->days_since_seen = (int32_t)tamis_get_svarint(&rb);
    for (int k = 0; k < TAMIS_KIND__COUNT; k++)
        f->kind_30[k] = (uint32_t)tamis_get_varint(&rb);
    f->activity_30 = (uint32_t)tamis_get_varint(&rb);
    f->deep_actions_30 = (uint32_t)tamis_get_varint(&rb);
    flags = tamis_get_u8(&rb);
    f->has_avatar = flags & 1;
    f->has_nickname = flags >> 1 & 1;
    f->has_status = flags >> 2 & 1;
    f->phone_usable = flags >> 3 & 1;
    f->machine_regular = flags >> 4 & 1;
    f->blocked_any = flags >> 5 & 1;
    f->opted_out_any = flags >> 6 & 1;
    f->profile_updates_90 = (uint32_t)tamis_get_varint(&rb);
    f->days_since_profile_update = (int32_t)tamis_get_svarint(&rb);
    for (int h = 0; h < 24; h++)
        f->hour_hist_30[h] = (uint32_t)tamis_get_varint(&rb);
    f->max_consecutive_failures = (uint32_t)tamis_get_varint(&rb);
    f->n_usable_platforms = (uint8_t)tamis_get_varint(&rb);
    f->n_channel_platforms = (uint8_t)tamis_get_varint(&rb);
    f->device_accounts = (uint32_t)tamis_get_varint(&rb);
    f->device_burst = (uint32_t)tamis_get_varint(&rb);
    f->timing_cv = tamis_get_f64(&rb);
    f->days_since_purchase = (int32_t)tamis_get_svarint(&rb);
    f->purchases_90 = (uint32_t)tamis_get_varint(&rb);
    f->purchase_value_90_micros = tamis_get_svarint(&rb);
    f->n_platforms = tamis_get_u8(&rb);
    if (f->n_platforms > TAMIS_FEATURE_PLATFORMS)
        return tamis_error_set(err, TAMIS_ECORRUPT, "score record: %u platforms", f->n_platforms);
    for (uint8_t i = 0; i < f->n_platforms; i++) {
        tamis_platform_features *p = &f->platforms[i];
        p->platform = tamis_get_u8(&rb);
        flags = tamis_get_u8(&rb);
        p->has_identity = flags & 1;
        p->opted_in = flags >> 1 & 1;
        p->opted_out = flags >> 2 & 1;
        p->blocked = flags >> 3 & 1;
        p->usable = flags >> 4 & 1;
        p->activity_30 = (uint32_t)tamis_get_varint(&rb);
        p->outbound_sent_30 = (uint32_t)tamis_get_varint(&rb);
        p->delivered_30 = (uint32_t)tamis_get_varint(&rb);
        p->read_30 = (uint32_t)tamis_get_varint(&rb);
        p->reply_30 = (uint32_t)tamis_get_varint(&rb);
        p->click_30 = (uint32_t)tamis_get_varint(&rb);
        p->days_since_seen = (int32_t)tamis_get_svarint(&rb);
        p->consecutive_failures = (uint32_t)tamis_get_varint(&rb);
        if (!get_fixed_str(&rb, p->last_failure_reason, sizeof p->last_failure_reason))
            return tamis_error_set(err, TAMIS_ECORRUPT, "score record: bad failure reason");
    }
    if (!rb.ok || rb.p != rb.end)
        return tamis_error_set(err, TAMIS_ECORRUPT, "score record: %s", rb.ok ? "trailing bytes" : "truncated");
    tamis_features_derive(f);
    return TAMIS_OK;
}
