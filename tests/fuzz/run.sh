#!/usr/bin/env bash
# run.sh TARGET SEED_DIR SECONDS — runs one libFuzzer target for a bounded time.
# New inputs go to a scratch directory, so the checked-in seed corpus is never modified.
# Inputs are at most 4 KiB, or as long as the longest seed (column copies are larger).
set -euo pipefail
target=$1 seeds=$2 secs=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
max_len=4096
for f in "$seeds"/*; do
    size=$(stat -c %s "$f")
    [ "$size" -le "$max_len" ] || max_len=$size
done
"$target" -artifact_prefix="$work/" -max_total_time="$secs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$work" "$seeds" 2>"$work.log" || { tail -50 "$work.log"; rm -f "$work.log"; exit 1; }
grep -E 'stat::number_of_executed_units|Done' "$work.log" | tail -2
rm -f "$work.log"
