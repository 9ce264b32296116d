// Offline and back: the installed app starts from its kept shell and the device's own store
// without the network; what Ben writes meanwhile waits in the outbox; when the network
// returns the app reconnects by itself and catches up — every message exactly once.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ARTEFACTS,
  annaAndBen,
  counts,
  eventually,
  say,
  startDirectChat,
  startServer,
  texts,
} from "./harness.mjs";

test("messages survive going offline without being lost or shown twice", async () => {
  const server = await startServer();
  const { anna, ben } = await annaAndBen(server);
  try {
    await startDirectChat(anna.page, { search: "Ben", email: "ben@sonnenschein.example" });
    await say(anna.page, "Vor dem Funkloch");
    const item = ben.page.locator("[data-conversation]").first();
    await item.waitFor({ timeout: 20000 });
    await item.click();
    await eventually(async () => (await texts(ben.page)).includes("Vor dem Funkloch"), {
      what: "the first message",
    });
    // The service worker keeps the shell once it controls the page.
    await eventually(() => ben.page.evaluate(() => !!navigator.serviceWorker.controller), {
      what: "the service worker",
    });

    // Installable: Chromium finds nothing missing in the manifest, icons and service worker.
    const cdp = await ben.context.newCDPSession(ben.page);
    const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
    assert.deepEqual(installabilityErrors, [], "the app can be installed");
    const manifest = await (await fetch(`${server.url}/manifest.webmanifest`)).json();
    assert.equal(manifest.name, "Pflegedienst Sonnenschein", "in the organisation's name");
    // Nothing secret in localStorage: only the language and the theme.
    const stored = await ben.page.evaluate(() => Object.keys(localStorage));
    assert.ok(stored.every((k) => k === "kontor.lang" || k === "kontor.theme"), String(stored));

    // Names and members are kept on the device too (directory data, no message content).
    await eventually(
      () =>
        ben.page.evaluate(
          () =>
            new Promise((resolve) => {
              const r = indexedDB.open("kontor");
              r.onsuccess = () => {
                const g = r.result.transaction("cache").objectStore("cache").get("directory-v2");
                g.onsuccess = () => resolve(Object.keys(g.result?.people ?? {}).length >= 2);
                g.onerror = () => resolve(false);
              };
            }),
        ),
      { what: "the kept directory" },
    );

    // Ben loses the network.
    await ben.context.setOffline(true);
    await ben.page.reload();
    // The app starts from the kept shell and the device's own store.
    await eventually(async () => (await texts(ben.page)).includes("Vor dem Funkloch"), {
      what: "the conversation from the device's store while offline",
    });
    await ben.page.locator('[data-testid="connection"][data-state="offline"]').waitFor();
    await ben.page.getByTestId("conversation-title").filter({ hasText: "Anna Schmidt" }).waitFor();
    await ben.page.screenshot({ path: `${ARTEFACTS}/offline-de-phone.png` });

    // Ben writes while offline: it waits in the outbox.
    await say(ben.page, "Im Funkloch geschrieben");
    await ben.page.locator(".msg.queued", { hasText: "Im Funkloch geschrieben" }).waitFor();

    // Anna writes meanwhile.
    for (const n of [1, 2, 3]) await say(anna.page, `Während des Funklochs ${n}`);

    // The network returns: Ben's app reconnects and catches up by itself.
    await ben.context.setOffline(false);
    const annas = ["Während des Funklochs 1", "Während des Funklochs 2", "Während des Funklochs 3"];
    await eventually(
      async () => (await counts(ben.page, annas)).every((c) => c === 1),
      { timeout: 30000, what: "Ben catches up" },
    );
    await eventually(
      async () => (await counts(anna.page, ["Im Funkloch geschrieben"]))[0] === 1,
      { timeout: 30000, what: "Anna receives what Ben wrote offline" },
    );
    await ben.page.locator(".msg.queued").waitFor({ state: "detached", timeout: 15000 });

    // And again after a reload: nothing lost, nothing twice, in the order written.
    await ben.page.reload();
    await eventually(async () => (await texts(ben.page)).length >= 5, { what: "reloaded timeline" });
    const all = await texts(ben.page);
    for (const t of ["Vor dem Funkloch", ...annas, "Im Funkloch geschrieben"]) {
      assert.equal(all.filter((x) => x === t).length, 1, `${t} exactly once`);
    }
    assert.equal((await counts(anna.page, ["Im Funkloch geschrieben"]))[0], 1);
  } catch (e) {
    await anna.page.screenshot({ path: `${ARTEFACTS}/failure-offline-anna.png` });
    await ben.page.screenshot({ path: `${ARTEFACTS}/failure-offline-ben.png` });
    throw e;
  } finally {
    await anna.context.close();
    await ben.context.close();
    await server.stop();
  }
});
