import { InputError } from '@pgcluster/core';

/** The kinds of statement cluster-query runs. */
export const QUERY_KINDS = ['select', 'explain', 'show'] as const;
/** One of {@link QUERY_KINDS}. */
export type QueryKind = (typeof QUERY_KINDS)[number];

/** One lexical token of a statement: a word (identifier or keyword), a string, or a symbol. */
interface Token {
  kind: 'word' | 'quoted' | 'string' | 'symbol';
  /** Words lower-cased; quoted identifiers as written; strings as written; symbols as is. */
  text: string;
}

/**
 * Functions and function families a read-only query may never name (`name` exact, `name*` a
 * prefix). Security: server files (pg_read_file('/etc/passwd'), pg_ls_dir), large objects
 * (lo_import, lo_export), other servers (dblink), SQL run from a string (query_to_xml, ts_stat:
 * past this check), settings (set_config: the transaction's read-only mode or timeout), sequences,
 * locks, signals, replication slots and WAL control. The role's privileges refuse most of them
 * too; this check refuses them before the server sees the statement.
 */
export const FORBIDDEN_FUNCTIONS = [
  'pg_read_file', 'pg_read_binary_file', 'pg_stat_file', 'pg_ls_*', 'pg_file_*', 'pg_logdir_ls',
  'lo_*', 'loread', 'lowrite',
  'dblink*',
  'query_to_xml*', 'cursor_to_xml*', 'ts_stat', 'database_to_xml*', 'schema_to_xml*',
  'set_config',
  'nextval', 'setval',
  'pg_advisory*', 'pg_try_advisory*',
  'pg_terminate_backend', 'pg_cancel_backend', 'pg_reload_conf', 'pg_rotate_logfile', 'pg_promote',
  'pg_create_*', 'pg_drop_replication_slot', 'pg_copy_*_replication_slot', 'pg_replication_origin_*', 'pg_replication_slot_advance',
  'pg_logical_*', 'pg_switch_wal', 'pg_backup_*', 'pg_wal_replay_*', 'pg_notify', 'pg_log_backend_memory_contexts', 'pg_import_system_collations',
] as const;

/**
 * Words that make a statement write when they appear inside a read statement: a data-modifying
 * CTE (`WITH x AS (DELETE …) SELECT`), `SELECT … INTO new_table`, `FOR UPDATE`/`FOR SHARE` row locks.
 */
const WRITING_WORDS = new Set(['insert', 'update', 'delete', 'merge', 'into', 'truncate', 'copy']);

/** The first word of each kind; `with`, `values` and `table` are read statements like `select`. */
const FIRST_WORDS: Readonly<Record<string, QueryKind>> = { select: 'select', with: 'select', values: 'select', table: 'select', explain: 'explain', show: 'show' };

/** What {@link checkReadOnlySql} found. */
export interface CheckedSql {
  kind: QueryKind;
  /** The statement without a trailing semicolon. */
  text: string;
  /** For `explain`: the explained statement runs (ANALYZE). */
  analyze: boolean;
}

/**
 * Checks that `sql` is ONE read statement — SELECT, WITH … SELECT, VALUES, TABLE, EXPLAIN of one
 * of those (ANALYZE only with `allowAnalyze`), or SHOW — that names none of the
 * {@link FORBIDDEN_FUNCTIONS} and no writing clause. Comments, string literals, dollar quotes
 * and quoted identifiers are read the way the server reads them, so a forbidden name is found
 * quoted (`"pg_read_file"`), qualified (`pg_catalog.pg_read_file`) or after a comment, and a
 * `;` inside a string is not a second statement.
 *
 * This is one layer of three: the statement also runs through the extended protocol (one
 * statement only) in a READ ONLY transaction as the least-privilege reader.
 *
 * @throws InputError naming `sql` and what is allowed.
 * @example
 * ```ts
 * checkReadOnlySql('select * from docs limit 5') // { kind: 'select', text: 'select * from docs limit 5', analyze: false }
 * checkReadOnlySql('commit; drop table docs')      // throws: one statement per call
 * ```
 */
export function checkReadOnlySql(sql: string, options: { allowAnalyze?: boolean } = {}): CheckedSql {
  const tokens = lex(sql);
  // Trailing semicolons end the statement; any other one starts a second statement.
  while (tokens.at(-1)?.text === ';') tokens.pop();
  if (tokens.length === 0) throw refuse('is empty: give one SELECT, WITH … SELECT, VALUES, TABLE, EXPLAIN or SHOW statement');
  if (tokens.some((t) => t.kind === 'symbol' && t.text === ';')) throw refuse('holds more than one statement: one statement per call (e.g. no "COMMIT; DROP …")');
  const first = tokens.find((t) => !(t.kind === 'symbol' && t.text === '('));
  const kind = first?.kind === 'word' ? FIRST_WORDS[first.text] : undefined;
  if (!kind) throw refuse(`starts with "${first?.text ?? ''}": only SELECT, WITH … SELECT, VALUES, TABLE, EXPLAIN and SHOW run here (read-only)`);
  let analyze = false;
  if (kind === 'explain') {
    const rest = tokens.slice(tokens.indexOf(first!) + 1);
    const target = rest.findIndex((t) => t.kind === 'word' && t.text in FIRST_WORDS && t.text !== 'explain' && t.text !== 'show');
    if (target < 0) throw refuse('EXPLAIN must explain a SELECT, WITH … SELECT, VALUES or TABLE statement');
    analyze = rest.slice(0, target).some((t) => t.kind === 'word' && (t.text === 'analyze' || t.text === 'analyse'));
    // Security: EXPLAIN ANALYZE runs the statement; only on request (it is still read-only and limited).
    if (analyze && !options.allowAnalyze) throw refuse('uses EXPLAIN ANALYZE, which runs the statement: pass analyze: true (--analyze) to allow it');
  }
  for (const t of tokens) {
    if (t.kind !== 'word' && t.kind !== 'quoted') continue;
    const name = t.text.toLowerCase();
    const forbidden = FORBIDDEN_FUNCTIONS.find((f) => (f.endsWith('*') ? name.startsWith(f.slice(0, -1)) : name === f));
    if (forbidden) throw refuse(`names ${name}, which reads or writes outside the query (files, large objects, other servers, settings, locks): not allowed here`);
    if (t.kind === 'word' && WRITING_WORDS.has(name)) throw refuse(`holds ${name.toUpperCase()}: a read-only query cannot write (no data-modifying WITH, SELECT INTO, FOR UPDATE or COPY)`);
    if (t.kind === 'word' && name === 'share') throw refuse('locks rows (FOR SHARE): a read-only query takes no row locks');
  }
  return { kind, text: sql.trim().replace(/;+\s*$/, '').trim(), analyze };
}

function refuse(what: string): InputError {
  return new InputError('sql', what, { hint: 'Nothing was run. cluster-query runs one read-only statement per call.' });
}

/**
 * Splits a statement into tokens the way PostgreSQL's lexer does for what matters here:
 * `--` and nested block comments are dropped; '…' (with ''), E'…' (with backslashes) and
 * $tag$…$tag$ strings are one token; "…" identifiers are one token; U&'…' and U&"…" (escapes
 * that could spell any name) are refused.
 */
function lex(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else {
          i++;
        }
      }
      if (depth > 0) throw refuse('has an unterminated /* comment');
    } else if ((c === 'u' || c === 'U') && sql[i + 1] === '&' && (sql[i + 2] === "'" || sql[i + 2] === '"')) {
      throw refuse('uses a U& Unicode escape, which is not allowed here');
    } else if ((c === 'e' || c === 'E') && sql[i + 1] === "'") {
      i = readQuoted(sql, i + 1, "'", true, 'string', tokens);
    } else if (c === "'") {
      i = readQuoted(sql, i, "'", false, 'string', tokens);
    } else if (c === '"') {
      i = readQuoted(sql, i, '"', false, 'quoted', tokens);
    } else if (c === '$' && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      if (end < 0) throw refuse('has an unterminated dollar-quoted string');
      tokens.push({ kind: 'string', text: sql.slice(i, end + tag.length) });
      i = end + tag.length;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i]!)) i++;
      tokens.push({ kind: 'word', text: sql.slice(start, i).toLowerCase() });
    } else {
      tokens.push({ kind: 'symbol', text: c });
      i++;
    }
  }
  return tokens;
}

function readQuoted(sql: string, start: number, quote: string, backslashes: boolean, kind: Token['kind'], tokens: Token[]): number {
  let i = start + 1;
  let text = '';
  for (;;) {
    if (i >= sql.length) throw refuse(`has an unterminated ${quote === '"' ? 'quoted identifier' : 'string'}`);
    const ch = sql[i]!;
    if (backslashes && ch === '\\') {
      text += sql.slice(i, i + 2);
      i += 2;
    } else if (ch === quote && sql[i + 1] === quote) {
      text += quote;
      i += 2;
    } else if (ch === quote) {
      tokens.push({ kind, text });
      return i + 1;
    } else {
      text += ch;
      i++;
    }
  }
}
