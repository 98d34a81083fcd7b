// The student surface: what a workbook's student cells may import as "peft-lab". Everything a sheet asks students
// to write (PEFT layers and counts, analysis, projection, the traced seed-001 layers, the mini-project) is in
// "peft-lab/instructor" (src/instructor.ts) and must never be reachable from this file's module closure
// (test/build/closure.test.ts walks it with src/build/closure.ts).
import "./build/fresh";

// Tensors, activations, linear algebra.
export { Matrix, ShapeError, formatShape, assertSameShape, matmul, type Shape } from "./tensor/matrix";
export { matmulTransA, matmulTransB } from "./tensor/matmul";
export {
  softmaxRows,
  logSoftmaxRows,
  causalMask,
  applyMask,
  relu,
  sigmoid,
  tanh,
  gelu,
  geluScalar,
  activate,
  layerNorm,
  type Activation,
  type LayerNormOptions,
} from "./tensor/ops";
export { Rng } from "./tensor/random";
export { toMathjs, fromMathjs } from "./tensor/convert";
export {
  svd,
  singularValues,
  defaultRankTolerance,
  matrixRank,
  fromSvd,
  pseudoInverse,
  leastSquares,
  orthogonalProcrustes,
  truncatedSvd,
  bestRankApproximation,
  type Svd,
} from "./tensor/linalg";

// Autograd.
export * as ag from "./autograd";
export { Tensor } from "./autograd";

// Display helpers as one namespace: display.showMatrix, display.showTable, display.plot, display.rankChart, …
export * as display from "./notebook";
// The published results the course charts draw (data, with their sources).
export {
  E2E_RESULTS,
  WEIGHT_TYPE_RESULTS,
  RANKS,
  RANK_RESULTS,
  GLUE_TASKS,
  GLUE_RESULTS,
  GPT3_RESULTS,
  type Provenance,
  type E2ERow,
  type AttentionWeight,
  type WeightTypeRow,
  type RankRow,
  type GlueRow,
  type Gpt3Row,
} from "./notebook/course-tables";

// Architecture configs and presets (dimensions and published totals; counting is the students' work).
export {
  customModel,
  validateModelConfig,
  MODEL_FAMILIES,
  NORM_KINDS,
  LM_HEADS,
  type ModelConfig,
  type ModelFamily,
  type NormKind,
  type LmHead,
  type CustomModelInput,
} from "./architectures/config";
export { MODEL_PRESETS, presetNames, modelPreset, type ModelPreset } from "./architectures/presets";

// The course transformer, with BlockAdaptation / ModelAdaptation as the plug-in point for a student's own modules.
export { LINEAR_SITES, validateTransformerConfig, toModelConfig, type TransformerConfig, type LinearSite } from "./transformer/config";
export {
  linearName,
  linearShape,
  weightShapes,
  initWeights,
  withClassifierHead,
  cloneWeights,
  checkWeights,
  type Weights,
} from "./transformer/weights";
export type { LinearWeights, RescaleSite, SublayerSite, BlockAdaptation, ModelAdaptation } from "./transformer/adaptation";
export { Transformer, type TransformerOptions, type PackedStates } from "./transformer/transformer";
export { CHECKPOINT_FORMAT, weightsHash, toCheckpoint, fromCheckpoint, type Checkpoint } from "./transformer/checkpoint";
export { causalAttention } from "./transformer/attention";
// Where the student's own adapter module (e.g. their LoRA layer) plugs into the course transformer.
export { replaceLinear, type LinearModule, type LinearSlot } from "./transformer/plug-in";
// The pretrained course LM (checkpoints/review-lm.json) and how it was made: the model, not a sheet's answer.
export {
  REVIEW_LM_CONFIG,
  REVIEW_LM_RECIPE,
  DEFAULT_CHECKPOINT,
  meanLmLoss,
  verbAgreement,
  pretrainReviewLM,
  savePretrained,
  loadPretrained,
  type PretrainRecipe,
  type PretrainMeta,
  type PretrainResult,
  type PretrainOptions,
} from "./experiments/pretrain";

// Trainer and optimizers.
export { SGD, AdamW, clipGradNorm, type Optimizer, type OptimizerGroup, type SgdOptions, type AdamWOptions } from "./train/optim";
export {
  train,
  linearSchedule,
  accuracy,
  type TrainOptions,
  type TrainingHistory,
  type TrainProgress,
  type StepRecord,
  type EpochRecord,
} from "./train/trainer";
// Not demonstrationsPerClass: it would answer the LLM lecture's Task B (sampling demonstrations).
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
} from "./train/prompt-based";

// Data.
export {
  NOUNS,
  POSITIVE_ADJECTIVES,
  NEGATIVE_ADJECTIVES,
  POSITIVE_VERBS,
  NEGATIVE_VERBS,
  HELD_OUT_ADJECTIVES,
  VOCABULARY,
  MAX_SENTENCE_LENGTH,
  encode,
  decode,
  sampleSentence,
  pretrainingCorpus,
  reviewPolarity,
  firstImpression,
  zeroShotAccuracy,
  ZERO_SHOT_TEMPLATE,
  type ReviewTask,
  type LabelledExample,
  type ReviewPolaritySplits,
} from "./data/reviews";
// The PEFT lecture's recorded fine-tuning sweep (its runs use methods students write): results, not methods.
export { loadLectureSweep, LECTURE_SWEEP_FILE, type RecordedSweep } from "./data/sweep-record";
export { mixedReviews, mixedReviewLabel, MIXED_REVIEW_CLASSES, MIXED_REVIEW_LABEL_WORDS, type MixedReviewSplits } from "./data/mixed-reviews";

// Public self-checks (expected values embedded or properties checked; no reference implementation).
export { checkClose, checkMatrixClose, checkShape, checkEqual, checkTrue, numberRows, type CloseOptions, type MatrixLike } from "./checks/checks";
export {
  parseTextTemplate,
  templatePlaceholderCount,
  numberLiteral,
  fillTextTemplate,
  textTemplateProblems,
  checkFollowsTemplate,
  type TemplatePart,
} from "./checks/template";
export { CheckError, type CheckOptions } from "./checks/report";
export { SHEET4_PEFT_CONFIG_TEMPLATE, SHEET4_PEFT_TEMPLATE, SHEET4_VOCAB, SHEET4_EMBEDDINGS, sheet4LmHead, type Sheet4Token } from "./checks/sheet4";
export { GRADING_SEED_VARIABLE, gradingRng } from "./checks/seed";
