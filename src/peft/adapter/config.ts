/**
 * Bottleneck adapters: x + W_up·f(W_down·x) with W_down: d_model × d_a and W_up: d_a × d_model.
 * Placement: "houlsby" — two per block, after the attention and after the FFN sub-layer;
 * "pfeiffer" — one per block, after the FFN; "attention" — one per block, after the attention
 * (exercise sheet 4, Problem 1).
 */
import { rejectUnknownKeys, requireBoolean, requireOneOf, requirePositiveInt, withDefaults } from "../../architectures/fields";

export type AdapterPlacement = "houlsby" | "pfeiffer" | "attention";
export const ADAPTER_PLACEMENTS: readonly AdapterPlacement[] = ["houlsby", "pfeiffer", "attention"];

export interface AdapterConfig {
  /** d_a, the hidden (bottleneck) width. */
  bottleneck: number;
  placement: AdapterPlacement;
  /** Biases on the down (d_a) and up (d_model) projections. */
  bias: boolean;
}

/** Exercise 9.7's default bottleneck is 64. */
export const ADAPTER_DEFAULTS: AdapterConfig = { bottleneck: 64, placement: "houlsby", bias: true };

export function validateAdapterConfig(config: AdapterConfig): AdapterConfig {
  const owner = "AdapterConfig";
  rejectUnknownKeys(owner, config, ["bottleneck", "placement", "bias"]);
  requirePositiveInt(owner, "bottleneck", config.bottleneck);
  requireOneOf(owner, "placement", config.placement, ADAPTER_PLACEMENTS);
  requireBoolean(owner, "bias", config.bias);
  return config;
}

export function adapterConfig(input: Partial<AdapterConfig> = {}): AdapterConfig {
  return validateAdapterConfig(withDefaults(ADAPTER_DEFAULTS, input));
}

/** Adapters inserted in each block. */
export function adaptersPerBlock(placement: AdapterPlacement): number {
  return placement === "houlsby" ? 2 : 1;
}
