import { appendFileSync } from 'node:fs';
import type { AlertChannel } from './alert-rules';

/** What is sent for one alert transition. */
export interface AlertNotification {
  status: 'firing' | 'resolved';
  rule: string;
  check: string;
  severity: 'warning' | 'critical';
  node: string;
  object: string;
  value: number;
  threshold: number;
  message: string;
  since: string;
  at: string;
}

/** How one delivery went. */
export interface Delivery {
  channel: string;
  ok: boolean;
  attempts: number;
  error?: string;
}

/**
 * Delivers a notification to one channel: a JSON line on stderr or appended to a file, or an
 * HTTP POST of the JSON to a webhook with a timeout per attempt and `retries` more attempts
 * after 200 ms, 400 ms, 800 ms … on a network error or a 5xx/429 answer.
 * Security: the webhook URL (which may carry a token) never appears in the result, only its host.
 *
 * @example await notifyChannel('ops', { type: 'webhook', url, timeoutMs: 2000, retries: 3 }, notification)
 */
export async function notifyChannel(name: string, channel: AlertChannel, notification: AlertNotification, write: (line: string) => void = (l) => process.stderr.write(l)): Promise<Delivery> {
  const line = `${JSON.stringify(notification)}\n`;
  try {
    if (channel.type === 'stderr') {
      write(line);
      return { channel: name, ok: true, attempts: 1 };
    }
    if (channel.type === 'file') {
      appendFileSync(channel.path, line, { mode: 0o600 });
      return { channel: name, ok: true, attempts: 1 };
    }
  } catch (error) {
    return { channel: name, ok: false, attempts: 1, error: (error as Error).message };
  }
  const host = new URL(channel.url).host;
  let lastError = '';
  for (let attempt = 1; attempt <= channel.retries + 1; attempt += 1) {
    if (attempt > 1) await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 2)));
    try {
      const response = await fetch(channel.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: line,
        signal: AbortSignal.timeout(channel.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { channel: name, ok: true, attempts: attempt };
      lastError = `${host} answered ${response.status}`;
      if (response.status < 500 && response.status !== 429) return { channel: name, ok: false, attempts: attempt, error: lastError };
    } catch (error) {
      lastError = `${host}: ${(error as Error).name === 'TimeoutError' ? `no answer within ${channel.timeoutMs} ms` : (error as Error).message}`;
    }
  }
  return { channel: name, ok: false, attempts: channel.retries + 1, error: lastError };
}
