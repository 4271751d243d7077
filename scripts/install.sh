#!/usr/bin/env bash
# Puts `pgcluster` on PATH from this clone: writes a small launcher, <prefix>/bin/pgcluster, that runs
# this checkout's CLI (apps/cli/bin/pgcluster.js) with the Node.js found now. The default prefix is
# /usr/local as root and ~/.local otherwise. scripts/setup.sh runs it at its end; the build must exist.
#   bash scripts/install.sh [--prefix DIR]
# An existing <prefix>/bin/pgcluster that this script did not write (e.g. from `npm install -g`) is
# left alone unless --force is given.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf '[install] %s\n' "$*" >&2; }
die() { printf '[install] ERROR: %s\n' "$*" >&2; exit 2; }

if [ "$(id -u)" = 0 ]; then prefix=/usr/local; else prefix="$HOME/.local"; fi
force=false
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ -n "${2:-}" ] || die "--prefix needs a directory"; prefix="$2"; shift 2 ;;
    --force) force=true; shift ;;
    *) die "usage: bash scripts/install.sh [--prefix DIR] [--force]" ;;
  esac
done

entry="$repo/apps/cli/bin/pgcluster.js"
[ -f "$repo/apps/cli/dist/main.js" ] || die "the CLI is not built: run bash scripts/setup.sh first"
node=$(command -v node) || die "Node.js 20 or newer is needed on PATH"
bin="$prefix/bin"
launcher="$bin/pgcluster"
marker="# pgcluster launcher (scripts/install.sh)"
if [ -e "$launcher" ] && ! grep -qF "$marker" "$launcher" 2>/dev/null && [ "$force" != true ]; then
  die "$launcher exists and was not written by this script: remove it, or run again with --force"
fi
mkdir -p "$bin"
tmp="$launcher.$$"
printf '#!/bin/sh\n%s\nexec %q %q "$@"\n' "$marker: $repo" "$node" "$entry" > "$tmp"
chmod 755 "$tmp"
mv -f "$tmp" "$launcher"
log "pgcluster → $launcher (runs $entry)"
case ":$PATH:" in
  *":$bin:"*) ;;
  *) log "$bin is not on PATH: add it, e.g. echo 'export PATH=\"$bin:\$PATH\"' >> ~/.profile" ;;
esac
