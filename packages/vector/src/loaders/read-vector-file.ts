import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { InputError } from '@pgcluster/core';
import type { VectorRow } from '../insert/vector-row';
import { readCsv } from './read-csv';
import { readFvecs } from './read-fvecs';
import { readNdjson } from './read-ndjson';
import { parseNpyHeader, readNpy } from './read-npy';

/** File formats the loaders read; one tuple yields type and CLI choices. */
export const FILE_FORMATS = ['ndjson', 'csv', 'fvecs', 'npy'] as const;
/** One of {@link FILE_FORMATS}. */
export type FileFormat = (typeof FILE_FORMATS)[number];

/**
 * The format of a file from its extension (`.ndjson`/`.jsonl`, `.csv`, `.fvecs`, `.npy`).
 * @throws InputError (`file`) for any other extension.
 * @example formatOfFile('x.jsonl') // 'ndjson'
 */
export function formatOfFile(path: string): FileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (ext === '.csv') return 'csv';
  if (ext === '.fvecs') return 'fvecs';
  if (ext === '.npy') return 'npy';
  throw new InputError('file', `has an unknown extension ${ext || '(none)'}: use .ndjson, .jsonl, .csv, .fvecs or .npy, or give the format (--file-format)`);
}

/**
 * Streams rows from a file in any supported format (from its extension unless `format` is
 * given). Memory does not grow with the file.
 *
 * @example
 * ```ts
 * await insertVectors(db, 'docs', readVectorFile('/data/docs.npy'))
 * ```
 */
export function readVectorFile(path: string, format?: FileFormat, options: { keyOffset?: number } = {}): AsyncGenerator<VectorRow> {
  const f = format ?? formatOfFile(path);
  if (f === 'ndjson') return readNdjson(path);
  if (f === 'csv') return readCsv(path);
  if (f === 'fvecs') return readFvecs(path, options);
  if (f === 'npy') return readNpy(path, options);
  throw new InputError('fileFormat', `must be one of ${FILE_FORMATS.join(', ')}`);
}

/**
 * How many rows a file holds, when its format says so without reading it all: a `.npy` header's
 * shape, or a `.fvecs` file's size over its record size. Undefined for line formats (and on any
 * read problem: the load itself reports those). Used for a progress bar's percent and ETA.
 *
 * @example
 * ```ts
 * countFileRows('vectors.npy') // 200000
 * ```
 */
export function countFileRows(path: string, format?: FileFormat): number | undefined {
  try {
    const f = format ?? formatOfFile(path);
    if (f !== 'npy' && f !== 'fvecs') return undefined;
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(f === 'npy' ? 4096 : 4);
      const read = readSync(fd, head, 0, head.length, 0);
      if (f === 'npy') return parseNpyHeader(head.subarray(0, read)).rows;
      const dimension = head.readInt32LE(0);
      return dimension > 0 ? Math.floor(fstatSync(fd).size / (4 + 4 * dimension)) : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}
