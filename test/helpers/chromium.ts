/** Debian's Chromium for the browser tests, driven by playwright-core (no browser downloads here). */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** True, with a warning naming the test, when Chromium is missing and CI is unset: only then may a browser test skip. */
export function chromiumMissing(test: string): boolean {
  const missing = !process.env.CI && !existsSync(CHROMIUM);
  if (missing) console.warn(`${test} skipped: no Chromium at ${CHROMIUM} and CI is unset (it runs in CI)`);
  return missing;
}

/** Headless, and quiet on the network: no background updates or first-run requests of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}
