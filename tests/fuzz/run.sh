#!/usr/bin/env bash
# run.sh TARGET SEED_DIR SECONDS — runs one libFuzzer target for a bounded time.
# New inputs go to a scratch directory, so the checked-in seed corpus is never modified.
set -euo pipefail
target=$1 seeds=$2 secs=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$target" -artifact_prefix="$work/" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$work" "$seeds" 2>"$work.log" || { tail -50 "$work.log"; rm -f "$work.log"; exit 1; }
grep -E 'stat::number_of_executed_units|Done' "$work.log" | tail -2
rm -f "$work.log"
