/* cmd_show.c — `tamis show USER`: the stored state of one user, readable or JSON.
 *
 * Output is independent of internal numbering (uids, platform ids), so two stores
 * built from the same events in any order print the same bytes. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/render.h"
#include "model/results.h"
#include "tamis/alloc.h"
#include "tamis/contact_record.h"
#include "tamis/kinds.h"
#include "tamis/phone.h"
#include "tamis/store.h"
#include "tamis/user_state.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tamis [--data DIR] show [--format text|json] USER\n"
            "       tamis [--data DIR] show --all   (every user's stored state, one JSON document per line)\n"
            "\n"
            "Print USER's result as of the last `tamis score` (score, tier, trend, sub-scores,\n"
            "features, reasons, best channel, hour and cadence) and what the store holds:\n"
            "contact (phone, country, zone, tags, attributes, identities) and activity (hour\n"
            "log, per-platform facts, groups, devices, campaigns, failures, recent activity,\n"
            "event ids kept).\n"
            "\n"
            "exit codes: 0 ok, 1 failure, 2 usage, 4 no such user, 5 store busy\n");
}

static const char *pname(const tamis_store *s, uint8_t id)
{
    const char *n = id == TAMIS_PLATFORM_ANY ? "*" : tamis_platform_name(s, id);
    return n ? n : "?";
}

static json_t *iso(int64_t ts_ms)
{
    char buf[64];
    tamis_cli_iso_time(ts_ms, buf);
    return json_string(buf);
}

/* Sorting helpers: by rendered text, so platform-id numbering does not matter. */
typedef struct keyed {
    char sort[320];
    json_t *v;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
    return strcmp(((const keyed *)a)->sort, ((const keyed *)b)->sort);
}

static json_t *sorted_array(keyed *items, size_t n)
{
    json_t *arr = json_array();
    qsort(items, n, sizeof *items, keyed_cmp);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, items[i].v);
    tamis_free(items);
    return arr;
}

static json_t *identities_json(const tamis_store *s, const tamis_contact *c)
{
    keyed *items = tamis_calloc(c->n_ids ? c->n_ids : 1, sizeof *items);
    for (size_t i = 0; i < c->n_ids; i++) {
        items[i].v = json_pack("{s:s,s:s}", "platform", pname(s, c->ids[i].platform), "id", c->ids[i].id);
        snprintf(items[i].sort, sizeof items[i].sort, "%s %s", pname(s, c->ids[i].platform), c->ids[i].id);
    }
    return sorted_array(items, c->n_ids);
}

static json_t *contact_json(const tamis_store *s, const tamis_contact *c)
{
    json_t *o = json_object(), *tags = json_array(), *attrs = json_object();
    if (c->phone_e164)
        json_object_set_new(o, "phone",
                            json_pack("{s:s,s:b,s:s,s:s}", "e164", c->phone_e164, "valid", c->phone_valid, "type",
                                      tamis_phone_type_name((tamis_phone_type)c->phone_type), "region",
                                      c->phone_region));
    else
        json_object_set_new(o, "phone", json_null());
    json_object_set_new(o, "country", c->country[0] ? json_string(c->country) : json_null());
    json_object_set_new(o, "tz", c->tz ? json_string(c->tz) : json_null());
    json_object_set_new(o, "name", c->name ? json_string(c->name) : json_null());
    for (size_t i = 0; i < c->n_tags; i++)
        json_array_append_new(tags, json_string(c->tags[i]));
    for (size_t i = 0; i < c->n_attrs; i++)
        json_object_set_new(attrs, c->attrs[i].key, json_string(c->attrs[i].value));
    json_object_set_new(o, "tags", tags);
    json_object_set_new(o, "attributes", attrs);
    json_object_set_new(o, "identities", identities_json(s, c));
    return o;
}

static json_t *hours_json(const tamis_store *s, const tamis_user_state *st)
{
    keyed *items = tamis_calloc(st->n_hours ? st->n_hours : 1, sizeof *items);
    for (size_t i = 0; i < st->n_hours; i++) {
        const tamis_hour_count *h = &st->hours[i];
        int64_t ms = (int64_t)tamis_hc_hour(h) * 3600000LL;
        char when[64];
        json_t *o;
        tamis_cli_iso_time(ms, when);
        o = json_pack("{s:s,s:s,s:s,s:I}", "hour", when, "platform", pname(s, tamis_hc_platform(h)), "kind",
                      tamis_kind_name(tamis_hc_kind(h)), "count", (json_int_t)h->count);
        if (h->value_micros != 0)
            json_object_set_new(o, "value", json_real((double)h->value_micros / 1e6));
        snprintf(items[i].sort, sizeof items[i].sort, "%010u %s %s", tamis_hc_hour(h), pname(s, tamis_hc_platform(h)),
                 tamis_kind_name(tamis_hc_kind(h)));
        items[i].v = o;
    }
    return sorted_array(items, st->n_hours);
}

static json_t *facets_json(const tamis_store *s, const tamis_user_state *st)
{
    keyed *items = tamis_calloc(st->n_facets ? st->n_facets : 1, sizeof *items);
    for (size_t i = 0; i < st->n_facets; i++) {
        const tamis_facet *f = &st->facets[i];
        const char *kind = f->kind == TAMIS_KIND_ANY ? "*" : tamis_kind_name(f->kind);
        json_t *o = json_pack("{s:s,s:s,s:s,s:s%,s:I,s:o,s:o}", "type", tamis_facet_type_name(f->type), "platform",
                              pname(s, f->platform), "kind", kind, "key", tamis_facet_key(f), (size_t)f->key_len, "count",
                              (json_int_t)f->count, "first", iso(f->first_ms), "last", iso(f->last_ms));
        if (f->value_micros != 0)
            json_object_set_new(o, "value", json_real((double)f->value_micros / 1e6));
        snprintf(items[i].sort, sizeof items[i].sort, "%02d %s %s %s", f->type, pname(s, f->platform), kind,
                 tamis_facet_key(f));
        items[i].v = o;
    }
    return sorted_array(items, st->n_facets);
}

static json_t *failures_json(const tamis_store *s, const tamis_user_state *st)
{
    keyed *items = tamis_calloc(st->n_failures ? st->n_failures : 1, sizeof *items);
    for (size_t i = 0; i < st->n_failures; i++) {
        const tamis_failure *f = &st->failures[i];
        items[i].v = json_pack("{s:s,s:o,s:s}", "platform", pname(s, f->platform), "ts", iso(f->ts_ms), "reason",
                               f->reason);
        snprintf(items[i].sort, sizeof items[i].sort, "%s %020lld %s", pname(s, f->platform), (long long)f->ts_ms,
                 f->reason);
    }
    return sorted_array(items, st->n_failures);
}

/* Per platform: activity first/last, consent, consecutive failures. */
static json_t *platforms_json(const tamis_store *s, const tamis_user_state *st)
{
    json_t *o = json_object();
    for (int p = 0; p < 255; p++) {
        int64_t first = 0, last = 0, consent_ms = -1;
        const char *consent = "unknown", *reason = NULL;
        bool any = false;
        uint32_t fails;
        for (size_t i = 0; i < st->n_facets; i++) {
            const tamis_facet *f = &st->facets[i];
            if (f->type != TAMIS_FACET_KIND || f->platform != p)
                continue;
            any = true;
            if (tamis_kind_table[f->kind].activity) {
                if (!first || f->first_ms < first)
                    first = f->first_ms;
                if (f->last_ms > last)
                    last = f->last_ms;
            }
            if (tamis_kind_table[f->kind].dimension == TAMIS_DIM_CONSENT && f->last_ms >= consent_ms) {
                /* ties: block > opt_out > opt_in (kind ids are in that order) */
                consent_ms = f->last_ms;
                consent = f->kind == TAMIS_KIND_OPT_IN ? "opted_in" : f->kind == TAMIS_KIND_OPT_OUT ? "opted_out" : "blocked";
            }
        }
        if (!any)
            continue;
        fails = tamis_user_state_consecutive_failures(st, (uint8_t)p, &reason);
        json_object_set_new(o, pname(s, (uint8_t)p),
                            json_pack("{s:o,s:o,s:s,s:I,s:o}", "first_active", first ? iso(first) : json_null(),
                                      "last_active", last ? iso(last) : json_null(), "consent", consent,
                                      "consecutive_failures", (json_int_t)fails, "last_failure_reason",
                                      reason ? json_string(reason) : json_null()));
    }
    return o;
}

static json_t *activity_json(const tamis_store *s, const tamis_user_state *st)
{
    json_t *o = json_object(), *recent = json_array();
    bool empty = st->n_hours == 0 && st->n_facets == 0;
    json_object_set_new(o, "first_event", empty ? json_null() : iso(st->first_ms));
    json_object_set_new(o, "last_event", empty ? json_null() : iso(st->last_ms));
    json_object_set_new(o, "platforms", platforms_json(s, st));
    json_object_set_new(o, "hours", hours_json(s, st));
    json_object_set_new(o, "facets", facets_json(s, st));
    json_object_set_new(o, "failures", failures_json(s, st));
    for (size_t i = 0; i < st->n_recent; i++)
        json_array_append_new(recent, iso(st->recent[i]));
    json_object_set_new(o, "recent_activity", recent);
    json_object_set_new(o, "event_ids_kept", json_integer((json_int_t)st->n_ids));
    json_object_set_new(o, "facets_evicted", json_integer((json_int_t)st->facets_evicted));
    return o;
}

static const char *or_dash(const json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : "-";
}

/* A value of the result object as text ("-" for null). */
static void text_of(const json_t *v, char *buf, size_t cap)
{
    if (json_is_string(v))
        snprintf(buf, cap, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, cap, "%.3f", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, cap, "%s", json_is_true(v) ? "yes" : "no");
    else
        snprintf(buf, cap, "-");
}

static void print_result(const json_t *r)
{
    static const char *const subs[] = {"continuity", "depth", "profile", "interaction", "rhythm", "reachability", "risk"};
    static const char *const features[] = {
        "active_days_7", "active_days_30", "active_days_90", "streak", "longest_streak_30", "last_seen",
        "days_since_seen", "activity_30", "deep_actions_30", "depth_ratio", "reply_rate_30", "delivery_rate_30",
        "read_rate_30", "click_rate_30", "has_avatar", "has_nickname", "has_status", "profile_updates_90",
        "days_since_profile_update", "peak_hour", "day_share", "regularity", "max_consecutive_failures",
        "usable_platforms", "phone_usable", "device_accounts", "device_burst", "timing_cv", "machine_regular",
        "blocked", "opted_out", "days_since_purchase", "purchases_90", "purchase_value_90", "zone"};
    char a[64], b[64], c[64];
    const json_t *v;
    size_t i;

    if (!json_is_object(r)) {
        printf("result      not scored yet (run `tamis score`)\n");
        return;
    }
    text_of(json_object_get(r, "score"), a, sizeof a);
    printf("score       %s   tier %s   trend %s\n", a, json_string_value(json_object_get(r, "tier")),
           json_string_value(json_object_get(r, "trend")));
    printf("sub-scores ");
    for (i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        text_of(json_object_get(r, subs[i]), a, sizeof a);
        printf(" %s %s", subs[i], a);
    }
    text_of(json_object_get(r, "best_channel"), a, sizeof a);
    snprintf(b, sizeof b, "%02lld", (long long)json_integer_value(json_object_get(r, "best_hour")));
    text_of(json_object_get(r, "cadence_days"), c, sizeof c);
    if (json_integer_value(json_object_get(r, "cadence_days")) == 0)
        printf("\nreach       channel %s, around %s:00 local, never (cadence of the tier)\n", a, b);
    else
        printf("\nreach       channel %s, around %s:00 local, every %s day(s)\n", a, b, c);
    json_array_foreach(json_object_get(r, "reasons"), i, v) printf("reason      %s\n", json_string_value(v));
    printf("features   ");
    for (i = 0; i < sizeof features / sizeof features[0]; i++) {
        text_of(json_object_get(r, features[i]), a, sizeof a);
        printf("%s%s=%s", i % 4 == 0 ? "\n  " : "  ", features[i], a);
    }
    printf("\n");
}

static void print_text(json_t *doc)
{
    json_t *contact = json_object_get(doc, "contact"), *act = json_object_get(doc, "activity");
    json_t *phone = json_object_get(contact, "phone"), *v;
    const char *k;
    size_t i;
    const char *day = NULL;
    char cur[11] = "";

    printf("user        %s%s\n", json_string_value(json_object_get(doc, "user")),
           json_is_true(json_object_get(doc, "auto_created")) ? "  (created from a platform id)" : "");
    print_result(json_object_get(doc, "result"));
    if (json_is_object(phone))
        printf("phone       %s (%s, %s)\n", json_string_value(json_object_get(phone, "e164")),
               json_is_true(json_object_get(phone, "valid")) ? "valid" : "invalid",
               json_string_value(json_object_get(phone, "type")));
    printf("country     %s\n", or_dash(json_object_get(contact, "country")));
    printf("tz          %s\n", or_dash(json_object_get(contact, "tz")));
    printf("name        %s\n", or_dash(json_object_get(contact, "name")));
    printf("tags       ");
    json_array_foreach(json_object_get(contact, "tags"), i, v) printf(" %s", json_string_value(v));
    printf("\nidentities ");
    json_array_foreach(json_object_get(contact, "identities"), i, v)
        printf(" %s:%s", json_string_value(json_object_get(v, "platform")), json_string_value(json_object_get(v, "id")));
    printf("\n");
    json_object_foreach(json_object_get(contact, "attributes"), k, v) printf("attr        %s = %s\n", k, json_string_value(v));
    printf("events      %s .. %s\n", or_dash(json_object_get(act, "first_event")),
           or_dash(json_object_get(act, "last_event")));
    json_object_foreach(json_object_get(act, "platforms"), k, v) {
        json_t *lf = json_object_get(v, "last_failure_reason");
        printf("platform    %-10s consent %-9s failures in a row %lld%s%s\n", k,
               json_string_value(json_object_get(v, "consent")),
               (long long)json_integer_value(json_object_get(v, "consecutive_failures")), json_is_string(lf) ? ", last: " : "",
               json_is_string(lf) ? json_string_value(lf) : "");
    }
    printf("activity by UTC day:\n");
    json_array_foreach(json_object_get(act, "hours"), i, v) {
        day = json_string_value(json_object_get(v, "hour"));
        if (strncmp(cur, day, 10) != 0) {
            memcpy(cur, day, 10);
            printf("%s  ", i ? "\n" : "");
            printf("%.10s ", day);
        }
        printf(" %s/%s@%.2sh x%lld", json_string_value(json_object_get(v, "platform")),
               json_string_value(json_object_get(v, "kind")), day + 11,
               (long long)json_integer_value(json_object_get(v, "count")));
    }
    printf("%s", cur[0] ? "\n" : "");
    printf("facets      %zu, failures kept %zu, event ids kept %lld\n", json_array_size(json_object_get(act, "facets")),
           json_array_size(json_object_get(act, "failures")),
           (long long)json_integer_value(json_object_get(act, "event_ids_kept")));
}

/* Builds the document of one user; NULL with err filled on failure. With rd, the
 * document has the user's stored result as "result" (null when not scored). */
static json_t *user_doc(tamis_store *store, tamis_txn *txn, tamis_results_reader *rd, uint32_t uid,
                        tamis_error *err)
{
    tamis_contact contact;
    tamis_user_state st;
    const void *data;
    size_t len;
    json_t *doc;

    if (tamis_user_record_get(txn, uid, &data, &len, err) != 0 || tamis_contact_decode(&contact, data, len, err) != 0)
        return NULL;
    if (tamis_activity_get(txn, uid, &st, err) != 0) {
        tamis_contact_free(&contact);
        return NULL;
    }
    doc = json_pack("{s:s,s:b,s:o,s:o}", "user", contact.key, "auto_created", contact.auto_created, "contact",
                    contact_json(store, &contact), "activity", activity_json(store, &st));
    if (rd) {
        int rc = tamis_results_get(rd, uid, err);
        if (rc == 0) {
            json_t *r = tamis_render_row_object(&rd->row);
            json_object_del(r, "user");
            json_object_set_new(doc, "result", r);
        } else if (rc == TAMIS_ENOTFOUND) {
            json_object_set_new(doc, "result", json_null());
        } else {
            json_decref(doc);
            doc = NULL;
        }
    }
    tamis_user_state_free(&st);
    tamis_contact_free(&contact);
    return doc;
}

typedef struct all_ctx {
    tamis_store *store;
    tamis_txn *txn;
    tamis_error *err;
} all_ctx;

static int print_one(void *ctx, uint32_t uid, const char *key, size_t key_len)
{
    all_ctx *a = ctx;
    json_t *doc = user_doc(a->store, a->txn, NULL, uid, a->err);
    (void)key;
    (void)key_len;
    if (!doc)
        return a->err->code ? a->err->code : TAMIS_EINTERNAL;
    json_dumpf(doc, stdout, JSON_COMPACT | JSON_SORT_KEYS);
    fputc('\n', stdout);
    json_decref(doc);
    return 0;
}

int tamis_cmd_show(const tamis_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, 0, 'f'},
                                             {"all", no_argument, 0, 'a'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    tamis_store_options so = TAMIS_CLI_STORE_OPTIONS(cli, true);
    tamis_store *store = NULL;
    tamis_txn *txn = NULL;
    tamis_error err = {0};
    tamis_model_config *cfg = NULL;
    tamis_results_reader rd;
    uint32_t uid;
    int format = TAMIS_OUT_TEXT, c, rc;
    bool all = false;
    json_t *doc;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = tamis_cli_parse_format("show", optarg, 1u << TAMIS_OUT_TEXT | 1u << TAMIS_OUT_JSON);
            if (format < 0)
                return TAMIS_EXIT_USAGE;
            break;
        case 'a': all = true; break;
        case 'h': usage(stdout); return TAMIS_EXIT_OK;
        default: usage(stderr); return TAMIS_EXIT_USAGE;
        }
    }
    if (optind != argc - (all ? 0 : 1)) {
        usage(stderr);
        return TAMIS_EXIT_USAGE;
    }
    if ((rc = tamis_store_open(cli->data_dir, &so, &store, &err)) != 0)
        return tamis_cli_fail("show", rc, err.msg);
    if ((rc = tamis_txn_begin(store, false, &txn, &err)) != 0)
        goto fail;
    if (all) {
        all_ctx a = {store, txn, &err};
        if ((rc = tamis_users_foreach(txn, print_one, &a, &err)) != 0)
            goto fail;
        goto done;
    }
    if ((rc = tamis_user_lookup(txn, argv[optind], strlen(argv[optind]), &uid, &err)) != 0)
        goto fail;
    if ((rc = tamis_cli_load_config(cli, "show", &cfg)) != TAMIS_EXIT_OK) {
        tamis_txn_abort(txn);
        tamis_store_close(store);
        return rc;
    }
    tamis_results_reader_init(&rd, store, txn, cfg);
    doc = user_doc(store, txn, &rd, uid, &err);
    tamis_results_reader_free(&rd);
    tamis_model_config_free(cfg);
    if (!doc) {
        rc = err.code;
        goto fail;
    }
    if (format == TAMIS_OUT_JSON) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        fputc('\n', stdout);
    } else {
        print_text(doc);
    }
    json_decref(doc);
done:
    tamis_txn_abort(txn);
    tamis_store_close(store);
    return TAMIS_EXIT_OK;
fail:
    tamis_txn_abort(txn);
    tamis_store_close(store);
    return tamis_cli_fail("show", rc, err.msg);
}
