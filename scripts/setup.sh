#!/usr/bin/env bash
# One-step, idempotent setup of pgcluster on a fresh Debian machine (or a ready one, in seconds):
#   1. system packages and pgvector 0.8.0 (scripts/setup-system.sh, only what is missing)
#   2. pnpm, at the version pinned in package.json's packageManager
#   3. node_modules (pnpm install --frozen-lockfile), skipped when the lockfile is unchanged
#   4. the build (tsc -b, incremental)
#   5. `pgcluster` on PATH (scripts/install.sh: a launcher in /usr/local/bin as root, ~/.local/bin
#      otherwise; PGCLUSTER_INSTALL_PREFIX=DIR picks another prefix, PGCLUSTER_INSTALL_PREFIX=none skips it)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

bash scripts/setup-system.sh

command -v node >/dev/null || die "Node.js 20 or newer is needed: install it (e.g. apt-get install nodejs) and run this again."
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node -v) is too old: pgcluster needs Node.js 20 or newer."

pnpm_version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  log "installing pnpm ${pnpm_version}"
  npm install -g --silent "pnpm@${pnpm_version}" >/dev/null 2>&1 \
    || die "could not install pnpm ${pnpm_version} with npm (not root?). Run: npm install -g pnpm@${pnpm_version}  (or: corepack enable)"
fi

# pnpm records what it installed in node_modules/.modules.yaml; compare the lockfile against
# a stamp so a ready machine skips even pnpm's own (quick, but not free) check.
stamp=node_modules/.pgcluster-lock.sha
lock_sum=$(sha256sum pnpm-lock.yaml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ] || [ ! -e node_modules/.bin/nx ]; then
  log "installing node modules"
  install_log=$(mktemp)
  if ! pnpm install --frozen-lockfile --reporter=append-only >"$install_log" 2>&1; then
    tail -n 25 "$install_log" >&2; rm -f "$install_log"
    die "pnpm install failed (output above)"
  fi
  rm -f "$install_log"
  echo "$lock_sum" > "$stamp"
fi

# tsc's own up-to-date check (the same `tsc --build tsconfig.lib.json` that nx's build target
# runs per project) returns in about a second when nothing changed.
log "building"
build_log=$(mktemp)
if ! node_modules/.bin/tsc -b packages/*/tsconfig.lib.json tools/*/tsconfig.lib.json apps/*/tsconfig.lib.json >"$build_log" 2>&1; then
  cat "$build_log" >&2; rm -f "$build_log"
  die "the build failed (output above)"
fi
rm -f "$build_log"
# The CLI's one-file bundle (the launcher falls back to dist/main.js while it is missing or stale).
node apps/cli/scripts/bundle-cli.mjs || die "bundling the CLI failed"
[ -e node_modules/.bin/pgcluster ] || die "node_modules/.bin/pgcluster is missing after install"
if [ "${PGCLUSTER_INSTALL_PREFIX:-}" = none ]; then
  log "ready: pnpm exec pgcluster --help"
else
  bash scripts/install.sh ${PGCLUSTER_INSTALL_PREFIX:+--prefix "$PGCLUSTER_INSTALL_PREFIX"}
  log "ready: pgcluster --help"
fi
