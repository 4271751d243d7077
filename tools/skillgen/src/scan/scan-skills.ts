import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CATEGORIES, CATEGORY_PREFIXES, RISKS, type Category, type DecisionRule, type MetricSpec, type Risk, type SkillExample } from '@pgcluster/skill-kit';
import { Node, type Decorator, type Project, type SourceFile } from 'ts-morph';
import type { SkillProblem, SkillRule } from '../errors/skillgen-error';
import { describeNode, NotLiteralError, objectLiteralEntries, readLiteral, type Literal, type LiteralEntry } from './read-literal';
import { relativePath, type WorkspacePackage } from './workspace';

/** A skill's metadata as read from its `@Skill({...})` literal, plus where it lives. */
export interface ScannedSkill {
  name: string;
  category: Category;
  description: string;
  /** The full account of what it does (SKILL.md body); `''` when the skill declares none. */
  details: string;
  version: string;
  risk: Risk;
  autonomous: boolean;
  requiresConfirmation: boolean;
  idempotent: boolean;
  whenToUse: string[];
  interpret: string;
  decisionTree: DecisionRule[];
  examples: SkillExample[];
  /** How to write file and row inputs, with examples (optional). */
  inputFormats?: string[];
  /** The Prometheus families of `--format prometheus` (none when the skill declares none). */
  metrics: MetricSpec[];
  /** The exported name of the input zod schema in the package's public face. */
  input: string;
  /** The exported name of the output zod schema (the envelope's `data`). */
  output: string;
  /** The class holding the decorated `static run` (or `static actions`, for a skill with several actions). */
  className: string;
  /** The class also declares a static `plan` (what `--dry-run` shows). */
  hasPlan: boolean;
  /** The package the skill belongs to. */
  package: WorkspacePackage;
  /** The skill's file, relative to the workspace root. */
  file: string;
  /** The line of the `@Skill` decorator. */
  line: number;
  /** The line of each metadata field, and of each reference as `decisionTree[0]`, `examples[2]`. */
  fieldLines: Readonly<Record<string, number>>;
  /** The functions the `run` body calls (for the coverage report). */
  calls: CallSite[];
}

/** A function called from a skill's `run` body (found syntactically, through the file's imports). */
export interface CallSite {
  /** Its name where it is declared (an import's original name). */
  name: string;
  /** The root-relative file it comes from, or `packages/<dir>/` when imported from a workspace package. */
  declaredIn: string;
}

/** What {@link scanSkills} found: the skills that were read, and every rule they break. */
export interface ScanResult {
  skills: ScannedSkill[];
  problems: SkillProblem[];
}

/** `{prefix}-{action}`: lower-case words of letters and digits joined by single hyphens. */
export const SKILL_NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/;
const MAX_NAME_LENGTH = 64;
/**
 * At most this many characters per description: Claude Code lists every skill's name and
 * description in every session, and the whole set must stay within the listing budget
 * (see `LISTING_BUDGET`); everything else belongs in `details`, `whenToUse` and `interpret`.
 */
export const MAX_DESCRIPTION_LENGTH = 200;
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

type FieldKind = 'string' | 'boolean' | 'strings' | 'decisionTree' | 'examples' | 'metrics' | 'schema';
const FIELDS: Readonly<Record<string, FieldKind>> = {
  name: 'string',
  category: 'string',
  description: 'string',
  details: 'string',
  version: 'string',
  risk: 'string',
  autonomous: 'boolean',
  requiresConfirmation: 'boolean',
  idempotent: 'boolean',
  whenToUse: 'strings',
  interpret: 'string',
  decisionTree: 'decisionTree',
  examples: 'examples',
  inputFormats: 'strings',
  metrics: 'metrics',
  input: 'schema',
  output: 'schema',
};

/** Metadata fields a skill may leave out. */

/**
 * Reads every `@Skill({...})` under `packages/<pkg>/src/skills/` statically and checks the
 * rules: literal metadata, the name pattern and category prefix, description length, a
 * non-empty `whenToUse`, unique names, confirmation for destructive skills. It runs no skill.
 *
 * @example
 * ```ts
 * const { skills, problems } = scanSkills(root, project, listPackages(root))
 * ```
 */
export function scanSkills(root: string, project: Project, packages: readonly WorkspacePackage[]): ScanResult {
  const skills: ScannedSkill[] = [];
  const problems: SkillProblem[] = [];
  for (const pkg of packages) {
    const skillsDir = join(pkg.path, 'src', 'skills');
    const files = project
      .getSourceFiles()
      .filter((f) => f.getFilePath().startsWith(`${skillsDir.split('\\').join('/')}/`))
      .sort((a, b) => (a.getFilePath() < b.getFilePath() ? -1 : 1));
    for (const file of files) scanFile(root, packages, pkg, file, skills, problems);
  }
  checkDuplicates(skills, problems);
  skills.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { skills, problems };
}

function scanFile(root: string, packages: readonly WorkspacePackage[], pkg: WorkspacePackage, file: SourceFile, skills: ScannedSkill[], problems: SkillProblem[]): void {
  const rel = relativePath(root, file.getFilePath());
  for (const cls of file.getClasses()) {
    const members = [...cls.getMethods(), ...cls.getProperties()];
    for (const member of members) {
      for (const decorator of member.getDecorators()) {
        if (decorator.getName() !== 'Skill') continue;
        const report = (node: Node, rule: SkillRule, message: string) =>
          problems.push({ file: rel, line: node.getStartLineNumber(), rule, message });
        const isRun = Node.isMethodDeclaration(member) && member.isStatic() && member.getName() === 'run';
        const isActions = Node.isPropertyDeclaration(member) && member.isStatic() && member.getName() === 'actions';
        if (!isRun && !isActions) {
          report(decorator, 'decorated-member', `@Skill must decorate \`static run(ctx, input)\` or \`static readonly actions\`, not \`${member.getName()}\``);
          continue;
        }
        const className = cls.getName();
        if (!className || !cls.hasExportKeyword()) {
          report(cls, 'skill-export', `the class holding @Skill must be a named, exported class (the CLI loads it by name from ${pkg.name})`);
          continue;
        }
        const skill = readSkill(decorator, report);
        if (!skill) continue;
        skills.push({
          ...skill,
          className,
          hasPlan: isActions ? declaresPlan(member) : cls.getStaticMethod('plan') !== undefined,
          package: pkg,
          file: rel,
          line: decorator.getStartLineNumber(),
          calls: collectCalls(root, packages, member),
        });
      }
    }
  }
}

type SkillFields = Omit<ScannedSkill, 'className' | 'hasPlan' | 'package' | 'file' | 'line' | 'calls'>;

function readSkill(decorator: Decorator, report: (node: Node, rule: SkillRule, message: string) => void): SkillFields | undefined {
  const args = decorator.getArguments();
  const arg = args[0];
  if (!decorator.isDecoratorFactory() || args.length !== 1 || !arg) {
    report(decorator, 'literal', '@Skill takes exactly one argument: an object literal with the metadata');
    return undefined;
  }
  let entries: Map<string, LiteralEntry>;
  try {
    entries = objectLiteralEntries(arg);
  } catch (error) {
    const node = error instanceof NotLiteralError ? error.node : arg;
    report(node, 'literal', `@Skill metadata must be an object literal of \`key: literal\` properties; ${describeNode(node)} is not (skillgen reads it statically and never runs a skill)`);
    return undefined;
  }
  const values: Record<string, unknown> = {};
  const fieldLines: Record<string, number> = {};
  let ok = true;
  for (const [key, entry] of entries) {
    const kind = FIELDS[key];
    fieldLines[key] = entry.property.getStartLineNumber();
    if (Node.isArrayLiteralExpression(entry.value)) {
      entry.value.getElements().forEach((element, i) => (fieldLines[`${key}[${i}]`] = element.getStartLineNumber()));
    }
    if (!kind) {
      report(entry.property, 'unknown-field', `unknown metadata field \`${key}\`; the fields are ${Object.keys(FIELDS).join(', ')}`);
      ok = false;
      continue;
    }
    const value = readField(key, kind, entry, report);
    if (value === undefined) ok = false;
    else values[key] = value;
  }
  for (const key of Object.keys(FIELDS)) {
    if (!entries.has(key) && !OPTIONAL_FIELDS.has(key)) {
      report(decorator, key === 'whenToUse' ? 'when-to-use' : 'missing-field', `metadata field \`${key}\` is missing`);
      ok = false;
    }
  }
  if (!ok) return undefined;
  const skill = { ...OPTIONAL_DEFAULTS, ...(values as Omit<SkillFields, 'fieldLines'>), fieldLines };
  const at = (field: string): Node => entries.get(field)?.property ?? decorator;
  return checkRules(skill, at, report) ? skill : undefined;
}

/** Fields a skill may leave out, with the value it then has (`inputFormats` stays absent). */
const OPTIONAL_DEFAULTS: Readonly<Pick<SkillFields, 'details' | 'metrics'>> = { details: '', metrics: [] };
const OPTIONAL_FIELDS: ReadonlySet<string> = new Set([...Object.keys(OPTIONAL_DEFAULTS), 'inputFormats']);

function readField(
  key: string,
  kind: FieldKind,
  entry: LiteralEntry,
  report: (node: Node, rule: SkillRule, message: string) => void,
): unknown {
  if (kind === 'schema') {
    const node = entry.value;
    if (!Node.isIdentifier(node)) {
      report(node, 'field-type', `\`${key}\` must name an exported zod schema constant (e.g. \`${key}: ClusterStatus${key === 'input' ? 'Input' : 'Output'}\`), not ${describeNode(node)}`);
      return undefined;
    }
    // The name the package exports it under: an import's original name, else the local one.
    const local = node.getText();
    const imported = node
      .getSourceFile()
      .getImportDeclarations()
      .flatMap((d) => d.getNamedImports())
      .find((n) => (n.getAliasNode()?.getText() ?? n.getName()) === local);
    return imported?.getName() ?? local;
  }
  let value: Literal;
  try {
    value = readLiteral(entry.value);
  } catch (error) {
    const node = error instanceof NotLiteralError ? error.node : entry.value;
    report(node, 'literal', `\`${key}\` must be a literal; ${describeNode(node)} is not (skillgen reads metadata statically and never runs a skill)`);
    return undefined;
  }
  const bad = (expected: string) => {
    report(entry.property, 'field-type', `\`${key}\` must be ${expected}`);
    return undefined;
  };
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? value : bad('a string literal');
    case 'boolean':
      return typeof value === 'boolean' ? value : bad('true or false');
    case 'strings':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : bad('an array of string literals');
    case 'decisionTree':
      return isReferences(value, { when: 'string' }) ? value : bad('an array of skill references { when: string, skill: string, input: {…}, why?: string, planned?: boolean }');
    case 'examples':
      return isReferences(value, { title: 'string' }, { options: 'object' })
        ? value
        : bad('an array of skill references { title: string, skill: string, input: {…}, why?: string, options?: { format?, dryRun?, yes?, timeout? } }');
    case 'metrics':
      return isMetricSpecs(value) ? value : bad('an array of { name, help, value: string, type?: "gauge"|"counter", scale?: number, labels?: { [label]: path }, states?: string[], equals?: string }');
  }
}

function isMetricSpecs(value: Literal): boolean {
  if (!Array.isArray(value)) return false;
  const strings = (v: Literal) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  const stringRecord = (v: Literal) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((s) => typeof s === 'string');
  return value.every((item: Literal) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return false;
    const r = item as Record<string, Literal>;
    const known = ['name', 'help', 'value', 'type', 'scale', 'labels', 'states', 'equals'];
    return (
      typeof r['name'] === 'string' && typeof r['help'] === 'string' && typeof r['value'] === 'string' &&
      (r['type'] === undefined || r['type'] === 'gauge' || r['type'] === 'counter') &&
      (r['scale'] === undefined || typeof r['scale'] === 'number') &&
      (r['equals'] === undefined || typeof r['equals'] === 'string') &&
      (r['labels'] === undefined || stringRecord(r['labels'])) &&
      (r['states'] === undefined || strings(r['states'])) &&
      Object.keys(r).every((k) => known.includes(k))
    );
  });
}

type Shape = Readonly<Record<string, 'string' | 'boolean' | 'object'>>;
const REFERENCE: Shape = { skill: 'string', input: 'object' };
const REFERENCE_OPTIONAL: Shape = { why: 'string', planned: 'boolean' };

/** An array of `{ skill, input, why?, planned? }` objects plus the given fields, and nothing else. */
function isReferences(value: Literal, required: Shape, optional: Shape = {}): boolean {
  if (!Array.isArray(value)) return false;
  const must = { ...REFERENCE, ...required };
  const may = { ...REFERENCE_OPTIONAL, ...optional };
  const typed = (v: Literal | undefined, type: string) => (type === 'object' ? typeof v === 'object' && v !== null && !Array.isArray(v) : typeof v === type);
  return value.every((item: Literal) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return false;
    const record = item as Record<string, Literal>;
    return (
      Object.entries(must).every(([k, type]) => typed(record[k], type)) &&
      Object.keys(record).every((k) => (must[k] ?? may[k]) !== undefined && typed(record[k], (must[k] ?? may[k])!))
    );
  });
}

function checkRules(
  skill: SkillFields,
  at: (field: string) => Node,
  report: (node: Node, rule: SkillRule, message: string) => void,
): boolean {
  let failures = 0;
  const fail = (field: string, rule: SkillRule, message: string) => {
    failures++;
    report(at(field), rule, message);
  };
  if (!(CATEGORIES as readonly string[]).includes(skill.category)) {
    fail('category', 'category', `category "${skill.category}" is not one of ${CATEGORIES.join(', ')}`);
  }
  if (!(RISKS as readonly string[]).includes(skill.risk)) {
    fail('risk', 'risk', `risk "${skill.risk}" is not one of ${RISKS.join(', ')}`);
  }
  if (!SKILL_NAME_PATTERN.test(skill.name) || skill.name.length > MAX_NAME_LENGTH) {
    fail('name', 'name-pattern', `name "${skill.name}" must be \`{prefix}-{action}\`: lower-case letters and digits in words joined by single hyphens, at most ${MAX_NAME_LENGTH} characters (e.g. cluster-status)`);
  } else if ((CATEGORIES as readonly string[]).includes(skill.category)) {
    const prefix = CATEGORY_PREFIXES[skill.category];
    if (!skill.name.startsWith(`${prefix}-`)) {
      fail('name', 'name-prefix', `name "${skill.name}" must start with "${prefix}-", the prefix of category ${skill.category} (e.g. ${prefix}-${skill.name.split('-').slice(1).join('-') || 'status'})`);
    }
  }
  if (!SEMVER.test(skill.version)) fail('version', 'version', `version "${skill.version}" must be a semantic version such as 1.0.0`);
  if (!skill.description.trim() || skill.description.length > MAX_DESCRIPTION_LENGTH) {
    fail(
      'description',
      'description-length',
      `description must have 1 to ${MAX_DESCRIPTION_LENGTH} characters (third person: what it does and when to use it; Claude Code lists it in every session); it has ${skill.description.length}: move the rest to \`details\`, \`whenToUse\` or \`interpret\``,
    );
  }
  if (skill.whenToUse.length === 0 || skill.whenToUse.some((w) => !w.trim())) {
    fail('whenToUse', 'when-to-use', '`whenToUse` must list at least one non-empty situation in which to use the skill');
  }
  if (skill.risk === 'destructive' && !skill.requiresConfirmation) {
    fail('requiresConfirmation', 'destructive-needs-confirmation', 'a destructive skill must set `requiresConfirmation: true`');
  }
  return failures === 0;
}

function checkDuplicates(skills: readonly ScannedSkill[], problems: SkillProblem[]): void {
  const seen = new Map<string, ScannedSkill>();
  for (const skill of skills) {
    const first = seen.get(skill.name);
    if (first) {
      problems.push({
        file: skill.file,
        line: skill.fieldLines['name'] ?? skill.line,
        rule: 'duplicate-name',
        message: `skill name "${skill.name}" is already declared at ${first.file}:${first.fieldLines['name'] ?? first.line}`,
      });
    } else seen.set(skill.name, skill);
  }
}

/** An actions table declares a plan when one of its actions has a `plan` (property or method). */
function declaresPlan(actions: Node): boolean {
  return actions.getDescendants().some((node) => (Node.isPropertyAssignment(node) || Node.isMethodDeclaration(node) || Node.isShorthandPropertyAssignment(node)) && node.getName() === 'plan');
}

function collectCalls(root: string, packages: readonly WorkspacePackage[], run: Node): CallSite[] {
  const file = run.getSourceFile();
  const imports = importsOf(root, packages, file);
  const here = relativePath(root, file.getFilePath());
  const calls = new Map<string, CallSite>();
  // A skill's actions (or run) may call helpers of its own file: their calls count too.
  const visited = new Set<Node>([run]);
  const walk = (body: Node) =>
    body.forEachDescendant((node) => {
      if (!Node.isCallExpression(node)) return;
      const callee = node.getExpression();
      let site: CallSite | undefined;
      if (Node.isIdentifier(callee)) {
        const imported = imports.get(callee.getText());
        site = imported ? { name: imported.name ?? callee.getText(), declaredIn: imported.from } : { name: callee.getText(), declaredIn: here };
        const local = imported ? undefined : file.getFunction(callee.getText());
        if (local && !visited.has(local)) {
          visited.add(local);
          walk(local);
        }
      } else if (Node.isPropertyAccessExpression(callee) && Node.isIdentifier(callee.getExpression())) {
        // `ns.fn()` where `import * as ns from '…'`; other method calls are not operations.
        const namespace = imports.get(callee.getExpression().getText());
        if (namespace && namespace.name === undefined) site = { name: callee.getName(), declaredIn: namespace.from };
      }
      if (site) calls.set(`${site.name}@${site.declaredIn ?? ''}`, site);
    });
  walk(run);
  return [...calls.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Local name → imported name (undefined for `* as ns`) and the root-relative file or package folder it comes from. */
function importsOf(root: string, packages: readonly WorkspacePackage[], file: SourceFile): Map<string, { name?: string; from: string }> {
  const map = new Map<string, { name?: string; from: string }>();
  for (const declaration of file.getImportDeclarations()) {
    const specifier = declaration.getModuleSpecifierValue();
    let from: string;
    if (specifier.startsWith('.')) {
      const base = join(file.getDirectoryPath(), specifier);
      const candidate = [`${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p)) ?? `${base}.ts`;
      from = relativePath(root, candidate);
    } else {
      const pkg = packages.find((p) => p.name === specifier);
      from = pkg ? `packages/${pkg.dir}/` : specifier;
    }
    const namespace = declaration.getNamespaceImport();
    if (namespace) map.set(namespace.getText(), { from });
    for (const named of declaration.getNamedImports()) {
      map.set(named.getAliasNode()?.getText() ?? named.getName(), { name: named.getName(), from });
    }
  }
  return map;
}
