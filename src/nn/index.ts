// Seed 001's traced layers: attention and a transformer block on plain matrices (no autograd), each returning every
// intermediate so a notebook can print the worked answers step by step. The trainable versions are src/transformer/
// (the course model) and src/peft/lora/attention.ts (Stage 9.8).
export * from "./attention";
export * from "./feedforward";
export * from "./transformer";
