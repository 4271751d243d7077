import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { InputError } from '@pgcluster/core';
import type { VectorRow } from '../insert/vector-row';

/**
 * Splits one CSV line (RFC 4180 quoting: `"a, b"`, `""` for a quote). Quoted fields may not
 * span lines.
 * @example parseCsvLine('a,"[1,2]",x') // ['a', '[1,2]', 'x']
 */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
}

/**
 * Streams rows from a CSV file with a header naming the columns `key` (or `id`), `embedding`
 * (or `vector`; pgvector text `[0.1,0.2]`, quoted), and optionally `namespace` and `metadata`
 * (a JSON object, quoted). Line by line: memory does not grow with the file.
 *
 * @throws InputError naming the line and column.
 * @example
 * ```ts
 * await insertVectors(db, 'docs', readCsv('docs.csv'))
 * ```
 */
export async function* readCsv(path: string): AsyncGenerator<VectorRow> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let header: string[] | undefined;
  let n = 0;
  let col = { key: -1, embedding: -1, namespace: -1, metadata: -1 };
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    const fields = parseCsvLine(line);
    if (!header) {
      header = fields.map((f) => f.trim().toLowerCase());
      const find = (...names: string[]) => header!.findIndex((h) => names.includes(h));
      col = { key: find('key', 'id'), embedding: find('embedding', 'vector'), namespace: find('namespace'), metadata: find('metadata') };
      if (col.embedding < 0) throw new InputError('file line 1', 'the CSV header must name an embedding (or vector) column');
      continue;
    }
    const text = fields[col.embedding] ?? '';
    let embedding: number[];
    try {
      embedding = JSON.parse(text) as number[];
    } catch {
      throw new InputError(`file line ${n}.embedding`, 'must be a vector in pgvector text form, e.g. "[0.1,0.2]"');
    }
    let metadata: Record<string, unknown> | undefined;
    if (col.metadata >= 0 && (fields[col.metadata] ?? '') !== '') {
      try {
        metadata = JSON.parse(fields[col.metadata]!) as Record<string, unknown>;
      } catch {
        throw new InputError(`file line ${n}.metadata`, 'must be a JSON object');
      }
    }
    yield {
      key: col.key >= 0 ? fields[col.key]! : String(n - 1),
      embedding,
      ...(col.namespace >= 0 ? { namespace: fields[col.namespace]! } : {}),
      ...(metadata ? { metadata } : {}),
    };
  }
}
