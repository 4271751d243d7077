import { z } from 'zod';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A PostgreSQL connection URL (`postgresql://` or `postgres://`). */
export const PostgresUrl = z
  .string()
  .refine((s) => /^postgres(ql)?:\/\//.test(s) && URL.canParse(s), {
    message: 'must be a postgresql:// URL, e.g. postgresql://user:password@127.0.0.1:5432/db',
  })
  .describe('A postgresql:// connection URL.');

/** One PostgreSQL server of the cluster. Its role is discovered, never configured. */
export const NodeConfig = z.object({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, - or _ (at most 63)')
    .describe('A short, unique node name, e.g. node1.'),
  url: PostgresUrl,
  dataDir: z
    .string()
    .startsWith('/', 'must be an absolute path')
    .optional()
    .describe(
      "The node's data directory, when it runs on this machine: lets cluster-failover stop (fence) it and pg_rewind it back in as a replica. Remote nodes leave it out.",
    ),
});

/** One PostgreSQL server of the cluster. */
export type NodeConfig = z.infer<typeof NodeConfig>;

/**
 * The least-privilege login of read-only skills: its user and generated password. The file
 * holding it is mode 600, like the node URLs' passwords. Security: never printed or logged.
 */
export const ReaderConfig = z.object({
  user: z.string().regex(IDENTIFIER, 'must be a lower-case identifier of at most 63 characters').describe('The role, e.g. pgcluster_reader.'),
  password: z.string().min(16, 'must be at least 16 characters (a generated one)').describe('Its generated password (secret).'),
});

/** The least-privilege login of read-only skills. */
export type ReaderConfig = z.infer<typeof ReaderConfig>;

/**
 * The cluster configuration, as read from `pgcluster.config.json` or `PGCLUSTER_*` variables.
 * Either `nodes` (static topology; roles come from `pg_is_in_recovery()`) or `patroni`
 * (members and roles from Patroni's REST API) must be given.
 */
export const ClusterConfig = z
  .object({
    name: z.string().min(1).max(63).default('pgcluster').describe('A name for the cluster, used in output and metrics.'),
    nodes: z
      .array(NodeConfig)
      .min(1, 'must list at least one node')
      .optional()
      .describe('Static topology: every node of the cluster.'),
    patroni: z
      .object({
        url: z
          .union([z.string().url(), z.array(z.string().url()).min(1, 'must list at least one REST API URL')])
          .describe("Patroni's REST API of one member, e.g. http://127.0.0.1:8008, or a list of several members' APIs (tried in turn)."),
        memberUrl: PostgresUrl.optional().describe(
          "A postgresql:// URL whose user, password and database are used for every member Patroni reports (its host and port are replaced); needed when 'nodes' is not given.",
        ),
      })
      // `url` stays one string for readers that know one API; `urls` holds every configured one.
      .transform(({ url, ...rest }) => {
        const urls = [...new Set(typeof url === 'string' ? [url] : url)];
        return { ...rest, url: urls[0]!, urls };
      })
      .optional()
      .describe('Discover members and roles from Patroni.'),
    pgbouncer: z
      .object({
        adminUrl: PostgresUrl.describe("PgBouncer's admin console, database 'pgbouncer'."),
        configFile: z
          .string()
          .startsWith('/', 'must be an absolute path')
          .optional()
          .describe("PgBouncer's pgbouncer.ini, when it is on this machine: cluster-scale writes pool sizes into it too, so a reload (e.g. Patroni's role-change callback) keeps them."),
      })
      .optional()
      .describe('PgBouncer in front of the cluster.'),
    monitoring: z
      .object({
        thresholds: z
          .record(
            z.string(),
            z
              .object({
                warning: z.number().finite().optional().describe("Warning threshold, in the check's unit."),
                critical: z.number().finite().nullable().optional().describe("Critical threshold, in the check's unit; null: never critical."),
              })
              .strict(),
          )
          .default({})
          .describe(
            'Per-cluster threshold overrides of monitoring-health\'s checks, by check id, e.g. { "idle_in_transaction": { "warning": 60, "critical": 300 } }; a run\'s own thresholds input wins. The ids are checked against the catalogue when the checks run.',
          ),
      })
      .strict()
      .optional()
      .describe('Monitoring settings of this cluster.'),
    databases: z
      .record(
        z.string().regex(IDENTIFIER, 'names must be lower-case identifiers'),
        z.string().regex(IDENTIFIER, 'must be a lower-case identifier of at most 63 characters'),
      )
      .default({})
      .describe('Named databases, e.g. { "project": "app", "shared": "shared" }; the node URL\'s database is the default.'),
    reader: ReaderConfig.optional().describe(
      'The least-privilege login every read-only skill connects as (pg_monitor, pg_read_all_data, read-only transactions); written by `pgcluster security-reader` and `pgcluster dev up`.',
    ),
    stateDir: z.string().min(1).default('.pgcluster').describe('Where audit logs and backups catalogues are kept, relative to the config file.'),
  })
  .superRefine((c, ctx) => {
    if (!c.nodes && !c.patroni) {
      ctx.addIssue({ code: 'custom', path: ['nodes'], message: 'give either "nodes" (a list of { name, url }) or "patroni" ({ url, memberUrl })' });
    }
    const seen = new Set<string>();
    for (const [i, n] of (c.nodes ?? []).entries()) {
      if (seen.has(n.name)) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'name'], message: `duplicate node name "${n.name}"` });
      seen.add(n.name);
    }
  });

/** The parsed cluster configuration, with defaults applied. */
export type ClusterConfig = z.infer<typeof ClusterConfig>;

/** The cluster configuration as written in a file, before defaults. */
export type ClusterConfigInput = z.input<typeof ClusterConfig>;
