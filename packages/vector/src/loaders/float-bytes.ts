import { endianness } from 'node:os';

/** Whether this host's typed arrays are little-endian. */
const HOST_LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Copies a record's IEEE floats (float32 or float64, either byte order) into a new Float32Array
 * in bulk: one byte copy into aligned memory, one `Buffer#swap32`/`swap64` when the file's order
 * is not the host's, and for float64 one native narrowing `Float32Array#set` — instead of a
 * `readFloatLE` per value. Values are the same as `readFloatLE`/`readDoubleBE` etc. would give.
 *
 * @param bytes exactly `count × width` bytes (a view into a read chunk: it is copied, not kept).
 * @example
 * ```ts
 * floatsFromBytes(rec.subarray(4), 4, true) // an .fvecs record's values
 * ```
 */
export function floatsFromBytes(bytes: Uint8Array, width: 4 | 8, littleEndian: boolean): Float32Array {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  copy.set(bytes);
  if (littleEndian !== HOST_LITTLE_ENDIAN) {
    if (width === 4) copy.swap32();
    else copy.swap64();
  }
  const count = bytes.length / width;
  if (width === 4) return new Float32Array(copy.buffer, copy.byteOffset, count);
  const out = new Float32Array(count);
  out.set(new Float64Array(copy.buffer, copy.byteOffset, count));
  return out;
}
