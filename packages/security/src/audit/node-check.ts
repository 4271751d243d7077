import type { NodeConfig } from '@pgcluster/core';
import type { SecurityCheckId } from './check-catalogue';
import type { SkillReference } from '@pgcluster/skill-kit';
import type { Severity } from './finding';

/** What the audit learned about a node before its checks ran (one statement). */
export interface NodeFacts {
  name: string;
  role: 'primary' | 'replica';
  /** The database the connection is in. */
  database: string;
  /** The audit's own role is a superuser (pg_authid and pg_hba_file_rules need it). */
  superuser: boolean;
  /** Settings from pg_settings; a setting the role may not read is absent. */
  settings: ReadonlyMap<string, string>;
}

/** One read-only statement on the node's connection; values are bound, never interpolated. */
export type QueryRows = <R = Record<string, unknown>>(text: string, values?: unknown[]) => Promise<R[]>;

/** What a check gets: the node, its facts, its connection and the roles the run expects. */
export interface SecurityCheckContext {
  node: NodeConfig;
  facts: NodeFacts;
  query: QueryRows;
  /** Roles allowed to be superusers or to hold CREATEROLE/BYPASSRLS/REPLICATION (the config's own users and the input's). */
  expectedRoles: ReadonlySet<string>;
  /** The config's own logins and their alternates, which security-rotate can rotate. */
  configLogins: ReadonlySet<string>;
  /** Runs `fn` once per node and run for `key`: checks that read the same rows share one query. */
  once: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
}

/** A finding before the run names its node, category and reference. */
export interface Candidate {
  object: string;
  value: string | number | boolean;
  expected: string;
  unit: string;
  message: string;
  remedy: string;
  recommendation: SkillReference;
  /** Overrides the catalogue's severity (e.g. an md5 line open to every address). */
  severity?: Severity;
}

/**
 * The implementation of one catalogue check.
 * @example
 * ```ts
 * const check: SecurityCheck = { id: 'ssl_off', collect: async ({ facts }) => [] }
 * ```
 */
export interface SecurityCheck {
  id: SecurityCheckId;
  collect(ctx: SecurityCheckContext): Promise<Candidate[]>;
}

/**
 * Thrown by a check that cannot run on a node; the check is reported as skipped with the reason.
 * @example throw new SkipCheck('needs superuser (pg_authid)')
 */
export class SkipCheck extends Error {}

/**
 * A reference back to this audit, limited to one check: what to run after applying the remedy.
 * @example recheck('hba_trust') // { skill: 'security-audit', input: { checks: ['hba_trust'] }, why: … }
 */
export function recheck(id: SecurityCheckId): SkillReference {
  return { skill: 'security-audit', input: { checks: [id] }, why: 'apply the remedy, then re-run this check to confirm the finding is gone' };
}

/** The skill that turns TLS on (security-encrypt), with the input for this finding. */
export function encryptFix(input: Record<string, unknown>, why: string): SkillReference {
  return { skill: 'security-encrypt', input, why };
}

/**
 * security-rotate for one of the config's logins (it sets a new SCRAM password, with an expiry
 * through the alternate role); another role gets a re-check after the manual remedy.
 * @example rotateOrRecheck(ctx, 'app_alt', 'password_expiry') // { skill: 'security-rotate', input: { role: 'app' } … }
 */
export function rotateOrRecheck(ctx: SecurityCheckContext, role: string, id: SecurityCheckId): SkillReference {
  if (!ctx.configLogins.has(role)) return recheck(id);
  return { skill: 'security-rotate', input: { role: role.endsWith('_alt') ? role.slice(0, -4) : role }, why: 'a new SCRAM password through the alternate login, the old one expiring after a grace period' };
}

/**
 * A setting the check needs; a role that may not read it (superuser-only settings) skips the check.
 * @example const ssl = setting(ctx, 'ssl')
 */
export function setting(ctx: SecurityCheckContext, name: string): string {
  const value = ctx.facts.settings.get(name);
  if (value === undefined) throw new SkipCheck(`needs superuser or pg_read_all_settings (cannot read ${name})`);
  return value;
}

/**
 * Quotes a string as an SQL literal for a remedy the user reads (never executed by the audit).
 * @example literal("it's") // "'it''s'"
 */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Quotes an identifier for a remedy the user reads.
 * @example ident('App') // '"App"'
 */
export function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
