/**
 * `peft-lab formgrade` in headless Chromium: a gradebook built through the Gradebook API (no kernel needed),
 * served; three answers graded with the keyboard only; bad points (over the maximum, text, negative) refused with
 * the server's message; a reload shows the stored grades; feedback and grades.csv carry them; a script-injection
 * answer renders as text and runs nothing. The server's own checks (token, Host, CSRF, content type) are attacked
 * over plain HTTP. Writes test-output/formgrade-*.png for a person to look at.
 * Needs Chromium: in CI it must be there; outside CI the test skips without it.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFormgrade, type FormgradeServer } from "../../src/formgrade/server";
import { Gradebook } from "../../src/grader/gradebook";
import { attemptTotals, check, scoredItem, type ItemResult } from "../../src/grader/types";
import { chromiumMissing, launchChromium } from "../helpers/chromium";
import { repoRoot } from "../helpers/paths";

// Browser globals inside page.evaluate (the project's lib has no DOM types).
declare const document: any;
declare const window: any;

const describeBrowser = chromiumMissing("formgrade browser test") ? describe.skip : describe;
const OUTPUT = path.join(repoRoot, "test-output");

const HOSTILE = [
  "<script>window.__pwned = 'script'</script>",
  '<img src="x" onerror="window.__pwned = \'img\'">',
  "[click me](javascript:window.__pwned='link') and <a href=\"javascript:window.__pwned='a'\">raw link</a>",
  "$\\href{javascript:window.__pwned='katex'}{math link}$",
  "</textarea><script>window.__pwned = 'breakout'</script>",
].join("\n\n");

const ANSWERS: Record<string, string> = {
  alice:
    "The base weights stay **frozen**: $\\Delta W = BA$ with $r \\ll d$, so\n\n$$\\#\\text{params} = r(d_{in} + d_{out})$$\n\n```typescript\nconst params = r * (dIn + dOut);\n```",
  bob: "Broken math: $\\frac{1}{$ and it goes on.",
  carol: "Because it is cheaper.",
  mallory: HOSTILE,
};

function buildGradebook(dir: string): void {
  const book = new Gradebook(path.join(dir, "gradebook.sqlite"));
  const run = book.startRun("s", {});
  for (const [student, answer] of Object.entries(ANSWERS)) {
    const items: ItemResult[] = [
      scoredItem("p1_counts_test", "auto", 4, [check("c", true, "")]),
      {
        id: "e2_base_why",
        kind: "manual",
        maxPoints: 2,
        points: null,
        checks: [],
        notes: [],
        answer,
        rubric: "**2 points**: the base is frozen; $W_0$ is shared.",
      },
      { id: "e2_lora_why", kind: "manual", maxPoints: 3, points: null, checks: [], notes: [], answer: "Low rank.", rubric: "3 points: low rank" },
    ];
    book.recordAttempt(run, `h-${student}`, "s", { student, assignment: "sheet4", items, notes: [], ...attemptTotals(items), durationMs: 1 });
  }
  book.close();
}

/** A raw request, so that the Host header and cookies are exactly what the test says. */
function request(
  server: FormgradeServer,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  const url = new URL(server.origin);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: url.port, method: options.method ?? "GET", path: options.path ?? "/", headers: options.headers },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describeBrowser("peft-lab formgrade in Chromium", () => {
  let dir: string;
  let server: FormgradeServer;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "formgrade-browser-"));
    buildGradebook(dir);
    fs.mkdirSync(OUTPUT, { recursive: true });
    server = await startFormgrade({ outDir: dir });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    // Nothing but this server: a hostile answer must not reach the network either.
    await page.route("**/*", (route) => (route.request().url().startsWith(server.origin) ? route.continue() : route.abort()));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const student = () => page.locator("#student").innerText();
  const message = () => page.locator("#message").innerText();
  async function typePoints(text: string): Promise<void> {
    await page.locator("#points").fill("");
    await page.keyboard.type(text);
  }

  it("grades three answers with the keyboard, refuses bad points, and keeps the grades across a reload", async () => {
    await page.goto(server.url);
    // The token went into a cookie and out of the address bar.
    expect(page.url()).toBe(`${server.origin}/`);
    expect(await page.locator("#progress").innerText()).toBe("0 of 8 graded");
    await page.locator('a:has-text("e2_base_why")').focus();
    await page.keyboard.press("Enter");

    // alice: math typeset, code highlighted; the points field has the focus.
    await page.waitForSelector("#student:has-text('alice')");
    expect(await page.locator("#answer .katex").count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator("#answer .katex-display").count()).toBe(1);
    expect(await page.locator("#answer pre code .hljs-keyword").first().innerText()).toBe("const");
    expect(await page.evaluate(() => document.activeElement.id)).toBe("points");
    await page.keyboard.type("1.5");
    await page.keyboard.press("Tab");
    await page.keyboard.type("Names the frozen base; the count is right.");
    await page.screenshot({ path: path.join(OUTPUT, "formgrade-answer.png"), fullPage: true });
    await page.keyboard.press("Control+Enter");

    // bob: the save opened the next student; broken math shown as written, with KaTeX's reason.
    await page.waitForSelector("#student:has-text('bob')");
    expect(await message()).toBe("saved alice: 1.5 / 2 (1 of 4 graded)");
    expect(await page.locator("#progress").innerText()).toBe("1 of 4 graded · all items: 1 of 8 graded");
    expect(await page.locator("#answer .render-error").innerText()).toMatch(/^cannot typeset/);
    expect(await page.locator("#answer pre.raw").innerText()).toBe(ANSWERS.bob);
    for (const [bad, reason] of [
      ["3", 'not saved: points must be a number from 0 to 2, got "3"'],
      ["two", 'not saved: points must be a number from 0 to 2, got "two"'],
      ["-1", 'not saved: points must be a number from 0 to 2, got "-1"'],
    ]) {
      await typePoints(bad);
      await page.keyboard.press("Enter");
      await page.waitForFunction((text: string) => document.getElementById("message").textContent === text, reason);
      expect(await student()).toContain("bob");
      expect(await page.locator("#points").getAttribute("aria-invalid")).toBe("true");
      if (bad === "3") await page.screenshot({ path: path.join(OUTPUT, "formgrade-bad-input.png"), fullPage: true });
    }
    await typePoints("2");
    await page.keyboard.press("Enter");

    // carol: graded without a comment.
    await page.waitForSelector("#student:has-text('carol')");
    await page.keyboard.type("0.5");
    await page.keyboard.press("Enter");

    // mallory: every injection shows as text, nothing ran, no javascript: link exists.
    await page.waitForSelector("#student:has-text('mallory')");
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    const answer = page.locator("#answer");
    expect(await answer.locator("script, img, iframe").count()).toBe(0);
    expect(
      await page.evaluate(() => [...document.querySelectorAll("a")].filter((a: any) => /^\s*javascript:/i.test(a.getAttribute("href") ?? "")).length),
    ).toBe(0);
    expect(await answer.innerText()).toContain("<script>window.__pwned = 'script'</script>");
    expect(await page.locator("#comment").inputValue()).toBe("");
    await page.screenshot({ path: path.join(OUTPUT, "formgrade-hostile.png"), fullPage: true });

    // Back with the keyboard (Esc leaves the field, k goes back), then a reload: the grades are stored.
    await page.keyboard.press("Escape");
    await page.keyboard.press("k");
    await page.waitForSelector("#student:has-text('carol')");
    await page.reload();
    expect(await page.locator("#points").inputValue()).toBe("0.5");
    expect(await page.locator("#progress").innerText()).toBe("3 of 4 graded · all items: 3 of 8 graded");
    await page.keyboard.press("Escape");
    await page.keyboard.press("k");
    await page.waitForSelector("#student:has-text('bob')");
    expect(await page.locator("#points").inputValue()).toBe("2");
    await page.keyboard.press("Escape");
    await page.keyboard.press("k");
    await page.waitForSelector("#student:has-text('alice')");
    expect(await page.locator("#points").inputValue()).toBe("1.5");
    expect(await page.locator("#comment").inputValue()).toBe("Names the frozen base; the count is right.");
    // n: the next item, at its first student without a grade.
    await page.keyboard.press("Escape");
    await page.keyboard.press("n");
    await page.waitForSelector("h1:has-text('e2_lora_why')");
    expect(await student()).toContain("alice");

    // Feedback and grades.csv: 4 (auto) + the manual points.
    const feedback = fs.readFileSync(path.join(dir, "feedback", "alice", "sheet4.html"), "utf8");
    expect(feedback).toContain('e2_base_why <span class="points">1.5 / 2</span>');
    expect(feedback).toContain('<blockquote class="comment">Names the frozen base; the count is right.</blockquote>');
    expect(feedback).toContain("Total: <b>5.5 / 9</b>");
    const rows = fs.readFileSync(path.join(dir, "grades.csv"), "utf8").trim().split("\r\n");
    expect(rows).toEqual([
      "student,assignment,p1_counts_test,e2_base_why,e2_lora_why,total,max",
      "alice,sheet4,4,1.5,,5.5,9",
      "bob,sheet4,4,2,,6,9",
      "carol,sheet4,4,0.5,,4.5,9",
      "mallory,sheet4,4,,,4,9",
    ]);
  }, 120_000);

  it("answers only with the token, only to its own Host, and saves only with the CSRF token as JSON", async () => {
    const port = new URL(server.origin).port;
    const cookie = `formgrade_${port}=${server.token}`;
    const host = `127.0.0.1:${port}`;
    expect((await request(server, { headers: { Host: host } })).status).toBe(403);
    expect((await request(server, { headers: { Host: host, Cookie: `formgrade_${port}=${"0".repeat(48)}` } })).status).toBe(403);
    // A DNS-rebound name with the right cookie is still refused.
    expect(await request(server, { headers: { Host: `evil.example:${port}`, Cookie: cookie } })).toEqual({
      status: 403,
      body: `this server answers only to http://127.0.0.1:${port}\n`,
    });
    const ok = await request(server, { headers: { Host: host, Cookie: cookie } });
    expect(ok.status).toBe(200);
    const csrf = /name="csrf-token" content="(\w+)"/.exec(ok.body)![1];
    const save = JSON.stringify({ student: "mallory", assignment: "sheet4", item: "e2_base_why", points: "2", comment: "" });
    const post = (headers: Record<string, string>) =>
      request(server, { method: "POST", path: "/grade", headers: { Host: host, Cookie: cookie, ...headers }, body: save });
    expect((await post({ "Content-Type": "application/json" })).status).toBe(403);
    expect((await post({ "Content-Type": "text/plain", "X-CSRF-Token": csrf })).status).toBe(415);
    expect((await post({ "Content-Type": "application/json", "X-CSRF-Token": csrf, Origin: "http://evil.example" })).status).toBe(403);
    expect(
      (await request(server, { method: "OPTIONS", path: "/grade", headers: { Host: host, Cookie: cookie, Origin: "http://evil.example" } })).status,
    ).toBe(405);
    const bad = await request(server, {
      method: "POST",
      path: "/grade",
      headers: { Host: host, Cookie: cookie, "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: "{not json",
    });
    expect(bad).toEqual({ status: 400, body: JSON.stringify({ ok: false, field: "", error: "the request is not a JSON object" }) });
    // Nothing of the refused saves reached the gradebook.
    const book = new Gradebook(path.join(dir, "gradebook.sqlite"));
    expect(book.currentAttempt("mallory", "sheet4")!.items[1].points).toBeNull();
    book.close();
  });
});
