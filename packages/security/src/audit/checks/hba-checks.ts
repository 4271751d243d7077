import { encryptFix, recheck, SkipCheck, type Candidate, type SecurityCheck, type SecurityCheckContext } from '../node-check';

/** One line of pg_hba.conf as `pg_hba_file_rules` reads it (PostgreSQL 15's columns). */
export interface HbaRule {
  line_number: number;
  type: string;
  database: string[] | null;
  user_name: string[] | null;
  address: string | null;
  netmask: string | null;
  auth_method: string | null;
  error: string | null;
}

const HBA_SQL = `select line_number, type, database, user_name, address, netmask, auth_method, error
  from pg_hba_file_rules order by line_number`;

const TCP_TYPES = new Set(['host', 'hostssl', 'hostnossl', 'hostgssenc', 'hostnogssenc']);

/**
 * Whether a pg_hba line admits only this machine (127.0.0.0/8, ::1/128, localhost).
 * @example isLoopback({ address: '127.0.0.1', netmask: '255.255.255.255' }) // true
 */
export function isLoopback(rule: Pick<HbaRule, 'address' | 'netmask'>): boolean {
  const { address, netmask } = rule;
  if (address === 'localhost') return true;
  if (address?.startsWith('127.') && netmask && /^255\.\d+\.\d+\.\d+$/.test(netmask)) return true;
  return address === '::1' && netmask === 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
}

/**
 * Whether a pg_hba line admits every address: 0.0.0.0/0, ::/0 or `all`.
 * @example isOpen({ address: '0.0.0.0', netmask: '0.0.0.0' }) // true
 */
export function isOpen(rule: Pick<HbaRule, 'address' | 'netmask'>): boolean {
  return rule.address === 'all' || (rule.address === '0.0.0.0' && rule.netmask === '0.0.0.0') || (rule.address === '::' && rule.netmask === '::');
}

/** `host all all 0.0.0.0/0 trust` as the user wrote it (roughly: the netmask as a prefix length). */
function describe(rule: HbaRule): string {
  const bits = rule.netmask ? prefixLength(rule.netmask) : null;
  const address = rule.address ? `${rule.address}${bits === null ? '' : `/${bits}`}` : '';
  return [rule.type, (rule.database ?? []).join(','), (rule.user_name ?? []).join(','), address, rule.auth_method ?? ''].filter(Boolean).join(' ');
}

function prefixLength(netmask: string): number | null {
  if (netmask.includes('.')) return netmask.split('.').reduce((n, o) => n + (Number(o) >>> 0).toString(2).replace(/0/g, '').length, 0);
  if (netmask.includes(':')) return netmask.split(':').reduce((n, h) => n + (h ? parseInt(h, 16).toString(2).replace(/0/g, '').length : 0), 0);
  return null;
}

async function rules(ctx: SecurityCheckContext): Promise<HbaRule[]> {
  // Security: pg_hba_file_rules is readable by superusers only unless EXECUTE on it was granted.
  return ctx.once('hba', async () => {
    try {
      return (await ctx.query<HbaRule>(HBA_SQL)).filter((r) => r.error === null && TCP_TYPES.has(r.type));
    } catch (error) {
      if ((error as { code?: string }).code === '42501') throw new SkipCheck('needs superuser or EXECUTE on pg_hba_file_rules()');
      throw error;
    }
  });
}

const EDIT_HBA = (rule: HbaRule, change: string) =>
  `edit pg_hba.conf line ${rule.line_number} (${describe(rule)}): ${change}; then SELECT pg_reload_conf()`;

function lineCandidate(rule: HbaRule, c: Omit<Candidate, 'object' | 'recommendation'>, id: SecurityCheck['id']): Candidate {
  const recommendation = id === 'hba_host_without_ssl' ? encryptFix({ requireTls: true }, 'turns TLS on, then host lines into hostssl once clients and replicas use it') : recheck(id);
  return { object: `pg_hba.conf line ${rule.line_number}`, ...c, recommendation };
}

function methodCheck(id: 'hba_trust' | 'hba_password' | 'hba_md5', method: string, why: string): SecurityCheck {
  return {
    id,
    collect: async (ctx) =>
      (await rules(ctx))
        .filter((r) => r.auth_method === method)
        .map((r) =>
          lineCandidate(r, {
            value: method,
            expected: 'scram-sha-256',
            unit: 'method',
            message: `pg_hba.conf line ${r.line_number} (${describe(r)}) ${why}`,
            remedy: EDIT_HBA(r, `replace ${method} with scram-sha-256 (roles need SCRAM passwords first)`),
          }, id),
        ),
  };
}

/**
 * The pg_hba.conf lint, read through `pg_hba_file_rules` (the file as the server parsed it): TCP
 * lines only (`local` lines are CIS 5.1, reviewed by hand). Loopback lines are exempt from the
 * rules about all/all, superusers and TLS: they admit only processes on the server's machine.
 * @example HBA_CHECKS.map((c) => c.id) // ['hba_trust', 'hba_password', …]
 */
export const HBA_CHECKS: readonly SecurityCheck[] = [
  // Security: trust lets anyone who reaches the port in as any role, without a password.
  methodCheck('hba_trust', 'trust', 'lets anyone who reaches the port log in as that role without a password'),
  methodCheck('hba_password', 'password', 'sends passwords in clear text'),
  methodCheck('hba_md5', 'md5', 'uses MD5 challenge-response, weaker than SCRAM and replayable from a stolen hash'),
  {
    id: 'hba_open_address',
    collect: async (ctx) =>
      (await rules(ctx))
        .filter(isOpen)
        .map((r) =>
          lineCandidate(r, {
            value: describe(r).split(' ')[3] ?? 'all',
            expected: 'the clients\' own addresses or subnets',
            unit: 'address',
            message: `pg_hba.conf line ${r.line_number} (${describe(r)}) admits connections from any address`,
            remedy: EDIT_HBA(r, 'narrow the address to the clients\' subnet'),
          }, 'hba_open_address'),
        ),
  },
  {
    id: 'hba_all_all',
    collect: async (ctx) =>
      (await rules(ctx))
        .filter((r) => !isLoopback(r) && r.database?.includes('all') && r.user_name?.includes('all'))
        .map((r) =>
          lineCandidate(r, {
            value: 'all all',
            expected: 'named databases and roles',
            unit: 'database/user',
            message: `pg_hba.conf line ${r.line_number} (${describe(r)}) admits every role to every database from other hosts`,
            remedy: EDIT_HBA(r, 'list the databases and roles that need it'),
          }, 'hba_all_all'),
        ),
  },
  {
    id: 'hba_superuser_remote',
    collect: async (ctx) => {
      const remote = (await rules(ctx)).filter((r) => !isLoopback(r) && r.auth_method !== 'reject');
      if (remote.length === 0) return [];
      const superusers = (await ctx.query<{ rolname: string }>('select rolname from pg_roles where rolsuper and rolcanlogin order by 1')).map((r) => r.rolname);
      return remote.flatMap((r) => {
        const users = r.user_name ?? [];
        const admitted = users.includes('all') ? superusers : superusers.filter((s) => users.includes(s));
        return admitted.length === 0
          ? []
          : [
              lineCandidate(r, {
                value: admitted.join(','),
                expected: 'superusers only over the unix socket or loopback',
                unit: 'role',
                message: `pg_hba.conf line ${r.line_number} (${describe(r)}) lets superuser(s) ${admitted.join(', ')} log in from other hosts`,
                remedy: EDIT_HBA(r, `add a "reject" line for ${admitted.join(',')} above it, or name only non-superuser roles`),
              }, 'hba_superuser_remote'),
            ];
      });
    },
  },
  {
    id: 'hba_host_without_ssl',
    collect: async (ctx) =>
      (await rules(ctx))
        .filter((r) => (r.type === 'host' || r.type === 'hostnossl') && !isLoopback(r) && r.auth_method !== 'reject')
        .map((r) =>
          lineCandidate(r, {
            value: r.type,
            expected: 'hostssl',
            unit: 'connection type',
            message: `pg_hba.conf line ${r.line_number} (${describe(r)}) lets clients from other hosts connect without TLS`,
            remedy: EDIT_HBA(r, `change ${r.type} to hostssl (after ssl = on)`),
          }, 'hba_host_without_ssl'),
        ),
  },
];
