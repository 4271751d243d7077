import { ident, recheck, rotateOrRecheck, SkipCheck, type SecurityCheck, type SecurityCheckContext } from '../node-check';

interface RoleRow {
  rolname: string;
  rolsuper: boolean;
  rolcreaterole: boolean;
  rolbypassrls: boolean;
  rolreplication: boolean;
  rolcanlogin: boolean;
  /** ISO time, 'infinity' or null. */
  valid_until: string | null;
  expired: boolean;
}

// pg_roles is readable by every role; the built-in pg_* roles cannot log in and hold no attribute.
const ROLES_SQL = `select rolname, rolsuper, rolcreaterole, rolbypassrls, rolreplication, rolcanlogin,
       case when rolvaliduntil is null then null when rolvaliduntil = 'infinity' then 'infinity' else to_char(rolvaliduntil at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') end as valid_until,
       coalesce(rolvaliduntil < now(), false) as expired
  from pg_roles where rolname !~ '^pg_' order by rolname`;

// Security: only whether a hash exists and its kind are read; the hash itself never leaves the server.
const AUTHID_SQL = `select rolname, rolcanlogin, rolpassword is null as no_password, coalesce(rolpassword like 'md5%', false) as md5
  from pg_authid where rolname !~ '^pg_' order by rolname`;

const roles = (ctx: SecurityCheckContext) => ctx.once('roles', () => ctx.query<RoleRow>(ROLES_SQL));

// The least-privilege reader (security-reader) learns the same through a SECURITY DEFINER function, never the hashes.
const PASSWORD_KINDS_SQL = 'select rolname, rolcanlogin, no_password, md5 from pgcluster.role_password_kinds()';

async function authid(ctx: SecurityCheckContext): Promise<Array<{ rolname: string; rolcanlogin: boolean; no_password: boolean; md5: boolean }>> {
  if (ctx.facts.superuser) return ctx.once('authid', () => ctx.query(AUTHID_SQL));
  return ctx.once('authid', async () => {
    try {
      return await ctx.query(PASSWORD_KINDS_SQL);
    } catch {
      throw new SkipCheck('needs superuser (pg_authid holds the password hashes) or EXECUTE on pgcluster.role_password_kinds() (security-reader)');
    }
  });
}

const ATTRIBUTES = [
  ['rolcreaterole', 'CREATEROLE', 'can create, alter and drop other roles (and grant itself their rights)'],
  ['rolbypassrls', 'BYPASSRLS', 'reads past every row-level security policy'],
  ['rolreplication', 'REPLICATION', 'can stream a copy of every database'],
] as const;

/**
 * Role checks, once on the primary (roles are cluster-wide): MD5 hashes and login roles without
 * a password (pg_authid: superuser only, else skipped), expiry, superusers and roles with
 * CREATEROLE, BYPASSRLS or REPLICATION beyond the expected ones (the config's own users and the
 * input's `expectedRoles`), and who holds the server-file roles.
 * @example ROLE_CHECKS.map((c) => c.id)
 */
export const ROLE_CHECKS: readonly SecurityCheck[] = [
  {
    id: 'md5_password_hashes',
    collect: async (ctx) =>
      (await authid(ctx))
        .filter((r) => r.md5)
        .map((r) => ({
          object: r.rolname,
          value: 'md5',
          expected: 'SCRAM-SHA-256',
          unit: 'password hash',
          message: `role ${r.rolname} still has an MD5 password hash: it can be replayed by anyone who reads it, and stops working once pg_hba.conf asks for scram-sha-256`,
          remedy: `SET password_encryption = 'scram-sha-256'; then \\password ${ident(r.rolname)} in psql (or ALTER ROLE ${ident(r.rolname)} PASSWORD '<new password>')`,
          recommendation: rotateOrRecheck(ctx, r.rolname, 'md5_password_hashes'),
        })),
  },
  {
    id: 'login_without_password',
    collect: async (ctx) =>
      (await authid(ctx))
        .filter((r) => r.rolcanlogin && r.no_password)
        .map((r) => ({
          object: r.rolname,
          value: 'no password',
          expected: 'a SCRAM password, or NOLOGIN',
          unit: 'password',
          message: `login role ${r.rolname} has no password: any trust, ident or peer line of pg_hba.conf that matches it lets it in unchecked`,
          remedy: `ALTER ROLE ${ident(r.rolname)} NOLOGIN  -- or give it a password: \\password ${ident(r.rolname)} in psql`,
          recommendation: recheck('login_without_password'),
        })),
  },
  {
    id: 'password_expiry',
    collect: async (ctx) =>
      (await roles(ctx))
        .filter((r) => r.rolcanlogin && (r.valid_until === null || r.valid_until === 'infinity' || r.expired))
        .map((r) => ({
          object: r.rolname,
          value: r.valid_until ?? 'none',
          expected: 'a VALID UNTIL in the future (rotate before it)',
          unit: 'valid until',
          message: r.expired
            ? `login role ${r.rolname}'s password expired at ${r.valid_until}: its password no longer works (disable or rotate it)`
            : `login role ${r.rolname}'s password never expires`,
          remedy: `ALTER ROLE ${ident(r.rolname)} VALID UNTIL '<date, e.g. 90 days from now>'`,
          recommendation: rotateOrRecheck(ctx, r.rolname, 'password_expiry'),
        })),
  },
  {
    id: 'unexpected_superusers',
    collect: async (ctx) =>
      (await roles(ctx))
        .filter((r) => r.rolsuper && !ctx.expectedRoles.has(r.rolname))
        .map((r) => ({
          object: r.rolname,
          value: 'SUPERUSER',
          expected: `superusers only among: ${[...ctx.expectedRoles].join(', ') || '(none)'}`,
          unit: 'role attribute',
          message: `role ${r.rolname} is a superuser${r.rolcanlogin ? ' and can log in' : ''}: it bypasses every permission check, reads server files and runs programs as the server's OS user`,
          remedy: `ALTER ROLE ${ident(r.rolname)} NOSUPERUSER  -- grant predefined roles (pg_monitor, pg_read_all_data …) for what it needs`,
          recommendation: recheck('unexpected_superusers'),
        })),
  },
  {
    id: 'unexpected_privileged_roles',
    collect: async (ctx) =>
      (await roles(ctx))
        .filter((r) => !r.rolsuper && !ctx.expectedRoles.has(r.rolname))
        .flatMap((r) =>
          ATTRIBUTES.filter(([column]) => r[column]).map(([, attribute, why]) => ({
            object: r.rolname,
            value: attribute,
            expected: `${attribute} only among: ${[...ctx.expectedRoles].join(', ') || '(none)'}`,
            unit: 'role attribute',
            message: `role ${r.rolname} has ${attribute}: it ${why}`,
            remedy: `ALTER ROLE ${ident(r.rolname)} NO${attribute}`,
            recommendation: recheck('unexpected_privileged_roles'),
          })),
        ),
  },
  {
    id: 'server_file_roles',
    collect: async (ctx) =>
      (
        await ctx.query<{ member: string; role: string }>(
          `select m.rolname as member, g.rolname as role from pg_auth_members am
             join pg_roles g on g.oid = am.roleid join pg_roles m on m.oid = am.member
            where g.rolname in ('pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program') and not m.rolsuper
            order by 1, 2`,
        )
      ).map((r) => ({
        object: r.member,
        value: r.role,
        expected: 'held by superusers only',
        unit: 'role membership',
        message:
          r.role === 'pg_execute_server_program'
            ? `role ${r.member} is a member of pg_execute_server_program: COPY … PROGRAM runs any command as the server's OS user`
            : `role ${r.member} is a member of ${r.role}: it reads or writes any file the server's OS user can (COPY, pg_read_file)`,
        remedy: `REVOKE ${r.role} FROM ${ident(r.member)}`,
        recommendation: recheck('server_file_roles'),
      })),
  },
];
