#!/usr/bin/env node
// The `pgcluster` bin: a thin launcher for the compiled CLI (apps/cli/dist).
'use strict';
require('./compile-cache').enable();
require('../dist/main.js')
  .main(process.argv.slice(2))
  .then((code) => { process.exitCode = code; })
  .catch((error) => { console.error(`pgcluster: ${error && error.message ? error.message : error}`); process.exitCode = 2; });
