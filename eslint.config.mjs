import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// The dependency direction (DESIGN §2): core ← skill-kit ← domain packages ← agent ← dashboard ← CLI. Each project's
// package.json carries its `scope:*` tag (`nx.tags`); a domain package uses another one only through
// its public entry point, and @pgcluster/testing is for tests, benchmarks and the CLI's `dev` command.
const RUNTIME_CONSTRAINTS = [
  { sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:core'] },
  { sourceTag: 'scope:kit', onlyDependOnLibsWithTags: ['scope:core'] },
  { sourceTag: 'scope:domain', onlyDependOnLibsWithTags: ['scope:core', 'scope:kit', 'scope:domain'] },
  { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:core'] },
  { sourceTag: 'scope:tool', onlyDependOnLibsWithTags: ['scope:core', 'scope:kit'] },
  // The agent (apps/agent) acts through the domain skills; the dashboard (apps/dashboard) reads them and the
  // agent's outcome store; the CLI bundles both behind its lazily loaded commands.
  { sourceTag: 'scope:agent', onlyDependOnLibsWithTags: ['scope:core', 'scope:kit', 'scope:domain'] },
  { sourceTag: 'scope:ui', onlyDependOnLibsWithTags: ['scope:core', 'scope:kit', 'scope:domain', 'scope:agent'] },
  { sourceTag: 'scope:app', onlyDependOnLibsWithTags: ['scope:core', 'scope:kit', 'scope:domain', 'scope:agent', 'scope:ui', 'scope:testing'] },
  { sourceTag: 'scope:bench', onlyDependOnLibsWithTags: ['scope:core', 'scope:kit', 'scope:domain', 'scope:agent', 'scope:testing'] },
];
// Tests (integration tests in test/, unit specs) may also start clusters with @pgcluster/testing,
// and skillgen's tests scan the domain packages.
const TEST_CONSTRAINTS = RUNTIME_CONSTRAINTS.map((c) => ({
  ...c,
  onlyDependOnLibsWithTags: [...new Set([...c.onlyDependOnLibsWithTags, 'scope:testing', ...(c.sourceTag === 'scope:tool' ? ['scope:domain'] : [])])],
}));
// The CLI requires some packages lazily on purpose (apps/cli/src/cli/skill-kit.ts) and imports their types.
const boundaries = (depConstraints, extra = {}) => [
  'error',
  { enforceBuildableLibDependency: false, allow: [], checkDynamicDependenciesExceptions: ['@pgcluster/*'], depConstraints, ...extra },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/out-tsc/**', '**/node_modules/**', '**/*.cjs', '**/*.js', '.pgcluster/**', 'skills/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(RUNTIME_CONSTRAINTS),
      // Another package's internals are not part of its face: import its entry points only.
      'no-restricted-imports': ['error', { patterns: [{ group: ['@pgcluster/*/src/*', '@pgcluster/*/dist/*'], message: "import the package's public entry point (its index or a subpath in its exports map)" }] }],
    },
  },
  {
    // A package's own tests may import it by its name, as a user would.
    files: ['**/test/**/*.ts', '**/*.spec.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(TEST_CONSTRAINTS, { allowCircularSelfDependency: true }) },
  },
  {
    // skillgen's fixture workspaces are inputs of its tests, not projects of this one.
    files: ['**/test/fixtures/**'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
);
