import { loadConfig, REDACTED, type LoadedConfig } from '@pgcluster/core';
import { executeSkill, type ExecuteOptions } from '../executor/execute-skill';
import { toEnvelopeError, type EnvelopeError } from '../executor/to-envelope-error';
import type { Envelope, SkillClass } from '../skill/skill-meta';
import { AuditLog, type AuditRecord, type WorkflowAudit } from './audit-log';

/** The `skill` of an envelope that undo returns before a rollback skill could run. */
export const UNDO_SKILL_NAME = 'audit-undo';

/** Options of {@link undoAudit}: those of `executeSkill`, with `resolveSkill` required. */
export type UndoOptions = ExecuteOptions & { resolveSkill: (name: string) => SkillClass | undefined };

/**
 * Undoes an audited run: looks up the record (a unique id prefix is enough) and runs its
 * recorded rollback skill with the recorded input through {@link executeSkill} — so the undo
 * is validated, confirmable (`yes`/`policy`), audited with `undoOf`, and can be dry-run.
 * The rollback names exactly what the run did (e.g. a restore by its id, not the database it
 * went into), so it undoes that run and no other. Refuses clearly when the record has no
 * rollback, was already undone (see {@link undoneRuns}), or its rollback's input lost a
 * secret to redaction; a rollback skill that finds the run undone another way refuses too (exit 3).
 *
 * @example
 * ```ts
 * const envelope = await undoAudit('01jz3q5t', { actor: 'cli', yes: true, resolveSkill: registry.resolve })
 * process.exitCode = exitCodeFor(envelope)
 * ```
 */
export async function undoAudit(id: string, options: UndoOptions): Promise<Envelope> {
  const started = performance.now();
  const fail = (status: 'error' | 'refused', error: EnvelopeError): Envelope => ({
    ok: false,
    skill: UNDO_SKILL_NAME,
    status,
    data: null,
    alerts: [],
    recommendations: [],
    error,
    durationMs: Math.round(performance.now() - started),
  });
  let loaded: LoadedConfig;
  let record: AuditRecord | undefined;
  let auditLog: AuditLog;
  try {
    loaded = options.config ?? loadConfig(options.loadConfig);
    auditLog = options.audit || AuditLog.fromConfig(loaded, options.log);
    record = auditLog.get(id);
  } catch (error) {
    return fail('error', toEnvelopeError(error, UNDO_SKILL_NAME));
  }
  if (!record) {
    return fail('error', { code: 'INVALID_INPUT', message: `id: no audit record "${id}"`, hint: 'List the records with `pgcluster audit list`.' });
  }
  const show = `\`pgcluster audit show ${record.id}\` shows what ran.`;
  if (!record.rollback) {
    return fail('error', {
      code: 'NOT_SUPPORTED',
      message: `${record.skill} (${record.id}, ${record.time}) recorded no rollback, so it cannot be undone automatically`,
      hint: record.dryRun ? 'It was a dry run: nothing changed.' : record.workflow ? workflowUndoHint(record.workflow, auditLog, show) : `Undo it by hand; ${show}`,
    });
  }
  const undoneBy = undoneRuns(auditLog.list({ limit: Number.MAX_SAFE_INTEGER })).get(record.id);
  if (undoneBy) {
    return fail('refused', {
      code: 'REFUSED',
      message: `${record.id} was already undone by ${undoneBy}; nothing was run`,
      hint: `Run \`pgcluster ${record.rollback.skill}\` directly if you really mean to repeat it.`,
    });
  }
  // Security: the audit log never keeps secrets; a rollback needing one cannot be replayed from it.
  if (containsRedacted(record.rollback.input)) {
    return fail('error', {
      code: 'NOT_SUPPORTED',
      message: `the rollback of ${record.id} needs a secret, which the audit log does not keep`,
      hint: `Run \`pgcluster ${record.rollback.skill}\` yourself with the secret; ${show}`,
    });
  }
  const skillClass = options.resolveSkill(record.rollback.skill);
  if (!skillClass) {
    return fail('error', {
      code: 'NOT_SUPPORTED',
      message: `the rollback skill "${record.rollback.skill}" is not available here`,
      hint: 'Update pgcluster, or run the rollback by hand.',
    });
  }
  return executeSkill(skillClass, record.rollback.input, { ...options, config: loaded, audit: options.audit ?? auditLog, undoOf: record.id });
}

/**
 * The runs that were undone, each with the id of the run that undid it: every successful,
 * real (not dry) run whose record has `undoOf` — an `audit undo`, or a skill's own undo that
 * named the run it reversed (e.g. `cluster-restore --action undo`).
 *
 * @example
 * ```ts
 * const undone = undoneRuns(auditLog.list({ limit: Number.MAX_SAFE_INTEGER }))
 * undone.get(record.id) // the undoing run's id, or undefined
 * ```
 */
export function undoneRuns(records: readonly AuditRecord[]): Map<string, string> {
  const undone = new Map<string, string>();
  for (const r of records) if (r.undoOf && !r.dryRun && isSuccess(r) && !undone.has(r.undoOf)) undone.set(r.undoOf, r.id);
  return undone;
}

function isSuccess(record: AuditRecord): boolean {
  return ['ok', 'healthy', 'degraded', 'critical'].includes(record.outcome.status);
}

function containsRedacted(value: unknown): boolean {
  if (typeof value === 'string') return value === REDACTED || value.includes(`:${REDACTED}@`);
  if (Array.isArray(value)) return value.some(containsRedacted);
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsRedacted);
  return false;
}

/** A workflow run is undone step by step: the audit ids of its steps that recorded a rollback, newest first. */
function workflowUndoHint(workflow: WorkflowAudit, auditLog: AuditLog, show: string): string {
  const undoable = workflow.steps.filter((s) => s.status === 'ran' && s.auditId && auditLog.get(s.auditId)?.rollback).reverse();
  if (undoable.length === 0) return `None of its steps that ran recorded a rollback: undo it by hand; ${show}`;
  return `A workflow is undone step by step, newest first: ${undoable.map((s) => `pgcluster audit undo ${s.auditId} (${s.name})`).join(', then ')}. ${show}`;
}
