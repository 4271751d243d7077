import { InputError } from '@pgcluster/core';
import type pg from 'pg';

/** Per-transaction settings, e.g. `{ 'hnsw.ef_search': 100, statement_timeout: '5s' }`. */
export type QuerySettings = Readonly<Record<string, string | number | boolean>>;

const SETTING_NAME = /^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/;

/**
 * Checks setting names before any is sent: lower-case identifiers, optionally one dotted
 * prefix (`hnsw.ef_search`).
 * @throws InputError naming the setting.
 * @example
 * ```ts
 * validateSettings({ statement_timeout: '2s' }) // ok
 * ```
 */
export function validateSettings(settings: QuerySettings | undefined): void {
  for (const [name, value] of Object.entries(settings ?? {})) {
    // Security: names are spliced into nothing (set_config binds both), but an invalid name is
    // rejected up front so a typo never silently becomes a placeholder setting.
    if (!SETTING_NAME.test(name)) {
      throw new InputError(`settings.${name}`, 'setting names are lower-case identifiers, optionally with one dotted prefix (hnsw.ef_search)');
    }
    if (!['string', 'number', 'boolean'].includes(typeof value) || (typeof value === 'number' && !Number.isFinite(value))) {
      throw new InputError(`settings.${name}`, 'must be a string, a finite number or a boolean');
    }
  }
}

/**
 * Applies settings for the current transaction only: `set_config(name, value, true)`, which is
 * `SET LOCAL` with both name and value bound. They end with the transaction, so a pooled
 * connection never carries one caller's settings into another's query.
 *
 * @example
 * ```ts
 * await client.query('begin'); await applyLocalSettings(client, { 'hnsw.ef_search': 100 })
 * ```
 */
export async function applyLocalSettings(client: pg.ClientBase, settings: QuerySettings | undefined): Promise<void> {
  for (const [name, value] of Object.entries(settings ?? {})) {
    await client.query('select set_config($1, $2, true)', [name, String(value)]);
  }
}
