#!/usr/bin/env node
// `skillgen`: a thin launcher for the compiled generator (tools/skillgen/dist).
// From the workspace root, `pnpm skillgen` runs it through Nx, which builds what it needs first.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'index.js');
if (!existsSync(entry)) {
  console.error('skillgen: tools/skillgen is not built (tools/skillgen/dist/index.js is missing).');
  console.error('hint: run `pnpm skillgen` from the workspace root (its Nx target builds it and the packages first).');
  process.exitCode = 2;
} else {
  process.exitCode = require(entry).runSkillgen(process.argv.slice(2), {
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
  });
}
