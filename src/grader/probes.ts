/**
 * Probes: code the grader sends to the student's kernel after the notebook has run. Each chunk calls the student's
 * functions on the probes' inputs and prints every raw result as one line "<nonce> <index> ok <json>" (or
 * "err <message>", or "missing <typeof>" when the notebook defines no such function). Judging happens in the
 * grader's process (spec.ts, judge.ts), so nothing in the kernel can award points: student code can at most
 * garble its own results.
 *
 * The chunk trusts as little of the kernel as it can: it takes the stdout writer tslab has just installed for
 * this execution before any student code runs again, and encodes results with its own serializer (no JSON, no
 * Math, no check helpers, which student code may have replaced). The nonce is new for every submission, so
 * output a student's code prints cannot pass for a result.
 */
import type { ProbeResult } from "./spec";

export class ProbeSpecError extends Error {
  override name = "ProbeSpecError";
}

function isMatrixLike(value: unknown): value is { rows: number; cols: number; toArray(): number[][] } {
  const v = value as { rows?: unknown; cols?: unknown; toArray?: unknown } | null;
  return typeof v === "object" && v !== null && typeof v.rows === "number" && typeof v.cols === "number" && typeof v.toArray === "function";
}

function numberCode(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  return Object.is(x, -0) ? "-0" : String(x);
}

/** A TypeScript expression that rebuilds `value` in the kernel (matrices through peft-lab's Matrix as `__M`). */
export function argCode(value: unknown, where = "argument"): string {
  if (typeof value === "number") return numberCode(value);
  if (typeof value === "string" || typeof value === "boolean" || value === null) return JSON.stringify(value);
  if (value === undefined) return "undefined";
  if (isMatrixLike(value)) return `__M.from(${JSON.stringify(value.toArray())})`;
  if (Array.isArray(value)) return `[${value.map((v, i) => argCode(v, `${where}[${i}]`)).join(", ")}]`;
  if (typeof value === "object") {
    const fn = (value as { $fn?: unknown }).$fn;
    if (typeof fn === "string") return `(${fn})`;
    if (Object.getPrototypeOf(value) !== Object.prototype)
      throw new ProbeSpecError(`probe ${where}: only plain objects, arrays, matrices and fnArg() can be sent`);
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}: ${argCode(v, `${where}.${k}`)}`);
    return `{ ${entries.join(", ")} }`;
  }
  throw new ProbeSpecError(`probe ${where}: a ${typeof value} cannot be sent to the kernel`);
}

/** The kernel-side serializer: JSON built from typeof, instanceof and string concatenation only. */
const ENCODER = String.raw`
  const __str = (s: string): string => {
    let out = '"';
    const n = s.length < 2000 ? s.length : 2000;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c === 34) out += '\\"';
      else if (c === 92) out += '\\\\';
      else if (c < 32 || (c >= 0xd800 && c <= 0xdfff)) out += "\\u" + ("000" + c.toString(16)).slice(-4);
      else out += s[i];
    }
    return out + '"';
  };
  let __budget = 200000;
  const __enc = (v: any, depth: number): string => {
    if (--__budget < 0) return '{"$toolarge":true}';
    const t = typeof v;
    if (t === "number") return v === v && v !== Infinity && v !== -Infinity ? "" + v : '{"$num":"' + v + '"}';
    if (t === "string") return __str(v);
    if (t === "boolean") return v ? "true" : "false";
    if (t === "undefined") return '{"$undefined":true}';
    if (t === "function") return '{"$function":true}';
    if (t === "bigint") return '{"$bigint":"' + v + '"}';
    if (t === "symbol") return '{"$symbol":true}';
    if (v === null) return "null";
    if (depth > 8) return '{"$deep":true}';
    if (v instanceof __M) {
      const rows: string[] = [];
      for (let i = 0; i < v.rows; i++) {
        const row: string[] = [];
        for (let j = 0; j < v.cols; j++) row.push(__enc(v.data[i * v.cols + j], depth + 1));
        rows.push("[" + row.join(",") + "]");
      }
      return '{"$matrix":[' + rows.join(",") + "]}";
    }
    if (typeof v.then === "function") return '{"$promise":true}';
    if (v instanceof Array || ArrayBuffer.isView(v)) {
      const list: any = v;
      const items: string[] = [];
      for (let i = 0; i < list.length; i++) items.push(__enc(list[i], depth + 1));
      return "[" + items.join(",") + "]";
    }
    const fields: string[] = [];
    for (const k in v) if (k[0] !== "$") fields.push(__str(k) + ":" + __enc(v[k], depth + 1));
    return "{" + fields.join(",") + "}";
  };
  const __message = (e: any): string => {
    try {
      return e instanceof Error ? e.name + ": " + e.message : "the value " + e;
    } catch {
      return "threw a value that cannot be printed";
    }
  };`;

/** What a probe line says when the function is missing: "missing <typeof>". */
export const MISSING = "missing";

/**
 * One chunk for every probe, in order. The student's functions are looked up when the chunk runs, in tslab's
 * table of top-level declarations, so that one missing function fails only its own probes (a reference by name
 * would make the whole chunk fail to compile). What a student function prints while it is probed is dropped, so
 * that it cannot fill the output limit and crowd out the results of the other probes.
 */
export function chunkCode(nonce: string, probes: readonly { index: number; call: string; args: readonly unknown[] }[]): string {
  const calls = probes.map(({ index, call, args }) => {
    if (!/^[A-Za-z_$][\w$]*$/.test(call)) throw new ProbeSpecError(`probe call "${call}" is not a function name`);
    const code = args.map((a, i) => argCode(a, `${call} argument ${i + 1}`)).join(", ");
    return `  __call(${index}, ${JSON.stringify(call)}, () => [${code}]);`;
  });
  return [
    "{",
    "  const __write = process.stdout.write;",
    // Each result on a line of its own, even after student output that did not end its line.
    `  const __emit = (i: number, text: string) => { __write.call(process.stdout, "\\n${nonce} " + i + " " + text + "\\n"); };`,
    '  const __M = require("peft-lab").Matrix;',
    "  const __defs: any = (globalThis as any).__tslab__?.exports ?? {};",
    ENCODER,
    // Silencing swaps property descriptors rather than assigning, so that accessors a student installed come back
    // exactly as they were (assigning back through a setter would change what it wraps).
    "  const __swap = (o: any, k: string, v: any): (() => void) => {",
    "    const d = Object.getOwnPropertyDescriptor(o, k);",
    "    try { Object.defineProperty(o, k, { value: v, configurable: true, writable: true }); } catch { return () => undefined; }",
    "    return () => { if (d) Object.defineProperty(o, k, d); else delete o[k]; };",
    "  };",
    "  const __quiet = (): (() => void)[] => {",
    "    const noop = () => true;",
    '    const undo = [__swap(process.stdout, "write", noop), __swap(process.stderr, "write", noop)];',
    '    for (const k of ["log", "info", "warn", "error", "debug"]) undo.push(__swap(console, k, noop));',
    "    return undo;",
    "  };",
    "  const __call = (i: number, name: string, args: () => any[]) => {",
    "    const f = __defs[name];",
    `    if (typeof f !== "function") return __emit(i, "${MISSING} " + typeof f);`,
    "    let result: string;",
    "    const undo = __quiet();",
    '    try { result = "ok " + __enc(f(...args()), 0); } catch (__e) { result = "err " + __str(__message(__e)); } finally { for (const u of undo) u(); }',
    "    __emit(i, result);",
    "  };",
    ...calls,
    "}",
  ].join("\n");
}

/** Revives the encoder's tags: numbers that JSON cannot hold, undefined, typed arrays (as arrays). */
function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (typeof value !== "object" || value === null) return value;
  const v = value as Record<string, unknown>;
  if (typeof v.$num === "string") return Number(v.$num);
  if (v.$undefined === true) return undefined;
  if (Array.isArray(v.$matrix)) return { $matrix: revive(v.$matrix) };
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
}

/** The results the chunk's output holds, by probe index; a line that does not parse counts as absent. */
export function parseProbeLines(stdout: string, nonce: string): Map<number, ProbeResult> {
  const results = new Map<number, ProbeResult>();
  const prefix = `${nonce} `;
  for (const line of stdout.split("\n")) {
    if (!line.startsWith(prefix)) continue;
    const m = /^(\d+) (ok|err|missing) (.*)$/s.exec(line.slice(prefix.length));
    if (!m) continue;
    const index = Number(m[1]);
    if (results.has(index)) continue;
    if (m[2] === MISSING) {
      results.set(index, { ok: false, message: `${MISSING} ${m[3]}` });
      continue;
    }
    try {
      const payload = JSON.parse(m[3]) as unknown;
      results.set(index, m[2] === "ok" ? { ok: true, value: revive(payload) } : { ok: false, message: `threw ${String(payload)}` });
    } catch {
      // A garbled line is treated like a missing one.
    }
  }
  return results;
}
