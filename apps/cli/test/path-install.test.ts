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
// A root shell's PATH (runuser, which starts PostgreSQL as postgres, is in /usr/sbin).
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const env = { PATH: `${join(prefix, 'bin')}:${SYSTEM_PATH}` };

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
  const envelope = JSON.parse(status.stdout) as { ok: boolean; skill: string; data: { cluster: { nodes: number; up: number } } };
  expect(envelope).toMatchObject({ ok: true, skill: 'cluster-status' });
  expect(envelope.data.cluster).toMatchObject({ nodes: 1, up: 1 });

  const skills = sh('pgcluster', ['skills', 'install', '.', '--format', 'json']);
  expect(skills.code).toBe(0);
  expect((JSON.parse(skills.stdout) as { data: { pgcluster: string } }).data.pgcluster).toBe(join(prefix, 'bin', 'pgcluster'));
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

test('the tarball of scripts/pack-cli.sh installs with npm install -g and runs without the repository', () => {
  const pack = sh('bash', [join(ROOT, 'scripts', 'pack-cli.sh'), join(work, 'pack')], work);
  expect(pack.code).toBe(0);
  const tarball = pack.stdout.trim();
  expect(tarball).toBe(join(work, 'pack', 'pgcluster-cli-0.1.0.tgz'));

  const global = join(work, 'global');
  // The user's own npm settings (registry, CA), none of pnpm's: npm may fetch an optional peer or two.
  const npmEnv = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_)/i.test(k))), PATH: SYSTEM_PATH };
  const install = spawnSync('npm', ['install', '-g', '--prefix', global, tarball], { cwd: work, encoding: 'utf8', env: npmEnv, timeout: 300_000 });
  expect({ status: install.status, stderr: install.status === 0 ? '' : install.stderr }).toEqual({ status: 0, stderr: '' });

  const path = { PATH: `${join(global, 'bin')}:${SYSTEM_PATH}` };
  const version = spawnSync('pgcluster', ['--version'], { cwd: project, env: path, encoding: 'utf8' });
  expect(version.stdout.trim()).toBe('0.1.0');
  const skills = spawnSync('pgcluster', ['skills', 'install', join(work, 'tarball-user'), '--format', 'json'], { cwd: project, env: path, encoding: 'utf8' });
  const installed = (JSON.parse(skills.stdout) as { data: { installed: string[]; pgcluster: string } }).data;
  expect(installed.installed).toContain(join(work, 'tarball-user', '.claude', 'skills', 'cluster-status', 'SKILL.md'));
  expect(installed.pgcluster).toBe(join(global, 'bin', 'pgcluster'));
  // Nothing resolves into the clone: the installed CLI carries its own @pgcluster/* packages.
  const where = spawnSync(process.execPath, ['-e', "console.log(require.resolve('@pgcluster/core'))"], { cwd: join(global, 'lib', 'node_modules', '@pgcluster', 'cli'), encoding: 'utf8' });
  expect(where.stdout.trim()).toBe(join(global, 'lib', 'node_modules', '@pgcluster', 'cli', 'node_modules', '@pgcluster', 'core', 'dist', 'index.js'));
});
