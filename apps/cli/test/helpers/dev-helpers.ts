import { readdirSync, readFileSync } from 'node:fs';
import type { DevIo } from '../../src/dev/dev-context';

/** A DevIo that keeps what `dev` printed, line by line. */
export function capture(): DevIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

/** Pids of live processes whose command line mentions `path` (postmasters: `postgres -D <path>/nodeN/data`). */
export function processesUsing(path: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path);
      } catch {
        return false;
      }
    })
    .map(Number);
}
