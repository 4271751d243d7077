// Bundles the compiled CLI (dist/main.js and everything it requires: our packages, zod, pg, yargs)
// into one file, dist/bundle/pgcluster.js, which bin/pgcluster.js runs when it is current.
// A cold `pgcluster <skill>` otherwise resolves, reads and wraps about 180 modules one by one;
// one file (with the launcher's V8 code cache) skips that. Modules stay lazy: esbuild wraps each
// CommonJS module and evaluates it at its first require, so `--help` still loads no domain package.
//
// Beside the bundle, dist/bundle/inputs.json lists the build-info files of the workspace projects
// it was made from: when one of them is newer than the bundle (a `tsc -b` since), the launcher
// runs dist/main.js instead, so a stale bundle never runs.
//   node apps/cli/scripts/bundle-cli.mjs   (part of the CLI's build target; needs `tsc -b` first)
import { build } from 'esbuild';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const cliRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(cliRoot, 'dist', 'bundle');
const outfile = join(outDir, 'pgcluster.js');
mkdirSync(outDir, { recursive: true });

const result = await build({
  entryPoints: [join(cliRoot, 'dist', 'main.js')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  metafile: true,
  logLevel: 'warning',
  // pg-native is pg's optional native driver (never installed); the MCP SDK (ESM-heavy) and the
  // dev clusters' @pgcluster/testing load from node_modules when their commands run, and so do
  // kysely (700 KB, required on first use by the pools) and prom-client (--format prometheus):
  // every run reads the whole bundle, so what most runs never require stays out of it. The dashboard
  // reads its page and Chart.js from files beside its own modules, so it must run from its package.
  external: ['pg-native', '@modelcontextprotocol/sdk', '@modelcontextprotocol/sdk/*', '@pgcluster/testing', '@pgcluster/testing/*', '@pgcluster/dashboard', '@pgcluster/dashboard/*', 'kysely', 'prom-client'],
});

// The workspace projects bundled (real paths, outside node_modules) → their tsc build-info files.
const buildInfos = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const file = resolve(process.cwd(), input);
  if (file.includes(`${'/'}node_modules${'/'}`)) continue;
  const distAt = file.lastIndexOf('/dist/');
  if (distAt < 0) continue;
  const info = join(file.slice(0, distAt), 'dist', 'tsconfig.lib.tsbuildinfo');
  if (existsSync(info)) buildInfos.add(relative(outDir, info));
}
writeFileSync(join(outDir, 'inputs.json'), `${JSON.stringify({ buildInfos: [...buildInfos].sort() }, null, 2)}\n`);
process.stderr.write(`bundled ${Object.keys(result.metafile.inputs).length} modules into ${relative(process.cwd(), outfile)}\n`);
