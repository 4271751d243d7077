import { redactUrl } from '../redaction/redact';
import { PgClusterError, type PgClusterErrorOptions } from './pgcluster-error';

/** Why a query failed, from its SQLSTATE class; one tuple yields the type. */
export const QUERY_FAILURE_REASONS = [
  'connection',
  'authentication',
  'syntax',
  'undefined_object',
  'duplicate_object',
  'constraint_violation',
  'invalid_data',
  'insufficient_privilege',
  'read_only',
  'serialization',
  'deadlock',
  'canceled',
  'resources',
  'admin_shutdown',
  'unknown',
] as const;

/** One of {@link QUERY_FAILURE_REASONS}. */
export type QueryFailureReason = (typeof QUERY_FAILURE_REASONS)[number];

const EXACT: Readonly<Record<string, QueryFailureReason>> = {
  '25006': 'read_only',
  '40001': 'serialization',
  '40P01': 'deadlock',
  '57014': 'canceled',
  '57P01': 'admin_shutdown',
  '57P02': 'admin_shutdown',
  '57P03': 'connection',
  '28P01': 'authentication',
  '28000': 'authentication',
  '42501': 'insufficient_privilege',
  '42601': 'syntax',
  '42P01': 'undefined_object',
  '42703': 'undefined_object',
  '42883': 'undefined_object',
  '42704': 'undefined_object',
  '3D000': 'undefined_object',
  '42P07': 'duplicate_object',
  '42710': 'duplicate_object',
  '42P04': 'duplicate_object',
};

const BY_CLASS: Readonly<Record<string, QueryFailureReason>> = {
  '08': 'connection',
  '22': 'invalid_data',
  '23': 'constraint_violation',
  '28': 'authentication',
  '40': 'serialization',
  '42': 'syntax',
  '53': 'resources',
  '57': 'canceled',
};

const NODE_CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/**
 * Maps a SQLSTATE (or a Node socket error code) to a {@link QueryFailureReason}.
 *
 * @example
 * ```ts
 * reasonForSqlState('23505') // 'constraint_violation'
 * ```
 */
export function reasonForSqlState(code: string | undefined): QueryFailureReason {
  if (!code) return 'unknown';
  if (NODE_CONNECTION_CODES.has(code)) return 'connection';
  return EXACT[code] ?? BY_CLASS[code.slice(0, 2)] ?? 'unknown';
}

/** The database objects a server error names (PostgreSQL's error fields); never values. */
export interface QueryErrorObjects {
  schema?: string;
  table?: string;
  column?: string;
  /** A constraint, or for a unique violation the unique index behind it. */
  constraint?: string;
  dataType?: string;
}

/** What {@link QueryError}'s constructor takes besides the message and SQLSTATE. */
export interface QueryErrorOptions extends PgClusterErrorOptions {
  objects?: QueryErrorObjects;
}

/**
 * SQLSTATEs whose primary message names only objects, roles, settings or counts, never a value
 * of the statement or its parameters, so PostgreSQL's own text is kept. Classes 22 and 23 are
 * absent on purpose: their messages and DETAILs quote values (`invalid input syntax for type
 * integer: "<value>"`, `Key (k)=(<value>) already exists`).
 */
const VALUE_FREE_CODES = new Set([
  '25006', '25001', '25P02', '40001', '40P01', '55P03', '55006', '55000',
  '57014', '57P01', '57P02', '57P03', '57P04',
  '28P01', '28000', '3D000', '3F000', '42501',
  '42P01', '42703', '42883', '42704', '42P07', '42710', '42P04', '42P06', '42701', '42P16', '42809', '42804', '42P10', '42P18',
  '53000', '53100', '53200', '53300', '53400', '54000', '54001',
  '08000', '08003', '08006', '08001', '08004', '08P01',
]);

/**
 * Messages of value-bearing classes that are known to carry no value: the type named in
 * 22001, overflow by type name, and pgvector's dimension checks (numbers of dimensions only).
 */
const VALUE_FREE_MESSAGES: readonly RegExp[] = [
  /^value too long for type [a-z ]+(\(\d+\))?$/,
  /^(smallint|integer|bigint|real|double precision|numeric) out of range$/,
  /^numeric field overflow$/,
  /^division by zero$/,
  /^expected \d+ dimensions, not \d+$/,
  /^different (vector|halfvec|sparsevec) dimensions \d+ and \d+$/,
  /^(NaN|infinite value) not allowed in (vector|halfvec|sparsevec)$/,
  /^(vector|halfvec|sparsevec) cannot have more than \d+ dimensions$/,
];

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * A query that PostgreSQL (or the socket under it) rejected. Carries the SQLSTATE, a typed
 * reason, the objects the server named (schema, table, column, constraint, type) and a hint;
 * never a value from the statement or its parameters: the server's text is kept only when it
 * is known to be value-free, else the message is built from the SQLSTATE and the object names.
 * DETAIL and CONTEXT, which quote rows and keys, are always dropped.
 *
 * @example
 * ```ts
 * try { await db.selectFrom('t').selectAll().execute() }
 * catch (e) { throw QueryError.from(e, 'reading t') }
 * // e.g. 'inserting into t: duplicate key violates unique constraint "t_pkey" on table public.t (SQLSTATE 23505)'
 * ```
 */
export class QueryError extends PgClusterError {
  /** The five-character SQLSTATE, or the socket error code. */
  readonly sqlState: string | undefined;
  /** What kind of failure it was. */
  readonly reason: QueryFailureReason;
  /** The objects the server named; empty for socket errors. */
  readonly objects: QueryErrorObjects;

  constructor(message: string, sqlState: string | undefined, options: QueryErrorOptions = {}) {
    const reason = reasonForSqlState(sqlState);
    const { objects, ...rest } = options;
    super(reason === 'connection' ? 'UNREACHABLE' : 'QUERY_FAILED', message, rest);
    this.sqlState = sqlState;
    this.reason = reason;
    this.objects = objects ?? {};
  }

  /**
   * Wraps anything thrown by `pg` into a QueryError (a PgClusterError passes through).
   * @param context what was being done, e.g. `"reading pg_stat_activity on node2"`.
   * @example QueryError.from(err, 'inserting into items').message // 'inserting into items: … (SQLSTATE 22P02)'
   */
  static from(error: unknown, context: string, options: QueryErrorOptions = {}): PgClusterError {
    if (error instanceof PgClusterError) return error;
    const e = (error ?? {}) as PgErrorFields;
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (!code || !SQLSTATE.test(code)) {
      // A socket or client-side error: no statement text or parameter in it, but maybe a URL.
      const raw = typeof e.message === 'string' ? e.message : String(error);
      return new QueryError(`${context}: ${redactUrl(raw)}`, code, { cause: error, ...options });
    }
    const objects = objectsOf(e);
    const safe = valueFreeText(code, e);
    const hint = safe !== undefined && typeof e.hint === 'string' ? e.hint : hintFor(code, objects);
    // Security: the server's text is used only when known value-free; DETAIL/CONTEXT never are.
    const text = safe ?? `${template(code, objects, e)} (SQLSTATE ${code})`;
    return new QueryError(`${context}: ${redactUrl(text)}`, code, { cause: error, objects, ...(hint ? { hint } : {}), ...options });
  }
}

/** The fields of `pg`'s DatabaseError that QueryError reads. */
interface PgErrorFields {
  code?: unknown;
  message?: unknown;
  hint?: unknown;
  schema?: unknown;
  table?: unknown;
  column?: unknown;
  constraint?: unknown;
  dataType?: unknown;
}

function objectsOf(e: PgErrorFields): QueryErrorObjects {
  const objects: QueryErrorObjects = {};
  for (const key of ['schema', 'table', 'column', 'constraint', 'dataType'] as const) {
    const value = e[key];
    if (typeof value === 'string' && value) objects[key] = value;
  }
  return objects;
}

function valueFreeText(code: string, e: PgErrorFields): string | undefined {
  const message = typeof e.message === 'string' ? e.message : undefined;
  if (message === undefined) return undefined;
  if (VALUE_FREE_CODES.has(code)) return message;
  return VALUE_FREE_MESSAGES.some((p) => p.test(message)) ? message : undefined;
}

function tableName(o: QueryErrorObjects): string | undefined {
  return o.table === undefined ? undefined : o.schema === undefined ? o.table : `${o.schema}.${o.table}`;
}

/** A message from the SQLSTATE and the object names only. */
function template(code: string, o: QueryErrorObjects, e: PgErrorFields): string {
  const on = tableName(o) ? ` on table ${tableName(o)}` : '';
  const column = o.column ? ` column "${o.column}"` : ' a column';
  const constraint = o.constraint ? ` "${o.constraint}"` : '';
  switch (code) {
    case '23505':
      return `duplicate key violates unique constraint${constraint}${on}`;
    case '23503':
      return `foreign key constraint${constraint}${on} is violated`;
    case '23502':
      return `null value in${column}${on} violates its not-null constraint`;
    case '23514':
      return `check constraint${constraint}${on} is violated`;
    case '23P01':
      return `exclusion constraint${constraint}${on} is violated`;
    case '22P02': {
      // The type name precedes the quoted value in PostgreSQL's text; only `[a-z ]` is taken.
      const type = typeof e.message === 'string' ? /^invalid input syntax for type ([a-z ]+):/.exec(e.message)?.[1] : undefined;
      return `invalid input syntax for ${type ? `type ${type}` : 'a value'}${o.column ? ` in${column}` : ''}`;
    }
    case '22001':
      return `a value is too long for${column}${on}`;
    case '22003':
      return `a numeric value is out of range${o.column ? ` for${column}` : ''}`;
    case '22007':
    case '22008':
      return 'a date/time value is invalid or out of range';
    case '22004':
    case '22002':
      return 'a null value is not allowed here';
    case '22023':
      return 'a parameter value is invalid';
    case '42601':
      return 'syntax error in the statement';
    default:
      return `${reasonForSqlState(code).replace(/_/g, ' ')} error${on}`;
  }
}

/** What the user can do, from the SQLSTATE and the object names. */
function hintFor(code: string, o: QueryErrorObjects): string | undefined {
  const hidden = 'The value is not shown because it may be secret.';
  switch (code) {
    case '23505':
      return `A row with the same key already exists: update it instead, or use another key. ${hidden}`;
    case '23503':
      return `A referenced row is missing, or the row is still referenced: write in dependency order. ${hidden}`;
    case '23502':
      return `Give a value for ${o.column ? `column "${o.column}"` : 'every NOT NULL column'}.`;
    default:
      return code.startsWith('22') || code.startsWith('23') ? `Check the values against the columns' types and constraints. ${hidden}` : undefined;
  }
}
