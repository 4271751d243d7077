import { quoteConninfoValue } from '@pgcluster/core';
import { quoteConfValue, renderPgHba, renderPostgresqlConf, socketDirFits } from './postgres-conf';

describe('renderPostgresqlConf', () => {
  test('a primary listens on loopback only, preloads pg_stat_statements and can feed replicas', () => {
    const conf = renderPostgresqlConf({ port: 54321, socketDir: '/tmp/x/node1', replicas: 2, fast: false });
    expect(conf).toContain("listen_addresses = '127.0.0.1'");
    expect(conf).toContain('port = 54321');
    expect(conf).toContain("unix_socket_directories = '/tmp/x/node1'");
    expect(conf).toContain("shared_preload_libraries = 'pg_stat_statements'");
    expect(conf).toContain('wal_level = replica');
    expect(conf).toContain('max_wal_senders = 7');
    expect(conf).toContain('hot_standby_feedback = on');
    expect(conf).toContain('fsync = on');
    expect(conf).not.toContain('primary_conninfo');
    expect(conf).not.toContain('synchronous_standby_names');
  });

  test('fast turns fsync off; no socket dir means no socket', () => {
    const conf = renderPostgresqlConf({ port: 1, socketDir: null, replicas: 0, fast: true });
    expect(conf).toContain('fsync = off');
    expect(conf).toContain("unix_socket_directories = ''");
  });

  test('a replica streams through its own slot under its own application_name, its password in a passfile', () => {
    const conf = renderPostgresqlConf({
      port: 2, socketDir: null, replicas: 1, fast: false,
      upstream: { host: '127.0.0.1', port: 1, user: 'pgcluster', passfile: "/x/it's/pgpass", name: 'node2' },
    });
    expect(conf).toContain(`primary_conninfo = 'host=''127.0.0.1'' port=''1'' user=''pgcluster'' passfile=''/x/it\\\\''s/pgpass'' application_name=''node2'''`);
    expect(conf).not.toContain('password=');
    expect(conf).toContain("primary_slot_name = 'node2'");
  });

  test('a synchronous primary waits for ANY 1 of its replicas', () => {
    const conf = renderPostgresqlConf({ port: 1, socketDir: null, replicas: 2, fast: false, synchronousStandbys: ['node2', 'node3'] });
    expect(conf).toContain(`synchronous_standby_names = 'ANY 1 ("node2", "node3")'`);
  });
});

describe('quoting', () => {
  test('conf values double single quotes and escape backslashes', () => {
    expect(quoteConfValue("a'b\\c")).toBe("'a''b\\\\c'");
  });
  test('conninfo values escape quotes and backslashes with a backslash', () => {
    expect(quoteConninfoValue("a'b\\c")).toBe("'a\\'b\\\\c'");
  });
});

test('pg_hba trusts only the unix socket and asks for scram-sha-256 over TCP, replication included', () => {
  const lines = renderPgHba().split('\n').filter((l) => l && !l.startsWith('#'));
  expect(lines.filter((l) => l.startsWith('host')).every((l) => l.endsWith('scram-sha-256'))).toBe(true);
  expect(lines.filter((l) => l.endsWith('trust')).every((l) => l.startsWith('local'))).toBe(true);
  expect(lines.some((l) => /^host\s+replication\s+all\s+127\.0\.0\.1\/32\s+scram-sha-256$/.test(l))).toBe(true);
});

test('socketDirFits keeps socket paths under the kernel limit', () => {
  expect(socketDirFits('/tmp/pgcluster-abc/node1')).toBe(true);
  expect(socketDirFits(`/${'x'.repeat(100)}`)).toBe(false);
});
