import { InputError } from '@pgcluster/core';
import type pg from 'pg';
import { z } from 'zod';
import type { ResolvedRelation } from '../sql/resolve-relation';

/**
 * The per-table autovacuum storage parameters this skill reads, suggests and sets: a fixed list, so
 * no other name ever reaches a statement. `null` RESETs a parameter to the server's setting.
 * @example AutovacuumSettings.parse({ autovacuum_vacuum_scale_factor: 0.02, autovacuum_enabled: null })
 */
export const AutovacuumSettings = z
  .object({
    autovacuum_enabled: z.boolean().nullable().optional().describe('Autovacuum on for this table.'),
    autovacuum_vacuum_scale_factor: z.number().min(0).max(100).nullable().optional().describe('Fraction of rows that must be dead before autovacuum runs.'),
    autovacuum_vacuum_threshold: z.number().int().min(0).max(2_147_483_647).nullable().optional().describe('Dead rows added to the scale factor part.'),
    autovacuum_vacuum_insert_scale_factor: z.number().min(0).max(100).nullable().optional().describe('Fraction of rows inserted before autovacuum runs (freezes and sets visibility).'),
    autovacuum_analyze_scale_factor: z.number().min(0).max(100).nullable().optional().describe('Fraction of rows changed before autoanalyze runs.'),
    autovacuum_analyze_threshold: z.number().int().min(0).max(2_147_483_647).nullable().optional().describe('Changed rows added to the scale factor part.'),
    autovacuum_vacuum_cost_limit: z.number().int().min(1).max(10_000).nullable().optional().describe('Work autovacuum does on this table before it sleeps.'),
  })
  .strict();
/** Per-table autovacuum parameters; `null` means reset to the server's setting. */
export type AutovacuumSettings = z.infer<typeof AutovacuumSettings>;

/** The parameters of {@link AutovacuumSettings}, in order. */
export const AUTOVACUUM_PARAMETERS = Object.keys(AutovacuumSettings.shape) as (keyof AutovacuumSettings)[];

/** A table's autovacuum parameters now, a suggestion from its size and churn, and why. */
export interface AutovacuumAdvice {
  /** Only the parameters set on the table; the others follow the server's settings. */
  current: AutovacuumSettings;
  suggested: AutovacuumSettings;
  reasons: string[];
}

const TABLE_SQL = `
select c.reloptions as options, greatest(c.reltuples, 0)::float8 as rows, pg_total_relation_size(c.oid)::float8 as bytes,
       coalesce(s.n_tup_ins, 0)::float8 as inserted, coalesce(s.n_tup_upd + s.n_tup_del, 0)::float8 as changed
  from pg_class c left join pg_stat_all_tables s on s.relid = c.oid where c.oid = $1`;

const GIB = 1024 ** 3;

/**
 * Reads a table's autovacuum parameters and suggests values from its size and churn: smaller
 * scale factors for large tables (so autovacuum does not wait for 20% of a big table to die),
 * autovacuum back on where it was turned off, a higher cost limit for tables over 1 GiB, and an
 * insert scale factor for tables that mostly grow.
 * @example
 * ```ts
 * const advice = await adviseAutovacuum(client, table) // { current: {}, suggested: { autovacuum_vacuum_scale_factor: 0.05, … }, reasons: [...] }
 * ```
 */
export async function adviseAutovacuum(c: pg.Client, table: ResolvedRelation): Promise<AutovacuumAdvice> {
  const r = (await c.query<{ options: string[] | null; rows: number; bytes: number; inserted: number; changed: number }>(TABLE_SQL, [table.oid])).rows[0]!;
  const current: Record<string, unknown> = {};
  for (const o of r.options ?? []) {
    const [k, v] = [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)];
    if ((AUTOVACUUM_PARAMETERS as string[]).includes(k)) current[k] = k === 'autovacuum_enabled' ? v === 'true' || v === 'on' : Number(v);
  }
  const suggested: AutovacuumSettings = {};
  const reasons: string[] = [];
  if (current['autovacuum_enabled'] === false) {
    suggested.autovacuum_enabled = true;
    reasons.push('autovacuum is off for this table: dead rows pile up until someone vacuums by hand');
  }
  const scale = r.rows >= 10_000_000 ? 0.01 : r.rows >= 1_000_000 ? 0.02 : r.rows >= 100_000 ? 0.05 : undefined;
  if (scale !== undefined) {
    suggested.autovacuum_vacuum_scale_factor = scale;
    suggested.autovacuum_analyze_scale_factor = scale / 2;
    reasons.push(`${Math.round(r.rows)} rows: a scale factor of ${scale} lets autovacuum start after ${Math.round(scale * r.rows)} dead rows instead of 20% of the table`);
    if (r.inserted > 4 * r.changed) {
      suggested.autovacuum_vacuum_insert_scale_factor = scale;
      reasons.push('it mostly grows by inserts: vacuum it after the same share of new rows so they get frozen and index-only scans stay cheap');
    }
  }
  if (r.bytes >= GIB) {
    suggested.autovacuum_vacuum_cost_limit = 1000;
    reasons.push(`${Math.round(r.bytes / GIB)} GiB: a higher cost limit lets one autovacuum pass finish sooner`);
  }
  return { current: current as AutovacuumSettings, suggested, reasons };
}

/**
 * The statements that set (and reset, for `null`) autovacuum parameters on a table; only names
 * from {@link AUTOVACUUM_PARAMETERS} and zod-checked numbers or booleans are written into them.
 * @throws InputError (`autovacuumSettings`) when nothing is given.
 * @example autovacuumStatements(table, { autovacuum_enabled: true, autovacuum_vacuum_threshold: null })
 * // ['ALTER TABLE "public"."t" SET (autovacuum_enabled = true)', 'ALTER TABLE "public"."t" RESET (autovacuum_vacuum_threshold)']
 */
export function autovacuumStatements(table: ResolvedRelation, settings: AutovacuumSettings): string[] {
  const checked = AutovacuumSettings.parse(settings);
  const entries = AUTOVACUUM_PARAMETERS.filter((k) => checked[k] !== undefined).map((k) => [k, checked[k]] as const);
  if (entries.length === 0) throw new InputError('autovacuumSettings', `give at least one of ${AUTOVACUUM_PARAMETERS.join(', ')}`);
  const set = entries.filter(([, v]) => v !== null).map(([k, v]) => `${k} = ${String(v)}`);
  const reset = entries.filter(([, v]) => v === null).map(([k]) => k);
  return [...(set.length ? [`ALTER TABLE ${table.quoted} SET (${set.join(', ')})`] : []), ...(reset.length ? [`ALTER TABLE ${table.quoted} RESET (${reset.join(', ')})`] : [])];
}

/**
 * What restores `current` for the parameters `change` touches: the old value, or `null` (reset)
 * where none was set.
 * @example undoSettings({ autovacuum_enabled: false }, { autovacuum_enabled: true, autovacuum_vacuum_scale_factor: 0.05 })
 * // { autovacuum_enabled: false, autovacuum_vacuum_scale_factor: null }
 */
export function undoSettings(current: AutovacuumSettings, change: AutovacuumSettings): AutovacuumSettings {
  const undo: Record<string, unknown> = {};
  for (const k of AUTOVACUUM_PARAMETERS) if (change[k] !== undefined) undo[k] = current[k] ?? null;
  return undo as AutovacuumSettings;
}
