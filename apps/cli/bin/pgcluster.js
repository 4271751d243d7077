#!/usr/bin/env node
// The `pgcluster` bin: a thin launcher for the compiled CLI (apps/cli/dist).
'use strict';
require('./compile-cache').enable();
// Node 21+ defines navigator.userAgent. On Node 20, pg's "are we a Cloudflare Worker?" check
// falls back to `new Response(…)`, which loads Node's whole fetch implementation (undici):
// about a fifth of a cold start, for an answer that is always no here.
if (typeof globalThis.navigator === 'undefined') {
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` }, writable: true, configurable: true });
}
require('../dist/main.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
    // The command is done: a handle something left open (a pool, a timer) must not keep the
    // process alive, so it exits after a short grace even then.
    setTimeout(() => process.exit(code), 1000).unref();
  })
  .catch((error) => { console.error(`pgcluster: ${error && error.message ? error.message : error}`); process.exitCode = 2; });
