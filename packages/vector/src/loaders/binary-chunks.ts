import { createReadStream } from 'node:fs';

/**
 * Reads a file as fixed-size records: yields each record as a Buffer view (valid until the next
 * yield — copy what you keep). `skip` bytes are skipped first. Memory: one read chunk.
 *
 * @example
 * ```ts
 * for await (const rec of readRecords('x.bin', 16)) console.log(rec.readFloatLE(0))
 * ```
 */
export async function* readRecords(path: string, size: (first: Buffer) => number, skip = 0): AsyncGenerator<Buffer> {
  let pending = Buffer.alloc(0);
  let recordSize = 0;
  for await (const chunk of createReadStream(path, { start: skip, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let o = 0;
    for (;;) {
      if (recordSize === 0) {
        if (buf.length - o < 4) break;
        recordSize = size(buf.subarray(o));
      }
      if (buf.length - o < recordSize) break;
      yield buf.subarray(o, o + recordSize);
      o += recordSize;
    }
    pending = Buffer.from(buf.subarray(o));
    buf = pending;
  }
  if (pending.length > 0) throw new RangeError(`trailing ${pending.length} bytes: not a whole record`);
}
