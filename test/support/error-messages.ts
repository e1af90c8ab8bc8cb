// Every error message the server's source passes with a catalogue code, found in the TypeScript AST
// of src/ (tests excluded): `new MawjlyError('code', message)`, `session.sendError('code', message)`,
// `refuseSubscription(…, 'code', message)`, `terminate(session, 'code', message)`, … — any call whose
// arguments hold a catalogue code (a string literal, also inside `a ?? 'code'` or `c ? 'x' : 'y'`)
// followed by a message. A message is a string literal, a template literal (each `${…}` becomes
// `{}`), a conditional of those, or a local `const` holding one. Anything else is reported as
// unresolved, so a new kind of call site cannot slip past the docs test unnoticed.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface FoundMessage {
  readonly code: string;
  /** The message with every run-time value written as `{}`. */
  readonly template: string;
  /** The same with `{name}`, the name taken from the substituted expression (for the catalogue). */
  readonly named: string;
  readonly where: string;
}

/** `{name}` for a substituted expression: its last property or identifier, snake_cased. */
function placeholder(expression: ts.Expression): string {
  let node: ts.Expression = expression;
  while (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression))
    node = node.expression.expression; // value.slice(0, 40) → value
  const name = ts.isPropertyAccessExpression(node)
    ? node.name.text
    : ts.isIdentifier(node)
      ? node.text
      : 'value';
  const snake = /[a-z]/.test(name)
    ? name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
    : name.toLowerCase();
  return `{${snake}}`;
}

/** A catalogue template with its `{name}`s written as `{}`, comparable with FoundMessage.template. */
export function anonymous(template: string): string {
  return template.replace(/\{[a-z_]+\}/g, '{}');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Catalogue codes named by an expression: `'code'`, `x ?? 'code'`, `c ? 'a' : 'b'`. */
function codesOf(node: ts.Expression, codes: ReadonlySet<string>): string[] {
  if (ts.isStringLiteral(node)) return codes.has(node.text) ? [node.text] : [];
  if (ts.isParenthesizedExpression(node)) return codesOf(node.expression, codes);
  if (ts.isConditionalExpression(node))
    return [...codesOf(node.whenTrue, codes), ...codesOf(node.whenFalse, codes)];
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken)
    return codesOf(node.right, codes);
  return [];
}

/** The templates an expression can evaluate to; undefined when it cannot be resolved statically. */
function templatesOf(node: ts.Expression, file: ts.SourceFile): [string, string][] | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [[node.text, node.text]];
  if (ts.isTemplateExpression(node))
    return [
      [
        node.head.text + node.templateSpans.map((span) => `{}${span.literal.text}`).join(''),
        node.head.text +
          node.templateSpans.map((span) => `${placeholder(span.expression)}${span.literal.text}`).join(''),
      ],
    ];
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node))
    return templatesOf(node.expression, file);
  if (ts.isElementAccessExpression(node) && ts.isIdentifier(node.expression)) {
    // MESSAGES[key] of a const object literal: any of its values.
    let table = declaration(node.expression, file);
    while (table !== undefined && (ts.isAsExpression(table) || ts.isSatisfiesExpression(table)))
      table = table.expression;
    if (table === undefined || !ts.isObjectLiteralExpression(table)) return undefined;
    const all: [string, string][] = [];
    for (const property of table.properties) {
      if (!ts.isPropertyAssignment(property)) return undefined;
      const values = templatesOf(property.initializer, file);
      if (values === undefined) return undefined;
      all.push(...values);
    }
    return all;
  }
  if (node.kind === ts.SyntaxKind.UndefinedKeyword || (ts.isIdentifier(node) && node.text === 'undefined'))
    return [];
  if (ts.isConditionalExpression(node)) {
    const a = templatesOf(node.whenTrue, file);
    const b = templatesOf(node.whenFalse, file);
    return a && b ? [...a, ...b] : undefined;
  }
  if (ts.isIdentifier(node)) {
    const value = declaration(node, file);
    return value ? templatesOf(value, file) : undefined;
  }
  return undefined;
}

/** The initializer of the `const`/`let` an identifier names, in its own or an enclosing block. */
function declaration(identifier: ts.Identifier, file: ts.SourceFile): ts.Expression | undefined {
  for (let scope: ts.Node = identifier.parent; ; scope = scope.parent) {
    if (!ts.isBlock(scope) && !ts.isSourceFile(scope)) continue;
    for (const statement of scope.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      for (const item of statement.declarationList.declarations)
        if (ts.isIdentifier(item.name) && item.name.text === identifier.text) return item.initializer;
    }
    if (scope === file) break;
  }
  return undefined;
}

export function findErrorMessages(
  srcDir: string,
  codes: ReadonlySet<string>,
): { found: FoundMessage[]; unresolved: string[] } {
  const found: FoundMessage[] = [];
  const unresolved: string[] = [];
  for (const path of sourceFiles(srcDir)) {
    const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && node.arguments) {
        const args = node.arguments;
        args.forEach((arg, index) => {
          const named = codesOf(arg, codes);
          const message = args[index + 1];
          if (named.length === 0 || message === undefined) return;
          const { line } = file.getLineAndCharacterOfPosition(message.getStart());
          const where = `${relative(join(srcDir, '..'), path)}:${String(line + 1)}`;
          const templates = templatesOf(message, file);
          if (templates === undefined) unresolved.push(`${where} ${named.join('|')}: ${message.getText()}`);
          else
            for (const code of named)
              for (const [template, name] of templates) found.push({ code, template, named: name, where });
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return { found, unresolved };
}
