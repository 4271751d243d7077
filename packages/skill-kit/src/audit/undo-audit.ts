import { loadConfig, REDACTED, type LoadedConfig } from '@pgcluster/core';
import { executeSkill, type ExecuteOptions } from '../executor/execute-skill';
import { toEnvelopeError, type EnvelopeError } from '../executor/to-envelope-error';
import type { Envelope, SkillClass } from '../skill/skill-meta';
import { AuditLog, type AuditRecord } from './audit-log';

/** The `skill` of an envelope that undo returns before a rollback skill could run. */
export const UNDO_SKILL_NAME = 'audit-undo';

/** Options of {@link undoAudit}: those of `executeSkill`, with `resolveSkill` required. */
export type UndoOptions = ExecuteOptions & { resolveSkill: (name: string) => SkillClass | undefined };

/**
 * Undoes an audited run: looks up the record (a unique id prefix is enough) and runs its
 * recorded rollback skill with the recorded input through {@link executeSkill} — so the undo
 * is validated, confirmable (`yes`/`policy`), audited with `undoOf`, and can be dry-run.
 * Refuses clearly when the record has no rollback, was already undone, or its rollback's
 * input lost a secret to redaction.
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
      hint: record.dryRun ? 'It was a dry run: nothing changed.' : `Undo it by hand; ${show}`,
    });
  }
  const undoneBy = auditLog.list({ limit: Number.MAX_SAFE_INTEGER }).find((r) => r.undoOf === record.id && !r.dryRun && isSuccess(r));
  if (undoneBy) {
    return fail('refused', {
      code: 'REFUSED',
      message: `${record.id} was already undone by ${undoneBy.id}; nothing was run`,
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

function isSuccess(record: AuditRecord): boolean {
  return ['ok', 'healthy', 'degraded', 'critical'].includes(record.outcome.status);
}

function containsRedacted(value: unknown): boolean {
  if (typeof value === 'string') return value === REDACTED || value.includes(`:${REDACTED}@`);
  if (Array.isArray(value)) return value.some(containsRedacted);
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsRedacted);
  return false;
}
