import { PgClusterError } from '@pgcluster/core';
import { sleep } from '../local/postmaster';

/** One member as Patroni's `GET /cluster` reports it (the fields we read). */
export interface PatroniMember {
  name: string;
  /** `leader`, `sync_standby`, `replica`, … */
  role: string;
  /** `running`, `streaming`, `starting`, `stopped`, … */
  state: string;
  host?: string;
  port?: number;
  timeline?: number;
  lag?: number | string;
}

/**
 * Asks one Patroni REST API for `GET /cluster`; undefined when it does not answer.
 * @example const members = await patroniMembers('http://127.0.0.1:54331')
 */
export async function patroniMembers(apiUrl: string, timeoutMs = 2_000): Promise<PatroniMember[] | undefined> {
  try {
    const res = await fetch(new URL('/cluster', apiUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { members?: PatroniMember[] };
    return Array.isArray(body.members) ? body.members : undefined;
  } catch {
    return undefined;
  }
}

/** The roles Patroni gives a writable leader (3.0 says `leader`; older `master`). */
export function isLeaderRole(role: string): boolean {
  return role === 'leader' || role === 'master' || role === 'primary';
}

/**
 * Polls the given REST APIs until `ready(members)` holds, or throws `TIMEOUT` with `what` and the last answer.
 * @example await waitForPatroni(apis, (m) => m.some((x) => isLeaderRole(x.role)), 'a leader', 60_000)
 */
export async function waitForPatroni(
  apiUrls: readonly string[],
  ready: (members: PatroniMember[]) => boolean,
  what: string,
  timeoutMs: number,
): Promise<PatroniMember[]> {
  const deadline = Date.now() + timeoutMs;
  let last: PatroniMember[] | undefined;
  for (;;) {
    for (const api of apiUrls) {
      const members = await patroniMembers(api, 1_000);
      if (!members) continue;
      last = members;
      if (ready(members)) return members;
      break;
    }
    if (Date.now() > deadline) {
      const seen = last ? last.map((m) => `${m.name}=${m.role}/${m.state}`).join(', ') : 'no Patroni answered';
      throw new PgClusterError('TIMEOUT', `Patroni: no ${what} after ${Math.round(timeoutMs / 1000)} s (${seen})`, {
        hint: "Read each node's patroni.log in its folder under the cluster's data root (`pgcluster dev status` lists the nodes).",
      });
    }
    await sleep(250);
  }
}
