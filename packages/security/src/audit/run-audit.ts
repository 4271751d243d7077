import { PgClusterError, QueryError, withClient, type ClusterConfig, type NodeConfig } from '@pgcluster/core';
import type pg from 'pg';
import { checkDefinition, SECURITY_CHECK_IDS, type CheckScope, type SecurityCheckId } from './check-catalogue';
import type { SecurityAuditReport, SecurityCheckResult } from './audit-schema';
import { DATABASE_CHECKS } from './checks/database-checks';
import { FILE_CHECKS } from './checks/file-checks';
import { HBA_CHECKS } from './checks/hba-checks';
import { ROLE_CHECKS } from './checks/role-checks';
import { AUDIT_APPLICATION_NAME, AUDITED_SETTINGS, SETTING_CHECKS } from './checks/setting-checks';
import type { SecurityCategory, SecurityFinding } from './finding';
import { SkipCheck, type Candidate, type NodeFacts, type SecurityCheck, type SecurityCheckContext } from './node-check';

/**
 * Session settings of every audit connection. Security: read-only (nothing the audit sends can
 * write), no statement longer than 2 s and no lock wait longer than 0.5 s.
 */
export const AUDIT_SESSION_SQL = "SET default_transaction_read_only = on; SET statement_timeout = '2s'; SET lock_timeout = '500ms'";

/** The statement that reads a node's facts before its checks run; the names are bound. */
export const AUDIT_FACTS_SQL = `select pg_is_in_recovery() as in_recovery, current_database() as database,
       coalesce((select rolsuper from pg_roles where rolname = current_user), false) as superuser,
       (select coalesce(json_object_agg(name, setting), '{}') from pg_settings where name = any($1::text[])) as settings`;

const ALL_CHECKS: readonly SecurityCheck[] = [...HBA_CHECKS, ...SETTING_CHECKS, ...ROLE_CHECKS, ...DATABASE_CHECKS, ...FILE_CHECKS];

/**
 * Options of {@link runSecurityAudit}.
 * @example const options: SecurityAuditOptions = { category: ['authentication'], expectedRoles: ['replicator'] }
 */
export interface SecurityAuditOptions {
  /** Only these checks; default all. */
  checks?: readonly SecurityCheckId[];
  /** Only the checks of these categories; default all. */
  category?: readonly SecurityCategory[];
  /** Roles allowed to be superusers or privileged, besides the config's own users. */
  expectedRoles?: readonly string[];
  /**
   * The configuration as written when `config` connects as its least-privilege reader
   * (`LoadedConfig.configured`): its logins are the expected ones, the reader's too.
   */
  configured?: ClusterConfig;
  /** Databases whose schemas and functions are checked; default the URL's and the config's named ones. */
  databases?: readonly string[];
  /** Default 2,000 ms. */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The checks a run selects, in catalogue order.
 * @example selectSecurityChecks({ category: ['logging'] }) // ['log_connections', …, 'pgaudit_absent']
 */
export function selectSecurityChecks(options: Pick<SecurityAuditOptions, 'checks' | 'category'>): SecurityCheckId[] {
  return SECURITY_CHECK_IDS.filter((id) => (!options.checks?.length || options.checks.includes(id)) && (!options.category?.length || options.category.includes(checkDefinition(id).category)));
}

/**
 * The roles a run expects to be privileged: the users of the config's own URLs, their alternates
 * (`<user>_alt`, which security-rotate takes turns with) and the caller's.
 * @example expectedRolesOf(config, ['replicator']) // ['pgcluster', 'pgcluster_alt', 'replicator']
 */
export function expectedRolesOf(config: ClusterConfig, extra: readonly string[] = []): string[] {
  const users = [...(config.nodes ?? []).map((n) => n.url), ...(config.patroni?.memberUrl ? [config.patroni.memberUrl] : [])].map((u) => decodeURIComponent(new URL(u).username)).filter(Boolean);
  // A rotated login takes turns with its alternate (security-rotate): both are the config's own.
  const partners = users.map((u) => (u.endsWith('_alt') ? u.slice(0, -4) : `${u}_alt`));
  return [...new Set([...users, ...partners, ...extra])].sort();
}

/**
 * The databases a run inspects: the caller's, else the primary URL's and the config's named ones.
 * @example databasesOf(config) // ['app', 'shared']
 */
export function databasesOf(config: ClusterConfig, explicit?: readonly string[]): string[] {
  if (explicit?.length) return [...new Set(explicit)];
  const fromUrl = (config.nodes ?? []).map((n) => decodeURIComponent(new URL(n.url).pathname.slice(1)) || 'postgres');
  return [...new Set([...fromUrl.slice(0, 1), ...Object.values(config.databases)])];
}

type Outcome = { ran: true; candidates: Candidate[] } | { ran: false; reason: string };
interface Ran {
  id: SecurityCheckId;
  /** Node name, or node/database for database checks. */
  where: string;
  node: string;
  outcome: Outcome;
}

/**
 * Audits the cluster's security, read-only: pg_hba.conf, password hashing, roles, privileges,
 * TLS, logging, checksums and local file permissions — on every node at once, one connection
 * per node (plus one per further database on the primary) — and returns every finding with its
 * CIS section and the exact remedy. A check the audit's role may not run (pg_authid and
 * pg_hba_file_rules need a superuser) is reported as skipped with what it needs. A node that is
 * down is listed with its error; only when no node answers does it throw.
 *
 * @throws PgClusterError `UNREACHABLE` when no node answers, `NOT_SUPPORTED` without static nodes, `ABORTED` when cancelled.
 * @example
 * ```ts
 * import { loadConfig } from '@pgcluster/core'
 * import { runSecurityAudit } from '@pgcluster/security'
 *
 * const report = await runSecurityAudit(loadConfig().config, { category: ['authentication'] })
 * for (const f of report.findings) console.log(f.severity, f.check, f.object, f.remedy)
 * ```
 */
export async function runSecurityAudit(config: ClusterConfig, options: SecurityAuditOptions = {}): Promise<SecurityAuditReport> {
  const nodes = config.nodes;
  if (!nodes?.length) {
    throw new PgClusterError('NOT_SUPPORTED', `cluster ${config.name} has no static "nodes" list: security-audit needs one`, {
      hint: 'List the nodes in pgcluster.config.json ("nodes": [{ "name", "url" }]).',
    });
  }
  if (options.signal?.aborted) throw new PgClusterError('ABORTED', 'security audit was cancelled before it started');
  const selected = selectSecurityChecks(options);
  const wanted = (scope: CheckScope) => ALL_CHECKS.filter((c) => selected.includes(c.id) && checkDefinition(c.id).scope === scope);
  const own = options.configured ?? config;
  const reader = own.reader ? [own.reader.user] : [];
  const expectedRoles = new Set(expectedRolesOf(own, [...(options.expectedRoles ?? []), ...reader]));
  const configLogins = new Set(expectedRolesOf(own, reader));
  const databases = databasesOf(config, options.databases);
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  const base = { expectedRoles, configLogins, connectTimeoutMs, signal: options.signal };

  const nodeRuns = await Promise.all(nodes.map((node) => auditConnection(node, undefined, base, (f) => [...wanted('node'), ...wanted('local'), ...(f.role === 'primary' ? wanted('primary') : [])])));
  if (options.signal?.aborted) throw new PgClusterError('ABORTED', 'security audit was cancelled');
  if (nodeRuns.every((r) => !r.facts)) {
    throw new PgClusterError('UNREACHABLE', `no node of cluster ${config.name} answered: ${nodeRuns.map((r, i) => `${nodes[i]!.name}: ${r.error}`).join('; ')}`, {
      hint: 'Check that the servers run and that this host can reach them (`pgcluster dev up` starts a local cluster).',
    });
  }
  const ran: Ran[] = [];
  const primaryIndex = nodeRuns.findIndex((r) => r.facts?.role === 'primary');
  nodeRuns.forEach((r, i) => {
    for (const [id, outcome] of r.outcomes) ran.push({ id, where: nodes[i]!.name, node: nodes[i]!.name, outcome });
  });
  const databaseChecks = wanted('database');
  if (primaryIndex >= 0 && databaseChecks.length > 0) {
    const primary = nodes[primaryIndex]!;
    const dbRuns = await Promise.all(databases.map((db) => auditConnection(primary, db, base, () => databaseChecks)));
    dbRuns.forEach((r, i) => {
      const where = `${primary.name}/${databases[i]}`;
      if (!r.facts) for (const c of databaseChecks) ran.push({ id: c.id, where, node: primary.name, outcome: { ran: false, reason: `database ${databases[i]}: ${r.error}` } });
      for (const [id, outcome] of r.outcomes) ran.push({ id, where, node: primary.name, outcome });
    });
  }
  return assess(config.name, selected, ran, {
    nodes: nodes.map((n, i) => {
      const r = nodeRuns[i]!;
      return { name: n.name, up: Boolean(r.facts), role: r.facts?.role ?? 'unknown', superuser: r.facts?.superuser ?? false, ...(r.error ? { error: r.error } : {}) };
    }),
    databases: primaryIndex >= 0 ? databases : [],
    expectedRoles: [...expectedRoles],
    primaryUp: primaryIndex >= 0,
  });
}

interface ConnectionRun {
  facts?: NodeFacts;
  error?: string;
  outcomes: Map<SecurityCheckId, Outcome>;
}

/** How long the checks of one connection may take in all, after connecting. */
const CONNECTION_BUDGET_MS = 30_000;

async function auditConnection(
  node: NodeConfig,
  database: string | undefined,
  base: { expectedRoles: ReadonlySet<string>; configLogins: ReadonlySet<string>; connectTimeoutMs: number; signal?: AbortSignal },
  checksFor: (facts: NodeFacts) => readonly SecurityCheck[],
): Promise<ConnectionRun> {
  const run: ConnectionRun = { outcomes: new Map() };
  let timedOut = false;
  try {
    await withClient({ url: node.url, database, connectTimeoutMs: base.connectTimeoutMs, applicationName: AUDIT_APPLICATION_NAME }, node.name, async (client) => {
      // statement_timeout needs a live server: a server that stopped answering is cut off by this budget.
      const end = () => void client.end().catch(() => undefined);
      const timer = setTimeout(() => ((timedOut = true), end()), base.connectTimeoutMs + CONNECTION_BUDGET_MS);
      base.signal?.addEventListener('abort', end, { once: true });
      try {
        await inspect(client, node, run, base, checksFor);
      } finally {
        clearTimeout(timer);
        base.signal?.removeEventListener('abort', end);
      }
    });
  } catch (error) {
    if (!run.facts) run.error = timedOut ? 'no answer within its time budget' : reason(error, node.name);
  }
  return run;
}

async function inspect(client: pg.Client, node: NodeConfig, run: ConnectionRun, base: { expectedRoles: ReadonlySet<string>; configLogins: ReadonlySet<string>; signal?: AbortSignal }, checksFor: (facts: NodeFacts) => readonly SecurityCheck[]): Promise<void> {
  const query = async <R>(text: string, values?: unknown[]): Promise<R[]> => (await client.query(text, values)).rows as R[];
  await query(AUDIT_SESSION_SQL);
  const [f] = await query<{ in_recovery: boolean; database: string; superuser: boolean; settings: Record<string, string> }>(AUDIT_FACTS_SQL, [AUDITED_SETTINGS]);
  const facts: NodeFacts = { name: node.name, role: f!.in_recovery ? 'replica' : 'primary', database: f!.database, superuser: f!.superuser, settings: new Map(Object.entries(f!.settings)) };
  run.facts = facts;
  const memo = new Map<string, Promise<unknown>>();
  const ctx: SecurityCheckContext = {
    node,
    facts,
    query,
    expectedRoles: base.expectedRoles,
    configLogins: base.configLogins,
    once: <T>(key: string, fn: () => Promise<T>) => {
      if (!memo.has(key)) memo.set(key, fn());
      return memo.get(key) as Promise<T>;
    },
  };
  for (const check of checksFor(facts)) {
    if (base.signal?.aborted) break;
    try {
      run.outcomes.set(check.id, { ran: true, candidates: await check.collect(ctx) });
    } catch (error) {
      run.outcomes.set(check.id, { ran: false, reason: error instanceof SkipCheck ? error.message : `query failed: ${reason(error, node.name)}` });
    }
  }
}

/** The server's reason without QueryError's `<context>: ` prefix (and never a secret). */
function reason(error: unknown, context: string): string {
  const message = QueryError.from(error, context).message;
  return message.startsWith(`${context}: `) ? message.slice(context.length + 2) : message;
}

function assess(
  cluster: string,
  selected: readonly SecurityCheckId[],
  ran: readonly Ran[],
  rest: Pick<SecurityAuditReport, 'nodes' | 'databases' | 'expectedRoles'> & { primaryUp: boolean },
): SecurityAuditReport {
  const findings: SecurityFinding[] = [];
  const checks: SecurityCheckResult[] = [];
  for (const id of selected) {
    const def = checkDefinition(id);
    const reference = def.cis ? `CIS ${def.cis}` : undefined;
    const mine = ran.filter((r) => r.id === id);
    const own: SecurityFinding[] = [];
    const where: string[] = [];
    const skipped: string[] = [];
    for (const r of mine) {
      if (!r.outcome.ran) {
        skipped.push(`${r.where}: ${r.outcome.reason}`);
        continue;
      }
      where.push(r.where);
      for (const c of r.outcome.candidates) {
        const { severity, ...candidate } = c;
        own.push({ check: id, category: def.category, severity: severity ?? def.severity, node: r.node, ...candidate, ...(reference ? { reference } : {}) });
      }
    }
    const status = own.some((f) => f.severity === 'critical') ? 'critical' : own.length > 0 ? 'warning' : where.length > 0 ? 'ok' : 'skipped';
    const notRun = where.length === 0 && skipped.length === 0 ? (def.scope === 'node' || def.scope === 'local' ? 'no node answered' : rest.primaryUp ? 'not run' : 'no primary answered') : undefined;
    const why = skipped.length > 0 ? skipped.join('; ') : notRun;
    checks.push({ check: id, category: def.category, title: def.title, ...(reference ? { reference } : {}), status, findings: own.length, nodes: where, ...(why ? { reason: why } : {}) });
    findings.push(...own);
  }
  findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1));
  const count = (s: SecurityCheckResult['status']) => checks.filter((c) => c.status === s).length;
  return {
    status: findings.some((f) => f.severity === 'critical') ? 'critical' : findings.length > 0 ? 'degraded' : 'healthy',
    cluster,
    nodes: rest.nodes,
    databases: rest.databases,
    expectedRoles: rest.expectedRoles,
    counts: { checks: checks.length, ok: count('ok'), warning: count('warning'), critical: count('critical'), skipped: count('skipped'), findings: findings.length },
    findings,
    checks,
  };
}
