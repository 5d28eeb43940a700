#!/usr/bin/env bash
# t_pg_export.sh — `tamis export --to postgresql://…` against a real PostgreSQL 15
# (Debian's postgresql package: initdb into the scratch directory, pg_ctl on a free
# loopback port, stopped on exit). Checks: every scored user lands in tamis_users
# with the values `export --format ndjson` gives; a re-export converges (no
# duplicates, nothing rewritten); a forgotten user disappears, also from segments;
# --tier and --columns; failures (bad URL, a refused write in the middle of the
# merge) exit 6 and leave the previous rows intact. The segment path of the library
# runs through the cmocka binary test_pg_export with this server (when built).
source "$(dirname "$0")/lib.sh"
PGBIN=/usr/lib/postgresql/15/bin
[ -x "$PGBIN/pg_ctl" ] || fail "$PGBIN/pg_ctl missing: run scripts/deps.sh (package postgresql)"

# --- the server --------------------------------------------------------------------
PGD=$T/pg
mkdir -p "$PGD"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then chmod 755 "$T"; chown postgres "$PGD"; fi
pg_stop() { [ -f "$PGD/data/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -m immediate -w stop >/dev/null 2>&1 || true; }
trap 'pg_stop; rm -rf "$T"' EXIT
as_pg "$PGBIN/initdb" -D "$PGD/data" -A trust -U postgres -E UTF8 --no-locale >"$PGD/initdb.log" 2>&1 ||
  fail "initdb: $(tail -n 5 "$PGD/initdb.log")"
started=
for _ in 1 2 3 4 5; do
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w -t 30 \
       -o "-p $PORT -k $PGD -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null; then
    started=1; break
  fi
done
[ -n "$started" ] || fail "PostgreSQL did not start: $(tail -n 5 "$PGD/log")"
URL="postgresql://postgres@127.0.0.1:$PORT/postgres"
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$URL" -c "$1"; }

# --- a scored store ----------------------------------------------------------------
D=$T/d
"$TAMIS" gen --users 1500 --events 30000 --days 100 --seed 7 -q -o "$T/g"
tm "$D" import-contacts "$T/g/contacts.csv" 2>/dev/null
tm "$D" ingest "$T/g/events.csv" 2>/dev/null
tm "$D" score --as-of 2026-11-01T00:00:00Z 2>/dev/null
tm "$D" export --format ndjson > "$T/all.ndjson" 2>/dev/null
N=$(wc -l < "$T/all.ndjson")
[ "$N" -gt 1000 ] || fail "only $N scored users"

# --- usage ---------------------------------------------------------------------------
expect_exit 2 tm "$D" export --to "mysql://x/y" 2>/dev/null
expect_exit 2 tm "$D" export --to "$URL" -o "$T/x.csv" 2>/dev/null
expect_exit 2 tm "$D" export --to "$URL" --format ndjson 2>/dev/null
expect_exit 2 tm "$D" export --to "$URL" --columns score,tier 2>"$T/e"
grep -q "must include 'user'" "$T/e" || fail "--columns without user: $(cat "$T/e")"

# --- first export: every user, the values of `export --format ndjson` --------------
tm "$D" export --to "$URL" 2>"$T/e1" || fail "export: $(cat "$T/e1")"
grep -q "^export: $N user(s) to PostgreSQL: $N inserted, 0 updated, 0 unchanged, 0 deleted" "$T/e1" ||
  fail "first export summary: $(cat "$T/e1")"
[ "$(q "SELECT count(*) FROM tamis_users")" = "$N" ] || fail "tamis_users does not hold $N rows"
q "SELECT row_to_json(t) FROM tamis_users t" > "$T/pg.ndjson"
# compare DB rows with NDJSON: $1 the NDJSON, $2 the DB rows, $3 the columns (all if empty)
compare() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
from datetime import datetime
def when(s): return datetime.fromisoformat(s.replace("Z", "+00:00"))
want = {}
for line in open(sys.argv[1]):
    o = json.loads(line); want[o["user"]] = o
got = {}
for line in open(sys.argv[2]):
    o = json.loads(line); got[o["user_key"]] = o
cols = sys.argv[3].split(",") if sys.argv[3] else None
assert set(want) == set(got), (len(want), len(got), sorted(set(want) ^ set(got))[:5])
for k, w in want.items():
    g = got[k]
    assert g["exported_at"], k
    for c, v in w.items():
        if cols and c not in cols: continue
        gv = g["user_key" if c == "user" else c]
        if c == "last_seen" and v is not None:
            assert when(v) == when(gv), (k, c, v, gv)
        elif c == "platforms":  # the export leaves null members out
            v = {p: {m: x for m, x in d.items() if x is not None} for p, d in v.items()}
            assert gv == v, (k, c, v, gv)
        else:
            assert gv == v, (k, c, v, gv)
    if cols:
        for c in g:
            if c not in ("user_key", "exported_at", "row_hash") and c not in cols:
                assert g[c] is None, (k, c, g[c])
print(len(want))
PY
}
compare "$T/all.ndjson" "$T/pg.ndjson" "" >/dev/null || fail "PostgreSQL rows differ from export --format ndjson"
q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'tamis_users'::regclass
   AND attname IN ('score', 'depth_ratio', 'has_avatar', 'last_seen', 'tier', 'reasons', 'platforms', 'hour_hist_30')
   ORDER BY attname" | tr '\n' ' ' > "$T/types"
[ "$(cat "$T/types")" = "double precision boolean json timestamp with time zone json json bigint text " ] ||
  fail "column types: $(cat "$T/types")"
# every row was written by the export (its fingerprint set), in one transaction
[ "$(q "SELECT count(*) FILTER (WHERE row_hash IS NOT NULL) || ',' || count(DISTINCT xmin::text) FROM tamis_users")" = "$N,1" ] ||
  fail "row_hash or xmin of the first export"

# --- re-export (postgres:// too): converges, rewrites nothing ------------------------
t1=$(q "SELECT max(exported_at) FROM tamis_users")
tm "$D" export --to "postgres://postgres@127.0.0.1:$PORT/postgres" 2>"$T/e2" || fail "re-export: $(cat "$T/e2")"
grep -q ": 0 inserted, 0 updated, $N unchanged, 0 deleted" "$T/e2" || fail "re-export summary: $(cat "$T/e2")"
grep -q "^export: 0 row(s) sent" "$T/e2" || fail "unchanged rows were sent again: $(cat "$T/e2")"
[ "$(q "SELECT count(*) || ',' || count(DISTINCT user_key) FROM tamis_users")" = "$N,$N" ] || fail "duplicates"
[ "$(q "SELECT max(exported_at) FROM tamis_users")" = "$t1" ] || fail "unchanged rows were rewritten"
[ "$(q "SELECT count(*) FROM tamis_exports")" = 2 ] || fail "tamis_exports does not hold 2 exports"

# --- segments through the library (cmocka, this server) ----------------------------
UNIT=$(dirname "$TAMIS")/test_pg_export
if [ -x "$UNIT" ]; then
  TAMIS_PG_CONNINFO="$URL" TAMIS_PG_DATA="$D" "$UNIT" > "$T/unit.out" 2>&1 ||
    fail "test_pg_export: $(cat "$T/unit.out")"
  grep -q "SKIPPED" "$T/unit.out" && fail "test_pg_export skipped: $(cat "$T/unit.out")"
  SEG_KEY=$(q "SELECT min(user_key) FROM tamis_segment_members")
  [ -n "$SEG_KEY" ] || fail "no segment members after test_pg_export"
else
  echo "note: $UNIT is not built here (this build makes only tamis): segment path not run" >&2
  SEG_KEY=$(head -n 1 "$T/all.ndjson" | python3 -c 'import json,sys; print(json.load(sys.stdin)["user"])')
fi

# --- the store's saved segments go with every export; others are dropped -------------
tm "$D" segment create active_pg 'tier in ("daily_active", "high_interaction", "occasional")' 2>/dev/null
want_seg=$(tm "$D" segment members active_pg --columns user | tail -n +2 | wc -l)
[ "$want_seg" -gt 1 ] || fail "the segment of the test has $want_seg members"
tm "$D" export --to "$URL" 2>"$T/e2b" || fail "export with a segment: $(cat "$T/e2b")"
grep -q "; 1 segment(s)" "$T/e2b" || fail "segment not exported: $(cat "$T/e2b")"
[ "$(q "SELECT size FROM tamis_segments WHERE name = 'active_pg'")" = "$want_seg" ] || fail "segment size"
[ "$(q "SELECT count(*) FROM tamis_segment_members WHERE segment = 'active_pg'")" = "$want_seg" ] ||
  fail "segment members"
[ "$(q "SELECT count(*) FROM tamis_segments WHERE name <> 'active_pg'")" = 0 ] ||
  fail "a segment the store does not have was kept"
SEG_KEY=$(q "SELECT min(user_key) FROM tamis_segment_members WHERE segment = 'active_pg'")

# --- a forgotten user disappears (from segments too) --------------------------------
tm "$D" forget "$SEG_KEY" 2>/dev/null
tm "$D" export --to "$URL" 2>"$T/e3" || fail "export after forget: $(cat "$T/e3")"
grep -q ": 0 inserted, 0 updated, $((N - 1)) unchanged, 1 deleted" "$T/e3" || fail "after forget: $(cat "$T/e3")"
[ "$(q "SELECT count(*) FROM tamis_users WHERE user_key = '$SEG_KEY'")" = 0 ] || fail "$SEG_KEY still exported"
[ "$(q "SELECT count(*) FROM tamis_segment_members WHERE user_key = '$SEG_KEY'")" = 0 ] ||
  fail "$SEG_KEY still a segment member"
[ "$(q "SELECT size FROM tamis_segments WHERE name = 'active_pg'")" = $((want_seg - 1)) ] ||
  fail "segment size not recounted"
N=$((N - 1))

# --- failures leave the previous rows intact ---------------------------------------
sum() { q "SELECT count(*) || ':' || md5(string_agg(t::text, '|' ORDER BY user_key)) FROM tamis_users t"; }
before=$(sum)
exports=$(q "SELECT count(*) FROM tamis_exports")
expect_exit 6 tm "$D" export --to "postgresql://postgres@127.0.0.1:1/postgres" 2>"$T/f1"
grep -q "^tamis export: connecting: " "$T/f1" || fail "bad URL message: $(cat "$T/f1")"
[ "$(sum)" = "$before" ] || fail "a failed connection changed tamis_users"
# drift made by someone else: one row gone, one changed; then every write is refused
VICTIM=$(q "SELECT min(user_key) FROM tamis_users")
q "DELETE FROM tamis_users WHERE user_key = '$VICTIM'"
q "UPDATE tamis_users SET score = -1 WHERE user_key = (SELECT max(user_key) FROM tamis_users)"
q "ALTER TABLE tamis_users ADD CONSTRAINT refuse_writes CHECK (score < -100) NOT VALID"
before=$(sum)
expect_exit 6 tm "$D" export --to "$URL" 2>"$T/f2"
grep -qE "^tamis export: (updating|inserting into) tamis_users: ERROR: .*refuse_writes" "$T/f2" ||
  fail "refused write message: $(cat "$T/f2")"
[ "$(sum)" = "$before" ] || fail "a failed export changed tamis_users"
[ "$(q "SELECT count(*) FROM tamis_exports")" = "$exports" ] || fail "a failed export was recorded"
q "ALTER TABLE tamis_users DROP CONSTRAINT refuse_writes"
tm "$D" export --to "$URL" 2>"$T/e4" || fail "export after the failure: $(cat "$T/e4")"
grep -q ": 1 inserted, 1 updated, $((N - 2)) unchanged, 0 deleted" "$T/e4" || fail "repair: $(cat "$T/e4")"
tm "$D" export --format ndjson > "$T/all2.ndjson" 2>/dev/null
q "SELECT row_to_json(t) FROM tamis_users t" > "$T/pg2.ndjson"
compare "$T/all2.ndjson" "$T/pg2.ndjson" "" >/dev/null || fail "rows differ from the store after the repair"

# --- trust: rows written by others are compared value by value, then trusted again ---
# (pg_known.c: a row is skipped only when a committed export wrote it, fingerprint and all)
stamps() { q "SELECT count(*) || ':' || md5(string_agg(user_key || exported_at::text, '|' ORDER BY user_key)) FROM tamis_users"; }
before=$(stamps)
q "UPDATE tamis_users SET tier = tier" # the same values in new row versions
tm "$D" export --to "$URL" 2>"$T/t1" || fail "export after a no-op update: $(cat "$T/t1")"
grep -q ": 0 inserted, 0 updated, $N unchanged, 0 deleted" "$T/t1" || fail "after a no-op update: $(cat "$T/t1")"
grep -q "^export: $N row(s) sent" "$T/t1" || fail "rows written by others were trusted: $(cat "$T/t1")"
[ "$(stamps)" = "$before" ] || fail "exported_at moved although no value changed"
tm "$D" export --to "$URL" 2>"$T/t2" || fail "export: $(cat "$T/t2")"
grep -q "^export: 0 row(s) sent" "$T/t2" || fail "compared rows were not trusted again: $(cat "$T/t2")"
q "DELETE FROM tamis_exports" # no record of the exports: nothing is trusted
tm "$D" export --to "$URL" 2>"$T/t3" || fail "export: $(cat "$T/t3")"
grep -q "^export: $N row(s) sent" "$T/t3" || fail "rows trusted without an export record: $(cat "$T/t3")"
grep -q ": 0 inserted, 0 updated, $N unchanged, 0 deleted" "$T/t3" || fail "without records: $(cat "$T/t3")"
q "UPDATE tamis_exports SET seconds = seconds" # records rewritten (as by a restore): they vouch for nothing
tm "$D" export --to "$URL" 2>"$T/t3b" || fail "export: $(cat "$T/t3b")"
grep -q "^export: $N row(s) sent" "$T/t3b" || fail "rows trusted on rewritten records: $(cat "$T/t3b")"
# another tool's column keeps its values; a JSON value edited by hand is repaired
q "ALTER TABLE tamis_users ADD COLUMN crm_note text"
q "UPDATE tamis_users SET crm_note = 'vip' WHERE user_key = '$VICTIM'"
EDITED=$(q "SELECT max(user_key) FROM tamis_users")
q "UPDATE tamis_users SET platforms = '{}' WHERE user_key = '$EDITED'"
tm "$D" export --to "$URL" 2>"$T/t4" || fail "export: $(cat "$T/t4")"
grep -q ": 0 inserted, 1 updated, $((N - 1)) unchanged, 0 deleted" "$T/t4" || fail "hand edits: $(cat "$T/t4")"
grep -q "^export: 2 row(s) sent" "$T/t4" || fail "hand edits: $(cat "$T/t4")"
[ "$(q "SELECT crm_note FROM tamis_users WHERE user_key = '$VICTIM'")" = vip ] || fail "another tool's column lost"
q "SELECT row_to_json(t) FROM tamis_users t" > "$T/pg4.ndjson"
compare "$T/all2.ndjson" "$T/pg4.ndjson" "" >/dev/null || fail "rows differ from the store after hand edits"
q "ALTER TABLE tamis_users DROP COLUMN crm_note"
# other columns, then all again: another fingerprint seed, so every row is compared
tm "$D" export --to "$URL" --columns user,score,tier 2>"$T/t5" || fail "export --columns: $(cat "$T/t5")"
grep -q "^export: $N row(s) sent" "$T/t5" || fail "--columns: $(cat "$T/t5")"
grep -q ": 0 inserted, 0 updated, $N unchanged, 0 deleted" "$T/t5" || fail "--columns: $(cat "$T/t5")"
tm "$D" export --to "$URL" 2>"$T/t6" || fail "export: $(cat "$T/t6")"
grep -q ": 0 inserted, 0 updated, $N unchanged, 0 deleted" "$T/t6" || fail "all columns again: $(cat "$T/t6")"

# --- an emptied table is filled by COPY straight into it -----------------------------
q "DELETE FROM tamis_users"
tm "$D" export --to "$URL" 2>"$T/t7" || fail "export into an empty table: $(cat "$T/t7")"
grep -q ": $N inserted, 0 updated, 0 unchanged, 0 deleted" "$T/t7" || fail "empty table: $(cat "$T/t7")"
[ "$(q "SELECT count(*) FROM tamis_segment_members WHERE segment = 'active_pg'")" = $((want_seg - 1)) ] ||
  fail "segment members not restored after the table was emptied"
q "SELECT row_to_json(t) FROM tamis_users t" > "$T/pg5.ndjson"
compare "$T/all2.ndjson" "$T/pg5.ndjson" "" >/dev/null || fail "rows differ after the table was emptied"

# --- schema version 1 (jsonb, no row_hash, no xid) is converted; a view blocks it ----
q "ALTER TABLE tamis_users DROP COLUMN row_hash, ALTER COLUMN hour_hist_30 TYPE jsonb USING hour_hist_30::jsonb,
   ALTER COLUMN reasons TYPE jsonb USING reasons::jsonb, ALTER COLUMN platforms TYPE jsonb USING platforms::jsonb"
q "ALTER TABLE tamis_exports DROP COLUMN xid"
q "CREATE VIEW telegram_failing AS SELECT user_key FROM tamis_users
   WHERE (platforms -> 'telegram' ->> 'consecutive_failures')::int >= 3"
before=$(sum)
expect_exit 6 tm "$D" export --to "$URL" 2>"$T/m1"
grep -q "^tamis export: converting tamis_users to schema version 2 .*cannot alter type of a column used by a view" \
  "$T/m1" || fail "conversion blocked by a view: $(cat "$T/m1")"
[ "$(sum)" = "$before" ] || fail "a failed conversion changed tamis_users"
q "DROP VIEW telegram_failing"
tm "$D" export --to "$URL" 2>"$T/m2" || fail "conversion: $(cat "$T/m2")"
# jsonb's text differs from tamis's (spaces, key order): every row is rewritten once
grep -q ": 0 inserted, $N updated, 0 unchanged, 0 deleted" "$T/m2" || fail "conversion summary: $(cat "$T/m2")"
q "SELECT row_to_json(t) FROM tamis_users t" > "$T/pg6.ndjson"
compare "$T/all2.ndjson" "$T/pg6.ndjson" "" >/dev/null || fail "rows differ after the conversion"
[ "$(q "SELECT string_agg(format_type(atttypid, atttypmod), ' ' ORDER BY attname) FROM pg_attribute
       WHERE attrelid = 'tamis_users'::regclass AND attname IN ('platforms', 'reasons', 'row_hash')")" = \
  "json json bigint" ] || fail "types after the conversion"
tm "$D" export --to "$URL" 2>"$T/m3" || fail "export after the conversion: $(cat "$T/m3")"
grep -q "^export: 0 row(s) sent" "$T/m3" || fail "not trusted after the conversion: $(cat "$T/m3")"

# --- --tier and --columns, into another database -------------------------------------
q "CREATE DATABASE other"
URL2="postgresql://postgres@127.0.0.1:$PORT/other"
tm "$D" export --to "$URL2" --tier daily_active,silent 2>/dev/null
want=$(grep -cE '"tier":"(daily_active|silent)"' "$T/all2.ndjson")
[ "$(psql -X -At "$URL2" -c "SELECT count(*) FROM tamis_users")" = "$want" ] || fail "--tier: not $want rows"
[ "$(psql -X -At "$URL2" -c "SELECT count(*) FROM tamis_users WHERE tier NOT IN ('daily_active', 'silent')")" = 0 ] ||
  fail "--tier exported other tiers"
psql -X -q "$URL2" -c "DROP TABLE tamis_segment_members, tamis_segments, tamis_users"
tm "$D" export --to "$URL2" --columns user,score,tier,reasons 2>/dev/null
psql -X -At "$URL2" -c "SELECT row_to_json(t) FROM tamis_users t" > "$T/pg3.ndjson"
compare "$T/all2.ndjson" "$T/pg3.ndjson" "user,score,tier,reasons" >/dev/null || fail "--columns rows"
echo "ok: $N users exported to PostgreSQL, re-exports converge, failures leave the tables intact"
