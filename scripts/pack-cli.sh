#!/usr/bin/env bash
# Packs the `pgcluster` CLI into one self-contained tarball that installs anywhere with npm, without
# this repository and without a registry that holds @pgcluster/*: every @pgcluster/* package and every
# third-party dependency is bundled, at the versions pnpm-lock.yaml pins.
#   bash scripts/pack-cli.sh [OUT_DIR]        → OUT_DIR/pgcluster-cli-<version>.tgz (default dist-pack/)
#   npm install -g OUT_DIR/pgcluster-cli-<version>.tgz && pgcluster --version
# Needs the build (bash scripts/setup.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=$(realpath -m "${1:-dist-pack}")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# A flat node_modules of real files (hoisted), production dependencies only; pnpm gives the injected
# @pgcluster/* packages the exact versions of their siblings instead of `workspace:*`.
pnpm --filter @pgcluster/cli deploy --prod --config.inject-workspace-packages=true --config.node-linker=hoisted \
  --reporter=silent "$stage/pkg" >&2 || { echo "[pack-cli] pnpm deploy failed" >&2; exit 1; }
rm -rf "$stage/pkg/node_modules/.pnpm" "$stage/pkg/node_modules/.modules.yaml"

# Every dependency is bundled: npm installs the tarball from its own node_modules.
version=$(node -e '
  const fs = require("node:fs"); const file = process.argv[1];
  const m = JSON.parse(fs.readFileSync(file, "utf8"));
  m.bundleDependencies = Object.keys(m.dependencies ?? {});
  delete m.devDependencies;
  fs.writeFileSync(file, JSON.stringify(m, null, 2) + "\n");
  console.log(m.version);' "$stage/pkg/package.json")

# tar, not `npm pack`: npm 11 aborts ("Exit handler never called") on this bundled tree.
mkdir -p "$out"
tarball="$out/pgcluster-cli-$version.tgz"
tar -czf "$tarball" -C "$stage/pkg" --owner=0 --group=0 --numeric-owner \
  --exclude='*.tsbuildinfo' --transform 's,^\./,package/,' ./package.json ./README.md ./LICENSE ./bin ./dist ./node_modules
echo "$tarball"
