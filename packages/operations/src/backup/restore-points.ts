import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, withClient } from '@pgcluster/core';
import { z } from 'zod';
import { backupsDir, withFileLock, writeJsonAtomic } from './backup-catalogue';
import { maintenanceUrl, resolvePrimary, type BackupContext } from './backup-context';

/** A restore point's name: reaches `recovery_target_name` in a configuration file, so plain characters only. */
export const RESTORE_POINT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/;

/** One restore point made by pgcluster. */
export const RestorePoint = z.object({
  name: z.string(),
  lsn: z.string().describe('The WAL position pg_create_restore_point returned.'),
  createdAt: z.string().describe('ISO time it was made.'),
  node: z.string().describe('The primary it was made on.'),
  drill: z.boolean().optional().describe('Made by a restore drill for itself: dropped from the journal when the drill ends.'),
});
/** One restore point. */
export type RestorePoint = z.infer<typeof RestorePoint>;

const RestorePoints = z.object({ version: z.literal(1), points: z.array(RestorePoint) });

function journalFile(stateDir: string): string {
  return join(backupsDir(stateDir), 'restore-points.json');
}

/** Changes the journal under its lock. */
function updateJournal(stateDir: string, change: (points: RestorePoint[]) => RestorePoint[]): Promise<void> {
  return withFileLock(join(backupsDir(stateDir), 'restore-points.lock'), () =>
    writeJsonAtomic(journalFile(stateDir), { version: 1, points: change(readRestorePoints(stateDir)) }),
  );
}

/**
 * The restore points pgcluster made, oldest first.
 * @example readRestorePoints(stateDir).at(-1)?.name
 */
export function readRestorePoints(stateDir: string): RestorePoint[] {
  const file = journalFile(stateDir);
  if (!existsSync(file)) return [];
  const parsed = RestorePoints.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  return parsed.success ? parsed.data.points : [];
}

/**
 * Checks a restore point's name.
 * @throws InputError naming `field`.
 * @example checkRestorePointName('before-migration-42', 'name')
 */
export function checkRestorePointName(name: string, field: string): string {
  if (!RESTORE_POINT_NAME.test(name)) throw new InputError(field, 'must be 1–63 characters: letters, digits and _ . : - (starting with a letter or digit)');
  return name;
}

/**
 * Creates a named restore point on the primary (`pg_create_restore_point`) and records it in
 * `<stateDir>/backups/restore-points.json`; `cluster-restore --to-restore-point <name>` goes back to it.
 * A restore point is only useful with WAL archiving on (enable-archiving). `drill` marks one a
 * restore drill makes for itself, which {@link forgetDrillRestorePoints} drops once it ends.
 * @example const point = await createRestorePoint(ctx, 'before-migration-42')
 */
export async function createRestorePoint(ctx: BackupContext, name: string, options: { drill?: boolean } = {}): Promise<RestorePoint> {
  checkRestorePointName(name, 'name');
  const primary = await resolvePrimary(ctx);
  const lsn = await withClient({ url: maintenanceUrl(primary.url) }, `creating restore point ${name} on ${primary.name}`, async (c) => {
    const { rows } = await c.query<{ lsn: string }>('select pg_create_restore_point($1)::text as lsn', [name]);
    return rows[0]!.lsn;
  });
  const point: RestorePoint = { name, lsn, createdAt: new Date().toISOString(), node: primary.name, ...(options.drill ? { drill: true } : {}) };
  await updateJournal(ctx.stateDir, (points) => [...points, point]);
  return point;
}

/**
 * Drops the restore points drills made from the journal (they stay in the WAL), keeping the ones
 * users named; a drill calls it when it ends, so the journal does not grow by one point per drill.
 * @returns how many were dropped.
 * @example await forgetDrillRestorePoints(stateDir)
 */
export async function forgetDrillRestorePoints(stateDir: string): Promise<number> {
  if (!readRestorePoints(stateDir).some((p) => p.drill)) return 0;
  let dropped = 0;
  await updateJournal(stateDir, (points) => {
    const kept = points.filter((p) => !p.drill);
    dropped = points.length - kept.length;
    return kept;
  });
  return dropped;
}
