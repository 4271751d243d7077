import { endianness } from 'node:os';
import type { VectorType } from '../collection/metric';
import type { CheckedRow } from '../insert/validate-row';
import { encodedVectorSize, writeVectorView } from './vector-binary';

/** The 19-byte header of PostgreSQL's binary COPY format: signature, flags, extension length. */
export const COPY_BINARY_HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);

/** The trailer of the binary COPY format: a field count of −1. */
export const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/** Whether this host stores a float4 little-endian: then a vector's bytes are swapped to COPY's big-endian order. */
const LITTLE_ENDIAN = endianness() === 'LE';

/** Strings up to this many UTF-16 units are written by a JavaScript loop when they are ASCII (cheaper than a native call). */
const SHORT_STRING = 64;

/**
 * Encodes validated rows as binary COPY tuples for the columns
 * `([ord int8,] key text, namespace text, embedding vector|halfvec, metadata jsonb)`.
 * Each chunk is written in one pass into one Buffer sized for its worst case (3 UTF-8 bytes
 * per UTF-16 unit), through one DataView: no allocation per row or per value.
 * A `vector` embedding held in a Float32Array (what the loaders and `embeddingSpace` yield) takes
 * the bulk path: one memcpy into a scratch array, one `Buffer#swap32` to big-endian on a
 * little-endian host, one copy into the chunk — not 384 `DataView#setFloat32` calls per row.
 * Other arrays keep the DataView loop (measured: `Float32Array#set` from a number[] is slower).
 * One instance per COPY (it owns its scratch values); not shared between calls.
 *
 * @example
 * ```ts
 * const enc = new CopyRowEncoder('vector', 3, false)
 * const chunk = enc.encode([{ key: 'a', namespace: '', embedding: [1, 2, 3], metadataJson: '{}' }], 0)
 * ```
 */
export class CopyRowEncoder {
  private readonly scratch = new Float32Array(1);
  /** A row's float4 values (`vector` only), and the same memory as bytes. */
  private readonly floats: Float32Array | undefined;
  private readonly floatBytes: Buffer | undefined;
  private readonly vectorSize: number;
  private readonly fixedSize: number;
  private readonly fields: number;

  constructor(
    private readonly type: VectorType,
    dimension: number,
    /** Whether a leading `ord int8` column (the row's position) is written. */
    private readonly withOrd: boolean,
  ) {
    this.vectorSize = encodedVectorSize(type, dimension);
    if (type === 'vector') {
      this.floats = new Float32Array(dimension);
      this.floatBytes = Buffer.from(this.floats.buffer, this.floats.byteOffset, this.floats.byteLength);
    }
    this.fields = withOrd ? 5 : 4;
    // field count, one length word per field, the ord value, the vector, jsonb's version byte.
    this.fixedSize = 2 + this.fields * 4 + (withOrd ? 8 : 0) + this.vectorSize + 1;
  }

  /** Encodes a batch; `firstOrd` is the position of its first row in the input. */
  encode(rows: readonly CheckedRow[], firstOrd: number): Buffer {
    let bound = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      bound += this.fixedSize + 3 * (r.key.length + r.namespace.length + r.metadataJson.length);
    }
    const buf = Buffer.allocUnsafe(bound);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    let o = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      view.setInt16(o, this.fields, false);
      o += 2;
      if (this.withOrd) {
        view.setInt32(o, 8, false);
        // int8 as two words (no BigInt per row); positions stay far below 2^53.
        const ord = firstOrd + i;
        view.setUint32(o + 4, Math.floor(ord / 0x1_0000_0000), false);
        view.setUint32(o + 8, ord >>> 0, false);
        o += 12;
      }
      o = writeText(buf, view, o, r.key, 0);
      o = writeText(buf, view, o, r.namespace, 0);
      view.setInt32(o, this.vectorSize, false);
      const e = r.embedding;
      if (this.floats !== undefined && e instanceof Float32Array && e.length === this.floats.length) {
        view.setInt16(o + 4, e.length, false);
        view.setInt16(o + 6, 0, false);
        this.floats.set(e);
        if (LITTLE_ENDIAN) this.floatBytes!.swap32();
        o += 8 + this.floatBytes!.copy(buf, o + 8);
      } else {
        o = writeVectorView(view, o + 4, this.type, e, this.scratch);
      }
      // jsonb's binary format: a version byte (1), then the JSON text.
      o = writeText(buf, view, o, r.metadataJson, 1);
    }
    return buf.subarray(0, o);
  }
}

/** Writes a length word, `prefix` bytes of value (jsonb's version byte when 1) and the UTF-8 text. */
function writeText(buf: Buffer, view: DataView, offset: number, text: string, prefix: 0 | 1): number {
  const start = offset + 4 + prefix;
  if (prefix === 1) buf[offset + 4] = 1;
  let len = -1;
  const n = text.length;
  if (n <= SHORT_STRING) {
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) break;
      buf[start + i] = c;
    }
    if (i === n) len = n;
  }
  if (len < 0) len = buf.write(text, start, 'utf8');
  view.setInt32(offset, len + prefix, false);
  return start + len;
}
