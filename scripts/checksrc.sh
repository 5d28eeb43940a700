#!/usr/bin/env bash
# checksrc.sh — the house rules a compiler does not check (like curl's checksrc):
# banned unsafe functions, raw allocation outside the wrapper, files over 800 lines,
# and a leading comment in every source file. Exit 1 with the offending lines.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
files=$(git ls-files 'src/*.c' 'src/*.h' 'src/*.cc' 'include/*.h' 2>/dev/null || find src include -name '*.[ch]' -o -name '*.cc')

banned=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|strtok)[[:space:]]*\(' $files | grep -vE '\bv?snprintf')
if [ -n "$banned" ]; then echo "checksrc: banned functions:"; echo "$banned"; status=1; fi

raw=$(grep -nE '(^|[^_a-z])(malloc|calloc|realloc|strdup|strndup|free)[[:space:]]*\(' $files \
      | grep -vE 'src/util/alloc.c|tamis_(malloc|calloc|realloc|strdup|strndup|free)|json_|ZSTD_|XXH|mdb_|// |/\*')
if [ -n "$raw" ]; then echo "checksrc: allocation outside include/tamis/alloc.h:"; echo "$raw"; status=1; fi

for f in $files; do
  n=$(wc -l < "$f")
  if [ "$n" -gt 800 ]; then echo "checksrc: $f has $n lines (split it along a real seam)"; status=1; fi
  if ! head -1 "$f" | grep -q '^/\*'; then echo "checksrc: $f does not start with a comment"; status=1; fi
done
[ $status -eq 0 ] && echo "checksrc: ok ($(echo $files | wc -w) files)"
exit $status
