#!/usr/bin/env bash
# The test command (README, CI): setup, lint, typecheck, every test (against real clusters
# started by @pgcluster/testing), the build, `skillgen --check` and the API reports (`api:check`).
#   bash scripts/test.sh                 everything (nx run-many)
#   bash scripts/test.sh --base <ref>    only projects affected since <ref> (nx affected)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false FORCE_COLOR=0

base=""
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="${2:-}"; shift 2 ;;
    *) echo "usage: bash scripts/test.sh [--base <git ref>]" >&2; exit 2 ;;
  esac
done

start=$(date +%s)
# The tests put their own pgcluster on a temporary PATH; the machine's stays as it is.
PGCLUSTER_INSTALL_PREFIX=none bash scripts/setup.sh

targets=(lint typecheck test build)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ -n "$base" ] && git rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
  echo "[test] nx affected since $base" >&2
  pnpm exec nx affected -t "${targets[@]}" --base="$base" --head=HEAD --parallel=2 --output-style=stream | tee "$log"
else
  [ -n "$base" ] && echo "[test] base '$base' is not in this clone's history: running everything" >&2
  pnpm exec nx run-many -t "${targets[@]}" --parallel=2 --output-style=stream | tee "$log"
fi

if grep -q '"skillgen"' package.json; then
  pnpm -s skillgen --check
fi
# A change to a package's public face shows up in its api-report.md (pnpm api:update writes them).
pnpm -s api:check
# One plain closing line over every Jest run: "N passed, N failed, N skipped".
awk '/Tests: / { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^skipped/) s += $i } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
echo "[test] finished in $(( $(date +%s) - start ))s" >&2
