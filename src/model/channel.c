/* channel.c — best channel and best send hour of one user (see include/tamis/score.h,
 * docs/MODEL.md "Channel, hour and cadence").
 *
 * The channel is the usable platform with the best evidence of reach; without any
 * evidence, a platform the user is on (the country's preference order decides); for a
 * user on no platform but with a usable mobile number, the country's first preferred
 * channel. The hour is the user's local peak hour once there is enough activity to
 * know it, else the country's typical hour, else the configured default. */
#include "tamis/score.h"

#include <stdio.h>
#include <string.h>

#define MIN_ACTIVITY_FOR_PEAK 3

static const tamis_country_rules *country_of(const tamis_contact *c, const tamis_model_config *cfg)
{
    return c && c->country[0] ? tamis_model_config_country(cfg, c->country) : NULL;
}

/* Position of name in the country's preference list (or the default list); a large
 * number when absent. */
static size_t preference(const tamis_country_rules *cr, const tamis_model_config *cfg, const char *name)
{
    size_t n = cr && cr->n_channels ? cr->n_channels : cfg->n_default_channels;
    for (size_t i = 0; i < n; i++) {
        const char *ch = cr && cr->n_channels ? cr->channels[i] : cfg->default_channels[i];
        if (strcmp(ch, name) == 0)
            return i;
    }
    return 1000;
}

/* Evidence of reach on one platform, 0..1; negative when there is none at all. */
static double evidence(const tamis_platform_features *p)
{
    double delivery, reply, recency;
    if (p->outbound_sent_30 == 0 && p->activity_30 == 0 && p->days_since_seen == TAMIS_NULL_I32)
        return -1.0;
    delivery = p->outbound_sent_30 ? (p->delivery_rate_30 > 1 ? 1 : p->delivery_rate_30) : 0.5;
    reply = p->outbound_sent_30 ? (p->reply_rate_30 > 1 ? 1 : p->reply_rate_30) : 0.0;
    recency = p->days_since_seen == TAMIS_NULL_I32 ? 0.0
              : p->days_since_seen >= 30           ? 0.0
                                                   : 1.0 - p->days_since_seen / 30.0;
    return 0.4 * delivery + 0.4 * reply + 0.2 * recency;
}

void tamis_score_channel(const tamis_features *f, const tamis_contact *c, const tamis_model_config *cfg,
                         const tamis_platform_names *names, tamis_result *r)
{
    const tamis_country_rules *cr = country_of(c, cfg);
    int best = -1;
    double best_e = -2;
    size_t best_pref = 0;
    const char *best_name = "";

    r->best_channel[0] = '\0';
    r->channel_source = TAMIS_CHANNEL_NONE;
    for (uint8_t i = 0; i < f->n_platforms; i++) {
        const tamis_platform_features *p = &f->platforms[i];
        const char *name = names && names->name[p->platform] ? names->name[p->platform] : "";
        double e;
        size_t pref;
        if (!p->usable || !name[0])
            continue;
        e = evidence(p);
        pref = preference(cr, cfg, name);
        if (best < 0 || e > best_e ||
            (e == best_e && (pref < best_pref || (pref == best_pref && strcmp(name, best_name) < 0)))) {
            best = i;
            best_e = e;
            best_pref = pref;
            best_name = name;
        }
    }
    if (best >= 0) {
        snprintf(r->best_channel, sizeof r->best_channel, "%s", best_name);
        r->channel_source = best_e >= 0 ? TAMIS_CHANNEL_EVIDENCE : TAMIS_CHANNEL_IDENTITY;
    } else if (f->n_channel_platforms == 0 && f->phone_usable) {
        const char *first = cr && cr->n_channels      ? cr->channels[0]
                            : cfg->n_default_channels ? cfg->default_channels[0]
                                                      : "";
        snprintf(r->best_channel, sizeof r->best_channel, "%s", first);
        r->channel_source = first[0] ? TAMIS_CHANNEL_COUNTRY : TAMIS_CHANNEL_NONE;
    }

    if (f->activity_30 >= MIN_ACTIVITY_FOR_PEAK && f->peak_hour >= 0) {
        r->best_hour = (uint8_t)f->peak_hour;
        r->hour_source = TAMIS_HOUR_PEAK;
    } else if (cr && cr->send_hour >= 0) {
        r->best_hour = (uint8_t)cr->send_hour;
        r->hour_source = TAMIS_HOUR_COUNTRY;
    } else {
        r->best_hour = (uint8_t)cfg->default_send_hour;
        r->hour_source = TAMIS_HOUR_DEFAULT;
    }
}
