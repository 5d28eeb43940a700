/* overview_json.c — the dashboard's figures (src/model/overview.c) as the JSON that
 * GET /v1/overview answers; docs/openapi.yaml ("Overview") and docs/DASHBOARD.md
 * describe every field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/overview.h"
#include "tamis/alloc.h"
#include "tamis/event.h"

static const char *const week_days[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

static double share(uint64_t n, uint64_t total)
{
    return total ? (double)n / (double)total : 0.0;
}

static json_t *time_or_null(int64_t ms)
{
    char buf[32];
    if (!ms)
        return json_null();
    tamis_format_utc(ms, false, buf);
    return json_string(buf);
}

/* [{"tier","users","share","active"}] in the order tiers are tested. */
static json_t *tiers_json(const tamis_overview *ov)
{
    json_t *arr = json_array();
    for (int t = 0; t < TAMIS_TIER__COUNT; t++)
        json_array_append_new(arr, json_pack("{s:s,s:I,s:f,s:b}", "tier", tamis_tier_name(t), "users",
                                             (json_int_t)ov->tiers[t], "share", share(ov->tiers[t], ov->scored),
                                             "active", tamis_overview_tier_active(t)));
    return arr;
}

static json_t *counts_json(const uint64_t *n, size_t count)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(arr, json_integer((json_int_t)n[i]));
    return arr;
}

/* {"bins":["0-9",...],"score":[...],"subscores":[{"name","bins","not_observable"}]} */
static json_t *histograms_json(const tamis_overview *ov)
{
    json_t *labels = json_array(), *subs = json_array();
    unsigned width = 100 / TAMIS_OVERVIEW_BINS;
    for (unsigned b = 0; b < TAMIS_OVERVIEW_BINS; b++) {
        char label[16];
        snprintf(label, sizeof label, "%u-%u", b * width, b + 1 == TAMIS_OVERVIEW_BINS ? 100 : (b + 1) * width - 1);
        json_array_append_new(labels, json_string(label));
    }
    for (int s = 0; s < TAMIS_SUB__COUNT; s++)
        json_array_append_new(subs, json_pack("{s:s,s:o,s:I}", "name", tamis_subscore_name(s), "bins",
                                              counts_json(ov->sub_hist[s], TAMIS_OVERVIEW_BINS), "not_observable",
                                              (json_int_t)ov->sub_hist[s][TAMIS_OVERVIEW_BINS]));
    return json_pack("{s:o,s:o,s:o}", "bins", labels, "score", counts_json(ov->score_hist, TAMIS_OVERVIEW_BINS),
                     "subscores", subs);
}

/* {"window_days","days":["Mon",...],"users_seen","events":[[24] x 7]} */
static json_t *week_json(const tamis_overview *ov)
{
    json_t *days = json_array(), *rows = json_array();
    for (int d = 0; d < 7; d++) {
        json_array_append_new(days, json_string(week_days[d]));
        json_array_append_new(rows, counts_json(ov->week_events + d * 24, 24));
    }
    return json_pack("{s:i,s:o,s:I,s:o}", "window_days", TAMIS_OVERVIEW_WEEK_DAYS, "days", days, "users_seen",
                     (json_int_t)ov->week_users_seen, "events", rows);
}

typedef struct cell_rank {
    uint64_t users;
    uint32_t cell;
} cell_rank;

/* Most users first, then by cell index (country, then channel id). */
static int cmp_cell_desc(const void *a, const void *b)
{
    const cell_rank *x = a, *y = b;
    if (x->users != y->users)
        return x->users > y->users ? -1 : 1;
    return x->cell < y->cell ? -1 : x->cell > y->cell;
}

static void country_name(size_t country, char out[16])
{
    if (country + 1 == TAMIS_OVERVIEW_COUNTRIES)
        snprintf(out, 16, "(unknown)");
    else
        snprintf(out, 16, "%c%c", (char)('A' + country / 26), (char)('A' + country % 26));
}

/* {"active_tiers":[...],"cells":[{"country","channel","users","active","share"}],
 *  "cells_total"} — the largest TAMIS_OVERVIEW_CELLS_MAX cells. */
static json_t *cells_json(const tamis_overview *ov)
{
    size_t n_all = (size_t)TAMIS_OVERVIEW_COUNTRIES * TAMIS_OVERVIEW_CHANNELS, n = 0;
    cell_rank *rank = tamis_malloc(n_all * sizeof *rank);
    json_t *active = json_array(), *cells = json_array();

    for (size_t i = 0; i < n_all; i++)
        if (ov->cell_users[i])
            rank[n++] = (cell_rank){ov->cell_users[i], (uint32_t)i};
    qsort(rank, n, sizeof *rank, cmp_cell_desc);
    for (size_t i = 0; i < n && i < TAMIS_OVERVIEW_CELLS_MAX; i++) {
        uint32_t cell = rank[i].cell;
        size_t c = cell / TAMIS_OVERVIEW_CHANNELS, ch = cell % TAMIS_OVERVIEW_CHANNELS;
        const char *channel = ch + 1 == TAMIS_OVERVIEW_CHANNELS ? "(none)" : ov->names.name[ch];
        char country[16];
        country_name(c, country);
        json_array_append_new(cells, json_pack("{s:s,s:s,s:I,s:I,s:f}", "country", country, "channel",
                                               channel ? channel : "?", "users", (json_int_t)ov->cell_users[cell],
                                               "active", (json_int_t)ov->cell_active[cell], "share",
                                               share(ov->cell_active[cell], ov->cell_users[cell])));
    }
    for (int t = 0; t < TAMIS_TIER__COUNT; t++)
        if (tamis_overview_tier_active(t))
            json_array_append_new(active, json_string(tamis_tier_name(t)));
    tamis_free(rank);
    return json_pack("{s:o,s:o,s:I}", "active_tiers", active, "cells", cells, "cells_total", (json_int_t)n);
}

/* [{"date","as_of","users","tiers":{TIER:n}}], oldest first. */
static json_t *history_json(const tamis_overview *ov)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < ov->n_history; i++) {
        const tamis_snapshot_info *h = &ov->history[i];
        json_t *tiers = json_object();
        char date[32];
        tamis_format_utc_date(h->day, date);
        for (int t = 0; t < TAMIS_TIER__COUNT && t < TAMIS_SNAPSHOT_TIERS; t++)
            json_object_set_new(tiers, tamis_tier_name(t), json_integer((json_int_t)h->tiers[t]));
        json_array_append_new(arr, json_pack("{s:s,s:o,s:I,s:o}", "date", date, "as_of", time_or_null(h->as_of_ms),
                                             "users", (json_int_t)h->users, "tiers", tiers));
    }
    return arr;
}

json_t *tamis_overview_json(const tamis_overview *ov)
{
    json_t *trends = json_object();
    for (int t = 0; t < TAMIS_TREND__COUNT; t++)
        json_object_set_new(trends, tamis_trend_name(t), json_integer((json_int_t)ov->trends[t]));
    return json_pack("{s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "users", (json_int_t)ov->users, "scored",
                     (json_int_t)ov->scored, "as_of", time_or_null(ov->as_of_max_ms), "as_of_min",
                     time_or_null(ov->as_of_min_ms), "tiers", tiers_json(ov), "trends", trends, "histograms",
                     histograms_json(ov), "week", week_json(ov), "countries", cells_json(ov), "history",
                     history_json(ov));
}
