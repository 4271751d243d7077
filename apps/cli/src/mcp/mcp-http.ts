import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { InputError } from '@pgcluster/core';

/** How {@link serveMcpHttp} listens. */
export interface McpHttpOptions {
  /** Address to bind; default 127.0.0.1. A non-loopback address needs `token`. */
  host?: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** A bearer token every request must carry (`Authorization: Bearer <token>`). */
  token?: string;
  /** Where the token comes from, named when a non-loopback bind has none (e.g. `PGCLUSTER_MCP_TOKEN`). */
  tokenSource: string;
  /** A new MCP server for each session (one server serves one transport). */
  newServer(): { server: Server; settled(): Promise<void> };
}

/** A running Streamable HTTP endpoint. */
export interface McpHttpHandle {
  /** `http://host:port/mcp`. */
  url: string;
  /** Stops listening, closes every session and waits for running calls. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Serves MCP over Streamable HTTP (the SDK's StreamableHTTPServerTransport) at `/mcp`, one
 * server per session. Security: binds loopback unless a token is given; with a token every
 * request must carry it; Host headers are checked (DNS rebinding) on loopback.
 *
 * @throws InputError naming `--host` when a non-loopback bind has no `--token`.
 * @example
 * ```ts
 * const { url, close } = await serveMcpHttp({ port: 0, tokenSource: 'PGCLUSTER_MCP_TOKEN', newServer: () => createMcpServer(options) })
 * ```
 */
export async function serveMcpHttp(options: McpHttpOptions): Promise<McpHttpHandle> {
  const host = options.host ?? '127.0.0.1';
  // Security: an MCP endpoint runs database skills; off this machine only behind a token.
  if (!LOOPBACK.has(host) && !options.token) throw new InputError('--host', `${host} is not a loopback address: set a bearer token in ${options.tokenSource} to serve beyond this machine, or bind 127.0.0.1`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { StreamableHTTPServerTransport: Transport } = require('@modelcontextprotocol/sdk/server/streamableHttp.js') as typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js');
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; settled(): Promise<void> }>();
  let allowedHosts: string[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (options.token && !tokenMatches(req.headers.authorization, options.token)) return reply(res, 401, 'a bearer token is required');
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp') return reply(res, 404, 'the MCP endpoint is /mcp');
    const sid = req.headers['mcp-session-id'];
    const known = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (known) return known.transport.handleRequest(req, res);
    if (typeof sid === 'string') return reply(res, 404, 'unknown session');
    if (req.method !== 'POST') return reply(res, 400, 'start a session with an initialize POST');
    const { server, settled } = options.newServer();
    const transport: StreamableHTTPServerTransport = new Transport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, { transport, settled }),
      ...(LOOPBACK.has(host) ? { enableDnsRebindingProtection: true, allowedHosts } : {}),
    });
    transport.onclose = () => void (transport.sessionId && sessions.delete(transport.sessionId));
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };

  const http: HttpServer = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, 'internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/mcp`,
    close: async () => {
      const open = [...sessions.values()];
      await Promise.all(open.map((s) => s.transport.close().catch(() => undefined)));
      await Promise.all(open.map((s) => s.settled()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}
