import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { notebooksIn, register } from "../../src/cli/release";
import { readNotebook, secretLines as librarySecretLines } from "../../src/nbgrader";
import { repoRoot } from "../helpers/paths";

const FIXTURES = join(__dirname, "../fixtures/nbgrader");

async function run(args: string[]): Promise<{ out: string; err: string; exitCode: number }> {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  const error = vi.spyOn(console, "error").mockImplementation(() => {});
  process.exitCode = 0;
  try {
    const program = new Command().exitOverride();
    register(program);
    await program.parseAsync(["release", ...args], { from: "user" });
    return {
      out: log.mock.calls.map((c) => c.join(" ")).join("\n"),
      err: error.mock.calls.map((c) => c.join(" ")).join("\n"),
      exitCode: Number(process.exitCode ?? 0),
    };
  } finally {
    log.mockRestore();
    error.mockRestore();
    process.exitCode = 0;
  }
}

interface RawCell {
  cell_type: string;
  source: string | string[];
  metadata: { nbgrader?: { solution?: boolean } };
}

/**
 * The lines a student must never see, found independently of the release code: every line between BEGIN and
 * END SOLUTION / HIDDEN TESTS markers, and every line of a solution cell that has no markers — minus lines
 * that also occur outside those regions (a lone "}" is no secret).
 */
function secretLines(notebookText: string): string[] {
  const cells = (JSON.parse(notebookText) as { cells: RawCell[] }).cells;
  const secret = new Set<string>();
  const visible = new Set<string>();
  for (const cell of cells) {
    const lines = (Array.isArray(cell.source) ? cell.source.join("") : cell.source).split("\n");
    const hasMarkers = lines.some((l) => /BEGIN (SOLUTION|HIDDEN TESTS)/.test(l));
    let inside = !hasMarkers && cell.metadata.nbgrader?.solution === true;
    for (const line of lines) {
      if (/BEGIN (SOLUTION|HIDDEN TESTS)/.test(line)) inside = true;
      else if (/END (SOLUTION|HIDDEN TESTS)/.test(line)) inside = false;
      else (inside ? secret : visible).add(line.trim());
    }
  }
  return [...secret].filter((l) => l !== "" && !visible.has(l));
}

describe("peft-lab release", () => {
  let out: string;
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), "peft-lab-release-"));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it("writes student versions that contain no solution line and no hidden-test line of their source", async () => {
    const projectNotebooks = existsSync(join(repoRoot, "notebooks")) ? notebooksIn(join(repoRoot, "notebooks")) : [];
    const inputs = [...projectNotebooks, join(FIXTURES, "ps1/source/problem1.ipynb"), join(FIXTURES, "typescript/source.ipynb")];
    const result = await run([...inputs, "--out", out]);
    expect(result.err).toBe("");
    expect(result.exitCode).toBe(0);
    expect(readdirSync(out).sort()).toEqual(inputs.map((p) => basename(p)).sort());

    let checked = 0;
    for (const input of inputs) {
      const secrets = secretLines(readFileSync(input, "utf8"));
      // The library's list (used by handouts and feedback) agrees with this independent one.
      expect(new Set(librarySecretLines(readNotebook(input))), basename(input)).toEqual(new Set(secrets));
      const releasedText = readFileSync(join(out, basename(input)), "utf8");
      const releasedSources = (JSON.parse(releasedText) as { cells: RawCell[] }).cells
        .map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source))
        .join("\n");
      for (const line of secrets) {
        expect(releasedSources.includes(line), `${basename(input)} leaks: ${line}`).toBe(false);
        expect(releasedText.includes(JSON.stringify(line).slice(1, -1)), `${basename(input)} file leaks: ${line}`).toBe(false);
        checked++;
      }
    }
    // ps1: 4 lines in solution regions, 3 in a marker-less solution cell, 1 written answer; typescript: 1 solution
    // line, 1 hidden test line, 1 written answer, 2 lines of a marker-less solution cell (more with project notebooks).
    expect(checked).toBeGreaterThanOrEqual(13);
    expect(result.out).toContain("problem1.ipynb: 4 solution(s) stubbed, 0 hidden test region(s) removed");
    expect(result.out).toContain("source.ipynb: 3 solution(s) stubbed, 1 hidden test region(s) removed");
  });

  it("reports a broken notebook by name, still writes the others, and exits with 1", async () => {
    const broken = join(out, "in", "broken.ipynb");
    mkdirSync(join(out, "in"));
    writeFileSync(broken, '{"cells": [');
    const result = await run([broken, join(FIXTURES, "typescript/source.ipynb"), "--out", join(out, "release")]);
    expect(result.exitCode).toBe(1);
    expect(result.err).toContain(`${broken}: not valid JSON`);
    expect(readdirSync(join(out, "release"))).toEqual(["source.ipynb"]);
  });

  it("refuses anything under solutions/", async () => {
    mkdirSync(join(out, "solutions"));
    const inSolutions = join(out, "solutions", "answers.ipynb");
    copyFileSync(join(FIXTURES, "typescript/source.ipynb"), inSolutions);
    const result = await run([inSolutions, "--out", join(out, "release")]);
    expect(result.exitCode).toBe(1);
    expect(result.err).toContain("refusing to release a file from solutions/");
    expect(existsSync(join(out, "release", "answers.ipynb"))).toBe(false);
  });
});
