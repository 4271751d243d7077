// Shared Jest settings. Tests import sibling packages from their sources, so no build is
// needed before a test run; ts-jest transpiles only (the typecheck target checks types).
const path = require('node:path');

/** @param {string} projectDir @returns {import('jest').Config} */
module.exports = function preset(projectDir) {
  return {
    rootDir: projectDir,
    displayName: path.basename(projectDir),
    // Jest's node environment plus failure flags, skips and interrupt cleanup for @pgcluster/testing's useCluster().
    testEnvironment: path.join(__dirname, 'packages/testing/src/jest/cluster-test-environment.ts'),
    roots: ['<rootDir>/src', '<rootDir>/test'].filter((r) => require('node:fs').existsSync(r.replace('<rootDir>', projectDir))),
    testMatch: ['**/*.spec.ts', '**/*.test.ts'],
    transform: {
      '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(projectDir, 'tsconfig.spec.json'), diagnostics: false }],
    },
    moduleFileExtensions: ['ts', 'js', 'json'],
    moduleNameMapper: {
      '^@pgcluster/(cli|agent|dashboard)$': path.join(__dirname, 'apps/$1/src/index.ts'),
      '^@pgcluster/skillgen$': path.join(__dirname, 'tools/skillgen/src/index.ts'),
      '^@pgcluster/([a-z-]+)$': path.join(__dirname, 'packages/$1/src/index.ts'),
      '^@pgcluster/([a-z-]+)/skills/(.+)$': path.join(__dirname, 'packages/$1/src/skills/$2.ts'),
    },
    testTimeout: 120000,
  };
};
