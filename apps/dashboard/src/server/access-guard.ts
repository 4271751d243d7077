import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The cookie the page carries the token in, once opened with `?token=`. */
export const TOKEN_COOKIE = 'pgcluster_dashboard';
/** The header every state-changing request must carry (a cross-site form cannot set it). */
export const ACTION_HEADER = 'x-pgcluster-dashboard';

/**
 * Whether a host name binds to the loopback interface only.
 * @example isLoopback('127.0.0.1') // true; isLoopback('0.0.0.0') // false
 */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** A new random token: 32 bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Who may talk to the server: with a token (bound beyond loopback), a request must carry it as
 * `Authorization: Bearer …`, in the dashboard's cookie, or — only to open the page — as
 * `?token=`; on loopback, the Host header must name a loopback host.
 */
export class AccessGuard {
  readonly #digest: Buffer | null;

  constructor(token: string | null) {
    this.#digest = token === null ? null : sha256(token);
  }

  /** Whether the server asks for a token. */
  get requiresToken(): boolean {
    return this.#digest !== null;
  }

  /**
   * Whether the request may proceed.
   * @param queryToken the `?token=` value, accepted where the page is opened.
   */
  allows(request: IncomingMessage, queryToken: string | null): boolean {
    if (this.#digest === null) {
      // Security: a loopback server answers only to loopback host names, so a page on another site
      // cannot reach it through a DNS name re-pointed at 127.0.0.1 (DNS rebinding).
      const host = (request.headers.host ?? '').replace(/:\d+$/, '');
      return isLoopback(host);
    }
    // Security: beyond loopback every request carries the token; compared in constant time.
    return [bearerOf(request), cookieOf(request), queryToken].some((t) => t !== null && this.#matches(t));
  }

  #matches(candidate: string): boolean {
    return timingSafeEqual(sha256(candidate), this.#digest!);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function bearerOf(request: IncomingMessage): string | null {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match ? match[1]! : null;
}

function cookieOf(request: IncomingMessage): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return value.join('=');
  }
  return null;
}
