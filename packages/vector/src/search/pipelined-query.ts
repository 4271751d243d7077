import pg from 'pg';

/** The parts of pg's Connection a pipelined query writes to (its extended-protocol messages). */
interface ProtocolConnection {
  parse(msg: { text: string; name: string; types: unknown[] }): void;
  bind(msg: { portal: string; statement: string; values: unknown[] }): void;
  describe(msg: { type: 'P'; name: string }): void;
  execute(msg: { portal: string; rows: number }): void;
}

/** pg's Query with the method that writes its Parse/Bind/Describe/Execute/Sync messages. */
type PreparingQuery = pg.Query & { prepare(connection: ProtocolConnection): void };

/**
 * Runs a parameterless settings statement and then a parameterised, named query in **one round
 * trip**: Parse/Bind/Describe/Execute of the settings, then of the query, then a single Sync.
 * Everything before that Sync is one implicit transaction, so `set_config(…, true)` — `SET LOCAL`
 * — holds for the query and ends with it; nothing stays on the pooled connection.
 *
 * It extends pg's `Query` (whose `prepare` writes the query's own messages) by writing the
 * settings' messages first; pg then sees two results and hands back both.
 * After an error the caller must discard the connection (`release(true)`): pg may have
 * recorded the statement as prepared when only the settings were.
 *
 * @example
 * ```ts
 * const rows = await pipelinedQuery(client, "SELECT set_config('hnsw.ef_search', '80', true)", { name: 'q1', text, values })
 * ```
 */
export function pipelinedQuery<R extends pg.QueryResultRow>(
  client: pg.ClientBase,
  settings: string,
  query: { name: string; text: string; values: readonly unknown[] },
): Promise<R[]> {
  return new Promise<R[]>((resolve, reject) => {
    const q = new pg.Query<R>({ name: query.name, text: query.text, values: query.values as unknown[] }, undefined, (error: Error | undefined, result: unknown) => {
      if (error) return reject(error);
      const results = (Array.isArray(result) ? result : [result]) as pg.QueryResult<R>[];
      resolve(results[results.length - 1]!.rows);
    }) as PreparingQuery;
    const prepareQuery = q.prepare.bind(q);
    q.prepare = (connection: ProtocolConnection) => {
      connection.parse({ text: settings, name: '', types: [] });
      connection.bind({ portal: '', statement: '', values: [] });
      connection.describe({ type: 'P', name: '' });
      connection.execute({ portal: '', rows: 0 });
      prepareQuery(connection);
    };
    void client.query(q);
  });
}
