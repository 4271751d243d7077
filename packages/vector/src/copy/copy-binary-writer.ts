import type { VectorType } from '../collection/metric';
import type { CheckedRow } from '../insert/validate-row';
import { encodedVectorSize, writeVectorBinary } from './vector-binary';

/** The 19-byte header of PostgreSQL's binary COPY format: signature, flags, extension length. */
export const COPY_BINARY_HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);

/** The trailer of the binary COPY format: a field count of −1. */
export const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/**
 * Encodes validated rows as binary COPY tuples for the columns
 * `([ord int8,] key text, namespace text, embedding vector|halfvec, metadata jsonb)`.
 * One instance per COPY (it owns a scratch buffer); not shared between calls.
 *
 * @example
 * ```ts
 * const enc = new CopyRowEncoder('vector', 3, false)
 * const chunk = enc.encode([{ key: 'a', namespace: '', embedding: [1, 2, 3], metadataJson: '{}' }], 0)
 * ```
 */
export class CopyRowEncoder {
  private readonly scratch = new Float32Array(1);
  private readonly vectorSize: number;

  constructor(
    private readonly type: VectorType,
    dimension: number,
    /** Whether a leading `ord int8` column (the row's position) is written. */
    private readonly withOrd: boolean,
  ) {
    this.vectorSize = encodedVectorSize(type, dimension);
  }

  /** Encodes a batch; `firstOrd` is the position of its first row in the input. */
  encode(rows: readonly CheckedRow[], firstOrd: number): Buffer {
    let size = 0;
    const fields = this.withOrd ? 5 : 4;
    for (const r of rows) {
      size += 2 + fields * 4 + (this.withOrd ? 8 : 0) + Buffer.byteLength(r.key) + Buffer.byteLength(r.namespace) + this.vectorSize + 1 + Buffer.byteLength(r.metadataJson);
    }
    const buf = Buffer.allocUnsafe(size);
    let o = 0;
    for (const [i, r] of rows.entries()) {
      o = buf.writeInt16BE(fields, o);
      if (this.withOrd) {
        o = buf.writeInt32BE(8, o);
        o = buf.writeBigInt64BE(BigInt(firstOrd + i), o);
      }
      o = writeText(buf, o, r.key);
      o = writeText(buf, o, r.namespace);
      o = buf.writeInt32BE(this.vectorSize, o);
      o = writeVectorBinary(buf, o, this.type, r.embedding, this.scratch);
      // jsonb's binary format: a version byte (1), then the JSON text.
      const len = Buffer.byteLength(r.metadataJson);
      o = buf.writeInt32BE(len + 1, o);
      o = buf.writeUInt8(1, o);
      o += buf.write(r.metadataJson, o, 'utf8');
    }
    return buf;
  }
}

function writeText(buf: Buffer, offset: number, text: string): number {
  const len = Buffer.byteLength(text);
  let o = buf.writeInt32BE(len, offset);
  o += buf.write(text, o, 'utf8');
  return o;
}
