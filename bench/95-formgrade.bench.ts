/**
 * The manual-grading round trip through `peft-lab formgrade`: 40 students × 5 written answers graded in headless
 * Chromium as a person would (type the points, Enter, the next student's page opens), timed per save: from the
 * key press to the server's reply (the gradebook transaction, that student's feedback page, grades.csv and
 * manual-queue.csv), and to the next page being ready. Beside it, the gradebook transaction alone and the files
 * written after it, in this process. Needs Chromium.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startFormgrade } from "../src/formgrade/server";
import { Gradebook } from "../src/grader/gradebook";
import { writeFeedback, writeGradeCsvs } from "../src/grader/output";
import { attemptTotals, check, scoredItem, type ItemResult } from "../src/grader/types";
import { CHROMIUM, launchChromium } from "../test/helpers/chromium";
import { fixed, median, type Section } from "./harness";

const STUDENTS = 40;
const ITEMS = 5;
const MAX_POINTS = 3;

function buildGradebook(dir: string): void {
  const book = new Gradebook(path.join(dir, "gradebook.sqlite"));
  const run = book.startRun("bench", {});
  for (let s = 1; s <= STUDENTS; s++) {
    const items: ItemResult[] = [scoredItem("auto_test", "auto", 4, [check("c", s % 2 === 0, "")])];
    for (let i = 1; i <= ITEMS; i++) {
      const answer = `Student ${s}, answer ${i}: the base stays **frozen**, $\\Delta W = BA$ with $r \\ll d$.\n\n\`\`\`typescript\nconst params = r * (dIn + dOut);\n\`\`\``;
      items.push({
        id: `why_${i}`,
        kind: "manual",
        maxPoints: MAX_POINTS,
        points: null,
        checks: [],
        notes: [],
        answer,
        rubric: "3 points: frozen base, low rank, the count",
      });
    }
    book.recordAttempt(run, `h${s}`, "bench", {
      student: `student${String(s).padStart(2, "0")}`,
      assignment: "sheet4",
      items,
      notes: [],
      ...attemptTotals(items),
      durationMs: 1,
    });
  }
  book.close();
}

const ms = (sorted: number[]) => [fixed(median(sorted) * 1000, 1), fixed(sorted[0] * 1000, 1), fixed(sorted[sorted.length - 1] * 1000, 1)];

export async function run(): Promise<Section[]> {
  const title = `formgrade: ${STUDENTS} students × ${ITEMS} written answers graded through the page (ms per save)`;
  const columns = ["step", "median ms", "min ms", "max ms", "samples", "share of round trip"];
  if (!fs.existsSync(CHROMIUM)) return [{ title, columns, rows: [], notes: [`skipped: no Chromium at ${CHROMIUM}`] }];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "peft-lab-bench-formgrade-"));
  buildGradebook(dir);
  const server = await startFormgrade({ outDir: dir });
  const browser = await launchChromium();
  const reply: number[] = [];
  const roundTrip: number[] = [];
  const started = performance.now();
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    for (let i = 1; i <= ITEMS; i++) {
      await page.goto(`${server.origin}/grade?assignment=sheet4&item=why_${i}`);
      for (let s = 1; s <= STUDENTS; s++) {
        await page.locator("#points").fill(String((s + i) % (MAX_POINTS + 1)));
        const t0 = performance.now();
        const response = page.waitForResponse((r) => r.url().endsWith("/grade") && r.request().method() === "POST");
        const loaded = s < STUDENTS ? page.waitForEvent("load") : undefined;
        await page.keyboard.press("Enter");
        await response;
        reply.push((performance.now() - t0) / 1000);
        if (loaded) await loaded;
        else await page.waitForFunction(() => (globalThis as any).document.getElementById("message").className === "ok");
        roundTrip.push((performance.now() - t0) / 1000);
      }
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  const wall = (performance.now() - started) / 1000;

  // The same work without the browser and HTTP: the transaction, then the files a save writes.
  const book = new Gradebook(path.join(dir, "gradebook.sqlite"));
  const transaction: number[] = [];
  const files: number[] = [];
  for (let s = 1; s <= STUDENTS; s++) {
    const t0 = performance.now();
    const attempt = book.gradeManual(`student${String(s).padStart(2, "0")}`, "sheet4", "why_1", "1", "again");
    const t1 = performance.now();
    writeFeedback(dir, [attempt]);
    writeGradeCsvs(dir, book);
    files.push((performance.now() - t1) / 1000);
    transaction.push((t1 - t0) / 1000);
  }
  const graded = book.manualItems().filter((m) => m.points !== null).length;
  book.close();
  fs.rmSync(dir, { recursive: true, force: true });

  for (const list of [reply, roundTrip, transaction, files]) list.sort((a, b) => a - b);
  const share = (list: number[]) => fixed(median(list) / median(roundTrip), 2);
  return [
    {
      title,
      columns,
      rows: [
        ["Enter → next student's page ready", ...ms(roundTrip), roundTrip.length, share(roundTrip)],
        ["Enter → server's reply (save + files)", ...ms(reply), reply.length, share(reply)],
        ["gradebook transaction alone", ...ms(transaction), transaction.length, share(transaction)],
        ["feedback page + grades.csv + manual-queue.csv", ...ms(files), files.length, share(files)],
      ],
      notes: [
        `${graded} of ${STUDENTS * ITEMS} answers graded; the whole pass through the page took ${fixed(wall, 1)} s (${fixed(wall / (STUDENTS * ITEMS), 3)} s per answer, the page loads included)`,
        "the last two rows: this process, on the gradebook the page just filled (one more save per student)",
      ],
    },
  ];
}
