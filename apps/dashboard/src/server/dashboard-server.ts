import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { InputError, PgClusterError, redactUrl, type LoadedConfig } from '@pgcluster/core';
import { ACTORS } from '@pgcluster/skill-kit';
import { checkParams, parseAnalyticsQuery, PERIODS } from '../analytics/analytics-query';
import { AuditRollup } from '../analytics/audit-rollup';
import { readClusterNow, type ClusterNow } from '../data/cluster-now';
import { readVectorCollections, type VectorNow } from '../data/vector-collections';
import { AccessGuard, ACTION_HEADER, isLoopback, newToken, TOKEN_COOKIE } from './access-guard';
import { agentRoutes } from './agent-routes';

/** How {@link startDashboard} serves. */
export interface DashboardConfig {
  /** The cluster and its state dir (`loadConfig()`). */
  loaded: LoadedConfig;
  /** Default `127.0.0.1`; any other address requires a token. */
  host?: string;
  /** Default 7070; 0 picks a free port. */
  port?: number;
  /** How often the page refreshes the live panels, ms (1,000–300,000); default 5,000. */
  refreshMs?: number;
  /** The token required beyond loopback; default: a new random one. Ignored on loopback. */
  token?: string;
  /** The agent's policy file; default found like the config (see @pgcluster/agent's `findAgentPolicyFile`). */
  agentPolicyFile?: string;
  /** Server diagnostics (never a token, a password or a query string); default: none. */
  log?: (line: string) => void;
}

/** A running dashboard. */
export interface DashboardServer {
  /** `http://host:port/`, without the token. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The token requests need (null on loopback). Show it once, to the person who started the server. */
  readonly token: string | null;
  /** Stops serving and saves the analytics rollup. */
  close(): Promise<void>;
}

const ASSET_TYPES: Readonly<Record<string, string>> = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'chart.umd.js': 'text/javascript; charset=utf-8',
};

/**
 * Starts the operations dashboard: one page (cluster now, skill analytics, agent, vector
 * collections) and its JSON endpoints, over the library functions the skills use —
 * `checkClusterStatus`, `checkHealth`, the audit log (through an incremental {@link AuditRollup}),
 * the agent's store, `listCollections`/`describeCollection`. Loopback by default; bound
 * elsewhere, every request must carry the token.
 *
 * Endpoints: `GET /api/meta`, `GET /api/cluster`, `GET /api/analytics?skill=&actor=&period=`,
 * `GET /api/vector`, `GET /api/agent`, `POST /api/agent/pause` (`{ "paused": true, "reason"?: "…" }`).
 * A bad query parameter gets 400 with a message naming it; a missing token 401.
 *
 * @example
 * ```ts
 * const server = await startDashboard({ loaded: loadConfig(), port: 0 })
 * console.error(`open ${server.url}`)
 * process.once('SIGINT', () => void server.close())
 * ```
 */
export async function startDashboard(config: DashboardConfig): Promise<DashboardServer> {
  const host = config.host ?? '127.0.0.1';
  const refreshMs = config.refreshMs ?? 5_000;
  if (!Number.isInteger(refreshMs) || refreshMs < 1_000 || refreshMs > 300_000) throw new InputError('refreshMs', 'must be an integer from 1000 to 300000');
  const token = isLoopback(host) ? null : (config.token ?? newToken());
  const guard = new AccessGuard(token);
  const log = config.log ?? (() => undefined);
  const { loaded } = config;
  const rollup = new AuditRollup({ stateDir: loaded.stateDir });
  const clusterCache = cached(refreshMs / 2, () => readClusterNow(loaded.config));
  const vectorCache = cached(refreshMs, () => readVectorCollections(loaded.config, { benchmarks: rollup.benchmarks() }));
  const agent = agentRoutes(loaded, config.agentPolicyFile);
  const assets = assetFiles();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname;
    const queryToken = path === '/' ? url.searchParams.get('token') : null;
    if (!guard.allows(request, queryToken)) {
      sendJson(response, 401, { error: { code: 'UNAUTHORIZED', message: guard.requiresToken ? 'this dashboard needs the token printed when it started' : 'Host must be a loopback name' } });
      return;
    }
    if (path === '/' && queryToken !== null) {
      // Security: the token moves into an HttpOnly cookie and out of the address bar (and history).
      response.writeHead(303, { location: '/', 'set-cookie': `${TOKEN_COOKIE}=${queryToken}; HttpOnly; SameSite=Strict; Path=/`, 'cache-control': 'no-store' });
      response.end();
      return;
    }
    if (request.method === 'POST') {
      // Security: state changes need a header no cross-site form or image can send.
      if (request.headers[ACTION_HEADER] !== '1' || !/^application\/json\b/.test(request.headers['content-type'] ?? '')) {
        sendJson(response, 403, { error: { code: 'REFUSED', message: `a change needs the ${ACTION_HEADER} header and a JSON body` } });
        return;
      }
    }
    const method = request.method ?? 'GET';
    const route = `${method} ${path}`;
    if (method === 'GET' && path === '/') {
      checkParams(url.searchParams, []);
      return sendFile(response, assets.page, 'text/html; charset=utf-8');
    }
    if (method === 'GET' && path.startsWith('/assets/')) {
      const name = path.slice('/assets/'.length);
      const file = Object.hasOwn(ASSET_TYPES, name) ? assets.files[name] : undefined;
      if (!file) return sendJson(response, 404, { error: { code: 'NOT_FOUND', message: `no asset ${JSON.stringify(name.slice(0, 60))}` } });
      return sendFile(response, file, ASSET_TYPES[name]!);
    }
    switch (route) {
      case 'GET /api/meta':
        checkParams(url.searchParams, []);
        return sendJson(response, 200, { cluster: loaded.config.name, refreshMs, periods: PERIODS, actors: ACTORS, tokenRequired: guard.requiresToken });
      case 'GET /api/cluster':
        checkParams(url.searchParams, []);
        return sendJson(response, 200, await clusterCache());
      case 'GET /api/analytics': {
        const query = parseAnalyticsQuery(url.searchParams);
        rollup.refresh();
        return sendJson(response, 200, rollup.query(query));
      }
      case 'GET /api/vector':
        checkParams(url.searchParams, []);
        rollup.refresh();
        return sendJson(response, 200, await vectorCache());
      case 'GET /api/agent':
        return sendJson(response, 200, await agent.read(url.searchParams));
      case 'POST /api/agent/pause':
        checkParams(url.searchParams, []);
        return sendJson(response, 200, await agent.pause(await readJsonBody(request)));
      default: {
        const known = ['GET /', 'GET /api/meta', 'GET /api/cluster', 'GET /api/analytics', 'GET /api/vector', 'GET /api/agent', 'POST /api/agent/pause'];
        const samePath = known.some((k) => k.endsWith(` ${path}`));
        return sendJson(response, samePath ? 405 : 404, { error: { code: samePath ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND', message: samePath ? `${method} is not allowed on ${path}` : `no endpoint ${path.slice(0, 80)}` } });
      }
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof InputError) {
        sendJson(response, 400, { error: { code: error.code, field: error.field, message: error.message } });
        return;
      }
      const code = error instanceof PgClusterError ? error.code : 'INTERNAL';
      const message = redactUrl(error instanceof Error ? error.message : String(error));
      // Security: the path only, never the query string (it may carry the token).
      log(`dashboard: ${request.method} ${(request.url ?? '').split('?')[0]} failed: ${code}: ${message}`);
      sendJson(response, 500, { error: { code, message } });
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port ?? 7070, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // The first reads of the cluster and of a large log happen now, not on the first request: a page
  // opened right after the start draws "Cluster now" from a read already under way.
  void clusterCache().catch(() => undefined);
  setImmediate(() => {
    try {
      rollup.refresh();
    } catch (error) {
      log(`dashboard: reading the audit log failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    host,
    port,
    token,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      try {
        rollup.save();
      } catch {
        // Nothing to save into (no state dir yet): the next start reads the log again.
      }
    },
  };
}

/** The page and its assets, read once from the package's `assets` folder and from chart.js. */
function assetFiles(): { page: Buffer; files: Record<string, Buffer> } {
  const dir = join(__dirname, '..', '..', 'assets');
  // Served from node_modules: no network at run time.
  const chart = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  return {
    page: readFileSync(join(dir, 'dashboard.html')),
    files: { 'dashboard.js': readFileSync(join(dir, 'dashboard.js')), 'dashboard.css': readFileSync(join(dir, 'dashboard.css')), 'chart.umd.js': readFileSync(chart) },
  };
}

/** One shared promise per period: concurrent requests and quick reloads read the cluster once. */
function cached<T extends ClusterNow | VectorNow>(ttlMs: number, read: () => Promise<T>): () => Promise<T> {
  let entry: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!entry || Date.now() - entry.at >= ttlMs) {
      const value = read();
      entry = { at: Date.now(), value };
      value.catch(() => {
        entry = undefined;
      });
    }
    return entry.value;
  };
}

const SECURITY_HEADERS = {
  // Security: only our own scripts, styles and endpoints; no framing, no sniffing, no referrer.
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function sendFile(response: ServerResponse, body: Buffer, type: string): void {
  response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-cache', 'content-length': body.length });
  response.end(body);
}

/** A small JSON body (at most 16 KiB). */
async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 16_384) throw new InputError('body', 'must be at most 16 KiB of JSON');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch {
    throw new InputError('body', 'must be a JSON object such as {"paused": true, "reason": "maintenance"}');
  }
}
