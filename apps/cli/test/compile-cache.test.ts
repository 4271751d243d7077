/**
 * bin/compile-cache.js: the launcher keeps V8's compiled code of the CLI's modules per user
 * under the temp dir, gives the same output with and without it, and uses no folder another
 * user could write to.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, buildCli } from './helpers/run-cli';

const cacheDir = (tmp: string) => join(tmp, `pgcluster-compile-cache-${process.getuid?.() ?? 'user'}`, process.version);
const help = (tmp: string) => spawnSync(process.execPath, [BIN, 'skills', 'list'], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', TMPDIR: tmp } });

describe('compile cache of the pgcluster launcher', () => {
  let tmp: string;
  beforeAll(() => buildCli(), 120_000);
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'pgcluster-cc-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('writes the compiled code on the first run and gives the same output from it on the next', () => {
    const first = help(tmp);
    expect(first.status).toBe(0);
    const cached = readdirSync(cacheDir(tmp));
    // The bundle (dist/bundle/pgcluster.js) is one file; without it, one per module.
    expect(cached.length).toBeGreaterThan(0);
    const second = help(tmp);
    expect({ status: second.status, stdout: second.stdout }).toEqual({ status: 0, stdout: first.stdout });
    expect(readdirSync(cacheDir(tmp))).toEqual(cached);
  });

  it('uses no cache folder that others can write to', () => {
    const shared = join(tmp, `pgcluster-compile-cache-${process.getuid?.() ?? 'user'}`);
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    expect(help(tmp).status).toBe(0);
    expect(existsSync(cacheDir(tmp)) ? readdirSync(cacheDir(tmp)) : []).toEqual([]);
  });
});
