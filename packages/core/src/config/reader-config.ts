import type { ClusterConfig } from './cluster-config';
import type { LoadedConfig } from './load-config';

/**
 * The same configuration connecting as its least-privilege reader (`config.reader`): every node
 * URL and Patroni's `memberUrl` get the reader's user and password; PgBouncer's admin console and
 * everything else is kept, and `configured` holds the configuration as written. Undefined when
 * the config names no reader.
 *
 * Security: the executor runs every read-only skill through this view, so that a read skill cannot
 * write even when a bug would let it try — the database refuses it.
 *
 * @example
 * ```ts
 * const asReader = readerConfig(loadConfig())
 * if (asReader) await withClient({ url: asReader.config.nodes![0]!.url }, 'reading', (c) => c.query('select 1'))
 * ```
 */
export function readerConfig(loaded: LoadedConfig): LoadedConfig | undefined {
  const reader = loaded.config.reader;
  if (!reader) return undefined;
  const swap = (url: string): string => {
    const u = new URL(url);
    u.username = encodeURIComponent(reader.user);
    u.password = encodeURIComponent(reader.password);
    return u.toString();
  };
  const config: ClusterConfig = {
    ...loaded.config,
    ...(loaded.config.nodes ? { nodes: loaded.config.nodes.map((n) => ({ ...n, url: swap(n.url) })) } : {}),
    ...(loaded.config.patroni?.memberUrl ? { patroni: { ...loaded.config.patroni, memberUrl: swap(loaded.config.patroni.memberUrl) } } : {}),
  };
  return { ...loaded, config, configured: loaded.configured ?? loaded.config };
}
