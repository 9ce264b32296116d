// The browser tests' harness: the real `kontor` binary on 127.0.0.1 with its own data
// directory, and Debian's Chromium driven by playwright-core (fresh profile per person).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
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

/** First start in the browser: the organisation and its owner. Resolves with the owner's
 * recovery key (shown once). */
export async function setUpOrganisation(page, server, { org = "Pflegedienst Sonnenschein", name = "Anna Schmidt", email = "anna@sonnenschein.example" } = {}) {
  await page.goto(server.url);
  await page.getByLabel("Setup code").fill(server.setupCode());
  await page.getByLabel("Name of the organisation").fill(org);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Choose a password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create organisation" }).click();
  return keepRecoveryKey(page, "en");
}

/** The recovery key is shown once after the first device made the identity. */
export async function keepRecoveryKey(page, lang = "en") {
  const key = await page.getByTestId("recovery-key").textContent({ timeout: 30000 });
  await page
    .getByLabel(lang === "de" ? "Ich habe meinen Wiederherstellungsschlüssel aufbewahrt" : "I have kept my recovery key")
    .check();
  await page.getByRole("button", { name: lang === "de" ? "Fertig" : "Done" }).click();
  return key?.trim();
}

/** The session token this page keeps in IndexedDB (for API calls a test makes as that person). */
export async function tokenOf(page) {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const r = indexedDB.open("kontor");
        r.onsuccess = () => {
          const g = r.result.transaction("account").objectStore("account").get("session");
          g.onsuccess = () => resolve(g.result?.token ?? null);
          g.onerror = () => reject(g.error);
        };
        r.onerror = () => reject(r.error);
      }),
  );
}

/** Calls the API with a token. */
export async function api(server, token, method, path, body) {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Accepts an invitation link in a browser. */
export async function acceptInvitation(page, link, { name, lang = "en" }) {
  await page.goto(link);
  const de = lang === "de";
  await page.getByLabel(de ? "Ihr Name" : "Your name").fill(name);
  await page.getByLabel(de ? "Passwort wählen" : "Choose a password").fill(PASSWORD);
  await page.getByRole("button", { name: de ? "Beitreten" : "Join" }).click();
  return keepRecoveryKey(page, lang);
}

/** Types a message into the open conversation and sends it with Enter. */
export async function say(page, text) {
  const box = page.getByTestId("composer");
  await box.fill(text);
  await box.press("Enter");
}

/** The texts of the messages in the open conversation's timeline, oldest first. */
export async function texts(page) {
  return page.getByTestId("message-text").allInnerTexts();
}

/** Every file under a directory, recursively. */
export function filesUnder(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Waits until `check` returns a truthy value (polling what the page shows). */
export async function eventually(check, { timeout = 15000, what = "condition" } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

/** Makes the organisation's top bar (new conversation, admin center, profile) reachable: on a
 * phone an open conversation or page has only its own header, so this goes back first. */
export async function toTopBar(page) {
  if (await page.locator(".topbar").isVisible()) return;
  await page.locator(".conv-head .back, .page-head .back").first().click();
  await page.locator(".topbar").waitFor();
}

/** Starts a direct chat (English UI) with the person of this e-mail address: one tap on them
 * in the new-chat screen. */
export async function startDirectChat(page, { search, email }) {
  await toTopBar(page);
  await page.getByRole("link", { name: "New conversation" }).click();
  await page.getByLabel("Search the directory").fill(search);
  await page.locator(`[data-email="${email}"]`).click();
  await page.getByTestId("composer").waitFor({ timeout: 20000 });
}

/** An organisation with Anna (owner, English, desktop) and Ben (member, German, phone). */
export async function annaAndBen(server) {
  const anna = await browser({ locale: "en-GB", viewport: { width: 1280, height: 800 } });
  const ben = await browser({ locale: "de-DE", viewport: { width: 360, height: 740 } });
  const annaKey = await setUpOrganisation(anna.page, server);
  const annaToken = await tokenOf(anna.page);
  const invite = await api(server, annaToken, "POST", "/invitations", {
    email: "ben@sonnenschein.example",
    role: "member",
    display_name: "Ben Weber",
  });
  await acceptInvitation(ben.page, invite.link, { name: "Ben Weber", lang: "de" });
  return { anna, ben, annaToken, annaKey };
}

/** Logs in on the login screen (an existing person on a new browser). */
export async function logIn(page, server, { org, email, lang = "en" }) {
  const de = lang === "de";
  await page.goto(server.url);
  await page.getByLabel("Organisation").fill(org);
  await page.getByLabel(de ? "E-Mail-Adresse" : "E-mail address").fill(email);
  await page.getByLabel(de ? "Passwort" : "Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: de ? "Anmelden" : "Log in" }).click();
}

/** Invites a person through the API and has them accept in a new browser. */
export async function invite(
  server,
  token,
  { email, name, role = "member", locale = "en-GB", viewport = { width: 1280, height: 800 } },
) {
  const inv = await api(server, token, "POST", "/invitations", { email, role, display_name: name });
  const b = await browser({ locale, viewport });
  const key = await acceptInvitation(b.page, inv.link, { name, lang: locale.startsWith("de") ? "de" : "en" });
  return { ...b, key };
}

/** Whether this page's IndexedDB still has Kontor's database. */
export async function hasDatabase(page) {
  const dbs = await page.evaluate(() => indexedDB.databases());
  return dbs.some((d) => d.name === "kontor");
}

/** How often each text occurs among the open conversation's messages. */
export async function counts(page, needles) {
  const all = await texts(page);
  return needles.map((n) => all.filter((t) => t.includes(n)).length);
}

const AXE = readFileSync(join(ROOT, "web/node_modules/axe-core/axe.min.js"), "utf8");

/** The serious and critical accessibility violations axe-core (Deque's engine, not ours) finds
 * on the page as it is, in light and in dark: one line each, with where. */
export async function axeViolations(page) {
  const out = [];
  const scheme = await page.evaluate(() => document.documentElement.dataset.theme ?? "light");
  for (const colorScheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    // Evaluated through the DevTools protocol: the app's content security policy allows no
    // inline script, and rightly so.
    if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(`${AXE}\n;0`);
    const found = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(" ")} — ${n.failureSummary?.split("\n").slice(1, 2).join("")}`));
    });
    for (const f of found) out.push(`${colorScheme}: ${f}`);
  }
  await page.emulateMedia({ colorScheme: scheme === "dark" ? "dark" : "light" });
  return out;
}
