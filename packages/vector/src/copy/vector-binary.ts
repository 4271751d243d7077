import type { VectorType } from '../collection/metric';

/**
 * Converts a float to IEEE 754 half-precision bits (round to nearest, ties to even;
 * overflow becomes ±Infinity, tiny values become subnormals or ±0).
 *
 * @param scratch a 1-element Float32Array the caller owns (to avoid a per-value allocation).
 * @param bits a Uint32Array view of `scratch`'s element, also the caller's.
 * @example
 * ```ts
 * const scratch = new Float32Array(1)
 * toHalfBits(1, scratch) // 0x3c00
 * ```
 */
export function toHalfBits(
  value: number,
  scratch: Float32Array = new Float32Array(1),
  bits: Uint32Array = new Uint32Array(scratch.buffer, scratch.byteOffset, 1),
): number {
  scratch[0] = value;
  const x = bits[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/**
 * Converts half-precision bits back to a number (for tests and diagnostics).
 * @example fromHalfBits(0x3c00) // 1
 */
export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The size in bytes of one encoded value (header included). */
export function encodedVectorSize(type: VectorType, dimension: number): number {
  return 4 + dimension * (type === 'vector' ? 4 : 2);
}

/**
 * Writes pgvector's binary representation of one value into `target` at `offset`: int16
 * dimension, int16 unused (0), then `dimension` float4 (`vector`) or IEEE half float2
 * (`halfvec`), all big-endian — exactly what `vector_send` / `halfvec_send` produce.
 * The caller validates values first (see `validateEmbedding`).
 *
 * @returns the offset after the written bytes.
 * @example
 * ```ts
 * const buf = Buffer.alloc(encodedVectorSize('vector', 3))
 * writeVectorBinary(buf, 0, 'vector', [1, 2, 3])
 * ```
 */
export function writeVectorBinary(
  target: Buffer,
  offset: number,
  type: VectorType,
  values: ArrayLike<number>,
  scratch: Float32Array = new Float32Array(1),
): number {
  return writeVectorView(new DataView(target.buffer, target.byteOffset, target.length), offset, type, values, scratch);
}

/**
 * {@link writeVectorBinary} into a DataView the caller made once for a whole chunk of rows: a
 * tight loop of big-endian `setFloat32` / `setUint16`, with no allocation per value or per row.
 *
 * @returns the offset after the written bytes.
 * @example
 * ```ts
 * const buf = Buffer.alloc(encodedVectorSize('vector', 2))
 * writeVectorView(new DataView(buf.buffer, buf.byteOffset, buf.length), 0, 'vector', [1, 2], new Float32Array(1))
 * ```
 */
export function writeVectorView(view: DataView, offset: number, type: VectorType, values: ArrayLike<number>, scratch: Float32Array): number {
  const dim = values.length;
  view.setInt16(offset, dim, false);
  view.setInt16(offset + 2, 0, false);
  let o = offset + 4;
  if (type === 'vector') {
    // One loop per array kind keeps each element load monomorphic.
    if (values instanceof Float32Array) {
      for (let i = 0; i < dim; i++, o += 4) view.setFloat32(o, values[i]!, false);
    } else {
      for (let i = 0; i < dim; i++, o += 4) view.setFloat32(o, values[i]!, false);
    }
  } else {
    const bits = new Uint32Array(scratch.buffer, scratch.byteOffset, 1);
    for (let i = 0; i < dim; i++, o += 2) view.setUint16(o, toHalfBits(values[i]!, scratch, bits), false);
  }
  return o;
}

/**
 * Encodes one value into a new Buffer in pgvector's binary format.
 *
 * @example
 * ```ts
 * encodeVector('vector', [1, 2]).toString('hex') // '000200003f80000040000000'
 * ```
 */
export function encodeVector(type: VectorType, values: ArrayLike<number>): Buffer {
  const buf = Buffer.allocUnsafe(encodedVectorSize(type, values.length));
  writeVectorBinary(buf, 0, type, values);
  return buf;
}
