import { ClusterConfig } from '@pgcluster/core';
import { isLoopback, isOpen } from '../audit/checks/hba-checks';
import { expectedRolesOf } from '../audit/run-audit';
import { switchConfigLogin } from './config-file';
import { authFileLine, pgbouncerSettings, setAuthFileSecret } from './pgbouncer-auth';
import { parseConninfo, renderConninfo } from './replica-credentials';
import { loginsOf } from './rotate-credentials';

const config = (user: string) => ClusterConfig.parse({ nodes: [{ name: 'node1', url: `postgresql://${user}:pw@127.0.0.1:5432/app` }] });

test('conninfo round-trips quotes, backslashes and bare values', () => {
  const values = parseConninfo("host='127.0.0.1' port=5433 user='it\\'s' passfile='/x/a b' application_name=node2");
  expect(Object.fromEntries(values)).toEqual({ host: '127.0.0.1', port: '5433', user: "it's", passfile: '/x/a b', application_name: 'node2' });
  expect(Object.fromEntries(parseConninfo(renderConninfo(values)))).toEqual(Object.fromEntries(values));
});

test('switchConfigLogin switches only the server URLs of the old login, with an encoded password (not PgBouncer\'s console)', () => {
  const text = JSON.stringify({ nodes: [{ name: 'a', url: 'postgresql://app:old@h:1/db' }, { name: 'b', url: 'postgresql://other:x@h:2/db' }], pgbouncer: { adminUrl: 'postgresql://app:old@h:3/pgbouncer' } });
  const { text: out, switched } = switchConfigLogin(text, 'app', 'app_alt', 'n:e/w@');
  const raw = JSON.parse(out) as { nodes: Array<{ url: string }>; pgbouncer: { adminUrl: string } };
  expect(switched).toBe(1);
  expect(new URL(raw.nodes[0]!.url).username).toBe('app_alt');
  expect(decodeURIComponent(new URL(raw.nodes[0]!.url).password)).toBe('n:e/w@');
  expect(raw.nodes[1]!.url).toBe('postgresql://other:x@h:2/db');
  expect(raw.pgbouncer.adminUrl).toBe('postgresql://app:old@h:3/pgbouncer');
});

test('alternate takes turns between <role> and <role>_alt; single keeps the login; another role is refused by name', () => {
  expect(loginsOf(config('app'), 'app', 'alternate')).toEqual({ current: 'app', target: 'app_alt' });
  expect(loginsOf(config('app_alt'), 'app', 'alternate')).toEqual({ current: 'app_alt', target: 'app' });
  expect(loginsOf(config('app_alt'), 'app', 'single')).toEqual({ current: 'app_alt', target: 'app_alt' });
  expect(() => loginsOf(config('app'), 'other', 'alternate')).toThrow(/^role: must be the config's user/);
});

test("the audit expects the config's user and its alternate", () => {
  expect(expectedRolesOf(config('app'), ['replicator'])).toEqual(['app', 'app_alt', 'replicator']);
  expect(expectedRolesOf(config('app_alt'))).toEqual(['app', 'app_alt']);
});

test('pg_hba addresses: loopback and open', () => {
  expect(isLoopback({ address: '127.0.0.1', netmask: '255.255.255.255' })).toBe(true);
  expect(isLoopback({ address: '::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' })).toBe(true);
  expect(isLoopback({ address: '10.0.0.0', netmask: '255.0.0.0' })).toBe(false);
  expect(isOpen({ address: '0.0.0.0', netmask: '0.0.0.0' })).toBe(true);
  expect(isOpen({ address: '::', netmask: '::' })).toBe(true);
  expect(isOpen({ address: 'all', netmask: null })).toBe(true);
  expect(isOpen({ address: '10.0.0.0', netmask: '255.0.0.0' })).toBe(false);
});

describe("PgBouncer's auth file and ini", () => {
  test('setAuthFileSecret replaces the user\'s line in place, appends a new user, removes with null, and keeps every other line', () => {
    const text = '; users\n"app" "SCRAM-SHA-256$4096:a$b:c"\n"pgbouncer_admin" "SCRAM-SHA-256$4096:x$y:z"\n';
    expect(setAuthFileSecret(text, 'app', 'SCRAM-SHA-256$4096:n$e:w')).toBe('; users\n"app" "SCRAM-SHA-256$4096:n$e:w"\n"pgbouncer_admin" "SCRAM-SHA-256$4096:x$y:z"\n');
    expect(setAuthFileSecret(text, 'app_alt', 'S')).toBe(`${text}"app_alt" "S"\n`);
    expect(setAuthFileSecret(text, 'app', null)).toBe('; users\n"pgbouncer_admin" "SCRAM-SHA-256$4096:x$y:z"\n');
    expect(setAuthFileSecret('', 'we"ird', 'S')).toBe('"we""ird" "S"\n');
    expect(authFileLine(setAuthFileSecret('', 'we"ird', 'S'), 'we"ird')).toBe('"we""ird" "S"');
  });

  test('pgbouncerSettings reads the [pgbouncer] section only, comments left out', () => {
    const ini = '[databases]\nauth_file = /not/this\n[pgbouncer]\n;auth_file = /commented\nauth_file = /etc/pgbouncer/userlist.txt\nAUTH_TYPE = scram-sha-256\n';
    const s = pgbouncerSettings(ini);
    expect(s.get('auth_file')).toBe('/etc/pgbouncer/userlist.txt');
    expect(s.get('auth_type')).toBe('scram-sha-256');
  });
});
