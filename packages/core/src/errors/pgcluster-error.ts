/** Codes every pgcluster error carries; one tuple yields the type and its checks. */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'INVALID_CONFIG',
  'CONFIG_NOT_FOUND',
  'UNREACHABLE',
  'QUERY_FAILED',
  'REFUSED',
  'TIMEOUT',
  'ABORTED',
  'NOT_SUPPORTED',
  'ACTION_FAILED',
  'INTERNAL',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Options shared by every pgcluster error. */
export interface PgClusterErrorOptions {
  /** What the user can do about it, in one sentence. */
  hint?: string;
  /** The underlying error, kept for logs at debug level; never rendered to users. */
  cause?: unknown;
}

/**
 * The base of pgcluster's small error hierarchy. Messages never carry passwords,
 * connection strings with secrets, or bound parameter values.
 *
 * @example
 * ```ts
 * throw new PgClusterError('UNREACHABLE', 'node1 (127.0.0.1:5433) refused the connection', {
 *   hint: 'Start the cluster with `pgcluster dev up`.',
 * })
 * ```
 */
export class PgClusterError extends Error {
  /** A stable, machine-readable code. */
  readonly code: ErrorCode;
  /** What the user can do about it. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: PgClusterErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }

  /** The `{ code, message, hint }` shape that goes into a result envelope. */
  toJSON(): { code: ErrorCode; message: string; hint?: string } {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint };
  }
}

/**
 * Bad input from a user or an agent: names the field and what is allowed.
 *
 * @example
 * ```ts
 * throw new InputError('replicas', 'must be an integer from 0 to 5', 'abc')
 * ```
 */
export class InputError extends PgClusterError {
  /** The dotted path of the offending field (`input.efSearch`, `--replicas`). */
  readonly field: string;

  constructor(field: string, allowed: string, options: PgClusterErrorOptions = {}) {
    super('INVALID_INPUT', `${field}: ${allowed}`, options);
    this.field = field;
  }
}

/** An invalid or missing configuration; the message names the field or the file. */
export class ConfigError extends PgClusterError {
  constructor(message: string, options: PgClusterErrorOptions & { notFound?: boolean } = {}) {
    super(options.notFound ? 'CONFIG_NOT_FOUND' : 'INVALID_CONFIG', message, options);
  }
}

/** An action the caller must confirm (or a policy forbids) was not taken. */
export class RefusedError extends PgClusterError {
  constructor(message: string, options: PgClusterErrorOptions = {}) {
    super('REFUSED', message, options);
  }
}
