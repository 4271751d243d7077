import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { renderAuthFileLine, renderPgbouncerIni, renderRoleChangeScript, scramSecret } from './pgbouncer-config';
import { HA_TIMINGS, renderPatroniConfig } from './patroni-config';

describe('PgBouncer and Patroni configuration', () => {
  test('scramSecret matches RFC 5802 / PostgreSQL (StoredKey = H(HMAC(salted, "Client Key")))', () => {
    const salt = Buffer.alloc(16, 7);
    const secret = scramSecret('pw', salt, 4096);
    const salted = pbkdf2Sync('pw', salt, 4096, 32, 'sha256');
    const stored = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest('base64');
    const server = createHmac('sha256', salted).update('Server Key').digest('base64');
    expect(secret).toBe(`SCRAM-SHA-256$4096:${salt.toString('base64')}$${stored}:${server}`);
    expect(secret).not.toContain('pw$');
  });

  test('auth file lines double their quotes', () => {
    expect(renderAuthFileLine('a"b', 'x')).toBe('"a""b" "x"');
  });

  test('pgbouncer.ini: transaction pooling on loopback, scram, the admin user, included databases', () => {
    const ini = renderPgbouncerIni({ host: '127.0.0.1', port: 6433, databasesFile: '/d/db.ini', authFile: '/d/u.txt', pidFile: '/d/p', logFile: '/d/l', adminUser: 'adm', defaultPoolSize: 10 });
    expect(ini).toMatch(/^pool_mode = transaction$/m);
    expect(ini).toMatch(/^listen_addr = 127\.0\.0\.1$/m);
    expect(ini).toMatch(/^auth_type = scram-sha-256$/m);
    expect(ini).toMatch(/^admin_users = adm$/m);
    expect(ini).toContain('%include /d/db.ini');
  });

  test('the role-change script acts only for a leader and quotes its paths', () => {
    const script = renderRoleChangeScript({ host: '127.0.0.1', port: 5433, databasesFile: "/x/it's.ini", pidFile: '/x/p' });
    expect(script).toContain('case "$2" in master|primary|promoted) ;; *) exit 0 ;; esac');
    expect(script).toContain(`db='/x/it'\\''s.ini'`);
    expect(script).toContain('port=5433');
  });

  test('Patroni config: etcd3, small-cluster timings, synchronous_mode, pg_stat_statements, no password outside authentication', () => {
    const yml = renderPatroniConfig({
      scope: 's', name: 'node1', host: '127.0.0.1', port: 1, restPort: 2, etcdHosts: '127.0.0.1:3', dataDir: '/d', binDir: '/b', pgpass: '/p',
      socketDir: null, superuser: { username: 'u', password: 'secret1' }, replication: { username: 'r', password: 'secret2' },
      ...HA_TIMINGS, maximumLagOnFailover: 1024, synchronous: true, fast: false,
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed YAML document, probed field by field
    const doc = JSON.parse(yml.slice(yml.indexOf('{'))) as Record<string, any>;
    expect(doc['etcd3']).toEqual({ hosts: '127.0.0.1:3' });
    expect(doc['bootstrap'].dcs).toMatchObject({ ttl: 10, loop_wait: 2, retry_timeout: 4, synchronous_mode: true, maximum_lag_on_failover: 1024 });
    expect(doc['bootstrap'].dcs.postgresql.parameters.shared_preload_libraries).toBe('pg_stat_statements');
    expect(doc['postgresql'].listen).toBe('127.0.0.1:1');
    expect(yml.split('secret1').length - 1).toBe(2); // superuser and rewind entries only
  });
});
