import { ident, recheck, type SecurityCheck } from '../node-check';

// aclexplode of the schema's ACL (or its default when none was set): grantee 0 is PUBLIC.
const PUBLIC_CREATE_SQL = `select exists (
  select 1 from pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
   where n.nspname = 'public' and a.grantee = 0 and a.privilege_type = 'CREATE') as granted`;

// User functions (not an extension's) that run as their owner without a search_path of their own.
const SECURITY_DEFINER_SQL = `select p.oid::regprocedure::text as function, pg_get_userbyid(p.proowner) as owner
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
 where p.prosecdef
   and n.nspname not in ('pg_catalog', 'information_schema')
   and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')
   and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
 order by 1`;

/** Functions that read or write server files, or open connections as the server, when others can run them. */
export const DANGEROUS_FUNCTIONS = ['lo_import', 'lo_export', 'pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'pg_stat_file', 'dblink_connect_u'] as const;

// EXECUTE grants to PUBLIC (grantee 0) or to a role that is not a superuser; the owner's own grant is not one.
const DANGEROUS_GRANTS_SQL = `select p.oid::regprocedure::text as function, coalesce(r.rolname, 'PUBLIC') as grantee
  from pg_proc p
  cross join lateral aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
  left join pg_roles r on r.oid = a.grantee
 where p.proname = any($1::text[]) and a.privilege_type = 'EXECUTE' and a.grantee <> p.proowner
   and (a.grantee = 0 or not coalesce(r.rolsuper, false))
 order by 1, 2`;

/**
 * Checks of one database, run on the primary in every inspected database: CREATE on schema
 * public for PUBLIC, SECURITY DEFINER functions without a fixed search_path, and dangerous
 * functions (server files, large-object import/export, dblink_connect_u) executable by non-superusers.
 * @example DATABASE_CHECKS.map((c) => c.id) // ['public_schema_create', 'security_definer_search_path', 'dangerous_function_grants']
 */
export const DATABASE_CHECKS: readonly SecurityCheck[] = [
  {
    id: 'public_schema_create',
    collect: async ({ query, facts }) =>
      (await query<{ granted: boolean }>(PUBLIC_CREATE_SQL))[0]?.granted
        ? [
            {
              object: `${facts.database}.public`,
              value: 'CREATE',
              expected: 'USAGE only for PUBLIC',
              unit: 'privilege',
              message: `every role can create objects in schema public of database ${facts.database}: a function or operator planted there can hijack other roles' queries`,
              remedy: `\\c ${ident(facts.database)} then REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
              recommendation: recheck('public_schema_create'),
            },
          ]
        : [],
  },
  {
    id: 'security_definer_search_path',
    collect: async ({ query, facts }) =>
      (await query<{ function: string; owner: string }>(SECURITY_DEFINER_SQL)).map((r) => ({
        object: `${facts.database}: ${r.function}`,
        value: 'no search_path',
        expected: 'SET search_path = pg_catalog, pg_temp (or another fixed path)',
        unit: 'function setting',
        message: `SECURITY DEFINER function ${r.function} runs as ${r.owner} with the caller's search_path: a caller can plant objects it resolves to and run them as ${r.owner}`,
        remedy: `\\c ${ident(facts.database)} then ALTER FUNCTION ${r.function} SET search_path = pg_catalog, pg_temp`,
        recommendation: recheck('security_definer_search_path'),
      })),
  },
  {
    id: 'dangerous_function_grants',
    collect: async ({ query, facts }) =>
      (await query<{ function: string; grantee: string }>(DANGEROUS_GRANTS_SQL, [DANGEROUS_FUNCTIONS])).map((r) => ({
        object: `${facts.database}: ${r.function}`,
        value: r.grantee,
        expected: 'EXECUTE for superusers only',
        unit: 'privilege',
        message: `${r.grantee} may execute ${r.function}, which reads or writes server files or connects as the server`,
        remedy: `\\c ${ident(facts.database)} then REVOKE EXECUTE ON FUNCTION ${r.function} FROM ${r.grantee === 'PUBLIC' ? 'PUBLIC' : ident(r.grantee)}`,
        recommendation: recheck('dangerous_function_grants'),
      })),
  },
];
