// Anna's devices: she chats with Ben, then logs in on her phone, which waits to be linked;
// on her first browser she types the code the phone shows (a wrong one is refused), and the
// phone becomes ready by itself with the conversation and its history (sealed device to
// device, never readable by the server). A third browser links with the recovery key that
// was shown once at first start. Anna and Ben compare safety numbers. Anna removes her
// phone: its page ends the session and keeps nothing.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  ARTEFACTS,
  annaAndBen,
  api,
  browser,
  eventually,
  hasDatabase,
  logIn,
  say,
  startDirectChat,
  startServer,
  texts,
  toTopBar,
} from "./harness.mjs";

const PHONE = { width: 360, height: 740 };
const ANNA = "anna@sonnenschein.example";

let server;
let anna;
let ben;
let annaToken;
let annaKey;
let slug;
/** Anna's second browser (a phone) and third (linked with the recovery key). */
let phone;
let third;

/** The account this page keeps in IndexedDB. */
function accountOf(page) {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const r = indexedDB.open("kontor");
        r.onsuccess = () => {
          const g = r.result.transaction("account").objectStore("account").get("session");
          // Closed again, or it would hold up the app deleting the database.
          g.onsuccess = () => {
            resolve(g.result ?? null);
            r.result.close();
          };
          g.onerror = () => reject(g.error);
        };
        r.onerror = () => reject(r.error);
      }),
  );
}

/** Runs a step; on failure keeps a screenshot of every open page. */
async function step(name, f) {
  try {
    await f();
  } catch (e) {
    const pages = { anna, ben, phone, third };
    for (const [who, b] of Object.entries(pages)) {
      if (b) await b.page.screenshot({ path: `${ARTEFACTS}/failure-devices-${name}-${who}.png` }).catch(() => {});
    }
    throw e;
  }
}

/** Opens Profile → Devices on Anna's first browser. */
async function openDevices(page) {
  await toTopBar(page);
  await page.getByRole("link", { name: "Profile and settings" }).click();
  await page.getByRole("heading", { name: "Your devices" }).waitFor();
}

/** The 60 digits of the safety number in the open dialog. */
async function safetyDigits(page) {
  const el = page.getByTestId("safety-number");
  return eventually(
    async () => {
      const digits = (await el.innerText()).replace(/\s/g, "");
      return digits.length > 0 ? digits : null;
    },
    { what: "the safety number" },
  );
}

before(async () => {
  server = await startServer();
  ({ anna, ben, annaToken, annaKey } = await annaAndBen(server));
  assert.ok(annaKey, "the recovery key was shown at first start");
  slug = (await api(server, annaToken, "GET", "/me")).org.slug;
});

after(async () => {
  for (const b of [anna, ben, phone, third]) await b?.context.close();
  await server?.stop();
});

test("Anna and Ben chat before she has a second device", () =>
  step("chat", async () => {
    await startDirectChat(anna.page, { search: "Ben", email: "ben@sonnenschein.example" });
    await say(anna.page, "Vor dem neuen Telefon 1");
    await say(anna.page, "Vor dem neuen Telefon 2");
    const item = ben.page.locator("[data-conversation]").first();
    await item.waitFor({ timeout: 20000 });
    await item.click();
    await eventually(async () => (await texts(ben.page)).includes("Vor dem neuen Telefon 2"), {
      what: "Ben receives Anna's messages",
    });
    await say(ben.page, "Antwort von Ben vorher");
    await eventually(async () => (await texts(anna.page)).includes("Antwort von Ben vorher"), {
      what: "Anna receives Ben's answer",
    });
  }));

test("a new browser of Anna's waits to be linked and shows a code; a wrong code links nothing", () =>
  step("wrong-code", async () => {
    phone = await browser({ locale: "en-GB", viewport: PHONE });
    await logIn(phone.page, server, { org: slug, email: ANNA });
    await phone.page.getByRole("heading", { name: "Link this device" }).waitFor({ timeout: 20000 });
    const code = await eventually(
      async () => {
        const c = (await phone.page.getByTestId("link-code").innerText()).trim();
        return c && c !== "…" ? c : null;
      },
      { what: "the link code" },
    );
    // A near miss: the same code with its last digit (or letter) changed.
    const last = code.at(-1);
    const other = /\d/.test(last) ? String((Number(last) + 1) % 10) : last === "A" ? "B" : "A";
    const wrong = code.slice(0, -1) + other;

    await openDevices(anna.page);
    const request = anna.page.getByTestId("link-request");
    await request.waitFor({ timeout: 15000 });
    await request.getByRole("textbox").fill(wrong);
    await request.getByRole("button", { name: "Link" }).click();
    await anna.page.locator(".toast.error").filter({ hasText: /code does not match/ }).waitFor();

    // Nothing was linked: the request still waits, and the phone still shows its code.
    const pending = await api(server, annaToken, "GET", "/identity/link-requests");
    assert.deepEqual(
      pending.requests.map((r) => r.status),
      ["pending"],
      "the request is still pending",
    );
    assert.equal((await phone.page.getByTestId("link-code").innerText()).trim(), code);
    await request.waitFor();
    phone.code = code;
  }));

test("the right code links the phone: it becomes ready by itself, with the history, and receives what is new", () =>
  step("link", async () => {
    const request = anna.page.getByTestId("link-request");
    await request.getByRole("textbox").fill(phone.code);
    await request.getByRole("button", { name: "Link" }).click();
    await anna.page.locator(".toast").filter({ hasText: "The new device is linked." }).waitFor({ timeout: 20000 });
    await request.waitFor({ state: "detached", timeout: 15000 });

    // The phone notices by itself and shows the conversation with Ben.
    const item = phone.page.locator("[data-conversation]").filter({ hasText: "Ben Weber" });
    await item.waitFor({ timeout: 20000 });
    await item.click();
    await eventually(
      async () => {
        const all = await texts(phone.page);
        return ["Vor dem neuen Telefon 1", "Vor dem neuen Telefon 2", "Antwort von Ben vorher"].every((t) =>
          all.includes(t),
        );
      },
      { what: "the earlier messages on the phone" },
    );

    // Something new from Ben reaches both of Anna's browsers.
    await say(ben.page, "Neu nach dem Verknüpfen");
    await anna.page.getByRole("link", { name: /Ben Weber/ }).first().click();
    for (const page of [anna.page, phone.page]) {
      await eventually(async () => (await texts(page)).includes("Neu nach dem Verknüpfen"), {
        timeout: 20000,
        what: "Ben's new message on each of Anna's browsers",
      });
    }
    // And what Anna writes on the phone reaches Ben and her first browser.
    await say(phone.page, "Vom Telefon geschrieben");
    for (const page of [ben.page, anna.page]) {
      await eventually(async () => (await texts(page)).includes("Vom Telefon geschrieben"), {
        timeout: 20000,
        what: "the phone's message",
      });
    }
  }));

test("Ben links a laptop while Anna's page is open and her phone is offline: nobody's chat stops", () =>
  step("colleague-links", async () => {
    // Anna's page has just caught up (a fresh start), with nothing new since: the first
    // thing it processes will be the commit that adds Ben's laptop.
    await anna.page.reload();
    await anna.page.locator('[data-testid="connection"][data-state="online"]').waitFor({ state: "attached", timeout: 20000 });
    await anna.page.getByRole("link", { name: /Ben Weber/ }).first().click();
    // Anna's phone is away meanwhile.
    await phone.context.setOffline(true);

    const laptop = await browser({ locale: "de-DE" });
    let bensConversation = new URL(ben.page.url()).pathname;
    try {
      await logIn(laptop.page, server, { org: slug, email: "ben@sonnenschein.example", lang: "de" });
      await laptop.page.getByRole("heading", { name: "Dieses Gerät verknüpfen" }).waitFor({ timeout: 20000 });
      const code = await eventually(
        async () => {
          const c = (await laptop.page.getByTestId("link-code").innerText()).trim();
          return c && c !== "…" ? c : null;
        },
        { what: "the laptop's link code" },
      );
      bensConversation = new URL(ben.page.url()).pathname;
      await toTopBar(ben.page);
      await ben.page.getByRole("link", { name: "Profil und Einstellungen" }).click();
      const request = ben.page.getByTestId("link-request");
      await request.waitFor({ timeout: 15000 });
      await request.getByRole("textbox").fill(code);
      await request.getByRole("button", { name: "Verknüpfen" }).click();
      await ben.page.locator(".toast").filter({ hasText: "Das neue Gerät ist verknüpft." }).waitFor({ timeout: 20000 });

      // Ben writes from the laptop; Anna's open page shows it, and nothing stopped.
      const item = laptop.page.locator("[data-conversation]").filter({ hasText: "Anna Schmidt" });
      await item.waitFor({ timeout: 20000 });
      await item.click();
      await say(laptop.page, "Vom Laptop geschrieben");
      await eventually(async () => (await texts(anna.page)).includes("Vom Laptop geschrieben"), {
        timeout: 20000,
        what: "the laptop's message on Anna's open page",
      });
      // Back online, the phone catches up and reads it too.
      await phone.context.setOffline(false);
      await eventually(async () => (await texts(phone.page)).includes("Vom Laptop geschrieben"), {
        timeout: 30000,
        what: "the laptop's message on Anna's phone after it was offline",
      });
      for (const page of [anna.page, phone.page, ben.page]) {
        assert.equal(await page.getByTestId("stopped").count(), 0, "no conversation stopped");
      }
      await anna.page.screenshot({ path: `${ARTEFACTS}/colleague-linked-laptop-anna.png` });
      // And Anna's answer reaches the laptop.
      await say(anna.page, "Willkommen, Laptop");
      await eventually(async () => (await texts(laptop.page)).includes("Willkommen, Laptop"), {
        timeout: 20000,
        what: "Anna's answer on Ben's laptop",
      });
    } finally {
      await laptop.context.close();
      // Ben's phone goes back to the conversation it showed.
      await ben.page.evaluate((p) => {
        history.pushState(null, "", p);
        dispatchEvent(new PopStateEvent("popstate"));
      }, bensConversation);
    }
  }));

test("a third browser links with the recovery key from first start", () =>
  step("recovery", async () => {
    third = await browser({ locale: "en-GB" });
    await logIn(third.page, server, { org: slug, email: ANNA });
    await third.page.getByRole("heading", { name: "Or use your recovery key" }).waitFor({ timeout: 20000 });
    // A wrong key is refused (its first character changed: the last one carries padding).
    const wrong = (annaKey[0] === "2" ? "3" : "2") + annaKey.slice(1);
    await third.page.getByLabel("Recovery key", { exact: true }).fill(wrong);
    await third.page.getByRole("button", { name: "Link with recovery key" }).click();
    await third.page.locator(".auth .error").waitFor();
    await third.page.getByRole("heading", { name: "Link this device" }).waitFor();
    // The right one links.
    await third.page.getByLabel("Recovery key", { exact: true }).fill(annaKey);
    await third.page.getByRole("button", { name: "Link with recovery key" }).click();
    await third.page.getByRole("link", { name: "New conversation" }).waitFor({ timeout: 20000 });
    await third.page
      .locator('[data-testid="connection"][data-state="online"]')
      .waitFor({ state: "attached", timeout: 20000 });
  }));

test("Anna and Ben see the same safety number, and so does Anna's phone", () =>
  step("safety", async () => {
    // Anna: Members panel → Safety number.
    await anna.page.getByRole("button", { name: "Members" }).click();
    const annaMembers = anna.page.getByTestId("members");
    await annaMembers.locator(".member", { hasText: "Ben Weber" }).getByRole("button", { name: "Safety number" }).click();
    const fromAnna = await safetyDigits(anna.page);
    assert.match(fromAnna, /^\d{60}$/);
    await anna.page.getByRole("dialog").getByRole("button", { name: "Close" }).click();

    // Ben (German): Mitglieder → Sicherheitsnummer.
    await ben.page.getByRole("button", { name: "Mitglieder" }).click();
    await ben.page
      .getByTestId("members")
      .locator(".member", { hasText: "Anna Schmidt" })
      .getByRole("button", { name: "Sicherheitsnummer" })
      .click();
    const fromBen = await safetyDigits(ben.page);
    assert.equal(fromBen, fromAnna, "the same 60 digits on both sides");
    await ben.page.getByRole("dialog").getByRole("button", { name: "Schließen" }).click();
    await ben.page.getByRole("button", { name: "Mitglieder" }).click();
    await ben.page.getByTestId("composer").waitFor();
    await anna.page.getByRole("button", { name: "Members" }).click();
    await anna.page.getByTestId("composer").waitFor();

    // Anna's phone has the same identity: Profile → Safety numbers → Ben.
    await phone.page.getByRole("button", { name: "Back" }).click();
    await toTopBar(phone.page);
    await phone.page.getByRole("link", { name: "Profile and settings" }).click();
    const section = phone.page.locator("section", { has: phone.page.getByRole("heading", { name: "Safety numbers" }) });
    await section.getByLabel("Search the directory").fill("Ben");
    await section.locator('[data-email="ben@sonnenschein.example"]').click();
    assert.equal(await safetyDigits(phone.page), fromAnna, "the phone shows the same number");
    await phone.page.getByRole("dialog").getByRole("button", { name: "Close" }).click();
  }));

test("Anna removes her phone: its page ends the session at once and keeps nothing", () =>
  step("revoke", async () => {
    const phoneDevice = (await accountOf(phone.page)).device_id;
    assert.ok(await hasDatabase(phone.page));
    await openDevices(anna.page);
    const row = anna.page.locator(`[data-device="${phoneDevice}"]`);
    await row.waitFor();
    await row.getByRole("button", { name: "Remove" }).click();
    await anna.page.getByRole("dialog").getByRole("button", { name: "Remove" }).click();
    await phone.page.getByTestId("session-ended").waitFor({ timeout: 10000 });
    // The server closes the revoked device's connection before it delivers the
    // device_revoked event, so the page cannot tell a removal from a logout; both texts say
    // that the device may have been removed.
    assert.match(await phone.page.getByTestId("session-ended").innerText(), /this device was removed/i);
    assert.equal(await hasDatabase(phone.page), false, "the phone's keys and messages are deleted");
    await row.waitFor({ state: "detached" });

    // The others go on: Ben's next message reaches Anna's first and third browsers.
    await say(ben.page, "Nach dem Entfernen");
    await anna.page.getByRole("link", { name: /Ben Weber/ }).first().click();
    await eventually(async () => (await texts(anna.page)).includes("Nach dem Entfernen"), {
      timeout: 20000,
      what: "Ben's message after the removal",
    });
    const item = third.page.locator("[data-conversation]").filter({ hasText: "Ben Weber" });
    await item.waitFor({ timeout: 20000 });
    await item.click();
    await eventually(async () => (await texts(third.page)).includes("Nach dem Entfernen"), {
      timeout: 20000,
      what: "Ben's message on the browser linked with the recovery key",
    });
  }));
