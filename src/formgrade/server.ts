/**
 * `peft-lab formgrade`'s web server over a grading folder's gradebook. It listens on 127.0.0.1 only and checks
 * every request: the Host header must be this address (a DNS-rebound name is refused), the random token must come
 * with it (in the URL once, then in an HttpOnly SameSite=Strict cookie), and a save must be a JSON POST carrying
 * the page's CSRF token and no foreign Origin. No CORS headers are ever sent, and a CSP with a per-response nonce
 * lets only the page's own script run. Each save is one transaction in the gradebook, then that student's feedback
 * page and the grading folder's CSVs are written again.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { Gradebook, ManualGradeError } from "../grader/gradebook";
import { GRADEBOOK_FILE, writeFeedback, writeGradeCsvs } from "../grader/output";
import { gradePage, gradeUrl, groupItems, indexPage, progressOf, progressText, stylesheet, type ItemGroup } from "./page";

export interface FormgradeOptions {
  /** The grading folder `peft-lab grade --out` wrote (gradebook.sqlite, feedback/). */
  outDir: string;
  /** Default 0: any free port. */
  port?: number;
}

export interface FormgradeServer {
  /** The address to open, token included. */
  url: string;
  origin: string;
  token: string;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sameSecret(given: string | undefined | null, secret: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookie(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `a save is at most ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => {
      try {
        const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
        resolve(value as Record<string, unknown>);
      } catch {
        reject(new HttpError(400, "the request is not a JSON object"));
      }
    });
    req.on("error", reject);
  });
}

export async function startFormgrade(options: FormgradeOptions): Promise<FormgradeServer> {
  const outDir = path.resolve(options.outDir);
  const gradebookFile = path.join(outDir, GRADEBOOK_FILE);
  if (!fs.existsSync(gradebookFile)) throw new Error(`${gradebookFile} does not exist: run \`peft-lab grade --out ${options.outDir}\` first`);
  const gradebook = new Gradebook(gradebookFile);
  const token = randomBytes(24).toString("hex");
  const csrf = randomBytes(24).toString("hex");
  const css = stylesheet();
  let port = 0;
  const cookieName = () => `formgrade_${port}`;
  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];

  const groups = (): ItemGroup[] => groupItems(gradebook.manualItems());

  function send(res: http.ServerResponse, status: number, type: string, body: string, headers: http.OutgoingHttpHeaders = {}): void {
    res.writeHead(status, {
      "Content-Type": type,
      "Content-Length": Buffer.byteLength(body),
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "X-Frame-Options": "DENY",
      "Cache-Control": "no-store",
      ...headers,
    });
    res.end(body);
  }

  function sendPage(res: http.ServerResponse, render: (nonce: string) => string): void {
    const nonce = randomBytes(16).toString("base64");
    const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'self' 'unsafe-inline'; font-src data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
    send(res, 200, "text/html; charset=utf-8", render(nonce), { "Content-Security-Policy": csp });
  }

  function gradingPage(res: http.ServerResponse, query: URLSearchParams): void {
    const all = groups();
    const at = all.findIndex((g) => g.assignment === query.get("assignment") && g.itemId === query.get("item"));
    if (at < 0) throw new HttpError(404, `no written answers for item "${query.get("item")}" of "${query.get("assignment")}"`);
    const group = all[at];
    const student = query.get("student");
    const index =
      student === null
        ? Math.max(
            0,
            group.entries.findIndex((e) => e.points === null),
          )
        : group.entries.findIndex((e) => e.student === student);
    if (index < 0) throw new HttpError(404, `${student} has no answer for ${group.itemId}`);
    const entryUrl = (i: number) => (group.entries[i] ? gradeUrl(group.assignment, group.itemId, group.entries[i].student) : undefined);
    const nextGroup = all[at + 1];
    sendPage(res, (nonce) =>
      gradePage(
        {
          group,
          entry: group.entries[index],
          all: progressOf(all.flatMap((g) => g.entries)),
          previous: entryUrl(index - 1),
          next: entryUrl(index + 1),
          nextItem: nextGroup && gradeUrl(nextGroup.assignment, nextGroup.itemId),
        },
        nonce,
        csrf,
      ),
    );
  }

  async function save(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!sameSecret(req.headers["x-csrf-token"] as string | undefined, csrf))
      throw new HttpError(403, "missing or wrong CSRF token: reload the page");
    if (!/^application\/json\b/.test(req.headers["content-type"] ?? "")) throw new HttpError(415, "a save is sent as application/json");
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHosts().some((h) => origin === `http://${h}`)) throw new HttpError(403, `a save from ${origin} is refused`);
    const body = await readJson(req);
    const text = (key: string) => (typeof body[key] === "string" ? (body[key] as string) : "");
    const points = typeof body.points === "number" ? body.points : text("points");
    try {
      const attempt = gradebook.gradeManual(text("student"), text("assignment"), text("item"), points, text("comment"));
      writeFeedback(outDir, [attempt]);
      writeGradeCsvs(outDir, gradebook);
      const all = groups();
      const group = all.find((g) => g.assignment === attempt.assignment && g.itemId === text("item"))!;
      const item = attempt.items.find((i) => i.id === text("item"))!;
      send(
        res,
        200,
        "application/json",
        JSON.stringify({
          ok: true,
          points: item.points,
          max: item.maxPoints,
          total: attempt.total,
          progress: progressText(progressOf(group.entries)),
          allProgress: progressText(progressOf(all.flatMap((g) => g.entries))),
        }),
      );
    } catch (err) {
      if (!(err instanceof ManualGradeError)) throw err;
      send(res, 400, "application/json", JSON.stringify({ ok: false, field: err.field, error: err.message }));
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!allowedHosts().includes(req.headers.host ?? "")) throw new HttpError(403, `this server answers only to http://127.0.0.1:${port}`);
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
    const fromQuery = url.searchParams.get("token");
    if (sameSecret(fromQuery, token)) {
      // The token leaves the address bar (and the history) for a cookie this origin alone sends back.
      url.searchParams.delete("token");
      res.writeHead(303, {
        Location: `${url.pathname}${url.search}`,
        "Set-Cookie": `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        "Cache-Control": "no-store",
      });
      res.end();
      return;
    }
    if (!sameSecret(cookie(req, cookieName()), token)) throw new HttpError(403, "open the address with the token that `peft-lab formgrade` printed");
    if (req.method === "POST" && url.pathname === "/grade") return save(req, res);
    if (req.method !== "GET") throw new HttpError(405, `${req.method} is not served`);
    if (url.pathname === "/") return sendPage(res, (nonce) => indexPage(groups(), nonce, csrf));
    if (url.pathname === "/grade") return gradingPage(res, url.searchParams);
    if (url.pathname === "/assets.css") return send(res, 200, "text/css; charset=utf-8", css, { "Cache-Control": "private, max-age=3600" });
    throw new HttpError(404, `${url.pathname} is not here`);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (res.headersSent) res.destroy();
      else if (req.method === "POST") send(res, status, "application/json", JSON.stringify({ ok: false, field: "", error: message }));
      else send(res, status, "text/plain; charset=utf-8", `${message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      gradebook.close();
    },
  };
}
