#!/usr/bin/env node
/**
 * The `peft-lab` command (package bin: dist/cli/main.js). Every sub-command is one file in src/cli/ exporting
 * `register(program)`; adding a command is one import and one entry in COMMANDS.
 *
 * Usage errors (unknown command, option, model or method; invalid values) print ONE line on stderr and exit 2.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import * as count from "./count";
import * as course from "./course";
import * as experiment from "./experiment";
import * as exportHandouts from "./export";
import * as formgrade from "./formgrade";
import * as grade from "./grade";
import * as gradeManual from "./grade-manual";
import * as release from "./release";
import * as validate from "./validate";

const COMMANDS: readonly { register(program: Command): void }[] = [
  count,
  experiment,
  release,
  grade,
  exportHandouts,
  validate,
  course,
  formgrade,
  gradeManual,
];

export const USAGE_ERROR = 2;

function packageVersion(): string {
  // src/cli/ and dist/cli/ are both two levels below the package root.
  return (JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command("peft-lab")
    .description("parameter-efficient fine-tuning course kit")
    .version(packageVersion())
    .exitOverride()
    // Commander puts "(Did you mean …?)" on a second line; keep every error on one line.
    .configureOutput({
      outputError: (text, write) =>
        write(
          `peft-lab: ${text
            .trim()
            .replace(/^error: /, "")
            .replace(/\s*\n\s*/g, " ")}\n`,
        ),
    });
  for (const command of COMMANDS) command.register(program);
  return program;
}

/** Runs the command line and returns the exit code (0, 1 for failures, 2 for usage errors). */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: "user" });
    return Number(process.exitCode ?? 0);
  } catch (err) {
    // Commander has already printed its message (help, version, or the one-line error).
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_ERROR;
    process.stderr.write(`peft-lab: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  // Exit now rather than when the event loop drains: a disposed @jupyterlab/services manager can leave a lumino
  // poll timer behind (set after dispose, in Poll.schedule), which would hold the process for up to 10 s.
  void main().then((code) => process.exit(code));
}
