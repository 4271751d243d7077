/**
 * The launcher runs the one-file bundle (dist/bundle/pgcluster.js, scripts/bundle-cli.mjs) when it
 * is current and the compiled modules (dist/main.js) once a bundled project was rebuilt after it, so
 * a stale bundle never runs; both give the same output.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, buildCli, ROOT } from './helpers/run-cli';

const BUNDLE_DIR = join(ROOT, 'apps', 'cli', 'dist', 'bundle');

describe('the bundled launcher', () => {
  let tmp: string;
  let preload: string;
  beforeAll(() => {
    buildCli();
    tmp = mkdtempSync(join(tmpdir(), 'pgcluster-bundle-'));
    preload = join(tmp, 'which-entry.js');
    // Reports on stderr which entry the launcher required.
    writeFileSync(preload, "process.on('exit', () => process.stderr.write('entry=' + Object.keys(require.cache).filter((k) => /dist\\/(main|bundle\\/pgcluster)\\.js$/.test(k)).join(',') + '\\n'));\n");
  }, 180_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const run = (args: string[]) => {
    const result = spawnSync(process.execPath, ['-r', preload, BIN, ...args], { cwd: tmp, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', TMPDIR: tmp } });
    return { code: result.status, stdout: result.stdout, entry: /entry=(.*)/.exec(result.stderr)?.[1] ?? '' };
  };

  it('runs the bundle when it is current, and the compiled modules once a bundled project is rebuilt after it', () => {
    const bundled = run(['skills', 'list']);
    expect(bundled).toMatchObject({ code: 0, entry: join(BUNDLE_DIR, 'pgcluster.js') });

    // A project rebuilt after the bundle (its tsc build info newer): the bundle is stale.
    const { buildInfos } = JSON.parse(readFileSync(join(BUNDLE_DIR, 'inputs.json'), 'utf8')) as { buildInfos: string[] };
    const info = join(BUNDLE_DIR, buildInfos.find((b) => b.includes('packages/core/'))!);
    const { atime, mtime } = statSync(info);
    try {
      const later = new Date(statSync(join(BUNDLE_DIR, 'pgcluster.js')).mtimeMs + 60_000);
      utimesSync(info, later, later);
      const compiled = run(['skills', 'list']);
      expect(compiled).toEqual({ ...bundled, entry: join(ROOT, 'apps', 'cli', 'dist', 'main.js') });
    } finally {
      utimesSync(info, atime, mtime);
    }
    expect(run(['skills', 'list']).entry).toBe(join(BUNDLE_DIR, 'pgcluster.js'));
  });

  it('answers --version without loading the CLI', () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'apps', 'cli', 'package.json'), 'utf8')).version as string;
    expect(run(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, entry: '' });
  });
});
