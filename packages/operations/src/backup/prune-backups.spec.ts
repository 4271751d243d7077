import type { BackupKind, BackupRecord } from './backup-catalogue';
import { choosePrune } from './prune-backups';

/** A catalogue entry, taken at `minute` (a later minute is newer), with what its latest check said. */
function backup(minute: number, kind: BackupKind, check: 'verified' | 'failed' | 'unchecked', databases = ['app']): BackupRecord {
  const stamp = `20261130T10${String(minute).padStart(2, '0')}00Z`;
  return {
    id: `${stamp}-${kind}-b${String(minute).padStart(3, '0')}`,
    kind,
    createdAt: `2026-11-30T10:${String(minute).padStart(2, '0')}:00.000Z`,
    node: 'node1',
    databases,
    size: 1000 + minute,
    sha256: '0'.repeat(64),
    lsn: '0/1000000',
    durationMs: 1,
    path: `${stamp}-${kind}-b${String(minute).padStart(3, '0')}`,
    files: [],
    serverVersion: '15.10',
    ...(check === 'unchecked' ? {} : { verification: { ok: check === 'verified', at: '2026-11-30T11:00:00.000Z', by: 'verify' as const } }),
  };
}
const newestFirst = (...backups: BackupRecord[]) => [...backups].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
const ids = (choices: { id: string }[]) => choices.map((c) => c.id);

describe('choosePrune', () => {
  it('keeps the only verified backup when a newer one failed verification (the reported data loss), keep 1 and 2', () => {
    const sound = backup(1, 'logical', 'verified');
    const broken = backup(2, 'logical', 'failed');
    for (const keep of [1, 2]) {
      const { keep: kept, remove } = choosePrune(newestFirst(sound, broken), keep);
      expect(ids(kept)).toEqual([sound.id]);
      expect(remove).toEqual([{ id: broken.id, size: broken.size, soundness: 'failed', reason: 'failed verification' }]);
    }
  });

  it('counts only verified backups toward keep', () => {
    const [v1, v2, v3] = [backup(1, 'logical', 'verified'), backup(3, 'logical', 'verified'), backup(5, 'logical', 'verified')];
    const [f2, f4] = [backup(2, 'logical', 'failed'), backup(4, 'logical', 'failed')];
    const { keep, remove } = choosePrune(newestFirst(v1, v2, v3, f2, f4), 2);
    expect(ids(keep)).toEqual([v3.id, v2.id]);
    expect(ids(remove)).toEqual([f4.id, f2.id, v1.id]);
    expect(remove.find((r) => r.id === v1.id)).toMatchObject({ soundness: 'verified', reason: 'verified, but older than the 2 kept' });
  });

  it('keeps the newest verified backup of every kind and of every database, whatever keep says', () => {
    const physical = backup(1, 'physical', 'verified', ['app', 'shared']);
    const shared = backup(2, 'logical', 'verified', ['shared']);
    const app = backup(3, 'logical', 'verified', ['app']);
    const appNewer = backup(4, 'logical', 'verified', ['app']);
    const { keep, remove } = choosePrune(newestFirst(physical, shared, app, appNewer), 1);
    expect(keep.map((k) => [k.id, k.reason])).toEqual([
      [appNewer.id, 'one of the newest 1 verified backups'],
      [shared.id, 'the newest verified backup of database shared'],
      [physical.id, 'the newest verified physical backup'],
    ]);
    expect(ids(remove)).toEqual([app.id]);
  });

  it('never deletes a failed backup of a kind that has no verified backup, nor a never-checked one newer than the kept', () => {
    const verified = backup(1, 'logical', 'verified');
    const failedPhysical = backup(2, 'physical', 'failed');
    const unchecked = backup(3, 'logical', 'unchecked');
    const olderUnchecked = backup(0, 'logical', 'unchecked');
    const { keep, remove } = choosePrune(newestFirst(verified, failedPhysical, unchecked, olderUnchecked), 1);
    expect(ids(keep)).toEqual([unchecked.id, failedPhysical.id, verified.id]);
    expect(remove).toEqual([{ id: olderUnchecked.id, size: olderUnchecked.size, soundness: 'unchecked', reason: 'never verified, older than the kept verified backups' }]);
  });

  it('deletes nothing when no backup is verified', () => {
    const { remove } = choosePrune(newestFirst(backup(1, 'logical', 'unchecked'), backup(2, 'logical', 'failed'), backup(3, 'logical', 'unchecked')), 1);
    expect(remove).toEqual([]);
  });
});
