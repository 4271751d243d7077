/**
 * The built CLI loads only the package of the skill it runs: `--help` and `skills list` load
 * no domain package at all, `--help` and `--version` not even core or skill-kit, and a skill
 * run loads its own command module only (checked in the child's require.cache).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, ROOT } from './helpers/run-cli';

const DOMAIN = /\/packages\/(pools|vector|operations|maintenance|monitoring|security)\//;
const BASE = /\/packages\/(core|skill-kit)\//;
const COMMAND_MODULE = /\/generated\/commands\/([a-z0-9-]+)\.js$/;

/** Runs the built `main` in a child process and returns the domain packages it loaded. */
function loadedBy(args: string[], cwd: string, pattern: RegExp = DOMAIN): { code: number; packages: string[] } {
  const script = `
    const { main } = require(${JSON.stringify(join(ROOT, 'apps/cli/dist/main.js'))});
    const io = { stdout() {}, stderr() {}, readStdin: async () => '', cwd: process.cwd(), env: {} };
    main(${JSON.stringify(args)}, { io }).then((code) => {
      const loaded = Object.keys(require.cache).filter((p) => ${pattern}.test(p)).map((p) => p.match(${pattern})[1]);
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

  it.each([[['--help']], [['--version']]])('%j loads neither core nor skill-kit nor any command module', (args) => {
    expect(loadedBy(args, cwd, BASE)).toEqual({ code: 0, packages: [] });
    expect(loadedBy(args, cwd, COMMAND_MODULE)).toEqual({ code: 0, packages: [] });
  });

  it('a mistyped command loads no command module (only what reports the error)', () => {
    expect(loadedBy(['cluster-statu'], cwd, COMMAND_MODULE)).toEqual({ code: 2, packages: [] });
  });

  it('running a skill loads its own command module only', () => {
    expect(loadedBy(['vector-search', '--help'], cwd, COMMAND_MODULE)).toEqual({ code: 0, packages: ['vector-search'] });
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
