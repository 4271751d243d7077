import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers/run-cli';

// `pgcluster` the way a user (and Claude Code, through Bash) runs it: from PATH, in a directory that
// has nothing to do with this repository, with no environment but PATH.
const work = mkdtempSync(join(tmpdir(), 'pgc-path-'));
const prefix = join(work, 'prefix');
const project = join(work, 'project');
const env = { PATH: `${join(prefix, 'bin')}:/usr/local/bin:/usr/bin:/bin` };

function sh(command: string, args: string[], cwd = project): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  spawnSync('mkdir', ['-p', project]);
});

afterAll(() => {
  sh('pgcluster', ['dev', 'down', '--purge']);
  rmSync(work, { recursive: true, force: true });
});

test('scripts/install.sh puts a pgcluster on PATH that runs dev up and a skill anywhere', () => {
  const install = sh('bash', [join(ROOT, 'scripts', 'install.sh'), '--prefix', prefix], work);
  expect(install.stderr).toContain(`${join(prefix, 'bin', 'pgcluster')}`);
  expect(install.code).toBe(0);

  const up = sh('pgcluster', ['dev', 'up', '--replicas', '0', '--fast']);
  expect(up.stderr + up.stdout).not.toMatch(/MODULE_NOT_FOUND|ERR_PNPM/);
  expect(up.code).toBe(0);
  expect(existsSync(join(project, 'pgcluster.config.json'))).toBe(true);

  const status = sh('pgcluster', ['cluster-status', '--format', 'json']);
  const envelope = JSON.parse(status.stdout) as { ok: boolean; skill: string; data: { nodes: unknown[] } };
  expect(envelope).toMatchObject({ ok: true, skill: 'cluster-status' });
  expect(envelope.data.nodes).toHaveLength(1);

  const skills = sh('pgcluster', ['skills', 'install', '.', '--format', 'json']);
  expect(skills.code).toBe(0);
  const skillMd = readFileSync(join(project, '.claude', 'skills', 'cluster-status', 'SKILL.md'), 'utf8');
  expect(skillMd).toMatch(/^compatibility: .*scripts\/install\.sh/m);

  const down = sh('pgcluster', ['dev', 'down', '--purge']);
  expect(down.code).toBe(0);
  expect(existsSync(join(project, 'pgcluster.config.json'))).toBe(false);
});

test('an existing pgcluster that install.sh did not write is left alone', () => {
  const other = join(work, 'other');
  spawnSync('mkdir', ['-p', join(other, 'bin')]);
  spawnSync('sh', ['-c', `printf '#!/bin/sh\\necho mine\\n' > ${join(other, 'bin', 'pgcluster')}`]);
  const install = sh('bash', [join(ROOT, 'scripts', 'install.sh'), '--prefix', other], work);
  expect(install.code).toBe(2);
  expect(install.stderr).toContain('was not written by this script');
  expect(readFileSync(join(other, 'bin', 'pgcluster'), 'utf8')).toContain('echo mine');
});
