import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { withClient } from '@pgcluster/core';
import { CLUSTER_STATE_FILE, startCluster } from '@pgcluster/testing';

const asRoot = process.getuid?.() === 0;
const home = mkdtempSync(join(tmpdir(), 'pgc-private-')); // mode 700, like /root
afterAll(() => rmSync(home, { recursive: true, force: true }));

test('a folder the postgres user cannot enter keeps cluster.json; a synchronous cluster streams', async () => {
  const baseDir = join(home, 'project', '.pgcluster', 'dev');
  const lines: string[] = [];
  const cluster = await startCluster({ baseDir, replicas: 1, synchronous: true, fast: true, log: (l) => lines.push(l) });
  const dataRoot = dirname(cluster.primary.dataDir!.replace(/\/data$/, ''));
  try {
    expect(existsSync(join(baseDir, CLUSTER_STATE_FILE))).toBe(true);
    expect(statSync(join(baseDir, 'password')).mode & 0o777).toBe(0o600);
    if (asRoot) {
      expect(dataRoot).toMatch(/^\/var\/tmp\/pgcluster-[0-9a-f]{12}$/);
      expect(lines.join('\n')).toContain(`cannot enter ${baseDir}`);
    } else {
      expect(dataRoot).toBe(baseDir);
    }
    const sync = await withClient({ url: cluster.url() }, 'reading sync state', async (c) => ({
      names: (await c.query<{ s: string }>("select current_setting('synchronous_standby_names') as s")).rows[0]?.s,
      states: (await c.query<{ application_name: string; sync_state: string }>('select application_name, sync_state from pg_stat_replication')).rows,
    }));
    expect(sync.names).toBe('ANY 1 ("node2")');
    expect(sync.states).toEqual([{ application_name: 'node2', sync_state: 'quorum' }]);
  } finally {
    await cluster.stop({ purge: true });
  }
  expect(await cluster.isRunning('node1')).toBe(false);
  expect(await cluster.isRunning('node2')).toBe(false);
  expect(existsSync(dataRoot)).toBe(false);
  expect(existsSync(baseDir)).toBe(false);
});
