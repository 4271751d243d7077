#!/usr/bin/env bash
# Packs the `pgcluster` CLI into one self-contained tarball that installs anywhere with npm, without
# this repository and without a registry that holds @pgcluster/*: every @pgcluster/* package and every
# third-party dependency is bundled in it.
#   bash scripts/pack-cli.sh [OUT_DIR]        → OUT_DIR/pgcluster-cli-<version>.tgz (default dist-pack/)
#   npm install -g OUT_DIR/pgcluster-cli-<version>.tgz && pgcluster --version
# Needs the build (bash scripts/setup.sh) and the npm registry (for the third-party dependencies).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=$(realpath -m "${1:-dist-pack}")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
log() { printf '[pack-cli] %s\n' "$*" >&2; }

# `pnpm pack` of the CLI, the apps it bundles (agent, dashboard) and every @pgcluster/* package (pnpm turns workspace:* into versions).
for dir in apps/cli apps/agent apps/dashboard packages/*; do
  (cd "$dir" && pnpm pack --pack-destination "$stage" >/dev/null)
done
mkdir "$stage/pkg"
tar -xzf "$stage"/pgcluster-cli-*.tgz -C "$stage/pkg" --strip-components=1
# `skills show|install` read the generated SKILL.md files from the first skills/ folder above the CLI.
cp -r skills "$stage/pkg/skills"

# npm lays out node_modules itself (pnpm's hoisted layout gives cliui the ESM-only strip-ansi 7):
# the @pgcluster/* packages from their tarballs, the rest from the registry.
node - "$stage" <<'JS'
const fs = require('node:fs');
const path = require('node:path');
const stage = process.argv[2];
const file = path.join(stage, 'pkg', 'package.json');
const m = JSON.parse(fs.readFileSync(file, 'utf8'));
const local = fs.readdirSync(stage).filter((f) => f.endsWith('.tgz') && !f.startsWith('pgcluster-cli-'));
for (const tgz of local) {
  const name = `@pgcluster/${tgz.replace(/^pgcluster-/, '').replace(/-\d+\.\d+\.\d+\.tgz$/, '')}`;
  m.dependencies[name] = `file:${path.join(stage, tgz)}`;
}
delete m.devDependencies;
fs.writeFileSync(file, JSON.stringify(m, null, 2) + '\n');
JS
log "installing the CLI's dependencies with npm"
(cd "$stage/pkg" && env $(env | grep -oiE '^(npm|pnpm)_[^=]*' | sed 's/^/-u /') npm install --omit=dev --omit=peer --no-package-lock --no-audit --no-fund --loglevel=error >&2)

# Bundle every dependency, named by version again (not by the stage's file: paths).
version=$(node -e '
  const fs = require("node:fs"); const path = require("node:path"); const file = process.argv[1];
  const m = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const name of Object.keys(m.dependencies)) {
    if (String(m.dependencies[name]).startsWith("file:")) {
      m.dependencies[name] = JSON.parse(fs.readFileSync(path.join(path.dirname(file), "node_modules", name, "package.json"), "utf8")).version;
    }
  }
  m.bundleDependencies = Object.keys(m.dependencies);
  fs.writeFileSync(file, JSON.stringify(m, null, 2) + "\n");
  console.log(m.version);' "$stage/pkg/package.json")

# tar, not `npm pack` (npm 11 aborts with "Exit handler never called" on a bundled tree this size).
mkdir -p "$out"
tarball="$out/pgcluster-cli-$version.tgz"
(cd "$stage/pkg" && tar -czf "$tarball" --owner=0 --group=0 --numeric-owner --transform 's,^\./,package/,' \
  ./package.json ./README.md ./LICENSE ./bin ./dist ./skills ./node_modules)
echo "$tarball"
