import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { InputError } from '@pgcluster/core';
import type { VectorRow } from '../insert/vector-row';

/**
 * Streams rows from an NDJSON file, one JSON object per line:
 * `{"key": "a", "embedding": [0.1, …], "namespace": "n", "metadata": {…}}` (`id` and `vector`
 * are accepted for `key` and `embedding`; without a key the 1-based line number is used).
 * Blank lines are skipped. Reads line by line: memory does not grow with the file.
 *
 * @throws InputError naming the line when it is not a JSON object.
 * @example
 * ```ts
 * await insertVectors(db, 'docs', readNdjson('docs.ndjson'))
 * ```
 */
export async function* readNdjson(path: string): AsyncGenerator<VectorRow> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new InputError(`file line ${n}`, 'must be a JSON object per line');
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new InputError(`file line ${n}`, 'must be a JSON object per line');
    yield {
      key: (o['key'] ?? o['id'] ?? String(n)) as string,
      embedding: (o['embedding'] ?? o['vector']) as number[],
      ...(o['namespace'] !== undefined ? { namespace: o['namespace'] as string } : {}),
      ...(o['metadata'] !== undefined ? { metadata: o['metadata'] as Record<string, unknown> } : {}),
    };
  }
}
