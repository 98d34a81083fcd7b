/** Full fine-tuning: every parameter of the model trains; there is nothing to configure. */
import { rejectUnknownKeys } from "../../architectures/fields";

export type FullConfig = Record<string, never>;

export function fullConfig(input: object = {}): FullConfig {
  rejectUnknownKeys("FullConfig", input, []);
  return {};
}
