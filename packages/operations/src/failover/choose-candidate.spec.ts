import { InputError } from '@pgcluster/core';
import { chooseCandidate, formatLsn, parseLsn, type FailoverNodeFacts } from './choose-candidate';
import { primaryConninfo, repointConninfo, repointSql, sqlLiteral } from './native-failover';
import { patroniFacts } from './patroni-failover';

const node = (name: string, over: Partial<FailoverNodeFacts> = {}): FailoverNodeFacts => ({ name, reachable: true, inRecovery: true, lsn: 100n, streaming: true, ...over });

describe('chooseCandidate', () => {
  test('failover: the most advanced healthy replica, and says why', () => {
    const c = chooseCandidate('failover', [node('node1', { reachable: false, inRecovery: false }), node('node2', { lsn: 90n }), node('node3', { lsn: 120n })], undefined);
    expect(c.name).toBe('node3');
    expect(c.reason).toMatch(/node3 is the most advanced healthy replica: WAL up to 0\/78 \(node2 30 bytes behind\)/);
    expect(c.primary).toBeUndefined();
  });

  test('a synchronous standby wins over a more advanced async one (Patroni only promotes it)', () => {
    expect(chooseCandidate('failover', [node('a', { lsn: 200n }), node('b', { lsn: 100n, sync: true })], undefined).name).toBe('b');
  });

  test('unknown --to: InputError naming the field and the allowed nodes', () => {
    const attempt = () => chooseCandidate('switchover', [node('node1', { inRecovery: false }), node('node2')], 'node9');
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(/to: must be one of the cluster's nodes: node1, node2 \(got node9\)/);
  });

  test('--to the primary, a switchover without a primary, split brain and no replica are refused', () => {
    expect(() => chooseCandidate('switchover', [node('node1', { inRecovery: false }), node('node2')], 'node1')).toThrow(/already the primary/);
    expect(() => chooseCandidate('switchover', [node('node1', { reachable: false }), node('node2')], undefined)).toThrow(/needs a running primary/);
    expect(() => chooseCandidate('failover', [node('a', { inRecovery: false }), node('b', { inRecovery: false })], undefined)).toThrow(/split brain/);
    expect(() => chooseCandidate('failover', [node('a', { inRecovery: false }), node('b', { reachable: false })], undefined)).toThrow(/no reachable replica/);
  });

  test('LSN text round-trips', () => {
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
    expect(formatLsn(parseLsn('16/B374D848')!)).toBe('16/B374D848');
    expect(parseLsn('x')).toBeUndefined();
  });

  test('Patroni members become facts: leader 0, replicas minus their lag', () => {
    const facts = patroniFacts([
      { name: 'n1', role: 'leader', state: 'running' },
      { name: 'n2', role: 'replica', state: 'streaming', lag: 10 },
      { name: 'n3', role: 'replica', state: 'stopped', lag: 'unknown' },
    ]);
    expect(facts.map((f) => [f.name, f.reachable, f.inRecovery, f.lsn])).toEqual([
      ['n1', true, false, 0n],
      ['n2', true, true, -10n],
      ['n3', false, true, undefined],
    ]);
  });
});

describe('re-pointing statements', () => {
  test('a conninfo names a passfile, never the password; re-pointing changes host and port only; ALTER SYSTEM gets a literal', () => {
    const conninfo = primaryConninfo("postgresql://app:p%27w@127.0.0.1:5433/db", 'node3', "/srv/it's/pgpass");
    expect(conninfo).toBe("host='127.0.0.1' port='5433' user='app' passfile='/srv/it\\'s/pgpass' application_name='node3'");
    expect(conninfo).not.toContain('p\'w');
    expect(sqlLiteral("a'b")).toBe("'a''b'");
    expect(repointConninfo("host='a' port=1 user='r' passfile='/p' application_name='n'", 'postgresql://u:p@b:2/db', 'node3')).toBe(
      "host='b' port='2' user='r' passfile='/p' application_name='node3'",
    );
    // A legacy conninfo's password is dropped for the passfile the caller gives.
    expect(repointConninfo("host='a' port=1 user='r' password='x\\'y'", 'postgresql://u:p@b:2/db', 'node3', '/q')).toBe(
      "host='b' port='2' user='r' passfile='/q' application_name='node3'",
    );
    expect(repointConninfo('', 'postgresql://u:p@b:2/db', 'node3')).toBe("host='b' port='2' user='u' application_name='node3'");
    expect(repointSql('x', 'node3')).toEqual(["alter system set primary_conninfo = 'x'", "alter system set primary_slot_name = 'node3'", 'select pg_reload_conf()']);
  });
});
