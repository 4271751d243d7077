import { InputError } from '@pgcluster/core';
import { lsnValue, recoveryTarget } from './point-in-time';
import { pgTime } from './pg-time';
import { renderPgbackrestConfig } from './pgbackrest';
import { archiveCommand, resolveArchiveDir, restoreCommand } from './wal-archive';

describe('point-in-time helpers', () => {
  it('normalises recovery targets and names the field of a bad one', () => {
    expect(recoveryTarget({ toTime: '2026-11-30T14:02:00+01:00' })).toEqual({ kind: 'time', time: '2026-11-30T13:02:00.000Z' });
    expect(recoveryTarget({ toLsn: '0/3a000028' })).toEqual({ kind: 'lsn', lsn: '0/3A000028' });
    expect(recoveryTarget({ toRestorePoint: 'before-migration' })).toEqual({ kind: 'name', name: 'before-migration' });
    expect(recoveryTarget({})).toBeUndefined();
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return error instanceof InputError ? error.field : 'not an InputError';
      }
      return 'no error';
    };
    expect(field(() => recoveryTarget({ toTime: 'yesterday' }))).toBe('toTime');
    expect(field(() => recoveryTarget({ toTime: '2026-11-30T14:02:00' }))).toBe('toTime'); // no zone: ambiguous
    expect(field(() => recoveryTarget({ toLsn: "0/1'; drop" }))).toBe('toLsn');
    expect(field(() => recoveryTarget({ toRestorePoint: "x'y" }))).toBe('toRestorePoint');
    expect(field(() => recoveryTarget({ toTime: '2026-11-30T14:02:00Z', toLsn: '0/1' }))).toBe('toTime');
  });

  it('compares LSNs numerically and writes times the way recovery_target_time reads them', () => {
    expect(lsnValue('1/0') > lsnValue('0/FFFFFFFF')).toBe(true);
    expect(lsnValue('0/3000028')).toBe(0x3000028n);
    expect(pgTime('2026-11-30T11:48:06.192Z')).toBe('2026-11-30 11:48:06.192+00');
  });

  it('quotes archive and restore commands, and accepts only plain absolute archive paths', () => {
    expect(archiveCommand('/srv/arch')).toBe("'/srv/arch/bin/pgcluster-archive-wal' %p '/srv/arch/wal' %f");
    expect(restoreCommand('/srv/arch')).toBe("cp '/srv/arch/wal/%f' %p");
    expect(() => resolveArchiveDir('/tmp/state', "/srv/a'b")).toThrow(InputError);
    expect(() => resolveArchiveDir('/tmp/state', 'relative/dir')).toThrow(InputError);
  });

  it('renders a pgBackRest configuration without a password, Zstandard spelt zst', () => {
    const text = renderPgbackrestConfig('/srv/arch', { dataDir: '/srv/node1/data', port: 5433, socketDir: '/srv/node1', user: 'app', processMax: 4, compress: 'zstd' });
    expect(text).toContain('repo1-path=/srv/arch/pgbackrest');
    expect(text).toContain('pg1-path=/srv/node1/data');
    expect(text).toContain('pg1-socket-path=/srv/node1');
    expect(text).toContain('process-max=4');
    expect(text).toContain('compress-type=zst');
    expect(text).not.toMatch(/password/i);
  });
});
