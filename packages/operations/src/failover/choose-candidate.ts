import { InputError, PgClusterError } from '@pgcluster/core';
import type { FailoverAction } from './failover-schema';

/** What is known of one node before a failover. */
export interface FailoverNodeFacts {
  name: string;
  reachable: boolean;
  /** True for a replica (in recovery). */
  inRecovery: boolean;
  /** Primary: `pg_current_wal_lsn()`; replica: the larger of received and replayed LSN. */
  lsn: bigint | undefined;
  /** Replicas: the walreceiver is streaming. */
  streaming: boolean;
  /** Patroni: a synchronous standby (Patroni promotes only those in synchronous_mode). */
  sync?: boolean;
  timeline?: number;
}

/** The node chosen to promote and why. */
export interface Candidate {
  name: string;
  reason: string;
  /** The primary found (reachable, not in recovery), if any. */
  primary: FailoverNodeFacts | undefined;
}

/**
 * Parses a `pg_lsn` text (`16/B374D848`) into a number of bytes.
 * @example parseLsn('0/3000060') // 50331744n
 */
export function parseLsn(text: string | null | undefined): bigint | undefined {
  if (!text) return undefined;
  const m = /^([0-9A-F]+)\/([0-9A-F]+)$/i.exec(text);
  return m ? (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`) : undefined;
}

/**
 * Chooses the node to promote: `to` when given (it must be a reachable replica), else the most
 * advanced healthy replica (highest received/replayed LSN; a synchronous standby first when
 * Patroni marks one; then streaming ones; then by name), with the reason in words.
 *
 * @throws InputError `to` naming the allowed nodes when it is not one of them (nothing changed).
 * @throws PgClusterError `ACTION_FAILED` when no replica can be promoted, or a switchover finds no primary.
 * @example
 * ```ts
 * chooseCandidate('failover', facts, undefined).name // 'node2'
 * ```
 */
export function chooseCandidate(action: FailoverAction, facts: readonly FailoverNodeFacts[], to: string | undefined): Candidate {
  const names = facts.map((f) => f.name);
  if (to !== undefined && !names.includes(to)) {
    throw new InputError('to', `must be one of the cluster's nodes: ${names.join(', ')} (got ${to})`);
  }
  const primaries = facts.filter((f) => f.reachable && !f.inRecovery);
  if (primaries.length > 1) {
    throw new PgClusterError('ACTION_FAILED', `more than one node is primary (${primaries.map((p) => p.name).join(', ')}): split brain`, {
      hint: 'Stop the primary that must not take writes first; a failover now would make things worse.',
    });
  }
  const primary = primaries[0];
  if (action === 'switchover' && !primary) {
    throw new PgClusterError('ACTION_FAILED', 'a switchover needs a running primary, and none answers', { hint: 'Use --action failover for a lost primary.' });
  }
  const replicas = facts.filter((f) => f.reachable && f.inRecovery);
  if (to !== undefined) {
    const target = facts.find((f) => f.name === to)!;
    if (target === primary) throw new InputError('to', `${to} is already the primary; choose a replica: ${replicas.map((r) => r.name).join(', ') || '(none)'}`);
    if (!target.reachable) throw new PgClusterError('ACTION_FAILED', `${to} does not answer; it cannot be promoted`, { hint: `Choose a reachable replica: ${replicas.map((r) => r.name).join(', ') || '(none)'}.` });
    return { name: to, reason: `${to} was asked for (--to)${describeLsn(target, replicas)}`, primary };
  }
  if (replicas.length === 0) {
    throw new PgClusterError('ACTION_FAILED', 'no reachable replica to promote', { hint: 'Bring a replica back (or restore a backup as a new node) first.' });
  }
  const ranked = [...replicas].sort(
    (a, b) =>
      Number(b.sync === true) - Number(a.sync === true) ||
      compareLsn(b.lsn, a.lsn) ||
      Number(b.streaming) - Number(a.streaming) ||
      a.name.localeCompare(b.name),
  );
  const best = ranked[0]!;
  const why = best.sync ? 'the synchronous standby (it has every acknowledged commit)' : 'the most advanced healthy replica';
  return { name: best.name, reason: `${best.name} is ${why}${describeLsn(best, replicas)}`, primary };
}

function compareLsn(a: bigint | undefined, b: bigint | undefined): number {
  const x = a ?? -1n;
  const y = b ?? -1n;
  return x === y ? 0 : x > y ? 1 : -1;
}

function describeLsn(chosen: FailoverNodeFacts, replicas: readonly FailoverNodeFacts[]): string {
  if (chosen.lsn === undefined) return '';
  const others = replicas.filter((r) => r !== chosen && r.lsn !== undefined).map((r) => `${r.name} ${chosen.lsn! - r.lsn!} bytes behind`);
  // Positions relative to the leader (≤ 0, from Patroni's lag alone) are no LSN: only the differences are told.
  if (chosen.lsn <= 0n) return others.length ? `: ${others.join(', ')}` : '';
  return `: WAL up to ${formatLsn(chosen.lsn)}${others.length ? ` (${others.join(', ')})` : ''}`;
}

/**
 * Formats a byte position as a `pg_lsn`.
 * @example formatLsn(50331744n) // '0/3000060'
 */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
