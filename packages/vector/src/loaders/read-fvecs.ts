import { InputError } from '@pgcluster/core';
import type { VectorRow } from '../insert/vector-row';
import { readRecords } from './binary-chunks';
import { floatsFromBytes } from './float-bytes';

/**
 * Streams rows from an `.fvecs` file (the ANN-benchmarks format: for each vector, an int32
 * little-endian dimension, then that many float32 little-endian). Keys are the 0-based
 * positions (`keyOffset` added). Memory: one read chunk, whatever the file's size.
 *
 * @example
 * ```ts
 * await insertVectors(db, 'sift', readFvecs('sift_base.fvecs'))
 * ```
 */
export async function* readFvecs(path: string, options: { keyOffset?: number } = {}): AsyncGenerator<VectorRow> {
  let i = 0;
  let dim = -1;
  try {
    for await (const rec of readRecords(path, (first) => {
      dim = first.readInt32LE(0);
      if (dim < 1 || dim > 16000) throw new InputError('file', `is not an .fvecs file (dimension ${dim})`);
      return 4 + 4 * dim;
    })) {
      if (rec.readInt32LE(0) !== dim) throw new InputError(`file vector ${i}`, `has dimension ${rec.readInt32LE(0)}, the first had ${dim}`);
      yield { key: String((options.keyOffset ?? 0) + i++), embedding: floatsFromBytes(rec.subarray(4), 4, true) };
    }
  } catch (error) {
    if (error instanceof RangeError) throw new InputError('file', `is truncated: ${error.message}`);
    throw error;
  }
}
