import { deflateSync } from 'node:zlib';

/** PostgreSQL's blue, the icon's background; the ring and dots are white. */
const BLUE = [0x33, 0x67, 0x91] as const;

/**
 * The plugin's icon: a square PNG (`size` px, 512 by default, the smallest the Claude plugin
 * directory accepts) drawn here rather than shipped as a file, so the bundled CLI needs no asset
 * folder: a white ring on PostgreSQL blue, with three dots for the nodes of a cluster.
 *
 * @example writeFileSync('icon.png', pluginIconPng()) // 512 × 512, a few KB
 */
export function pluginIconPng(size = 512): Buffer {
  const c = size / 2;
  const dots = [0, 1, 2].map((i) => ({ x: c + size * 0.2 * Math.cos(((i * 120 - 90) * Math.PI) / 180), y: c + size * 0.2 * Math.sin(((i * 120 - 90) * Math.PI) / 180) }));
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3); // filter byte 0, then RGB
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x - c, y - c);
      const white = (r > size * 0.36 && r < size * 0.42) || dots.some((d) => Math.hypot(x - d.x, y - d.y) < size * 0.07);
      row.set(white ? [255, 255, 255] : BLUE, 1 + x * 3);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per channel, RGB, deflate, no filter, no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** CRC-32 (ISO 3309, as PNG requires), bit by bit: the icon is written once per build. */
function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
