import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 (binds port 0, reads it, closes),
 * skipping `exclude` and 5432 (the system PostgreSQL's).
 *
 * @example
 * ```ts
 * const port = await findFreePort(new Set([54321]))
 * ```
 */
export async function findFreePort(exclude: ReadonlySet<number> = new Set()): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
        const address = server.address();
        const found = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(found));
      });
    });
    if (port > 0 && port !== 5432 && !exclude.has(port)) return port;
  }
}
