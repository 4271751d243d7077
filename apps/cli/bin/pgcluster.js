#!/usr/bin/env node
// The `pgcluster` bin: a thin launcher for the compiled CLI (apps/cli/dist).
'use strict';
require('../dist/main.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
    // The command is done: a handle something left open (a pool, a timer) must not keep the
    // process alive, so it exits after a short grace even then.
    setTimeout(() => process.exit(code), 1000).unref();
  })
  .catch((error) => { console.error(`pgcluster: ${error && error.message ? error.message : error}`); process.exitCode = 2; });
