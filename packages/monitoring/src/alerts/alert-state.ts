import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureStateSubdir } from '@pgcluster/core';

/** One alert instance (a rule on one node and object) that is pending or firing. */
export interface ActiveAlert {
  rule: string;
  node: string;
  object: string;
  state: 'pending' | 'firing';
  /** When its condition was first seen (ISO). */
  since: string;
  firedAt?: string;
  value: number;
  message: string;
}

/** What `evaluate` keeps between runs. */
export interface AlertState {
  alerts: Record<string, ActiveAlert>;
  /** Rule name → silenced until (ISO). */
  silences: Record<string, string>;
}

/**
 * The alert state file in the state dir.
 * @example alertStateFile('.pgcluster') // '.pgcluster/monitoring/alerts-state.json'
 */
export function alertStateFile(stateDir: string): string {
  return join(ensureStateSubdir(stateDir, 'monitoring'), 'alerts-state.json');
}

/**
 * Reads the alert state (empty when there is none yet).
 * @example const state = readAlertState(stateDir)
 */
export function readAlertState(stateDir: string): AlertState {
  const file = alertStateFile(stateDir);
  if (!existsSync(file)) return { alerts: {}, silences: {} };
  return JSON.parse(readFileSync(file, 'utf8')) as AlertState;
}

/**
 * Writes the alert state atomically (a temporary file renamed over the old one).
 * @example writeAlertState(stateDir, state)
 */
export function writeAlertState(stateDir: string, state: AlertState): void {
  const file = alertStateFile(stateDir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/**
 * The key of an alert instance: rule, node and object.
 * @example alertKey('lock_waits-warning', 'node1', 'pid 42') // 'lock_waits-warning|node1|pid 42'
 */
export function alertKey(rule: string, node: string, object: string): string {
  return `${rule}|${node}|${object}`;
}
