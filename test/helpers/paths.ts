import * as path from "node:path";

/** The checkout's root. Kept free of vitest so that bench/ can import the helpers that use it. */
export const repoRoot = path.resolve(__dirname, "../..");
