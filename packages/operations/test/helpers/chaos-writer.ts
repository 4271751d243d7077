import type { ClusterPools } from '@pgcluster/pools';

/** A writer inserting sequential ids through the pools, recording each acknowledged one. */
export interface ChaosWriter {
  /** Ids whose commit was acknowledged, in order. */
  readonly acked: number[];
  /** When each acknowledgement arrived (ms since epoch), parallel to {@link acked}. */
  readonly ackedAt: number[];
  /** When each acknowledged attempt started (ms since epoch), parallel to {@link acked}. */
  readonly startedAt: number[];
  /** Failed attempts (each retried with the same id). */
  errors(): number;
  /** Stops the loop and resolves once the attempt in flight settled. */
  stop(): Promise<void>;
}

/**
 * Starts inserting 1, 2, 3, … into `table` (`id int primary key`) through `pools.write`, one
 * transaction per id; a failed id is retried (the insert is idempotent, so it is marked retryable).
 */
export function startChaosWriter(pools: ClusterPools, table: string): ChaosWriter {
  let running = true;
  let errors = 0;
  let next = 1;
  const acked: number[] = [];
  const ackedAt: number[] = [];
  const startedAt: number[] = [];
  const loop = (async () => {
    while (running) {
      const id = next;
      const t = Date.now();
      try {
        await pools.write((c) => c.query(`insert into ${table} (id) values ($1) on conflict do nothing`, [id]), { retryable: true });
        acked.push(id);
        ackedAt.push(Date.now());
        startedAt.push(t);
        next += 1;
      } catch {
        errors += 1;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  })();
  return {
    acked,
    ackedAt,
    startedAt,
    errors: () => errors,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Resolves when `fn` returns true, polling every 100 ms; throws after `timeoutMs`. */
export async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve(fn()).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Seconds from `killedAt` to the first acknowledgement of a write that started after `goneAt`
 * (when the old primary's processes were all gone): acknowledgements from its surviving backends
 * in between do not count as recovered.
 */
export function recoverySeconds(writer: ChaosWriter, killedAt: number, goneAt: number): number | undefined {
  const i = writer.acked.findIndex((_, k) => writer.startedAt[k]! >= goneAt);
  return i < 0 ? undefined : (writer.ackedAt[i]! - killedAt) / 1000;
}
