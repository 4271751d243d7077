import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * A new audit record id: 10 characters of time (milliseconds, base32) then 8 random ones,
 * so ids sort by time as strings and never collide in practice.
 *
 * @example
 * ```ts
 * newAuditId() // '01jz3q5t7w4k2m9xyzab'
 * ```
 */
export function newAuditId(now: number = Date.now()): string {
  let time = '';
  for (let rest = Math.floor(now), i = 0; i < 10; i++, rest = Math.floor(rest / 32)) time = ALPHABET[rest % 32] + time;
  const random = [...randomBytes(8)].map((b) => ALPHABET[b % 32]).join('');
  return time + random;
}
