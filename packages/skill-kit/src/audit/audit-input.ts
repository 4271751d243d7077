import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { REDACTED, redactUrl } from '@pgcluster/core';
import { globalRegistry, type z } from 'zod';

/**
 * How a field of a skill's input is recorded in the audit log, declared in the input schema
 * with zod's metadata: `digest` records an array (or any large value) as `{ count, sha256 }`,
 * `file` records a path as `{ path, size, sha256 }` of the file. A secret is marked with
 * `{ secret: true }` and recorded as `***`. Unmarked fields are recorded as given (passwords
 * inside URLs and `password=` keywords still redacted).
 *
 * @example
 * ```ts
 * const Input = z.object({
 *   vector: z.array(z.number()).meta({ audit: 'digest' }).describe('The query embedding.'),
 *   file: z.string().meta({ audit: 'file' }).describe('The file to load.'),
 *   apiKey: z.string().meta({ secret: true }).describe('The provider key.'),
 * })
 * ```
 */
export const AUDIT_AS = ['digest', 'file'] as const;
/** One of {@link AUDIT_AS}. */
export type AuditAs = (typeof AUDIT_AS)[number];

declare module 'zod' {
  /** The audit log's keys of zod's metadata (`schema.meta({ … })`), typed. */
  interface GlobalMeta {
    /** How the field is recorded in the audit log; see {@link AUDIT_AS}. */
    audit?: AuditAs;
    /** The field is a secret: `***` in audit records, whatever its name. */
    secret?: boolean;
  }
}

/** What a `digest` field becomes in an audit record. */
export interface AuditDigest {
  /** The number of items of an array (absent for other values). */
  count?: number;
  /** sha256 of the value's JSON, hex. */
  sha256: string;
}

/** What a `file` field becomes in an audit record. */
export interface AuditFile {
  /** The absolute path. */
  path: string;
  size?: number;
  sha256?: string;
  /** Why size and sha256 are missing (the file could not be read). */
  unreadable?: string;
}

/** The metadata keys an input schema may carry for the audit log. */
interface AuditMeta {
  secret?: unknown;
  audit?: unknown;
}

/** The parts of zod's internal definition the walk reads (zod 4's `schema._zod.def`). */
interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: readonly z.ZodType[];
  getter?: () => z.ZodType;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/**
 * Records a skill's input as its schema declares (see {@link AUDIT_AS}): secrets marked
 * `{ secret: true }` become `***`, `digest` fields a count and a sha256, `file` fields a path,
 * a size and a sha256 (read in a stream). Works on invalid input too (unmatched parts are kept
 * as given, with URL passwords redacted; without a schema only those are). Never throws.
 *
 * @example
 * ```ts
 * await summariseAuditInput(VectorSearchInput, { collection: 'docs', vector: [0.1, 0.2] })
 * // { collection: 'docs', vector: { count: 2, sha256: '…' } }
 * ```
 */
export async function summariseAuditInput(schema: z.ZodType | undefined, input: unknown): Promise<unknown> {
  return summarise(schema, input);
}

async function summarise(schema: z.ZodType | undefined, value: unknown): Promise<unknown> {
  if (value === undefined) return undefined;
  let current = schema;
  // Metadata can sit on any wrapper (`.optional().meta(…)`) or on what it wraps (`.meta(…).optional()`).
  for (let depth = 0; current && depth < 32; depth++) {
    const meta = (globalRegistry.get(current) ?? {}) as AuditMeta;
    // Security: a field marked secret in the schema never reaches the audit file or table.
    if (meta.secret === true) return value === null ? null : REDACTED;
    if (meta.audit === 'digest') return digest(value);
    if (meta.audit === 'file' && typeof value === 'string') return fileSummary(value);
    const def = defOf(current);
    if (WRAPPERS.has(def.type)) current = def.innerType;
    else if (def.type === 'pipe') current = def.in;
    else if (def.type === 'lazy' && def.getter) current = def.getter();
    else break;
  }
  const def = current ? defOf(current) : undefined;
  if (Array.isArray(value)) {
    return Promise.all(value.map((item) => summarise(def?.type === 'array' ? def.element : undefined, item)));
  }
  if (value !== null && typeof value === 'object') {
    const entries = await Promise.all(
      Object.entries(value).map(async ([key, item]) => [key, await summarise(fieldSchema(def, key), item)] as const),
    );
    return Object.fromEntries(entries.filter(([, item]) => item !== undefined));
  }
  return typeof value === 'string' ? redactUrl(value) : value;
}

/** The schema of `key` in an object: its shape's, a record's values', or that of the first union member that has the key. */
function fieldSchema(def: Def | undefined, key: string): z.ZodType | undefined {
  if (def?.type === 'object') return def.shape?.[key];
  if (def?.type === 'record') return def.valueType;
  if (def?.type === 'union') {
    for (const option of def.options ?? []) {
      const field = fieldSchema(defOf(option), key);
      if (field) return field;
    }
  }
  return undefined;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function digest(value: unknown): AuditDigest {
  const sha256 = createHash('sha256').update(JSON.stringify(value) ?? '').digest('hex');
  return Array.isArray(value) ? { count: value.length, sha256 } : { sha256 };
}

async function fileSummary(path: string): Promise<AuditFile> {
  const absolute = resolve(path);
  try {
    const size = statSync(absolute).size;
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(absolute)) hash.update(chunk as Buffer);
    return { path: absolute, size, sha256: hash.digest('hex') };
  } catch (error) {
    return { path: absolute, unreadable: (error as NodeJS.ErrnoException).code ?? 'unreadable' };
  }
}
