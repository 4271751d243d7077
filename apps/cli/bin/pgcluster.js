#!/usr/bin/env node
// The `pgcluster` bin: a thin launcher for the compiled CLI (apps/cli/dist).
'use strict';
const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') {
  // Answered before any module of the CLI loads (main() gives the same answer, more slowly).
  process.stdout.write(`${require('../package.json').version}\n`);
  return;
}
const entryFile = entry();
// The bundle holds every command: its code cache is kept per command word (the first that is not a flag).
require('./compile-cache').enable({ file: entryFile, variant: args.find((a) => !a.startsWith('-')) ?? '' });
// Node 21+ defines navigator.userAgent. On Node 20, pg's "are we a Cloudflare Worker?" check
// falls back to `new Response(…)`, which loads Node's whole fetch implementation (undici):
// about a fifth of a cold start, for an answer that is always no here.
if (typeof globalThis.navigator === 'undefined') {
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` }, writable: true, configurable: true });
}
require(entryFile)
  .main(args)
  .then((code) => {
    process.exitCode = code;
    // The command is done: a handle something left open (a pool, a timer) must not keep the
    // process alive, so it exits after a short grace even then.
    setTimeout(() => process.exit(code), 1000).unref();
  })
  .catch((error) => { console.error(`pgcluster: ${error && error.message ? error.message : error}`); process.exitCode = 2; });

/**
 * dist/bundle/pgcluster.js (scripts/bundle-cli.mjs: the same modules in one file) when it is at
 * least as new as every project it was made from; else the compiled modules in dist/.
 */
function entry() {
  const { readFileSync, statSync } = require('node:fs');
  const { join } = require('node:path');
  const dir = join(__dirname, '..', 'dist', 'bundle');
  try {
    const built = statSync(join(dir, 'pgcluster.js')).mtimeMs;
    for (const info of JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8')).buildInfos) {
      let changed;
      try {
        changed = statSync(join(dir, info)).mtimeMs;
      } catch {
        continue; // not shipped (a packed install): nothing can have been rebuilt
      }
      if (changed > built) return join(__dirname, '..', 'dist', 'main.js');
    }
    return join(dir, 'pgcluster.js');
  } catch {
    return join(__dirname, '..', 'dist', 'main.js');
  }
}
