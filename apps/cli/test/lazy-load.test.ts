/**
 * The built CLI loads only the package of the skill it runs: `--help` and `skills list` load
 * no domain package at all (checked in the child's require.cache).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, ROOT } from './helpers/run-cli';

const DOMAIN = /\/packages\/(pools|vector|operations|maintenance|monitoring|security)\//;

/** Runs the built `main` in a child process and returns the domain packages it loaded. */
function loadedBy(args: string[], cwd: string): { code: number; packages: string[] } {
  const script = `
    const { main } = require(${JSON.stringify(join(ROOT, 'apps/cli/dist/main.js'))});
    const io = { stdout() {}, stderr() {}, readStdin: async () => '', cwd: process.cwd(), env: {} };
    main(${JSON.stringify(args)}, { io }).then((code) => {
      const loaded = Object.keys(require.cache).filter((p) => ${DOMAIN}.test(p)).map((p) => p.match(${DOMAIN})[1]);
      process.stdout.write(JSON.stringify({ code, packages: [...new Set(loaded)].sort() }));
    });`;
  const result = spawnSync(process.execPath, ['-e', script], { cwd, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
}

describe('lazy loading (built CLI)', () => {
  let cwd: string;
  beforeAll(() => {
    buildCli();
    cwd = mkdtempSync(join(tmpdir(), 'pgcluster-lazy-'));
  }, 120_000);
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it.each([[['--help']], [['skills', 'list']], [['skills', 'show', 'cluster-status']], [['cluster-status', '--help']]])('%j loads no domain package', (args) => {
    expect(loadedBy(args, cwd)).toEqual({ code: 0, packages: [] });
  });

  it('running a skill loads its own package (and what that package depends on) only', () => {
    // No configuration here: the run fails after loading the skill, which is all this checks.
    const { code, packages } = loadedBy(['cluster-status', '--format', 'json'], cwd);
    const own = JSON.parse(readFileSync(join(ROOT, 'packages/operations/package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const allowed = ['operations', ...Object.keys(own.dependencies ?? {}).map((d) => d.replace('@pgcluster/', ''))];
    expect(code).toBe(2);
    expect(packages).toContain('operations');
    expect(packages.filter((p) => !allowed.includes(p))).toEqual([]);
  });
});
