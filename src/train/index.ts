export * from "./optim";
export * from "./trainer";
// Not demonstrationsPerClass: it would answer the LLM lecture's Task B (sampling demonstrations) for a student.
export {
  promptIds,
  labelWordLogits,
  argmaxRows,
  filledDemonstration,
  demonstrationContext,
  fewShotFineTune,
  type PromptTemplate,
  type FewShotMethod,
  type FewShotSettings,
  type FewShotResult,
  type FewShotTask,
} from "./prompt-based";
