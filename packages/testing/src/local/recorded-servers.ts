import { existsSync } from 'node:fs';
import { forgetServer, recordedServers, stopDataDir } from '@pgcluster/core';
import { createPgRunner } from './pg-runner';

/**
 * Stops every server recorded in `<stateDir>/servers.json` (restored copies that
 * `cluster-restore --start` started beside the dev cluster), as the server's OS user when we
 * are root; a record whose data directory is gone is dropped.
 *
 * @returns the data directories of the servers it stopped.
 * @example
 * ```ts
 * await stopRecordedServers('/srv/app/.pgcluster', console.error)
 * ```
 */
export async function stopRecordedServers(stateDir: string, log: (line: string) => void = () => undefined): Promise<string[]> {
  const servers = recordedServers(stateDir);
  if (servers.length === 0) return [];
  const pg = createPgRunner();
  const stopped: string[] = [];
  for (const s of servers) {
    if (!existsSync(s.dataDir)) {
      forgetServer(stateDir, s.dataDir);
      continue;
    }
    if (await stopDataDir(s.dataDir, (program, args, env) => pg.run(program, args, env ? { env } : {}))) {
      stopped.push(s.dataDir);
      log(`stopped ${s.startedBy} on port ${s.port} (${s.dataDir})`);
    }
  }
  return stopped;
}
