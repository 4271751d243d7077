import { open } from 'node:fs/promises';
import { InputError } from '@pgcluster/core';
import type { VectorRow } from '../insert/vector-row';
import { readRecords } from './binary-chunks';
import { floatsFromBytes } from './float-bytes';

/** What the header of a `.npy` file says. */
export interface NpyHeader {
  dtype: '<f4' | '<f8' | '>f4' | '>f8';
  rows: number;
  dimension: number;
  /** Bytes before the data. */
  dataOffset: number;
}

/**
 * Parses the header of a NumPy `.npy` file (versions 1–3) holding a C-ordered 2-D float32 or
 * float64 array.
 *
 * @throws InputError when the file is not such an array.
 * @example
 * ```ts
 * const h = parseNpyHeader(firstBytes) // { dtype: '<f4', rows: 1000, dimension: 384, dataOffset: 128 }
 * ```
 */
export function parseNpyHeader(buf: Buffer): NpyHeader {
  if (buf.length < 10 || buf.readUInt8(0) !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') throw new InputError('file', 'is not a .npy file');
  const major = buf.readUInt8(6);
  const lenSize = major === 1 ? 2 : 4;
  const headerLen = lenSize === 2 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = 8 + lenSize;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([<>|=]?f[48])'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape':\s*\((\d+),\s*(\d+),?\s*\)/.exec(header);
  if (!descr || !shape) throw new InputError('file', 'must hold a 2-D float32 or float64 array (shape (rows, dimension))');
  if (fortran === 'True') throw new InputError('file', 'must be C-ordered (fortran_order False)');
  const dtype = (descr.startsWith('>') ? descr : `<${descr.replace(/^[<|=]/, '')}`) as NpyHeader['dtype'];
  return { dtype, rows: Number(shape[1]), dimension: Number(shape[2]), dataOffset: start + headerLen };
}

/**
 * Streams rows from a NumPy `.npy` file holding a `(rows, dimension)` float32/float64 array.
 * Keys are the 0-based row numbers (`keyOffset` added). Memory: one read chunk.
 *
 * @example
 * ```ts
 * await insertVectors(db, 'docs', readNpy('embeddings.npy'))
 * ```
 */
export async function* readNpy(path: string, options: { keyOffset?: number } = {}): AsyncGenerator<VectorRow> {
  const fh = await open(path, 'r');
  let head: Buffer;
  try {
    head = Buffer.alloc(65536 + 12);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    head = head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  const h = parseNpyHeader(head);
  const width = h.dtype.endsWith('4') ? 4 : 8;
  const little = h.dtype.startsWith('<');
  let i = 0;
  for await (const rec of readRecords(path, () => width * h.dimension, h.dataOffset)) {
    if (i >= h.rows) break;
    yield { key: String((options.keyOffset ?? 0) + i++), embedding: floatsFromBytes(rec, width, little) };
  }
}
