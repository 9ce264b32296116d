// The web app's benchmark: first paint of the conversation list, the transfer size of JS +
// wasm, catching up 10,000 end-to-end encrypted messages in the browser, and scrolling them.
// Prints figures; not a test.
//
//   cargo build --release -p kontor-server -p kontor-bench && ./scripts/build-web.sh
//   node bench/web/first-paint.mjs [--messages 10000] [--conversations 50] [--runs 5]
//
// The real release `kontor serve` on loopback with SQLite; Debian's Chromium (headless)
// through playwright-core; Anna's browser is the device under test, Ben's messages come from
// `web-seed` (the command line's host around the same client core).
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  api,
  browser,
  eventually,
  setUpOrganisation,
  startServer,
  tokenOf,
} from "../../web/tests/harness.mjs";

const ROOT = resolve(new URL("../..", import.meta.url).pathname);
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const MESSAGES = arg("--messages", 10000);
const CONVERSATIONS = arg("--conversations", 50);
const RUNS = arg("--runs", 5);
process.env.KONTOR_BIN ??= join(ROOT, "target/release/kontor");

const ms = (x) => `${x.toFixed(0)} ms`;
const kib = (x) => `${(x / 1024).toFixed(0)} KiB`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

/** What the build puts on the wire: JS and wasm, raw and brotli (what the server sends). */
function builtSizes() {
  const dist = join(ROOT, "web/dist/assets");
  let raw = 0;
  let br = 0;
  for (const f of readdirSync(dist)) {
    if (!/\.(js|wasm)$/.test(f)) continue;
    raw += statSync(join(dist, f)).size;
    br += statSync(join(dist, `${f}.br`)).size;
  }
  return { raw, br };
}

/** Time from navigation to the conversation list showing conversations, and what loaded. */
async function paint(page) {
  await page.reload();
  await page.locator("[data-conversation]").first().waitFor({ timeout: 60000 });
  return page.evaluate(() => {
    const list = performance.getEntriesByName("kontor:list")[0]?.startTime ?? NaN;
    const fcp = performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN;
    const res = performance.getEntriesByType("resource").filter((r) => /\.(js|wasm)(\?|$)/.test(r.name));
    return {
      list,
      fcp,
      transfer: res.reduce((n, r) => n + r.transferSize, 0),
      encoded: res.reduce((n, r) => n + r.encodedBodySize, 0),
    };
  });
}

const server = await startServer();
const anna = await browser({ locale: "en-GB", viewport: { width: 1280, height: 800 } });
const { page } = anna;
try {
  await setUpOrganisation(page, server);
  const token = await tokenOf(page);
  const me = await api(server, token, "GET", "/me");
  const invite = await api(server, token, "POST", "/invitations", {
    email: "ben@sonnenschein.example",
    role: "member",
  });

  // Anna's page is away while Ben writes: she catches up from the log when it opens again.
  await page.goto("about:blank");
  const seedStarted = Date.now();
  const seeded = JSON.parse(
    execFileSync(join(ROOT, "target/release/web-seed"), [
      "--server", server.url, "--code", invite.code, "--with", me.person.id,
      "--messages", String(MESSAGES), "--conversations", String(CONVERSATIONS),
    ]).toString(),
  );
  console.log(
    `seeded: ${MESSAGES} messages in one direct chat and ${CONVERSATIONS - 1} groups, ` +
      `from the CLI host, in ${(seeded.total_seconds).toFixed(1)} s (${(MESSAGES / seeded.send_seconds).toFixed(0)} messages/s sent)`,
  );
  void seedStarted;

  // Catching up: the browser fetches and decrypts everything (wasm, IndexedDB).
  const t0 = Date.now();
  await page.goto(server.url);
  await eventually(
    async () => (await page.locator("[data-conversation]").count()) >= CONVERSATIONS,
    { timeout: 600000, what: "every conversation" },
  );
  const big = page.locator(`[data-conversation="${seeded.direct}"]`);
  await eventually(
    async () => /Nachricht \d+/.test((await big.innerText()).replace(/\s+/g, " ")) &&
      (await big.innerText()).includes(`Nachricht ${MESSAGES - 1}`),
    { timeout: 600000, what: "the newest message" },
  );
  const catchUp = (Date.now() - t0) / 1000;
  console.log(
    `catch-up in the browser: ${MESSAGES + 2 * (CONVERSATIONS - 1)} messages in ${catchUp.toFixed(1)} s ` +
      `(${(MESSAGES / catchUp).toFixed(0)} messages/s fetched, decrypted, stored)`,
  );

  // First paint, warm (the app shell from the service worker / HTTP cache).
  const warm = [];
  for (let i = 0; i < RUNS; i++) warm.push(await paint(page));
  // Cold: no cache, no service worker (the device's IndexedDB stays: a returning person).
  const cdp = await page.context().newCDPSession(page);
  const cold = [];
  for (let i = 0; i < RUNS; i++) {
    await page.evaluate(async () => {
      for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
      for (const k of await caches.keys()) await caches.delete(k);
    });
    await cdp.send("Network.clearBrowserCache");
    cold.push(await paint(page));
  }
  const sizes = builtSizes();
  console.log(
    `first paint of the conversation list (${CONVERSATIONS} conversations, ${MESSAGES} messages on the device), median of ${RUNS}:\n` +
      `  warm (cached shell): ${ms(median(warm.map((r) => r.list)))} (first contentful paint ${ms(median(warm.map((r) => r.fcp)))})\n` +
      `  cold (nothing cached): ${ms(median(cold.map((r) => r.list)))} (first contentful paint ${ms(median(cold.map((r) => r.fcp)))})`,
  );
  console.log(
    `JS + wasm: ${kib(sizes.raw)} built, ${kib(sizes.br)} brotli on disk; ` +
      `transferred on a cold load: ${kib(median(cold.map((r) => r.transfer)))} (encoded bodies ${kib(median(cold.map((r) => r.encoded)))})`,
  );

  // Opening the big conversation and scrolling all the way back through it.
  const opened = Date.now();
  await big.click();
  await page.getByTestId("message").first().waitFor();
  const openMs = Date.now() - opened;
  const timeline = page.getByTestId("timeline");
  await timeline.hover();
  const scroll = await page.evaluate(async (total) => {
    const el = document.querySelector('[data-testid="timeline"]');
    const frames = [];
    let maxRows = 0;
    let last = performance.now();
    let running = true;
    const tick = (now) => {
      frames.push(now - last);
      last = now;
      maxRows = Math.max(maxRows, el.querySelectorAll('[data-testid="message"]').length);
      if (running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const start = performance.now();
    // Scroll up like a fast flick of the wheel, 600 px a frame, until the first message.
    while (performance.now() - start < 120000) {
      el.scrollTop -= 600;
      await new Promise((r) => requestAnimationFrame(r));
      const rows = Number(el.dataset.rows);
      if (el.scrollTop <= 0 && rows >= total) break;
    }
    running = false;
    return {
      seconds: (performance.now() - start) / 1000,
      frames,
      maxRows,
      rows: Number(el.dataset.rows),
      first: el.querySelector('[data-testid="message-text"]')?.textContent ?? "",
    };
  }, MESSAGES);
  const f = scroll.frames.slice(1);
  console.log(
    `timeline of ${MESSAGES}: opened in ${openMs} ms; scrolled back through all ${scroll.rows} rows in ${scroll.seconds.toFixed(1)} s, ` +
      `${f.length} frames: p50 ${pct(f, 50).toFixed(1)} ms, p95 ${pct(f, 95).toFixed(1)} ms, p99 ${pct(f, 99).toFixed(1)} ms, ` +
      `${f.filter((x) => x > 50).length} over 50 ms; at most ${scroll.maxRows} messages in the DOM; first: "${scroll.first.slice(0, 40)}"`,
  );
} finally {
  await anna.context.close();
  await server.stop();
}
