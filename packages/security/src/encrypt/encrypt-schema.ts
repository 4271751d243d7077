import { z } from 'zod';
import { actionInput, type ActionInput } from '@pgcluster/skill-kit';

/** What `security-encrypt` does; one tuple yields the type, the validator and the CLI choices. */
export const ENCRYPT_ACTIONS = ['enable', 'undo'] as const;

/** The lowest TLS version the servers accept. */
export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;

/**
 * Input of `security-encrypt`, per action: enable (`minProtocol`, `requireTls`, `days`) or undo
 * (`backup`, required).
 * @example
 * ```ts
 * SecurityEncryptInput.parse({ requireTls: true })
 * SecurityEncryptInput.parse({ action: 'undo', backup: '/srv/app/.pgcluster/security/encrypt-….json' })
 * ```
 */
export const SecurityEncryptInput = actionInput(
  {
    enable: z.object({
      minProtocol: z.enum(TLS_VERSIONS).default('TLSv1.2').describe('ssl_min_protocol_version of every node.'),
      requireTls: z
        .boolean()
        .default(false)
        .describe('Last stage: turn every TCP host line of pg_hba.conf into hostssl, so a client without TLS is refused (after clients and replicas use TLS).'),
      days: z.number().int().min(1).max(3650).default(825).describe('Validity of the CA and node certificates, days.'),
    }),
    undo: z.object({
      backup: z
        .string()
        .regex(/^\/[^\0]*\.json$/, 'must be the absolute path of an encrypt backup (.json), as the run reported it')
        .describe('The backup file the run wrote (its rollback input names it).'),
    }),
  },
  { default: 'enable', describe: 'enable TLS, or undo an earlier run (with backup).' },
);
/** Input of `security-encrypt` (after defaults): one of its actions' inputs. */
export type SecurityEncryptInput = ActionInput<typeof SecurityEncryptInput>;

/** What TLS looks like on one node after the run. */
export const EncryptedNode = z.object({
  node: z.string().describe('Node name.'),
  ssl: z.boolean().describe('ssl is on.'),
  protocol: z.string().nullable().describe('The TLS version of a verify-full connection to it (pg_stat_ssl).'),
  sans: z.array(z.string()).describe('The subject alternative names of its certificate.'),
  streamsOverTls: z.boolean().nullable().describe('Replicas: the primary sees its WAL sender encrypted (pg_stat_ssl); null for the primary.'),
  hostssl: z.boolean().describe('Its TCP pg_hba lines are hostssl (requireTls).'),
});

/**
 * `data` of `security-encrypt`. Never holds a key.
 * @example
 * ```ts
 * const report: EncryptReport = await enableTls(loaded, { minProtocol: 'TLSv1.2', requireTls: true, days: 825 })
 * report.nodes.every((n) => n.protocol === 'TLSv1.3')
 * ```
 */
export const EncryptReport = z.object({
  action: z.enum(ENCRYPT_ACTIONS).describe('enable or undo.'),
  ca: z.string().describe('The CA certificate clients verify with (sslrootcert); its key stays beside it, mode 600.'),
  nodes: z.array(EncryptedNode).describe('Every node.'),
  unencryptedConnections: z.number().int().describe('Client and WAL-sender connections still without TLS, over every node, after the run.'),
  configFile: z.string().describe('The config file whose URLs now say sslmode=verify-full and sslrootcert (undo: restored).'),
  backup: z.string().describe('The backup (mode 600, state dir) that undo uses.'),
  pgbouncer: z
    .object({
      clientTls: z.string().describe('client_tls_sslmode: prefer (TLS offered) or require (--require-tls); undo: as restored.'),
      serverTls: z.string().describe('server_tls_sslmode: verify-full against the CA.'),
      protocol: z.string().nullable().describe('The TLS version of a verify-full client connection to PgBouncer.'),
      serverSsl: z.boolean().describe("A statement through PgBouncer ran on a server connection encrypted in pg_stat_ssl."),
    })
    .nullable()
    .describe('PgBouncer (config pgbouncer.configFile): its client and server TLS; null when the config has no PgBouncer.'),
});
/** `data` of `security-encrypt`. */
export type EncryptReport = z.infer<typeof EncryptReport>;
