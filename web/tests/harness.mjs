// The browser tests' harness: the real `kontor` binary on 127.0.0.1 with its own data
// directory, and Debian's Chromium driven by playwright-core (fresh profile per person).
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const ROOT = resolve(new URL("../..", import.meta.url).pathname);
export const ARTEFACTS = join(ROOT, "test-artefacts", "web");
mkdirSync(ARTEFACTS, { recursive: true });

/** The binary the tests run: release when built, else debug. */
function binary() {
  const env = process.env.KONTOR_BIN;
  if (env) return env;
  for (const p of ["target/release/kontor", "target/debug/kontor"]) {
    const full = join(ROOT, p);
    if (existsSync(full)) return full;
  }
  throw new Error("build kontor first (cargo build -p kontor-server)");
}

/** Starts `kontor serve` on a free port; resolves once it answers. */
export async function startServer() {
  const data = mkdtempSync(join(tmpdir(), "kontor-web-"));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const url = `http://127.0.0.1:${port}`;
  const log = [];
  const child = spawn(
    binary(),
    ["serve", "--data", data, "--listen", `127.0.0.1:${port}`, "--public-url", url, "--web-dir", join(ROOT, "web/dist")],
    { env: { ...process.env, KONTOR_LOG: "info" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout.on("data", (d) => log.push(String(d)));
  child.stderr.on("data", (d) => log.push(String(d)));
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // Not yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    data,
    log,
    setupCode: () => readFileSync(join(data, "setup-code"), "utf8").trim(),
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", resolve);
        child.kill("SIGTERM");
      }),
  };
}

const FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A person's browser: a fresh profile, in their language and on their screen. */
export async function browser({ locale = "en-GB", viewport = { width: 1280, height: 800 } } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "kontor-chromium-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: FLAGS,
    locale,
    viewport,
    headless: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => console.error("page error:", e.message));
  return { context, page };
}

export const PASSWORD = "Lindenblüte-Kaffeetasse-7";
