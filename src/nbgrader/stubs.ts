/**
 * What replaces a solution in the student version. For the languages nbgrader knows, nbgrader's own stubs
 * (ClearSolutions.code_stub defaults in nbgrader/preprocessors/clearsolutions.py), so that a Python notebook
 * released here is identical to nbgrader's. For the tslab kernels, a stub that fails loudly and says what to do.
 */

/** nbgrader's defaults, verbatim. */
export const NBGRADER_CODE_STUBS: Readonly<Record<string, string>> = {
  python: "# YOUR CODE HERE\nraise NotImplementedError()",
  matlab: "% YOUR CODE HERE\nerror('No Answer Given!')",
  octave: "% YOUR CODE HERE\nerror('No Answer Given!')",
  sas: "/* YOUR CODE HERE */\n %notImplemented;",
  java: "// YOUR CODE HERE",
};

/** The message a student sees when a cell reaches a stub; the grader recognises a stub failure by it. */
export const STUB_ERROR_MESSAGE = "not implemented yet: replace this line with your own code";

const TSLAB_STUB = `// YOUR CODE HERE\nthrow new Error(${JSON.stringify(STUB_ERROR_MESSAGE)});`;

/** Stubs by kernelspec language: nbgrader's, plus TypeScript and JavaScript for the tslab kernels. */
export const CODE_STUBS: Readonly<Record<string, string>> = {
  ...NBGRADER_CODE_STUBS,
  typescript: TSLAB_STUB,
  javascript: TSLAB_STUB,
};

/** nbgrader's ClearSolutions.text_stub: replaces written (markdown) answers. */
export const TEXT_STUB = "YOUR ANSWER HERE";

/** nbgrader reads the language from `metadata.kernelspec.language`, defaulting to python. */
export const DEFAULT_LANGUAGE = "python";
