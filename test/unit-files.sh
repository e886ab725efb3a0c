#!/usr/bin/env bash
# The server test files for `npm run test:unit`: those in test/slow-files.txt first (longest first), then the rest in
# name order. The runner starts files in the order given, so a long file does not start last and run alone at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
{
  grep -vE '^[[:space:]]*(#|$)' test/slow-files.txt | while read -r f; do if [ -f "$f" ]; then echo "$f"; fi; done
  find test -name '*.test.ts' -not -path 'test/e2e/*' | sort
} | awk '!seen[$0]++'
