import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conninfoValue, standbyConninfo, writePassfile, writeStandbyConfig } from './standby-config';

const dir = mkdtempSync(join(tmpdir(), 'pgc-standby-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a standby conninfo names the passfile and never a password; values are quoted', () => {
  const c = standbyConninfo({ host: '127.0.0.1', port: 5433, user: "o'k", passfile: '/a b/pgpass', applicationName: 'node2' });
  expect(c).toBe("host='127.0.0.1' port='5433' user='o\\'k' passfile='/a b/pgpass' application_name='node2'");
  expect(conninfoValue(c, 'user')).toBe("o'k");
  expect(conninfoValue(c, 'passfile')).toBe('/a b/pgpass');
  expect(conninfoValue(c, 'password')).toBeUndefined();
});

test('a passfile is mode 600, valid for any host and port, and keeps one line per user', () => {
  const path = join(dir, 'pgpass');
  writePassfile(path, 'app', 'first:pw');
  writePassfile(path, 'other', 'x');
  writePassfile(path, 'app', 'second\\pw');
  expect(statSync(path).mode & 0o777).toBe(0o600);
  expect(readFileSync(path, 'utf8')).toBe('*:*:*:other:x\n*:*:*:app:second\\\\pw\n');
});

test('writeStandbyConfig replaces the upstream and the read-only fence in postgresql.auto.conf and writes standby.signal', () => {
  const data = join(dir, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'postgresql.auto.conf'), "# header\nprimary_conninfo = 'host=old'\ndefault_transaction_read_only = 'on'\nwork_mem = '8MB'\n");
  writeStandbyConfig(data, { conninfo: "host='new' passfile='/p'", slot: 'node1' });
  expect(readFileSync(join(data, 'postgresql.auto.conf'), 'utf8')).toBe(
    "# header\nwork_mem = '8MB'\nprimary_conninfo = 'host=''new'' passfile=''/p'''\nprimary_slot_name = 'node1'\n",
  );
  expect(readFileSync(join(data, 'standby.signal'), 'utf8')).toBe('');
});
