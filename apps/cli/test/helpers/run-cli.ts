import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../src/main';

/** What one run of the CLI printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The workspace root. */
export const ROOT = join(__dirname, '..', '..', '..', '..');
/** The built CLI's launcher, as Claude Code runs it. */
export const BIN = join(ROOT, 'apps', 'cli', 'bin', 'pgcluster.js');

/** Runs `main` in-process with captured output. */
export async function runCli(args: string[], options: { cwd?: string; stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    io: {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      readStdin: async () => options.stdin ?? '',
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? {},
    },
  });
  return { code, stdout, stderr };
}

/** Builds the CLI (and what it references) with `tsc -b` and bundles it, so tests run the current sources. */
export function buildCli(): void {
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  const result = spawnSync(tsc, ['-b', join(ROOT, 'apps', 'cli', 'tsconfig.lib.json')], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tsc -b apps/cli failed:\n${result.stdout}${result.stderr}`);
  // The launcher runs the one-file bundle when it is current: test that, as users run it.
  const bundle = spawnSync(process.execPath, [join(ROOT, 'apps', 'cli', 'scripts', 'bundle-cli.mjs')], { encoding: 'utf8' });
  if (bundle.status !== 0) throw new Error(`bundling the CLI failed:\n${bundle.stdout}${bundle.stderr}`);
}

/** Runs the built CLI as a subprocess. */
export function spawnCli(args: string[], options: { cwd: string; stdin?: string; env?: NodeJS.ProcessEnv }): CliRun {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    input: options.stdin ?? '',
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', ...options.env },
    timeout: 120_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the built CLI as a subprocess without blocking the test, so a few runs can overlap. */
export function spawnCliAsync(args: string[], options: { cwd: string; stdin?: string; env?: NodeJS.ProcessEnv }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { PATH: process.env['PATH'] ?? '', ...options.env }, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => void (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => void (stderr += t));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
