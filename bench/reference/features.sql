-- features.sql — the features of docs/MODEL.md in DuckDB, an independent reference
-- for tamis (src/model/features.c). It reads the same contacts and events CSV files
-- as `tamis import-contacts` and `tamis ingest`, resolves events to users the way
-- ingest does (docs/IDENTITY.md, docs/STATE.md), and computes every user's features
-- as of T for users whose zone is UTC. bench/reference/run.mjs fills the ${...}
-- parameters and writes the view `reference_features` as NDJSON with the field names
-- of `tamis export --format ndjson`; bench/reference/compare.mjs compares the two.
--
-- Parameters (substituted as text by run.mjs):
--   ${CONTACTS}, ${EVENTS}   paths as SQL string literals
--   ${CONTACTS_COLUMNS}, ${EVENTS_COLUMNS}   the files' columns as read_csv wants them,
--                            all VARCHAR, named c1, c2, ... (run.mjs reads the headers:
--                            DuckDB's dialect sniffer is not used), and one more,
--                            c_extra: see "Field counts" below
--   ${C_COMPLETE}, ${E_COMPLETE}   "the record has as many fields as the header"
--   ${AS_OF_MS}              T in unix milliseconds
--   ${C_USER}                the contacts' user column (c1, c2, ...)
--   ${C_AVATAR} ${C_NICKNAME} ${C_STATUS}   attribute columns, or NULL when absent
--   ${C_IDENTITIES}          a list of {platform, col, pid} structs, one per
--                            <platform>_id column of the contacts header
--   ${E_TS} ${E_USER} ... ${E_ID}   the events' columns (c1, c2, ...), or NULL
--   ${SOFT_REASONS}          a list of failure reasons that are not hard failures
--   ${BURST_MINUTES} ${REGULAR_MIN_GAPS} ${REGULAR_MAX_CV}   [risk] settings
--   ${UNREACHABLE_FAILURES}  [tiers] unreachable_failures
--   ${CSV_OPTIONS}           more read_csv options: strict by default, or
--                            ignore_errors (run.mjs --ignore-csv-errors)
--
-- Scope: UTC only (local day = UTC day), T at a whole hour is what tests use, though
-- Tc = T rounded up to the hour is applied as MODEL.md says. Structural CSV errors
-- (a wrong field count, a broken quote) make DuckDB fail, or with ignore_errors
-- skip the line as tamis rejects it; value-level rejects (bad ts, unknown kind, bad
-- value, caps) are dropped like tamis drops them. Not modelled: the record cap
-- (64 KiB), the field cap on columns tamis ignores, retention (400 days), facet
-- eviction (4096 per user).

-- ------------------------------------------------------------------------------
-- Time
-- ------------------------------------------------------------------------------

CREATE TEMP TABLE params AS
SELECT ${AS_OF_MS}::BIGINT AS t_ms,
       ((${AS_OF_MS}::BIGINT + 3599999) // 3600000) * 3600000 AS tc_ms,   -- T >= 0
       (${AS_OF_MS}::BIGINT - 1000) // 86400000 AS d;                      -- D (UTC)

-- Days since 1970-01-01 of a proleptic Gregorian date, y >= 1 (days_from_civil).
CREATE TEMP MACRO civil_days(y, m, d) AS (
    ((y - (m <= 2)::INT) // 400) * 146097
    + ((y - (m <= 2)::INT) % 400) * 365
    + ((y - (m <= 2)::INT) % 400) // 4
    - ((y - (m <= 2)::INT) % 400) // 100
    + (153 * (m + CASE WHEN m > 2 THEN -3 ELSE 9 END) + 2) // 5 + d - 1
    - 719468);

CREATE TEMP MACRO month_days(y, m) AS (
    CASE WHEN m = 2 THEN CASE WHEN (y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0 THEN 29 ELSE 28 END
         WHEN m IN (4, 6, 9, 11) THEN 30 ELSE 31 END);

-- FORMATS.md "Timestamps": unix seconds (integer or decimal, fraction truncated to the
-- millisecond), integers >= 1e11 as milliseconds, ISO-8601 with a zone. NULL when
-- tamis would reject the value. 253402300799999 is 9999-12-31T23:59:59.999Z.
CREATE TEMP MACRO ts_unix_int(s) AS (
    CASE WHEN length(ltrim(s, '0')) > 16 THEN NULL
         ELSE CASE WHEN s::BIGINT >= 100000000000 THEN s::BIGINT ELSE s::BIGINT * 1000 END END);

CREATE TEMP MACRO ts_unix_dec(ip, fp) AS (
    CASE WHEN length(ltrim(ip, '0')) > 11 THEN NULL
         WHEN ip::BIGINT >= 100000000000 THEN NULL                -- ms must be an integer
         ELSE ip::BIGINT * 1000 + rpad(left(fp, 3), 3, '0')::BIGINT END);

CREATE TEMP MACRO ts_iso(p) AS (
    CASE WHEN p.mo::INT NOT BETWEEN 1 AND 12 THEN NULL
         WHEN p.dd::INT < 1 OR p.dd::INT > month_days(p.y::INT, p.mo::INT) THEN NULL
         WHEN p.hh::INT > 23 OR p.mi::INT > 59 OR coalesce(nullif(p.ss, '')::INT, 0) > 59 THEN NULL
         WHEN p.z NOT IN ('Z', 'z') AND (substr(p.z, 2, 2)::INT > 23
                                         OR coalesce(nullif(substr(replace(p.z, ':', ''), 4), '')::INT, 0) > 59)
              THEN NULL
         ELSE (civil_days(p.y::BIGINT, p.mo::BIGINT, p.dd::BIGINT) * 86400
               + p.hh::BIGINT * 3600 + p.mi::BIGINT * 60 + coalesce(nullif(p.ss, '')::BIGINT, 0)
               - CASE WHEN p.z IN ('Z', 'z') THEN 0
                      ELSE (CASE WHEN left(p.z, 1) = '-' THEN -1 ELSE 1 END)
                           * (substr(p.z, 2, 2)::BIGINT * 60
                              + coalesce(nullif(substr(replace(p.z, ':', ''), 4), '')::BIGINT, 0)) * 60
                 END) * 1000
              + coalesce(rpad(left(nullif(p.frac, ''), 3), 3, '0')::BIGINT, 0) END);

CREATE TEMP MACRO parse_ts(s) AS (
    CASE WHEN strlen(s) = 10 AND regexp_full_match(s, '[0-9]{10}') THEN s::BIGINT * 1000  -- the common case
         WHEN regexp_full_match(s, '[0-9]+') THEN ts_unix_int(s)
         WHEN regexp_full_match(s, '[0-9]+\.[0-9]+')
              THEN ts_unix_dec(split_part(s, '.', 1), split_part(s, '.', 2))
         WHEN regexp_full_match(s, '[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)')
              THEN ts_iso(regexp_extract(s,
                   '^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?([Zz]|[+-].*)$',
                   ['y', 'mo', 'dd', 'hh', 'mi', 'ss', 'frac', 'z']))
    END);

CREATE TEMP MACRO valid_ts(ms) AS (ms IS NOT NULL AND ms >= 0 AND ms <= 253402300799999);

-- ------------------------------------------------------------------------------
-- Field counts. tamis rejects a record whose field count differs from the header's.
-- DuckDB tolerates one trailing delimiter, so the files are read with one column
-- more than the header has (c_extra), short records padded with NULL, and an empty
-- field read as '' (nullstr is a string no field holds): a record is complete when
-- its last column is not NULL and c_extra is. Longer records make DuckDB fail, or
-- are skipped with ignore_errors.
-- ------------------------------------------------------------------------------

-- ------------------------------------------------------------------------------
-- Contacts: user keys, attributes, identities (docs/IDENTITY.md)
-- ------------------------------------------------------------------------------

CREATE TEMP TABLE contacts_raw AS
SELECT * FROM read_csv(${CONTACTS}, header = true, auto_detect = false, columns = ${CONTACTS_COLUMNS},
                       delim = ',', quote = '"', escape = '"', null_padding = true, nullstr = '\x01',
                       ${CSV_OPTIONS});

CREATE TEMP TABLE contact_rows AS
SELECT rowid AS c_rn,
       ${C_USER} AS user_key,
       nullif(${C_AVATAR}, '') AS avatar,
       nullif(${C_NICKNAME}, '') AS nickname,
       nullif(${C_STATUS}, '') AS status,
       ${C_IDENTITIES} AS ids
FROM contacts_raw
WHERE ${C_COMPLETE} AND nullif(${C_USER}, '') IS NOT NULL AND strlen(${C_USER}) <= 256;

-- Per identity cell, in file order (row, then column).
CREATE TEMP TABLE contact_ids AS
SELECT c_rn, user_key, i.platform, i.col, i.pid
FROM (SELECT c_rn, user_key, unnest(ids) AS i FROM contact_rows)
WHERE nullif(i.pid, '') IS NOT NULL;

-- The first row naming an identity owns it; later claims are conflicts, ignored.
CREATE TEMP TABLE contact_owner AS
SELECT platform, pid, arg_min(user_key, c_rn * 1000 + col) AS user_key
FROM contact_ids GROUP BY platform, pid;

-- ------------------------------------------------------------------------------
-- Events: parse and validate (docs/FORMATS.md), in file order
-- ------------------------------------------------------------------------------

CREATE TEMP TABLE events_raw AS
SELECT * FROM read_csv(${EVENTS}, header = true, auto_detect = false, columns = ${EVENTS_COLUMNS},
                       delim = ',', quote = '"', escape = '"', null_padding = true, nullstr = '\x01',
                       ${CSV_OPTIONS});

CREATE TEMP TABLE kinds AS
SELECT * FROM (VALUES
    ('online', 0, true, false), ('message_sent', 1, true, true),
    ('conversation_open', 2, true, true), ('group_join', 3, true, true),
    ('group_leave', 4, false, false), ('reply', 5, true, true), ('read', 6, true, false),
    ('view', 7, true, false), ('click', 8, true, false), ('profile_update', 9, true, false),
    ('purchase', 10, true, false), ('opt_in', 11, true, false), ('opt_out', 12, false, false),
    ('block', 13, false, false), ('outbound_sent', 14, false, false),
    ('delivered', 15, false, false), ('failed', 16, false, false)
) AS k(kind, kind_id, activity, deep);

CREATE TEMP VIEW events_text AS
SELECT rowid AS rn,
       nullif(${E_TS}, '') AS ts, nullif(${E_USER}, '') AS user_key,
       nullif(${E_PLATFORM}, '') AS platform, nullif(${E_PLATFORM_ID}, '') AS pid,
       nullif(${E_KIND}, '') AS kind, nullif(${E_VALUE}, '') AS value,
       nullif(${E_DEVICE}, '') AS device, nullif(${E_FIELD}, '') AS field,
       nullif(${E_REASON}, '') AS reason, nullif(${E_ID}, '') AS id,
       greatest(strlen(coalesce(${E_TS}, '')), strlen(coalesce(${E_USER}, '')),
                strlen(coalesce(${E_PLATFORM}, '')), strlen(coalesce(${E_PLATFORM_ID}, '')),
                strlen(coalesce(${E_KIND}, '')), strlen(coalesce(${E_VALUE}, '')),
                strlen(coalesce(${E_GROUP}, '')), strlen(coalesce(${E_CAMPAIGN}, '')),
                strlen(coalesce(${E_CAMPAIGN_TYPE}, '')), strlen(coalesce(${E_DEVICE}, '')),
                strlen(coalesce(${E_COUNTRY}, '')), strlen(coalesce(${E_FIELD}, '')),
                strlen(coalesce(${E_REASON}, '')), strlen(coalesce(${E_ID}, ''))) AS longest_field
FROM events_raw
WHERE ${E_COMPLETE};

CREATE TEMP VIEW events_parsed AS
SELECT e.rn, parse_ts(e.ts) AS ts_ms, e.user_key,
       lower(e.platform) AS platform,          -- checked below to be ASCII before folding
       e.pid, k.kind, k.kind_id, k.activity, k.deep,
       CASE WHEN regexp_full_match(e.value, '[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?')
            THEN try_cast(e.value AS DOUBLE) END AS value_num,
       e.value IS NOT NULL AS has_value, e.device, e.field, e.reason, e.id, e.longest_field
FROM events_text e LEFT JOIN kinds k ON k.kind = e.kind
WHERE e.ts IS NOT NULL AND e.kind IS NOT NULL
  AND (e.platform IS NULL OR regexp_full_match(e.platform, '[A-Za-z0-9_.-]{1,32}'));

CREATE TEMP TABLE events_ok AS
SELECT rn, ts_ms, user_key, coalesce(platform, 'unknown') AS platform,
       platform IS NOT NULL AS has_platform, pid, kind, kind_id, activity, deep,
       CASE WHEN has_value THEN round(value_num * 1e6)::BIGINT ELSE 0 END AS value_micros,
       device, field, coalesce(reason, '') AS reason, id
FROM events_parsed
WHERE valid_ts(ts_ms)
  AND kind_id IS NOT NULL
  AND (user_key IS NOT NULL OR (platform IS NOT NULL AND pid IS NOT NULL))
  AND strlen(coalesce(user_key, '')) <= 256
  AND (NOT has_value OR (value_num IS NOT NULL AND isfinite(value_num) AND abs(value_num) <= 1e12))
  AND longest_field <= 1024
  AND (user_key IS NOT NULL OR strlen(platform) + 1 + strlen(pid) <= 256);

DROP VIEW events_parsed;
DROP VIEW events_text;
DROP TABLE events_raw;  -- rn keeps the file order from here on

-- ------------------------------------------------------------------------------
-- Identity resolution (src/store/ingest.c, ingest_apply.c)
-- ------------------------------------------------------------------------------

-- An event naming both a user and a platform id teaches that identity to the user,
-- unless a contact owns it: the first such event in file order wins.
CREATE TEMP TABLE learned_owner AS
SELECT e.platform, e.pid, arg_min(e.user_key, e.rn) AS user_key
FROM events_ok e ANTI JOIN contact_owner c ON c.platform = e.platform AND c.pid = e.pid
WHERE e.user_key IS NOT NULL AND e.has_platform AND e.pid IS NOT NULL
GROUP BY e.platform, e.pid;

-- Every identity and its owner: a contact, a learner, or else a placeholder user
-- keyed "platform:id" made for an id-only event.
CREATE TEMP TABLE identity_owner AS
SELECT platform, pid, user_key FROM contact_owner
UNION ALL
SELECT platform, pid, user_key FROM learned_owner
UNION ALL
SELECT DISTINCT e.platform, e.pid, e.platform || ':' || e.pid
FROM events_ok e
ANTI JOIN contact_owner c ON c.platform = e.platform AND c.pid = e.pid
ANTI JOIN learned_owner l ON l.platform = e.platform AND l.pid = e.pid
WHERE e.user_key IS NULL;

CREATE TEMP VIEW events_resolved AS
SELECT e.rn, coalesce(e.user_key, o.user_key) AS uid, e.ts_ms, e.platform, e.kind, e.kind_id,
       e.activity, e.deep, e.value_micros, e.device, e.field, e.reason, e.id
FROM events_ok e
LEFT JOIN identity_owner o ON o.platform = e.platform AND o.pid = e.pid;  -- unique per identity

-- An event whose id was already applied to the same user counts once (the first in
-- file order). Events without an id always count.
CREATE TEMP TABLE ev_all AS
SELECT * EXCLUDE (dup)
FROM (SELECT *, CASE WHEN id IS NULL THEN 1
                     ELSE row_number() OVER (PARTITION BY uid, id ORDER BY rn) END AS dup
      FROM events_resolved)
WHERE dup = 1;

-- Platform ids in the order tamis interns them: identity cells of the contacts file
-- (import-contacts runs first), then the events' platforms by first appearance.
CREATE TEMP TABLE platform_order AS
SELECT platform, row_number() OVER (ORDER BY src, first_pos) AS platform_id
FROM (SELECT platform, min(src) AS src, arg_min(first_pos, src) AS first_pos
      FROM (SELECT platform, 0 AS src, min(c_rn * 1000 + col) AS first_pos FROM contact_ids GROUP BY platform
            UNION ALL
            SELECT platform, 1, min(rn) FROM events_ok GROUP BY platform)
      GROUP BY platform);

-- As of T: events before Tc, with their UTC day and hour of day.
CREATE TEMP TABLE ev AS
SELECT e.*, e.ts_ms // 86400000 AS day, (e.ts_ms // 3600000) % 24 AS hod,
       p.d - e.ts_ms // 86400000 AS age
FROM ev_all e, params p
WHERE e.ts_ms < p.tc_ms;

-- ------------------------------------------------------------------------------
-- Users: contacts, event users, placeholders
-- ------------------------------------------------------------------------------

CREATE TEMP TABLE users AS
SELECT user_key AS uid FROM contact_rows
UNION
SELECT uid FROM ev_all
UNION
SELECT user_key FROM identity_owner;

CREATE TEMP TABLE contact_attrs AS
SELECT user_key AS uid, bool_or(avatar IS NOT NULL) AS avatar, bool_or(nickname IS NOT NULL) AS nickname,
       bool_or(status IS NOT NULL) AS status
FROM contact_rows GROUP BY user_key;

-- ------------------------------------------------------------------------------
-- Per-user counts (MODEL.md: continuity, depth, profile, rhythm, purchases)
-- ------------------------------------------------------------------------------

CREATE TEMP TABLE user_counts AS
SELECT uid,
       count(*) FILTER (kind = 'online' AND age BETWEEN 0 AND 29) AS online_30,
       count(*) FILTER (kind = 'message_sent' AND age BETWEEN 0 AND 29) AS message_sent_30,
       count(*) FILTER (kind = 'conversation_open' AND age BETWEEN 0 AND 29) AS conversation_open_30,
       count(*) FILTER (kind = 'group_join' AND age BETWEEN 0 AND 29) AS group_join_30,
       count(*) FILTER (kind = 'group_leave' AND age BETWEEN 0 AND 29) AS group_leave_30,
       count(*) FILTER (kind = 'reply' AND age BETWEEN 0 AND 29) AS reply_30,
       count(*) FILTER (kind = 'read' AND age BETWEEN 0 AND 29) AS read_30,
       count(*) FILTER (kind = 'view' AND age BETWEEN 0 AND 29) AS view_30,
       count(*) FILTER (kind = 'click' AND age BETWEEN 0 AND 29) AS click_30,
       count(*) FILTER (kind = 'profile_update' AND age BETWEEN 0 AND 29) AS profile_update_30,
       count(*) FILTER (kind = 'purchase' AND age BETWEEN 0 AND 29) AS purchase_30,
       count(*) FILTER (kind = 'opt_in' AND age BETWEEN 0 AND 29) AS opt_in_30,
       count(*) FILTER (kind = 'opt_out' AND age BETWEEN 0 AND 29) AS opt_out_30,
       count(*) FILTER (kind = 'block' AND age BETWEEN 0 AND 29) AS block_30,
       count(*) FILTER (kind = 'outbound_sent' AND age BETWEEN 0 AND 29) AS outbound_sent_30,
       count(*) FILTER (kind = 'delivered' AND age BETWEEN 0 AND 29) AS delivered_30,
       count(*) FILTER (kind = 'failed' AND age BETWEEN 0 AND 29) AS failed_30,
       count(*) FILTER (activity AND age BETWEEN 0 AND 29) AS activity_30,
       count(*) FILTER (deep AND age BETWEEN 0 AND 29) AS deep_actions_30,
       histogram(hod) FILTER (activity AND age BETWEEN 0 AND 29) AS hod_map,
       max(ts_ms) FILTER (activity) AS last_activity_ms,
       max(ts_ms) FILTER (kind = 'profile_update') AS last_profile_update_ms,
       count(*) FILTER (kind = 'profile_update' AND age BETWEEN 0 AND 89) AS profile_updates_90,
       bool_or(kind = 'profile_update' AND field = 'avatar') AS ev_avatar,
       bool_or(kind = 'profile_update' AND field = 'nickname') AS ev_nickname,
       bool_or(kind = 'profile_update' AND field = 'status') AS ev_status,
       max(ts_ms) FILTER (kind = 'purchase') AS last_purchase_ms,
       count(*) FILTER (kind = 'purchase' AND age BETWEEN 0 AND 89) AS purchases_90,
       coalesce(sum(value_micros) FILTER (kind = 'purchase' AND age BETWEEN 0 AND 89), 0) AS purchase_micros_90
FROM ev GROUP BY uid;

-- The lifetime (platform, kind) facets of STATE.md: first and last time of all time,
-- and the newest time before Tc.
CREATE TEMP TABLE kind_facets AS
SELECT e.uid, e.platform, e.kind, e.activity, min(e.ts_ms) AS first_ms, max(e.ts_ms) AS last_ms,
       max(e.ts_ms) FILTER (e.ts_ms < p.tc_ms) AS last_before
FROM ev_all e, params p GROUP BY ALL;

-- MODEL.md "Time": the newest time before Tc is the facet's exact last time when that
-- is before Tc, else the hour log's, to the hour.
CREATE TEMP MACRO newest_before(last_ms, last_before, tc) AS (
    CASE WHEN last_ms < tc THEN last_ms ELSE (last_before // 3600000) * 3600000 END);

-- The newest 64 activity timestamps (of all time) that tamis keeps.
CREATE TEMP TABLE recent AS
SELECT uid, ts_ms
FROM (SELECT uid, ts_ms, row_number() OVER (PARTITION BY uid ORDER BY ts_ms DESC) AS k
      FROM ev_all WHERE activity)
WHERE k <= 64;

-- last_seen: exact from the activity facets first seen before Tc when all of them end
-- before Tc; else the newest kept timestamp before Tc; else the newest activity hour.
CREATE TEMP TABLE last_seen AS
SELECT f.uid,
       CASE WHEN bool_and(f.last_ms < p.tc_ms) THEN max(f.last_ms)
            ELSE coalesce(any_value(r.newest), (max(f.last_before) // 3600000) * 3600000) END AS last_seen_ms
FROM kind_facets f
JOIN params p ON true
LEFT JOIN (SELECT r.uid, max(r.ts_ms) AS newest FROM recent r, params p WHERE r.ts_ms < p.tc_ms GROUP BY r.uid) r
       ON r.uid = f.uid
WHERE f.activity AND f.first_ms < p.tc_ms
GROUP BY f.uid;

-- Runs of consecutive active days within the last 90 (gaps and islands).
CREATE TEMP TABLE active_runs AS
SELECT uid, max(day) AS top, count(*) AS len, count(*) FILTER (age <= 29) AS len_30,
       count(*) FILTER (age <= 6) AS n7, count(*) FILTER (age <= 29) AS n30
FROM (SELECT uid, day, age, day + row_number() OVER (PARTITION BY uid ORDER BY day DESC) AS island
      FROM (SELECT DISTINCT uid, day, age FROM ev WHERE activity AND age BETWEEN 0 AND 89))
GROUP BY uid, island;

CREATE TEMP TABLE continuity AS
SELECT r.uid, sum(r.n7) AS active_days_7, sum(r.n30) AS active_days_30, sum(r.len) AS active_days_90,
       coalesce(max(r.len) FILTER (r.top >= p.d - 1), 0) AS streak,
       max(r.len_30) AS longest_streak_30
FROM active_runs r, params p GROUP BY r.uid;

-- ------------------------------------------------------------------------------
-- Per platform: counts, consent, consecutive failures (MODEL.md: interaction,
-- reachability)
-- ------------------------------------------------------------------------------

CREATE TEMP TABLE platform_counts AS
SELECT uid, platform,
       count(*) FILTER (kind = 'outbound_sent' AND age BETWEEN 0 AND 29) AS outbound_sent_30,
       count(*) FILTER (kind = 'delivered' AND age BETWEEN 0 AND 29) AS delivered_30,
       count(*) FILTER (kind = 'read' AND age BETWEEN 0 AND 29) AS read_30,
       count(*) FILTER (kind = 'reply' AND age BETWEEN 0 AND 29) AS reply_30,
       count(*) FILTER (kind = 'click' AND age BETWEEN 0 AND 29) AS click_30,
       count(*) FILTER (activity AND age BETWEEN 0 AND 29) AS activity_30,
       max(ts_ms) FILTER (activity) AS last_activity_ms
FROM ev GROUP BY uid, platform;

-- Newest consent events and positive receipts before Tc, per platform (-1: none).
CREATE TEMP TABLE platform_times AS
SELECT f.uid, f.platform,
       coalesce(max(newest_before(f.last_ms, f.last_before, p.tc_ms)) FILTER (f.kind = 'opt_in'), -1) AS t_in,
       coalesce(max(newest_before(f.last_ms, f.last_before, p.tc_ms)) FILTER (f.kind = 'opt_out'), -1) AS t_out,
       coalesce(max(newest_before(f.last_ms, f.last_before, p.tc_ms)) FILTER (f.kind = 'block'), -1) AS t_block,
       coalesce(max(newest_before(f.last_ms, f.last_before, p.tc_ms))
                    FILTER (f.kind IN ('delivered', 'read', 'reply', 'click')), -1) AS last_ok
FROM kind_facets f, params p GROUP BY f.uid, f.platform;

-- The platforms a user is present on: an event before Tc, or an identity from the
-- contacts file (one learned from events carries no date: its events decide). tamis
-- details the 8 with the lowest interned ids.
CREATE TEMP TABLE user_platforms AS
SELECT uid, platform
FROM (SELECT u.uid, u.platform, row_number() OVER (PARTITION BY u.uid ORDER BY o.platform_id) AS slot
      FROM (SELECT user_key AS uid, platform FROM contact_owner
            UNION
            SELECT uid, platform FROM platform_counts) u
      JOIN platform_order o ON o.platform = u.platform)
WHERE slot <= 8;

-- tamis keeps the 16 newest failures per platform (newest first, then reason in byte
-- order), whenever they happened; those before Tc, newer than the newest delivered /
-- read / reply / click before Tc and not soft are consecutive failures.
CREATE TEMP TABLE failures AS
SELECT f.uid, f.platform, count(*) AS consecutive_failures,
       arg_min(f.reason, f.pos) AS last_failure_reason
FROM (SELECT uid, platform, ts_ms, reason,
             row_number() OVER (PARTITION BY uid, platform ORDER BY ts_ms DESC, reason) AS pos
      FROM ev_all WHERE kind = 'failed') f
JOIN params p ON true
LEFT JOIN platform_times c ON c.uid = f.uid AND c.platform = f.platform
WHERE f.pos <= 16 AND f.ts_ms < p.tc_ms AND f.ts_ms > coalesce(c.last_ok, -1)
  AND NOT list_contains(${SOFT_REASONS}, f.reason)
GROUP BY f.uid, f.platform;

CREATE TEMP TABLE platform_features AS
SELECT up.uid, up.platform,
       coalesce(c.outbound_sent_30, 0) AS outbound_sent_30, coalesce(c.delivered_30, 0) AS delivered_30,
       coalesce(c.read_30, 0) AS read_30, coalesce(c.reply_30, 0) AS reply_30,
       coalesce(c.click_30, 0) AS click_30, coalesce(c.activity_30, 0) AS activity_30,
       c.reply_30 / nullif(c.outbound_sent_30, 0) AS reply_rate_30,
       c.delivered_30 / nullif(c.outbound_sent_30, 0) AS delivery_rate_30,
       c.read_30 / nullif(c.delivered_30, 0) AS read_rate_30,
       c.click_30 / nullif(c.delivered_30, 0) AS click_rate_30,
       p.d - c.last_activity_ms // 86400000 AS days_since_seen,
       coalesce(f.consecutive_failures, 0) AS consecutive_failures,
       nullif(f.last_failure_reason, '') AS last_failure_reason,
       -- latest of opt_in / opt_out / block; ties: block, then opt_out
       CASE WHEN t.t_block >= 0 AND t.t_block >= t.t_out AND t.t_block >= t.t_in THEN 'blocked'
            WHEN t.t_out >= 0 AND t.t_out >= t.t_in THEN 'opted_out'
            WHEN t.t_in >= 0 THEN 'opted_in' END AS consent,
       EXISTS (SELECT 1 FROM identity_owner o WHERE o.user_key = up.uid AND o.platform = up.platform)
           AS has_identity
FROM user_platforms up
JOIN params p ON true
LEFT JOIN platform_counts c ON c.uid = up.uid AND c.platform = up.platform
LEFT JOIN platform_times t ON t.uid = up.uid AND t.platform = up.platform
LEFT JOIN failures f ON f.uid = up.uid AND f.platform = up.platform;

CREATE TEMP TABLE platform_summary AS
SELECT uid,
       map_from_entries(list({'key': platform, 'value': {
           'outbound_sent_30': outbound_sent_30, 'delivered_30': delivered_30, 'read_30': read_30,
           'reply_30': reply_30, 'click_30': click_30, 'activity_30': activity_30,
           'reply_rate_30': reply_rate_30, 'delivery_rate_30': delivery_rate_30,
           'read_rate_30': read_rate_30, 'click_rate_30': click_rate_30,
           'days_since_seen': days_since_seen, 'consecutive_failures': consecutive_failures,
           'last_failure_reason': last_failure_reason, 'consent': consent, 'has_identity': has_identity,
           'usable': usable}})) AS platforms,
       max(consecutive_failures) AS max_consecutive_failures,
       count(*) FILTER (usable) AS usable_platforms,
       bool_or(consent = 'blocked') AS blocked,
       bool_or(consent = 'opted_out') AS opted_out
FROM (SELECT *, platform <> 'unknown'        -- events without a platform: not a channel
                   AND coalesce(consent NOT IN ('opted_out', 'blocked'), true)
                   AND consecutive_failures < ${UNREACHABLE_FAILURES} AS usable
      FROM platform_features)
GROUP BY uid;

-- ------------------------------------------------------------------------------
-- Risk: devices shared across accounts, timing regularity
-- ------------------------------------------------------------------------------

-- First sighting of each (device, user) before Tc.
CREATE TEMP TABLE device_firsts AS
SELECT device, uid, min(ts_ms) AS first_ms FROM ev WHERE device IS NOT NULL GROUP BY device, uid;

CREATE TEMP TABLE device_risk AS
SELECT a.uid,
       max(n.accounts) AS device_accounts,
       max(coalesce(b.burst, 0)) AS device_burst
FROM device_firsts a
JOIN (SELECT device, count(*) AS accounts FROM device_firsts GROUP BY device) n ON n.device = a.device
LEFT JOIN (SELECT x.device, x.uid, count(*) AS burst
           FROM device_firsts x JOIN device_firsts y
             ON y.device = x.device AND y.uid <> x.uid AND abs(y.first_ms - x.first_ms) <= ${BURST_MINUTES} * 60000
           GROUP BY x.device, x.uid) b ON b.device = a.device AND b.uid = a.uid
GROUP BY a.uid;

-- Gaps between the newest 64 activity timestamps (of all time) that are before Tc.
CREATE TEMP TABLE timing AS
SELECT uid, count(*) AS n_gaps, sum(gap) AS s, sum(gap * gap) AS sq
FROM (SELECT uid, (ts_ms - lag(ts_ms) OVER (PARTITION BY uid ORDER BY ts_ms))::DOUBLE AS gap
      FROM recent r, params p WHERE ts_ms < p.tc_ms)
WHERE gap IS NOT NULL GROUP BY uid;

-- ------------------------------------------------------------------------------
-- One row per user, with the export's field names
-- ------------------------------------------------------------------------------

CREATE TEMP TABLE user_features AS
SELECT u.uid, c.* EXCLUDE (uid), k.* EXCLUDE (uid), ps.* EXCLUDE (uid), dr.* EXCLUDE (uid),
       a.avatar, a.nickname, a.status, ls.last_seen_ms,
       -- population standard deviation / mean of the gaps, as tamis computes it
       CASE WHEN t.n_gaps >= ${REGULAR_MIN_GAPS} THEN
            CASE WHEN t.s / t.n_gaps > 0
                 THEN sqrt(greatest(0.0, t.sq / t.n_gaps - (t.s / t.n_gaps) * (t.s / t.n_gaps))) / (t.s / t.n_gaps)
                 ELSE 0.0 END END AS timing_cv,
       CASE WHEN c.uid IS NULL THEN NULL
            ELSE [coalesce(c.hod_map[h], 0) for h in range(24)] END AS hist
FROM users u
LEFT JOIN user_counts c ON c.uid = u.uid
LEFT JOIN continuity k ON k.uid = u.uid
LEFT JOIN platform_summary ps ON ps.uid = u.uid
LEFT JOIN device_risk dr ON dr.uid = u.uid
LEFT JOIN timing t ON t.uid = u.uid
LEFT JOIN last_seen ls ON ls.uid = u.uid
LEFT JOIN contact_attrs a ON a.uid = u.uid;

CREATE TEMP VIEW reference_features AS
SELECT f.uid AS "user",
       coalesce(f.active_days_7, 0)::INT AS active_days_7,
       coalesce(f.active_days_30, 0)::INT AS active_days_30,
       coalesce(f.active_days_90, 0)::INT AS active_days_90,
       coalesce(f.streak, 0)::INT AS streak,
       coalesce(f.longest_streak_30, 0)::INT AS longest_streak_30,
       strftime(make_timestamp(f.last_seen_ms * 1000), '%Y-%m-%dT%H:%M:%S.%gZ') AS last_seen,
       p.d - f.last_activity_ms // 86400000 AS days_since_seen,
       coalesce(f.online_30, 0) AS online_30,
       coalesce(f.message_sent_30, 0) AS message_sent_30,
       coalesce(f.conversation_open_30, 0) AS conversation_open_30,
       coalesce(f.group_join_30, 0) AS group_join_30,
       coalesce(f.group_leave_30, 0) AS group_leave_30,
       coalesce(f.reply_30, 0) AS reply_30,
       coalesce(f.read_30, 0) AS read_30,
       coalesce(f.view_30, 0) AS view_30,
       coalesce(f.click_30, 0) AS click_30,
       coalesce(f.profile_update_30, 0) AS profile_update_30,
       coalesce(f.purchase_30, 0) AS purchase_30,
       coalesce(f.opt_in_30, 0) AS opt_in_30,
       coalesce(f.opt_out_30, 0) AS opt_out_30,
       coalesce(f.block_30, 0) AS block_30,
       coalesce(f.outbound_sent_30, 0) AS outbound_sent_30,
       coalesce(f.delivered_30, 0) AS delivered_30,
       coalesce(f.failed_30, 0) AS failed_30,
       coalesce(f.activity_30, 0) AS activity_30,
       coalesce(f.deep_actions_30, 0) AS deep_actions_30,
       f.deep_actions_30 / nullif(f.activity_30, 0) AS depth_ratio,
       f.reply_30 / nullif(f.outbound_sent_30, 0) AS reply_rate_30,
       f.delivered_30 / nullif(f.outbound_sent_30, 0) AS delivery_rate_30,
       f.read_30 / nullif(f.delivered_30, 0) AS read_rate_30,
       f.click_30 / nullif(f.delivered_30, 0) AS click_rate_30,
       coalesce(f.avatar, false) OR coalesce(f.ev_avatar, false) AS has_avatar,
       coalesce(f.nickname, false) OR coalesce(f.ev_nickname, false) AS has_nickname,
       coalesce(f.status, false) OR coalesce(f.ev_status, false) AS has_status,
       coalesce(f.profile_updates_90, 0) AS profile_updates_90,
       p.d - f.last_profile_update_ms // 86400000 AS days_since_profile_update,
       coalesce(f.hist, [0 for h in range(24)]) AS hour_hist_30,
       CASE WHEN f.activity_30 > 0 THEN list_position(f.hist, list_max(f.hist)) - 1 END AS peak_hour,
       CASE WHEN f.activity_30 > 0 THEN list_sum(f.hist[7:18]) / f.activity_30 END AS day_share,
       CASE WHEN f.activity_30 > 0
            THEN 1.0 - (-list_sum([CASE WHEN c > 0 THEN (c / f.activity_30) * ln(c / f.activity_30) ELSE 0.0 END
                                      for c in f.hist]))
                       / ln(24.0) END AS regularity,
       coalesce(f.max_consecutive_failures, 0) AS max_consecutive_failures,
       coalesce(f.usable_platforms, 0) AS usable_platforms,
       coalesce(f.device_accounts, 0) AS device_accounts,
       coalesce(f.device_burst, 0) AS device_burst,
       f.timing_cv,
       coalesce(f.timing_cv < ${REGULAR_MAX_CV}, false) AS machine_regular,
       coalesce(f.blocked, false) AS blocked,
       coalesce(f.opted_out, false) AS opted_out,
       p.d - f.last_purchase_ms // 86400000 AS days_since_purchase,
       coalesce(f.purchases_90, 0) AS purchases_90,
       coalesce(f.purchase_micros_90, 0) / 1e6 AS purchase_value_90,
       'UTC' AS zone,
       coalesce(f.platforms, MAP {}) AS platforms
FROM user_features f, params p;
