import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withClient } from '@pgcluster/core';
import type { ClusterHandle } from '../cluster/cluster-handle';
import { serverLogFiles } from './server-log';

/** One place a secret was found. */
export interface SecretSighting {
  node: string;
  /** A file path, or `pg_stat_statements`. */
  where: string;
  /** The line (file) or statement (pg_stat_statements) holding it, with the secret replaced by `***`. */
  excerpt: string;
}

/**
 * Looks for a secret (a cluster password) where PostgreSQL could have kept it: every node's
 * server log (pg_ctl's and every file of the collector's `<dataDir>/log`) and other `*.log` files beside and inside its data directory, every
 * `postgresql*.conf`, and `pg_stat_statements` on every node that answers (in each database
 * that has the extension). The nodes' own libpq password files are where the secret belongs
 * and are not read.
 *
 * @returns every sighting (empty when the secret is nowhere).
 * @example
 * ```ts
 * expect(await findSecret(cluster, new URL(cluster.url()).password)).toEqual([])
 * ```
 */
export async function findSecret(cluster: ClusterHandle, secret: string): Promise<SecretSighting[]> {
  if (secret.length < 4) throw new Error('findSecret needs a secret of at least 4 characters (a shorter one matches by chance)');
  const found: SecretSighting[] = [];
  const hide = (text: string) => text.split(secret).join('***').slice(0, 300);
  for (const node of cluster.nodes) {
    const files = new Set<string>();
    if (node.logFile) files.add(node.logFile);
    for (const f of serverLogFiles(node.dataDir, node.logFile)) files.add(f);
    for (const dir of node.dataDir ? [node.dataDir, dirname(node.dataDir)] : []) {
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) if (/^postgresql.*\.conf$|\.log$/.test(f)) files.add(join(dir, f));
    }
    for (const file of files) {
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n')) if (line.includes(secret)) found.push({ node: node.name, where: file, excerpt: hide(line) });
    }
    const statements = await withClient({ url: node.url('postgres'), connectTimeoutMs: 2_000 }, `pg_stat_statements on ${node.name}`, async (c) => {
      const dbs = (await c.query<{ datname: string }>('select datname from pg_database where datallowconn')).rows.map((r) => r.datname);
      const queries = new Set<string>();
      for (const db of dbs) {
        await withClient({ url: node.url(db), connectTimeoutMs: 2_000 }, `pg_stat_statements in ${db}`, async (d) => {
          if ((await d.query("select 1 from pg_extension where extname = 'pg_stat_statements'")).rowCount !== 1) return;
          // The view is cluster-wide; the secret travels as a bound parameter, so this query is not a sighting itself.
          for (const r of (await d.query<{ query: string }>('select query from pg_stat_statements where strpos(query, $1) > 0', [secret])).rows) queries.add(r.query);
        });
      }
      return [...queries];
    }).catch((): string[] => []); // a node that is down keeps no statistics to read
    for (const q of statements) found.push({ node: node.name, where: 'pg_stat_statements', excerpt: hide(q) });
  }
  return found;
}
