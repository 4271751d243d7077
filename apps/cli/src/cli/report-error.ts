import { PgClusterError } from '@pgcluster/core';
import type { Envelope, Format } from '@pgcluster/skill-kit';
import type { CliIo } from './cli-io';
import { skillKit } from './skill-kit';

/** A usage error found by yargs (unknown flag or command, missing argument): exit 2. */
export class UsageError extends PgClusterError {
  constructor(message: string, hint?: string) {
    super('INVALID_INPUT', message, hint ? { hint } : {});
  }
}

/**
 * Reports an error that stopped a command and returns exit code 2. With `--format json`,
 * stdout carries exactly one JSON envelope (`ok: false`, `status: "error"`); otherwise the
 * message and hint go to stderr.
 *
 * @example
 * ```ts
 * return reportError(new InputError('--format', 'must be one of json, human, prometheus'), 'cluster-status', 'json', io)
 * ```
 */
export function reportError(error: unknown, command: string, format: Format, io: CliIo): number {
  const { toEnvelopeError, renderJson } = skillKit();
  const envelopeError = toEnvelopeError(error, command);
  if (format === 'json') {
    const envelope: Envelope = { ok: false, skill: command, status: 'error', data: null, alerts: [], recommendations: [], error: envelopeError, durationMs: 0 };
    io.stdout(renderJson(envelope));
  } else {
    io.stderr(`${command === 'pgcluster' ? 'pgcluster' : `pgcluster ${command}`}: ${envelopeError.message}\n${envelopeError.hint ? `hint: ${envelopeError.hint}\n` : ''}`);
  }
  return 2;
}

/**
 * Wraps a non-skill command's result (`skills list`, `audit show`, …) in an envelope, so
 * `--format json` output always has the same shape.
 */
export function okEnvelope<T>(command: string, data: T, started: number): Envelope<T> {
  return { ok: true, skill: command, status: 'ok', data, alerts: [], recommendations: [], durationMs: Date.now() - started };
}
