import { Node, SyntaxKind } from 'ts-morph';

/** A JSON-like value read from source code without running it. */
export type Literal = string | number | boolean | null | readonly Literal[] | { readonly [key: string]: Literal };

/** Raised by {@link readLiteral} for the first node that is not a literal. */
export class NotLiteralError extends Error {
  constructor(
    /** The offending node (its line is reported). */
    readonly node: Node,
  ) {
    super(`${describeNode(node)} is not a literal`);
  }
}

/**
 * Reads a literal expression statically: strings (also `'a' + 'b'` and templates without
 * substitutions), numbers, booleans, null, arrays and object literals of literals;
 * `as const` and `satisfies` are looked through. Anything else throws {@link NotLiteralError}.
 *
 * @example
 * ```ts
 * readLiteral(decorator.getArguments()[0]!) // { name: 'cluster-status', … }
 * ```
 */
export function readLiteral(node: Node): Literal {
  if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node)) return node.getLiteralValue();
  if (Node.isNumericLiteral(node)) return node.getLiteralValue();
  if (node.getKind() === SyntaxKind.TrueKeyword) return true;
  if (node.getKind() === SyntaxKind.FalseKeyword) return false;
  if (node.getKind() === SyntaxKind.NullKeyword) return null;
  if (Node.isParenthesizedExpression(node) || Node.isAsExpression(node) || Node.isSatisfiesExpression(node)) {
    return readLiteral(node.getExpression());
  }
  if (Node.isPrefixUnaryExpression(node) && node.getOperatorToken() === SyntaxKind.MinusToken) {
    const operand = node.getOperand();
    if (Node.isNumericLiteral(operand)) return -operand.getLiteralValue();
  }
  if (Node.isBinaryExpression(node) && node.getOperatorToken().getKind() === SyntaxKind.PlusToken) {
    const left = readLiteral(node.getLeft());
    const right = readLiteral(node.getRight());
    if (typeof left === 'string' && typeof right === 'string') return left + right;
    throw new NotLiteralError(node);
  }
  if (Node.isArrayLiteralExpression(node)) return node.getElements().map(readLiteral);
  if (Node.isObjectLiteralExpression(node)) {
    const out: Record<string, Literal> = {};
    for (const [key, { value }] of objectLiteralEntries(node)) out[key] = readLiteral(value);
    return out;
  }
  throw new NotLiteralError(node);
}

/** One property of an object literal: its value node and the property node (for lines). */
export interface LiteralEntry {
  property: Node;
  value: Node;
}

/**
 * The `key: value` properties of an object literal, in source order. Spreads, shorthand
 * properties, methods, accessors and computed keys are not literal and throw {@link NotLiteralError}.
 */
export function objectLiteralEntries(node: Node): Map<string, LiteralEntry> {
  if (!Node.isObjectLiteralExpression(node)) throw new NotLiteralError(node);
  const entries = new Map<string, LiteralEntry>();
  for (const property of node.getProperties()) {
    if (!Node.isPropertyAssignment(property)) throw new NotLiteralError(property);
    const nameNode = property.getNameNode();
    let key: string;
    if (Node.isIdentifier(nameNode)) key = nameNode.getText();
    else if (Node.isStringLiteral(nameNode) || Node.isNoSubstitutionTemplateLiteral(nameNode)) key = nameNode.getLiteralValue();
    else throw new NotLiteralError(nameNode);
    const value = property.getInitializer();
    if (!value) throw new NotLiteralError(property);
    entries.set(key, { property, value });
  }
  return entries;
}

/** A short, human description of a node's kind for messages (`an identifier`, `a call`, …). */
export function describeNode(node: Node): string {
  if (Node.isIdentifier(node)) return `the identifier \`${node.getText()}\``;
  if (Node.isCallExpression(node)) return `a call (\`${truncate(node.getText())}\`)`;
  if (Node.isTemplateExpression(node)) return 'a template with substitutions';
  if (Node.isSpreadAssignment(node) || Node.isSpreadElement(node)) return 'a spread';
  if (Node.isShorthandPropertyAssignment(node)) return `the shorthand property \`${node.getName()}\``;
  if (Node.isPropertyAccessExpression(node)) return `the expression \`${truncate(node.getText())}\``;
  return `\`${truncate(node.getText())}\` (${node.getKindName()})`;
}

function truncate(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine;
}
