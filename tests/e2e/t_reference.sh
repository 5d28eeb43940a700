#!/usr/bin/env bash
# t_reference.sh — differential test of the features (docs/MODEL.md) against an
# independent implementation: bench/reference/features.sql run by DuckDB (node,
# bench/reference/run.mjs) over the same generated contacts and events. Every user is
# put in UTC (tz and country blanked), so the reference needs no time-zone database.
# Every integer feature must be equal and every rate or ratio within 1e-9
# (bench/reference/compare.mjs). Needs node and node_modules: scripts/deps.sh.
source "$(dirname "$0")/lib.sh"
D=$T/data
# gen's default --end (a whole hour: the features see exactly the events before it),
# and a time inside the window that is not a whole hour (Tc rounds it up; later events
# exercise the "as of T" rules of MODEL.md)
AS_OF_TIMES="2026-11-01T00:00:00Z 2026-10-15T12:34:56.789Z"

command -v node >/dev/null || fail "node not found: run scripts/deps.sh"
[ -f "$SRC/node_modules/@duckdb/node-api/package.json" ] ||
  fail "$SRC/node_modules has no @duckdb/node-api: run scripts/deps.sh (npm ci)"

# blank_columns COLS < CSV > CSV: empties the named columns (comma-separated, matched
# case-insensitively) of an RFC 4180 file, every other byte kept. Records are joined
# across physical lines while a quote is open, and commas inside quotes are not split.
blank_columns() {
  awk -v cols="$1" '
    function rewrite(rec,    n, i, c, q, f, out) {
      n = 0; q = 0; f = ""
      for (i = 1; i <= length(rec); i++) {
        c = substr(rec, i, 1)
        if (c == "\"") q = !q
        if (c == "," && !q) { fld[++n] = f; f = ""; continue }
        f = f c
      }
      fld[++n] = f
      out = ""
      for (i = 1; i <= n; i++)
        out = out (i > 1 ? "," : "") ((i in blank) ? "" : fld[i])
      return out
    }
    BEGIN { split(cols, want, ",") }
    {
      line = $0
      rec = open ? rec "\n" line : line
      if (gsub(/"/, "\"", line) % 2) open = !open
      if (open) next
      if (++records == 1) {
        h = rec; sub(/\r$/, "", h); sub(/^\357\273\277/, "", h)
        n = split(h, names, ",")
        for (i = 1; i <= n; i++) {
          k = tolower(names[i]); gsub(/^[ \t"]+|[ \t"]+$/, "", k)
          for (j in want) if (k == want[j]) blank[i] = 1
        }
        print rec
      } else {
        print rewrite(rec)
      }
    }
    END { if (open) print rec }'
}

# check_against_reference D LABEL AS_OF CONTACTS EVENTS: score and export store D as of
# AS_OF, run the reference on the same files, compare every user's features.
check_against_reference() {
  local d=$1 label=$2 as_of=$3 contacts=$4 events=$5
  tm "$d" score -q --as-of "$as_of"
  tm "$d" export --format ndjson -o "$T/tamis.ndjson" 2>/dev/null
  node "$SRC/bench/reference/run.mjs" --contacts "$contacts" --events "$events" \
    --as-of "$as_of" --out "$T/reference.ndjson" || fail "$label: reference run failed"
  echo "$label, as of $as_of:"
  node "$SRC/bench/reference/compare.mjs" "$T/tamis.ndjson" "$T/reference.ndjson" ||
    fail "$label: tamis features as of $as_of differ from the DuckDB reference (bench/reference/features.sql)"
}

# Hand-written edge cases (bench/reference/cases): every timestamp form and many
# rejected ones, bad values, a record with a field too many, identities learned,
# conflicting and made up, duplicate ids, the failure cap and soft reasons, consent
# ties, profile fields from contacts and events, streaks, a machine-regular account.
E=$SRC/bench/reference/cases
tm "$T/edge" import-contacts -q "$E/edge_contacts.csv" 2>/dev/null
tm "$T/edge" ingest -q "$E/edge_events.csv" 2>/dev/null
check_against_reference "$T/edge" "edge cases" 2026-11-01T00:00:00Z "$E/edge_contacts.csv" "$E/edge_events.csv"

"$TAMIS" gen --users 20000 --events 300000 --days 120 --seed 7 -q -o "$T/gen"
blank_columns tz,country < "$T/gen/contacts.csv" > "$T/contacts.csv"
[ "$(wc -l < "$T/contacts.csv")" = "$(wc -l < "$T/gen/contacts.csv")" ] || fail "contacts rewrite lost lines"
# gen writes country and tz as columns 3 and 4, after two fields that are never quoted
awk -F, 'NR > 1 && ($3 != "" || $4 != "") { bad = 1 } END { exit bad }' "$T/contacts.csv" ||
  fail "tz/country not blanked"

tm "$D" import-contacts -q "$T/contacts.csv"
tm "$D" ingest -q "$T/gen/events.csv"
for AS_OF in $AS_OF_TIMES; do
  check_against_reference "$D" "generated data" "$AS_OF" "$T/contacts.csv" "$T/gen/events.csv"
done
