import { PgClusterError } from '@pgcluster/core';

/**
 * Retries `fn` every 250 ms until `ok` accepts its value, for up to `ms` (a reload or a restart is
 * applied asynchronously); errors thrown meanwhile count as "not yet".
 *
 * @throws PgClusterError (`ACTION_FAILED`) naming `what`, with the last error's message, on time out.
 * @example await eventually('node1 to answer', () => client.query('select 1'), () => true, 10_000)
 */
export async function eventually<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean = () => true, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (ok(v)) return v;
      last = v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until) throw new PgClusterError('ACTION_FAILED', `timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
