import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { recheck, setting, SkipCheck, type SecurityCheck, type SecurityCheckContext } from '../node-check';

const mode = (m: number) => `0${(m & 0o777).toString(8).padStart(3, '0')}`;

function dataDir(ctx: SecurityCheckContext): string {
  const dir = ctx.node.dataDir;
  if (!dir) throw new SkipCheck('no dataDir in the config for this node (remote node)');
  if (!existsSync(dir)) throw new SkipCheck(`dataDir ${dir} is not on this machine`);
  return dir;
}

/**
 * Checks of the files of nodes whose `dataDir` the config gives and this machine holds: the data
 * directory's mode (0700, or 0750 with group access) and the TLS key's (0600, owned by the
 * data directory's owner, the server's OS user).
 * @example FILE_CHECKS.map((c) => c.id) // ['data_dir_permissions', 'key_file_permissions']
 */
export const FILE_CHECKS: readonly SecurityCheck[] = [
  {
    id: 'data_dir_permissions',
    collect: async (ctx) => {
      const dir = dataDir(ctx);
      const st = statSync(dir);
      return (st.mode & 0o027) === 0
        ? []
        : [
            {
              object: dir,
              value: mode(st.mode),
              expected: '0700 (or 0750)',
              unit: 'mode',
              message: `data directory ${dir} is mode ${mode(st.mode)}: other OS users can list or read it`,
              remedy: `chmod 0700 ${dir}`,
              recommendation: recheck('data_dir_permissions'),
            },
          ];
    },
  },
  {
    id: 'key_file_permissions',
    collect: async (ctx) => {
      const dir = dataDir(ctx);
      if (setting(ctx, 'ssl') !== 'on') throw new SkipCheck('ssl is off: no key file in use');
      const file = setting(ctx, 'ssl_key_file');
      const path = isAbsolute(file) ? file : join(dir, file);
      if (!existsSync(path)) throw new SkipCheck(`key file ${path} is not on this machine`);
      const st = statSync(path);
      const owner = statSync(dir).uid;
      const problems = [(st.mode & 0o077) !== 0 ? `mode ${mode(st.mode)}` : '', st.uid !== owner && st.uid !== 0 ? `owner uid ${st.uid}` : ''].filter(Boolean);
      return problems.length === 0
        ? []
        : [
            {
              object: path,
              value: mode(st.mode),
              expected: "0600, owned by the server's OS user",
              unit: 'mode',
              message: `TLS key ${path} has ${problems.join(' and ')}: another OS user can read the server's private key`,
              remedy: `chmod 0600 ${path} && chown --reference=${dir} ${path}`,
              recommendation: recheck('key_file_permissions'),
            },
          ];
    },
  },
];
