/**
 * Graded functions that do not do the work themselves. Read from the student's code cells (TypeScript's parser,
 * nothing is run), a graded function is flagged when
 *
 * - it is a library function under another name (`const f = lib`, `lib.bind(…)`, `require("peft-lab").lib`), or its
 *   body only hands its arguments to one: every value it returns is a library call (or a field of one, or an object
 *   spreading one, or one converted by `toArray()`) whose arguments are its parameters, their fields, literals or calls of function-valued
 *   parameters (`(...a) => lib(...a)`, `lib.apply(null, arguments)`, an alias of the import, a namespace import,
 *   `require`, a helper of the notebook that itself only delegates); or
 * - it uses, directly or through the notebook's helpers, anything imported from a peft-lab module other than the
 *   package itself ("peft-lab/instructor", "peft-lab/dist/…"): the reference implementations; or a module or code
 *   whose name cannot be read (`require(name)`, `import(name)`, `eval`, `Function`).
 *
 * A function that computes with library operations (`W.add(A.matmul(B))`, `softmaxRows(scores)` on scores it
 * built) is not flagged: a method call on a value, or any arithmetic, is the student's own computation.
 */
import * as ts from "typescript";

/** Module specifiers students may import from: the package's main entry (its student surface). */
const STUDENT_SURFACE = /^peft-lab(\/dist(\/index(\.js)?)?)?$/;
const isReferenceModule = (specifier: string) => /(^|\/)peft-lab\//.test(specifier) && !STUDENT_SURFACE.test(specifier);

/** Methods that only convert or copy a value. */
const PASSIVE_METHODS = new Set(["toArray", "clone", "toString", "valueOf", "slice"]);

type FunctionLike = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction;

interface Binding {
  /** How the student reads it: `countPeft (imported from "peft-lab")`. */
  library?: string;
  /** The module it came from, when it is an import. */
  module?: string;
  /** A top-level declaration of the notebook: its function, or its initializer. */
  fn?: FunctionLike;
  init?: ts.Expression;
}

/** What a graded function uses that is not the student's: a reference implementation, or code the parser cannot see. */
type Use = { reference: string } | { hidden: string };

/** Local names of one function body: its parameters and its own `const`/`let` declarations. */
interface Scope {
  params: Set<string>;
  locals: Map<string, ts.Expression>;
}

const unwrap = (e: ts.Expression): ts.Expression =>
  ts.isParenthesizedExpression(e) ||
  ts.isAsExpression(e) ||
  ts.isNonNullExpression(e) ||
  ts.isTypeAssertionExpression(e) ||
  ts.isSatisfiesExpression(e) ||
  ts.isAwaitExpression(e)
    ? unwrap(e.expression)
    : e;

const isFunctionLike = (e: ts.Expression | undefined): e is ts.FunctionExpression | ts.ArrowFunction =>
  e !== undefined && (ts.isFunctionExpression(e) || ts.isArrowFunction(e));

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((el) => (ts.isOmittedExpression(el) ? [] : bindingNames(el.name)));
}

/** The module of `require("x")` / `import("x")`, else undefined. */
function requiredModule(e: ts.Expression): string | undefined {
  const call = unwrap(e);
  if (!ts.isCallExpression(call) || call.arguments.length !== 1 || !ts.isStringLiteralLike(call.arguments[0])) return undefined;
  const callee = unwrap(call.expression);
  const isRequire =
    (ts.isIdentifier(callee) && callee.text === "require") || (ts.isPropertyAccessExpression(callee) && callee.name.text === "require");
  return isRequire || call.expression.kind === ts.SyntaxKind.ImportKeyword ? call.arguments[0].text : undefined;
}

/**
 * Ways to reach a module or code whose name the parser cannot read: `require` or `import()` of a computed name,
 * `require` passed around as a value, `eval` and `Function`. No workbook needs them in a graded function.
 */
function hiddenLoad(e: ts.Expression): string | undefined {
  if (ts.isCallExpression(e) && e.expression.kind === ts.SyntaxKind.ImportKeyword && requiredModule(e) === undefined)
    return "import() of a computed module name";
  if (!ts.isIdentifier(e)) return undefined;
  if (e.text === "eval" || e.text === "Function") return `${e.text} (code built from a string)`;
  if (e.text !== "require") return undefined;
  const call = e.parent;
  const direct = ts.isCallExpression(call) && call.expression === e && requiredModule(call) !== undefined;
  return direct ? undefined : "require of a computed module name, or require passed on as a value";
}

/** Every name a function (or expression) declares inside itself. */
function declaredWithin(node: ts.Node): Set<string> {
  const names = new Set<string>();
  const visit = (n: ts.Node): void => {
    if ((ts.isParameter(n) || ts.isVariableDeclaration(n) || ts.isBindingElement(n)) && !ts.isIdentifier(n.name)) {
      for (const name of bindingNames(n.name)) names.add(name);
    } else if (
      (ts.isParameter(n) || ts.isVariableDeclaration(n) || ts.isBindingElement(n) || ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n)) &&
      n.name &&
      ts.isIdentifier(n.name)
    ) {
      names.add(n.name.text);
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(node, visit);
  return names;
}

/** `x.name`, `{ name: … }`, a method or property declaration: a name that is not a variable. */
function isMemberName(id: ts.Identifier): boolean {
  const p = id.parent;
  return (
    ((ts.isPropertyAccessExpression(p) ||
      ts.isPropertyAssignment(p) ||
      ts.isMethodDeclaration(p) ||
      ts.isPropertyDeclaration(p) ||
      ts.isPropertySignature(p)) &&
      p.name === id) ||
    ts.isTypeReferenceNode(p) ||
    ts.isQualifiedName(p)
  );
}

const propertyName = (e: ts.PropertyAccessExpression | ts.ElementAccessExpression): string =>
  ts.isPropertyAccessExpression(e) ? e.name.text : ts.isStringLiteralLike(e.argumentExpression) ? e.argumentExpression.text : "[…]";

class StudentCode {
  readonly top = new Map<string, Binding>();

  constructor(sources: readonly string[]) {
    // tslab shares top-level declarations across cells; a later declaration replaces an earlier one.
    sources.forEach((source, i) => {
      const file = ts.createSourceFile(`cell${i + 1}.ts`, source, ts.ScriptTarget.ES2022, true);
      for (const statement of file.statements) this.declare(statement);
    });
  }

  private declare(statement: ts.Statement): void {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const module = statement.moduleSpecifier.text;
      const clause = statement.importClause;
      if (!clause || clause.isTypeOnly) return;
      const from = `imported from "${module}"`;
      if (clause.name) this.top.set(clause.name.text, { library: `${clause.name.text} (${from})`, module });
      const named = clause.namedBindings;
      if (named && ts.isNamespaceImport(named)) this.top.set(named.name.text, { library: `the module "${module}"`, module });
      if (named && ts.isNamedImports(named)) {
        for (const el of named.elements) {
          if (!el.isTypeOnly) this.top.set(el.name.text, { library: `${(el.propertyName ?? el.name).text} (${from})`, module });
        }
      }
    } else if (
      ts.isImportEqualsDeclaration(statement) &&
      ts.isExternalModuleReference(statement.moduleReference) &&
      ts.isStringLiteral(statement.moduleReference.expression)
    ) {
      const module = statement.moduleReference.expression.text;
      this.top.set(statement.name.text, { library: `the module "${module}"`, module });
    } else if (ts.isFunctionDeclaration(statement) && statement.name) {
      this.top.set(statement.name.text, { fn: statement });
    } else if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) {
        const module = d.initializer ? requiredModule(d.initializer) : undefined;
        if (module !== undefined && ts.isObjectBindingPattern(d.name)) {
          // const { a: b } = require("m")
          for (const el of d.name.elements) {
            const imported = el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : bindingNames(el.name)[0];
            for (const name of bindingNames(el.name)) this.top.set(name, { library: `${imported} (required from "${module}")`, module });
          }
        } else if (ts.isIdentifier(d.name)) {
          this.top.set(d.name.text, isFunctionLike(d.initializer) ? { fn: d.initializer } : { init: d.initializer });
        }
      }
    }
  }

  /** What library value `e` is (a function, class or module of a library), if it is one. */
  libraryValue(e: ts.Expression, scope: Scope | undefined, seen = new Set<string>()): { what: string; module: string } | undefined {
    e = unwrap(e);
    const module = requiredModule(e);
    if (module !== undefined) return { what: `the module "${module}"`, module };
    if (ts.isIdentifier(e)) {
      if (scope?.params.has(e.text)) return undefined;
      const local = scope?.locals.get(e.text);
      if (local) return this.libraryValue(local, scope, seen);
      if (seen.has(e.text)) return undefined;
      seen.add(e.text);
      const b = this.top.get(e.text);
      if (b?.library) return { what: b.library, module: b.module! };
      return b?.init ? this.libraryValue(b.init, undefined, seen) : undefined;
    }
    if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
      const owner = this.libraryValue(e.expression, scope, seen);
      if (!owner) return undefined;
      const name = propertyName(e);
      // lib.bind(…) is still the library function; a namespace's member is named by itself.
      if (name === "bind" || name === "call" || name === "apply") return owner;
      return { what: owner.what.startsWith("the module ") ? `${name} (from ${owner.what.slice(4)})` : `${owner.what}.${name}`, module: owner.module };
    }
    if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === "bind") {
      return this.libraryValue(e.expression.expression, scope, seen);
    }
    return undefined;
  }

  /** Whether `fn` only hands its arguments on to a library function; returns that function's description. */
  delegation(fn: FunctionLike, seen: Set<FunctionLike>): string | undefined {
    if (seen.has(fn) || !fn.body) return undefined;
    seen.add(fn);
    const scope: Scope = { params: new Set(fn.parameters.flatMap((p) => bindingNames(p.name))), locals: new Map() };
    // A function without parameters returns constants (bitfitBias, loraFactors): that is an answer, not a call.
    if (scope.params.size === 0) return undefined;
    let returns: ts.Expression[];
    if (ts.isBlock(fn.body)) {
      returns = [];
      for (const statement of fn.body.statements) {
        if (ts.isVariableStatement(statement)) {
          for (const d of statement.declarationList.declarations)
            if (ts.isIdentifier(d.name) && d.initializer) scope.locals.set(d.name.text, d.initializer);
        } else if (ts.isReturnStatement(statement) && statement.expression) returns.push(statement.expression);
        else return undefined;
      }
    } else returns = [fn.body];
    if (returns.length === 0) return undefined;
    let target: string | undefined;
    for (const r of returns) {
      target = this.delegatedResult(r, scope, seen);
      if (!target) return undefined;
    }
    return target;
  }

  /** `e` is a library call on passed-through arguments, a field of one, or a literal built around one. */
  private delegatedResult(e: ts.Expression, scope: Scope, seen: Set<FunctionLike>): string | undefined {
    e = unwrap(e);
    if (ts.isIdentifier(e) && scope.locals.has(e.text)) return this.delegatedResult(scope.locals.get(e.text)!, scope, seen);
    if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) return this.delegatedResult(e.expression, scope, seen);
    if (ts.isObjectLiteralExpression(e) || ts.isArrayLiteralExpression(e)) {
      let found: string | undefined;
      const parts = ts.isArrayLiteralExpression(e)
        ? e.elements.map((el) => (ts.isSpreadElement(el) ? el.expression : el))
        : e.properties.map((p) =>
            ts.isSpreadAssignment(p)
              ? p.expression
              : ts.isPropertyAssignment(p)
                ? p.initializer
                : ts.isShorthandPropertyAssignment(p)
                  ? p.name
                  : undefined,
          );
      for (const part of parts) {
        if (!part) return undefined;
        const inner = this.delegatedResult(part, scope, seen);
        if (inner) found = inner;
        else if (!this.passedThrough(part, scope)) return undefined;
      }
      return found;
    }
    if (!ts.isCallExpression(e) && !ts.isNewExpression(e)) return undefined;
    const args = [...(e.arguments ?? [])];
    const callee = unwrap(e.expression);
    if ((ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee)) && !this.libraryValue(callee, scope)) {
      // Converting a delegated result (`lib(x).toArray()`) computes nothing; any other method (`.add`, `.scale`) does.
      return PASSIVE_METHODS.has(propertyName(callee)) ? this.delegatedResult(callee.expression, scope, seen) : undefined;
    }
    let target = this.libraryValue(callee, scope)?.what;
    if (!target && ts.isIdentifier(callee) && !scope.params.has(callee.text) && !scope.locals.has(callee.text)) {
      const helper = this.top.get(callee.text);
      const inner = helper?.fn ? this.delegation(helper.fn, seen) : undefined;
      if (inner) target = `${callee.text}, which only hands them to ${inner}`;
    }
    if (!target) return undefined;
    const method = ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
    const passed = method === "call" ? args.slice(1) : method === "apply" ? args.slice(1, 2) : args;
    return passed.every((a) => this.passedThrough(a, scope)) ? target : undefined;
  }

  /** Arguments handed on unchanged: parameters, their fields, literals, spreads, and calls of function parameters. */
  private passedThrough(e: ts.Expression, scope: Scope): boolean {
    e = unwrap(e);
    if (ts.isSpreadElement(e)) return this.passedThrough(e.expression, scope);
    if (ts.isLiteralExpression(e) || ts.isNoSubstitutionTemplateLiteral(e)) return true;
    if ([ts.SyntaxKind.TrueKeyword, ts.SyntaxKind.FalseKeyword, ts.SyntaxKind.NullKeyword, ts.SyntaxKind.ThisKeyword].includes(e.kind)) return true;
    if (ts.isPrefixUnaryExpression(e) && ts.isNumericLiteral(e.operand)) return true;
    if (ts.isIdentifier(e)) {
      if (e.text === "arguments" || e.text === "undefined" || scope.params.has(e.text)) return true;
      const local = scope.locals.get(e.text);
      if (local) return this.passedThrough(local, scope);
      const top = this.top.get(e.text);
      return top?.library !== undefined || (top?.init !== undefined && this.passedThrough(top.init, { params: new Set(), locals: new Map() }));
    }
    if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) return this.passedThrough(e.expression, scope);
    if (ts.isArrayLiteralExpression(e)) return e.elements.every((el) => this.passedThrough(el, scope));
    if (ts.isObjectLiteralExpression(e)) {
      return e.properties.every((p) =>
        ts.isSpreadAssignment(p)
          ? this.passedThrough(p.expression, scope)
          : ts.isPropertyAssignment(p)
            ? this.passedThrough(p.initializer, scope)
            : ts.isShorthandPropertyAssignment(p),
      );
    }
    if (ts.isCallExpression(e)) {
      const callee = unwrap(e.expression);
      return ts.isIdentifier(callee) && scope.params.has(callee.text) && e.arguments.every((a) => this.passedThrough(a, scope));
    }
    if (ts.isArrowFunction(e) && !ts.isBlock(e.body)) {
      const inner: Scope = { params: new Set([...scope.params, ...e.parameters.flatMap((p) => bindingNames(p.name))]), locals: scope.locals };
      return this.passedThrough(e.body, inner);
    }
    return false;
  }

  /** The first reference-implementation import (or hidden load) `node` uses, following the notebook's functions it calls. */
  referenceUse(node: ts.Node, seen: Set<ts.Node>): Use | undefined {
    if (seen.has(node)) return undefined;
    seen.add(node);
    let found: Use | undefined;
    // Names declared inside `node` (parameters, locals, inner functions) are not the notebook's top-level ones.
    const own = declaredWithin(node);
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isExpression(n)) {
        const module = requiredModule(n);
        if (module !== undefined && isReferenceModule(module)) {
          found = { reference: `the module "${module}"` };
          return;
        }
        const hidden = hiddenLoad(n);
        if (hidden) {
          found = { hidden };
          return;
        }
      }
      if (ts.isIdentifier(n) && !own.has(n.text) && !isMemberName(n)) {
        const b = this.top.get(n.text);
        if (b?.module !== undefined && isReferenceModule(b.module)) found = { reference: b.library! };
        else if (b?.fn) found = this.referenceUse(b.fn, seen);
        else if (b?.init) found = this.referenceUse(b.init, seen);
        if (found) return;
      }
      ts.forEachChild(n, visit);
    };
    visit(node);
    return found;
  }
}

/**
 * For each graded function name, why it does not count as the student's own work, or nothing. `sources` are the
 * notebook's code cells in order.
 */
export function findDelegations(sources: readonly string[], names: Iterable<string>): Map<string, string> {
  const nb = new StudentCode(sources);
  const found = new Map<string, string>();
  for (const name of names) {
    const b = nb.top.get(name);
    if (!b) continue;
    const alias = b.library ?? (b.init ? nb.libraryValue(b.init, undefined)?.what : undefined);
    const delegate = alias ?? (b.fn ? nb.delegation(b.fn, new Set()) : undefined);
    if (delegate) {
      found.set(
        name,
        `${name} does no work of its own: it only hands its arguments to ${delegate}. A graded function must compute its result itself; this item scores 0`,
      );
      continue;
    }
    const body = b.fn ?? b.init;
    const use = body ? nb.referenceUse(body, new Set()) : undefined;
    if (use && "reference" in use)
      found.set(name, `${name} uses ${use.reference}, a reference implementation students may not use; this item scores 0`);
    if (use && "hidden" in use)
      found.set(name, `${name} uses ${use.hidden}, which the grader cannot check for reference implementations; this item scores 0`);
  }
  return found;
}
