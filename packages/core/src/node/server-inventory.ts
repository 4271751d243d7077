import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** The file in a state dir listing the PostgreSQL servers pgcluster started outside a cluster (restored copies). */
export const SERVER_INVENTORY_FILE = 'servers.json';

/** One server started by pgcluster (e.g. `cluster-restore --start`), so that `pgcluster dev down` can stop it. */
export const RecordedServer = z.object({
  dataDir: z.string(),
  port: z.number().int(),
  logFile: z.string(),
  /** The skill that started it and its record (e.g. `cluster-restore 20261124T071502Z-physical-a1b2`). */
  startedBy: z.string(),
  startedAt: z.string(),
});
/** One server started by pgcluster outside a cluster. */
export type RecordedServer = z.infer<typeof RecordedServer>;

/**
 * The servers recorded in `<stateDir>/servers.json` (none when the file is missing or unreadable).
 * @example recordedServers('/srv/app/.pgcluster') // [{ dataDir: '/srv/app/.pgcluster/restores/x', port: 54999, … }]
 */
export function recordedServers(stateDir: string): RecordedServer[] {
  const file = join(stateDir, SERVER_INVENTORY_FILE);
  if (!existsSync(file)) return [];
  try {
    const parsed = z.array(RecordedServer).safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/**
 * Records a started server (replacing an earlier record of the same data directory); written atomically.
 * @example recordServer(stateDir, { dataDir, port, logFile, startedBy: 'cluster-restore <id>', startedAt: new Date().toISOString() })
 */
export function recordServer(stateDir: string, server: RecordedServer): void {
  writeInventory(stateDir, [...recordedServers(stateDir).filter((s) => s.dataDir !== server.dataDir), server]);
}

/**
 * Drops the record of a server (it was stopped and its data removed).
 * @example forgetServer(stateDir, dataDir)
 */
export function forgetServer(stateDir: string, dataDir: string): void {
  const kept = recordedServers(stateDir).filter((s) => s.dataDir !== dataDir);
  if (kept.length > 0 || existsSync(join(stateDir, SERVER_INVENTORY_FILE))) writeInventory(stateDir, kept);
}

function writeInventory(stateDir: string, servers: readonly RecordedServer[]): void {
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, SERVER_INVENTORY_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(servers, null, 2)}\n`, { mode: 0o644 });
  renameSync(`${file}.tmp`, file);
}
