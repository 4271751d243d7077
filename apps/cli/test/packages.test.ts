import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useCluster } from '@pgcluster/testing';
import { ROOT } from './helpers/run-cli';

// The libraries as a TypeScript developer gets them: `pnpm pack` of each package (workspace:* becomes
// a version), `npm install` of those tarballs only (third-party dependencies from the registry) into a
// fresh project outside the workspace, `tsc --strict` of a usage example, and a run of it against a
// cluster started by @pgcluster/testing, named to it by PGCLUSTER_NODES. A missing runtime dependency
// (tslib, pg, …) or a type a public signature needs but the package does not export fails here.
const PACKED = ['core', 'skill-kit', 'pools', 'vector'];
const cluster = useCluster({ replicas: 1, fast: true });
const work = mkdtempSync(join(tmpdir(), 'pgc-packages-'));
const project = join(work, 'project');

afterAll(() => rmSync(work, { recursive: true, force: true }));

// A user's shell, not pnpm's: none of the npm_config_* / pnpm variables that `pnpm exec` sets.
const userEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_)/i.test(k))),
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...userEnv, ...env } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

test('the packed @pgcluster/* packages install into a fresh project, compile with --strict and run', () => {
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  for (const name of PACKED) run('pnpm', ['pack', '--pack-destination', tarballs], join(ROOT, 'packages', name));
  const files = readdirSync(tarballs).sort();
  expect(files).toEqual(PACKED.map((n) => `pgcluster-${n}-0.1.0.tgz`).sort());

  mkdirSync(project);
  const dependencies = Object.fromEntries(PACKED.map((n) => [`@pgcluster/${n}`, `file:${join(tarballs, `pgcluster-${n}-0.1.0.tgz`)}`]));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'pgcluster-user', version: '1.0.0', private: true, dependencies }, null, 2));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out', types: ['node'] }, files: ['example.ts'] }),
  );
  copyFileSync(join(__dirname, 'fixtures', 'library-usage', 'example.ts'), join(project, 'example.ts'));
  run('npm', ['install', '--no-package-lock', '--omit=dev'], project);

  // Nothing of the workspace leaks in: every @pgcluster/* package came from a tarball.
  const installed = execFileSync('npm', ['ls', '--all', '--parseable'], { cwd: project, encoding: 'utf8', env: userEnv });
  expect(installed).not.toContain(ROOT);

  // The workspace's pinned TypeScript compiles the user's project (its @types/node comes from the packages).
  run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], project);
  const nodes = cluster().nodes.map((n) => `${n.name}=${cluster().url(n)}`).join(',');
  const out = JSON.parse(run(process.execPath, [join(project, 'out', 'example.js')], project, { PGCLUSTER_NODES: nodes, PGCLUSTER_STATE_DIR: join(work, 'state') })) as Record<string, unknown>;
  expect(out).toEqual({ version: expect.stringMatching(/^15\./), one: 1, nearest: 'a', skill: 'b', exitCode: 0 });
});
