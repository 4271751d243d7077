import { join } from 'node:path';
import { Skill, type ActionInput, type PlanStep, type SkillActions, type SkillContext } from '@pgcluster/skill-kit';
import { enableTls, undoTls } from '../encrypt/enable-tls';
import { EncryptReport, SecurityEncryptInput } from '../encrypt/encrypt-schema';
import { configFileOf } from '../rotate/config-file';

/**
 * `security-encrypt`: TLS from nothing — a CA and node certificates, ssl on with a reload,
 * replicas over TLS, the config's URLs on verify-full, and optionally hostssl only — staged and
 * verified; undo restores every file.
 *
 * @example
 * ```ts
 * import { executeSkill } from '@pgcluster/skill-kit'
 * import { SecurityEncryptSkill } from '@pgcluster/security'
 *
 * const envelope = await executeSkill(SecurityEncryptSkill, { requireTls: true }, { actor: 'cli', yes: true })
 * envelope.data?.unencryptedConnections // 0
 * ```
 */
export class SecurityEncryptSkill {
  @Skill({
    name: 'security-encrypt',
    category: 'security',
    description:
      'Enables TLS end to end: CA and node certificates, ssl on (reload, no restart), replicas over TLS, config URLs on verify-full, optionally hostssl only. ' +
      'Use when traffic is unencrypted.',
    details:
      'Needs every node\'s dataDir on this machine. Stages, each verified before the next so no client is cut off: ' +
      '(1) a CA in <stateDir>/tls (reused when present; ca.key mode 600) and per node a certificate with SANs for its host ' +
      '(plus localhost and 127.0.0.1 on loopback), written to the data directory as server.crt/server.key (key mode 600, ' +
      "owned by the server's user); (2) ssl_cert_file, ssl_key_file, ssl_min_protocol_version and ssl = on with ALTER SYSTEM " +
      'and a reload, verified by a sslmode=verify-full connection and pg_stat_ssl; (3) each replica\'s primary_conninfo gets ' +
      'sslmode=verify-full and the CA (a password found inline moves to a mode-600 password file first), verified in the ' +
      "primary's pg_stat_ssl; (4) with PgBouncer in the config (pgbouncer.configFile required): a certificate for it beside " +
      'pgbouncer.ini, client_tls_sslmode prefer (require with --require-tls) and server_tls_sslmode verify-full with the CA, ' +
      'RELOAD and RECONNECT, verified by a verify-full client whose statement runs on an encrypted server connection; (5) ' +
      "the config's node URLs and pgbouncer.adminUrl get sslmode=verify-full and sslrootcert (atomic, mode 600); (6) " +
      'with --require-tls, TCP host lines of pg_hba.conf become hostssl and a client without TLS is verified to be refused. ' +
      'Every file it changes is backed up first (state dir, mode 600); undo (the rollback, or --action undo --backup) ' +
      'restores them (pgbouncer.ini first, then RELOAD) and reloads.',
    version: '1.0.0',
    risk: 'write',
    autonomous: false,
    requiresConfirmation: true,
    idempotent: false,
    whenToUse: [
      'security-audit reports ssl_off, tls_min_version, clients_without_ssl or hba_host_without_ssl',
      'the database is about to be reached over a network that is not trusted',
      'a compliance review asks for encryption in transit (CIS 6.8, 5.5)',
    ],
    interpret:
      'data = { action, ca, nodes[] { node, ssl, protocol, sans, streamsOverTls, hostssl }, unencryptedConnections, ' +
      'configFile, backup, pgbouncer { clientTls, serverTls, protocol, serverSsl } | null }: ca is what clients verify with (sslrootcert); unencryptedConnections counts client and ' +
      'WAL-sender connections still without TLS (0 after --require-tls). rollback undoes it. Exit 2: a node has no local ' +
      'dataDir, or a stage did not verify (its error says which; the backup restores the files); exit 3: --yes missing.',
    decisionTree: [
      { when: 'clients fail with certificate errors after it', skill: 'security-encrypt', input: { action: 'undo', backup: '<data_backup>' }, why: 'with --yes' },
      { when: 'to confirm every TLS finding is gone', skill: 'security-audit', input: { category: ['encryption'] } },
    ],
    examples: [
      { title: 'See every stage first', skill: 'security-encrypt', input: { requireTls: true }, options: { dryRun: true } },
      { title: 'TLS everywhere, clients without TLS refused', skill: 'security-encrypt', input: { requireTls: true }, options: { yes: true } },
      { title: 'TLS offered but not yet required (first stage of a rollout)', skill: 'security-encrypt', input: {}, options: { yes: true } },
      { title: 'Undo it', skill: 'security-encrypt', input: { action: 'undo', backup: '/srv/app/.pgcluster/security/encrypt-1f2e3d4c.json' }, options: { yes: true } },
    ],
    input: SecurityEncryptInput,
    output: EncryptReport,
  })
  static readonly actions: SkillActions<typeof SecurityEncryptInput, EncryptReport> = {
    enable: {
      plan: (ctx, input) => planEnable(ctx, input),
      run: async (ctx, input) => {
        const report = await enableTls(ctx.loaded, { minProtocol: input.minProtocol, requireTls: input.requireTls, days: input.days, runId: ctx.runId });
        return {
          data: report,
          alerts: report.unencryptedConnections > 0 ? [`${report.unencryptedConnections} connection(s) still without TLS: their clients must reconnect with sslmode=verify-full (or run again with --require-tls)`] : [],
          recommendations: [{ why: `give clients the CA ${report.ca} (sslrootcert) and sslmode=verify-full`, skill: 'security-audit', input: { category: ['encryption'] } }],
          rollback: { skill: 'security-encrypt', input: { action: 'undo', backup: report.backup }, why: 'restore pg_hba.conf, postgresql.auto.conf, the certificates and the config file, and reload' },
        };
      },
    },
    // Undo rewrites pg_hba.conf and the config file on every node: confirmed like enable (the skill's default).
    undo: {
      plan: (ctx, input) => {
        const nodes = ctx.loaded.config.nodes ?? [];
        return [
          ...nodes.map((n) => ({ kind: 'file' as const, target: n.dataDir ?? n.name, text: 'restore pg_hba.conf, postgresql.auto.conf, server.crt, server.key from the backup' })),
          ...nodes.map((n) => ({ kind: 'sql' as const, target: n.name, text: 'SELECT pg_reload_conf()' })),
          ...(ctx.loaded.config.pgbouncer?.configFile ? [{ kind: 'file' as const, target: ctx.loaded.config.pgbouncer.configFile, text: 'restore pgbouncer.ini and the TLS files beside it (first), RELOAD; RECONNECT' }] : []),
          { kind: 'file', target: configFileOf(ctx.loaded), text: `restore the config from ${input.backup}` },
        ];
      },
      run: async (ctx, input) => ({ data: await undoTls(ctx.loaded, input.backup) }),
    },
  };
}

/** Every stage of enable, node by node (no key material). */
function planEnable(ctx: SkillContext, input: ActionInput<typeof SecurityEncryptInput, 'enable'>): PlanStep[] {
  const nodes = ctx.loaded.config.nodes ?? [];
  const tls = join(ctx.loaded.stateDir, 'tls');
  const bouncer = ctx.loaded.config.pgbouncer;
  return [
    { kind: 'command', target: tls, text: 'openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt (when no CA exists there)' },
    ...nodes.map((n) => ({ kind: 'command' as const, target: n.dataDir ?? n.name, text: `openssl req -new … && openssl x509 -req -CA ca.crt (SANs for ${new URL(n.url).hostname}) → server.crt, server.key (mode 600)` })),
    ...nodes.map((n) => ({ kind: 'sql' as const, target: n.name, text: `ALTER SYSTEM SET ssl_cert_file = 'server.crt'; ALTER SYSTEM SET ssl_key_file = 'server.key'; ALTER SYSTEM SET ssl_min_protocol_version = '${input.minProtocol}'; ALTER SYSTEM SET ssl = 'on'; SELECT pg_reload_conf()` })),
    { kind: 'note', target: 'every node', text: 'verify: a sslmode=verify-full connection, encrypted in pg_stat_ssl' },
    { kind: 'sql', target: 'replicas', text: "ALTER SYSTEM SET primary_conninfo = '… sslmode=verify-full sslrootcert=<data dir>/pgcluster-ca.crt passfile=…'; SELECT pg_reload_conf() — then wait until they stream over TLS" },
    ...(bouncer?.configFile
      ? [
          { kind: 'command' as const, target: bouncer.configFile, text: 'openssl … -CA ca.crt → pgbouncer-tls.crt, pgbouncer-tls.key (mode 600) and pgcluster-ca.crt beside pgbouncer.ini' },
          {
            kind: 'file' as const,
            target: bouncer.configFile,
            text: `client_tls_sslmode = ${input.requireTls ? 'require' : 'prefer'}, client_tls_cert_file, client_tls_key_file, client_tls_ca_file; server_tls_sslmode = verify-full, server_tls_ca_file; then RELOAD; RECONNECT — verify a verify-full client and an encrypted server connection (pg_stat_ssl)`,
          },
        ]
      : []),
    { kind: 'file', target: configFileOf(ctx.loaded), text: `node URLs${bouncer ? ' and pgbouncer.adminUrl' : ''}: add sslmode=verify-full and sslrootcert (mode 600)` },
    ...(input.requireTls ? nodes.map((n) => ({ kind: 'file' as const, target: `${n.dataDir ?? n.name}/pg_hba.conf`, text: 'host → hostssl on TCP lines; reload; verify a client without TLS is refused' })) : []),
  ];
}
