/** How every self-check reports: one ✓/✗ line on stdout, and a CheckError with the same line on failure. */

export class CheckError extends Error {
  override name = "CheckError";
}

export interface CheckOptions {
  /** What is checked, as the student knows it: "loraParams(sheet model, r = 2)", "W′". */
  name?: string;
  /** Print nothing when the check passes (loops over many drawn inputs); a failure still prints and throws. */
  quiet?: boolean;
}

function label(options: CheckOptions | undefined): string {
  return options?.name ? `${options.name}: ` : "";
}

export function pass(options: CheckOptions | undefined, detail: string): void {
  if (!options?.quiet) console.log(`✓ ${label(options)}${detail}`);
}

export function fail(options: CheckOptions | undefined, detail: string): never {
  const line = `✗ ${label(options)}${detail}`;
  console.log(line);
  throw new CheckError(line);
}
