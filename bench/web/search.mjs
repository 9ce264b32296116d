// Search on the device, in the browser: 10,000 end-to-end encrypted messages on Anna's
// device, then the latency of typical queries (p50/p99, in every conversation and in one) and
// what search adds to the device's store (IndexedDB). Prints figures; not a test.
//
//   cargo build --release -p kontor -p kontor-bench   # and the web app, as run.sh builds it
//   node bench/web/search.mjs [--messages 10000] [--conversations 50] [--runs 50]
//
// As first-paint.mjs: the release `kontor serve` on loopback, Debian's Chromium (headless)
// through playwright-core; Ben's messages come from `web-seed` (the command line's host
// around the same client core) through the real delivery service, and Anna's browser
// fetches, decrypts and stores them like any other. Latency is what the app sees of
// `device.search` (the `kontor:search` measure: wasm call and JSON), typed into the real
// search fields.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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
const RUNS = arg("--runs", 50);
process.env.KONTOR_BIN ??= join(ROOT, "target/release/kontor");
const BIN = process.env.KONTOR_BENCH_BIN ?? join(ROOT, "target/release");

/** The queries search-bench times too: a word in every fifth message, two words, a prefix
 * being typed, one message among all, and nothing. */
const QUERIES = ["ubergabe", "verband wech", "zimmer 12", "nachricht 4711", "xylophon"];

const kib = (x) => `${(x / 1024).toFixed(0)} KiB`;
/** The newest `kontor:search` measure once there is one: its duration and how many matched. */
const measured = () => {
  const e = performance.getEntriesByName("kontor:search")[0];
  return e && { duration: e.duration, total: e.detail?.total };
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

/** The device's store: bytes of keys and values, in all and of the messages. */
function storeBytes(page) {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const r = indexedDB.open("kontor");
        r.onerror = () => reject(r.error);
        r.onsuccess = () => {
          const out = { entries: 0, bytes: 0, messages: 0, other: {} };
          const c = r.result.transaction("kv").objectStore("kv").openCursor();
          c.onerror = () => reject(c.error);
          c.onsuccess = () => {
            const cur = c.result;
            if (!cur) return resolve(out);
            const n = String(cur.key).length + (cur.value?.byteLength ?? 0);
            out.entries += 1;
            out.bytes += n;
            if (String(cur.key).startsWith("msg/")) out.messages += n;
            cur.continue();
          };
        };
      }),
  );
}

/** Types each query into a search field `runs` times; the core's latency of each search. */
async function time(page, field, runs) {
  const out = {};
  for (const q of QUERIES) {
    const ms = [];
    let total = 0;
    for (let i = 0; i < runs; i++) {
      await page.evaluate(() => performance.clearMeasures("kontor:search"));
      await field.fill("");
      await field.fill(q);
      const m = await page.waitForFunction(measured, null, { timeout: 30000 });
      const e = await m.jsonValue();
      ms.push(e.duration);
      total = e.total;
    }
    out[q] = { ms, total };
  }
  return out;
}

function print(what, figures) {
  console.log(`${what}, ${RUNS} searches each (ms as the app sees the core):`);
  for (const [q, { ms, total }] of Object.entries(figures)) {
    console.log(
      `  ${q.padEnd(16)} ${String(total).padStart(5)} found   p50 ${pct(ms, 50).toFixed(1)} ms   p99 ${pct(ms, 99).toFixed(1)} ms`,
    );
  }
}

// One device sends 10,000 messages in a minute or two here, far past the per-device limits
// that protect a real server (the server reads its config from KONTOR_CONFIG).
const config = join(mkdtempSync(join(tmpdir(), "kontor-search-bench-")), "bench.toml");
writeFileSync(config, "[limits]\nmessages_per_minute = 100000000\nmessage_mib_per_minute = 1000000\n");
process.env.KONTOR_CONFIG ??= config;
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
  await page.goto("about:blank");
  const seeded = JSON.parse(
    execFileSync(join(BIN, "web-seed"), [
      "--server", server.url, "--code", invite.code, "--with", me.person.id,
      "--messages", String(MESSAGES), "--conversations", String(CONVERSATIONS),
    ]).toString(),
  );
  console.log(
    `seeded: ${MESSAGES} messages in one direct chat and one in each of ${CONVERSATIONS - 1} groups ` +
      `(${seeded.total_seconds.toFixed(1)} s through the delivery service)`,
  );
  const t0 = Date.now();
  await page.goto(server.url);
  const big = page.locator(`[data-conversation="${seeded.direct}"]`);
  await eventually(async () => (await page.locator("[data-conversation]").count()) >= CONVERSATIONS, {
    timeout: 600000,
    what: "every conversation",
  });
  await eventually(async () => (await big.innerText()).includes(`Nachricht ${MESSAGES - 1}`), {
    timeout: 600000,
    what: "the newest message",
  });
  console.log(`caught up in the browser in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const before = await storeBytes(page);

  // The first search folds every text once (kept in memory, never stored).
  const all = page.locator("#conv-filter");
  await page.evaluate(() => performance.clearMeasures("kontor:search"));
  await all.fill(QUERIES[0]);
  const first = await (
    await page.waitForFunction(measured, null, { timeout: 60000 })
  ).jsonValue();
  console.log(`first search (folds all ${MESSAGES + CONVERSATIONS - 1} texts): ${first.duration.toFixed(1)} ms`);

  print("every conversation", await time(page, all, RUNS));
  // Before the conversation opens (which stores its read marker).
  const afterwards = await storeBytes(page);
  console.log(
    `store (IndexedDB "kv"): ${before.entries} entries, ${kib(before.bytes)} (messages ${kib(before.messages)}); ` +
      `after ${RUNS * QUERIES.length + 1} searches: ${afterwards.entries} entries, ${kib(afterwards.bytes)}: ` +
      `search added ${afterwards.bytes - before.bytes} bytes`,
  );
  await all.fill("");
  await big.click();
  await page.getByTestId("search-here").click();
  print(`the ${MESSAGES}-message conversation`, await time(page, page.getByTestId("conversation-search"), RUNS));
} finally {
  await anna.context.close();
  await server.stop();
}
