// Screenshots of the main screens, in English and German, on a phone (360×740) and a desk
// (1280×800), the conversation in dark mode too: first start, login, accepting an invitation,
// the conversation list, a conversation (a reply, a reaction, an edit, a mention, bold text),
// a new conversation with directory results, the members panel, the profile with devices, a
// safety number, linking a device, the session's end. On each: every button, link and field
// has an accessible name, and nothing is wider than the screen. And the messenger works by
// keyboard: Tab to a conversation, Enter, Tab to the composer, type, Enter sends.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  ARTEFACTS,
  acceptInvitation,
  api,
  axeViolations,
  browser,
  PASSWORD,
  eventually,
  say,
  setUpOrganisation,
  startDirectChat,
  startServer,
  texts,
  tokenOf,
} from "./harness.mjs";

const VIEWPORTS = { phone: { width: 360, height: 740 }, desktop: { width: 1280, height: 800 } };
const LANGS = ["en", "de"];
const LONG_GROUP = "Qualitätszirkel Wundversorgung und Dekubitusprophylaxe";

let server;
/** Somebody's browser before logging in (later Anna's third device). */
let guest;
let anna;
let ben;
let annaToken;
let slug;
let direct;
let group;
const shots = [];
const problems = [];

/** Waits until the page has painted what it rendered (two animation frames). */
function painted(page) {
  return page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Every visible button, link and field without an accessible name, and anything wider
 * than the viewport. */
async function audit(page, where) {
  const found = await page.evaluate(() => {
    const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
    const text = (node) => {
      let s = "";
      for (const c of node.childNodes) {
        if (c.nodeType === Node.TEXT_NODE) s += c.textContent;
        else if (c.nodeType === Node.ELEMENT_NODE && c.getAttribute("aria-hidden") !== "true") {
          s += c.tagName === "IMG" ? (c.getAttribute("alt") ?? "") : text(c);
        }
      }
      return s;
    };
    const name = (el) => {
      const aria = el.getAttribute("aria-label");
      if (aria?.trim()) return aria;
      const by = el.getAttribute("aria-labelledby");
      if (by) {
        const t = by
          .split(/\s+/)
          .map((id) => document.getElementById(id)?.textContent ?? "")
          .join(" ");
        if (t.trim()) return t;
      }
      if (el.labels?.length) {
        const t = [...el.labels].map((l) => l.textContent).join(" ");
        if (t.trim()) return t;
      }
      if (!["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName) && text(el).trim()) return text(el);
      return el.getAttribute("title") ?? "";
    };
    const out = [];
    for (const el of document.querySelectorAll("button, a, input, select, textarea")) {
      if (!visible(el) || el.type === "hidden" || el.closest('[aria-hidden="true"]')) continue;
      if (!name(el).trim()) out.push(`no accessible name: ${el.outerHTML.slice(0, 160)}`);
    }
    const width = document.documentElement.clientWidth;
    for (const el of document.querySelectorAll("body *")) {
      if (!visible(el) || el.closest(".vlist, .table-wrap, pre, .sr-only")) continue;
      const r = el.getBoundingClientRect();
      if (r.right > width + 1 && r.width > 0) {
        out.push(`wider than the screen (${Math.round(r.right)} > ${width}): ${el.outerHTML.slice(0, 120)}`);
      }
    }
    if (document.documentElement.scrollWidth > width + 1) {
      out.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${width})`);
    }
    return out;
  });
  for (const f of found) problems.push(`${where}: ${f}`);
}

/** Screenshots the current screen on both viewports (and checks it on each). */
async function shoot(page, name, lang, { ready, dark = false } = {}) {
  for (const [vp, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    if (ready) await ready();
    await page.locator(".toast").waitFor({ state: "detached", timeout: 10000 });
    // No hover effects left from what the test clicked.
    await page.mouse.move(0, 0);
    await painted(page);
    const file = `screen-${name}-${vp}-${lang}${dark ? "-dark" : ""}.png`;
    await page.screenshot({ path: `${ARTEFACTS}/${file}` });
    shots.push(file);
    await audit(page, file);
    for (const v of await axeViolations(page)) problems.push(`${file}: axe: ${v}`);
  }
}

/** A screen before login, in both languages (through its language switch). */
async function shootAuth(page, name, ready) {
  for (const lang of LANGS) {
    await page.getByRole("button", { name: lang === "de" ? "Deutsch" : "English", exact: true }).click();
    await page.locator(`html[lang="${lang}"]`).waitFor({ state: "attached" });
    await shoot(page, name, lang, { ready });
  }
}

/** Goes to a page of the app the way its own links do (no reload). */
async function go(page, path) {
  await page.evaluate((p) => {
    history.pushState(null, "", p);
    dispatchEvent(new PopStateEvent("popstate"));
  }, path);
}

/** What has the focus: its tag, id, test id, conversation, label and message text. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    return {
      tag: el?.tagName.toLowerCase(),
      id: el?.id,
      testId: el?.getAttribute("data-testid"),
      conversation: el?.getAttribute("data-conversation"),
      label: el?.getAttribute("aria-label"),
      message: el?.closest("[data-testid=message]")?.querySelector("[data-testid=message-text]")?.textContent ?? null,
    };
  });
}

/** Presses Tab (or Shift+Tab) until `want` holds for the focused element. */
async function tabTo(page, want, what, key = "Tab") {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press(key);
    if (want(await focused(page))) return;
  }
  throw new Error(`${key} never reached ${what} (at ${JSON.stringify(await focused(page))})`);
}

async function step(name, f) {
  try {
    await f();
  } catch (e) {
    for (const [who, b] of Object.entries({ guest, anna, ben })) {
      if (b) await b.page.screenshot({ path: `${ARTEFACTS}/failure-screens-${name}-${who}.png` }).catch(() => {});
    }
    throw e;
  }
}

before(async () => {
  server = await startServer();
  guest = await browser({ locale: "en-GB" });
});

after(async () => {
  for (const b of [guest, anna, ben]) await b?.context.close();
  await server?.stop();
  console.log(`${shots.length} screenshots in ${ARTEFACTS}`);
});

test("the screens before login: first start, accepting an invitation, login", () =>
  step("auth", async () => {
    await guest.page.goto(server.url);
    await shootAuth(guest.page, "setup", () => guest.page.locator("#f-setup_code").waitFor());

    anna = await browser({ locale: "en-GB", viewport: VIEWPORTS.desktop });
    await setUpOrganisation(anna.page, server);
    annaToken = await tokenOf(anna.page);
    slug = (await api(server, annaToken, "GET", "/me")).org.slug;
    const invite = await api(server, annaToken, "POST", "/invitations", {
      email: "ben@sonnenschein.example",
      role: "member",
      display_name: "Ben Weber",
    });
    await guest.page.goto(invite.link);
    await shootAuth(guest.page, "invitation", () => guest.page.locator("#f-display_name").waitFor());

    await guest.page.goto(server.url);
    await guest.page.locator("#f-org").fill(slug);
    await guest.page.locator("#f-email").fill("anna@sonnenschein.example");
    await shootAuth(guest.page, "login", () =>
      guest.page.locator(".auth-head .org-name", { hasText: "Pflegedienst Sonnenschein" }).waitFor(),
    );

    ben = await browser({ locale: "de-DE", viewport: VIEWPORTS.phone });
    await acceptInvitation(ben.page, invite.link, { name: "Ben Weber", lang: "de" });
    assert.deepEqual(problems, []);
  }));

test("a conversation with a reply, a reaction, an edit, a mention and bold text", () =>
  step("content", async () => {
    const benToken = await tokenOf(ben.page);
    const benId = (await api(server, benToken, "GET", "/me")).person.id;
    await api(server, benToken, "PATCH", `/people/${benId}`, {
      job_title: "Pflegefachkraft",
      competences: ["Wundversorgung", "Palliativpflege"],
      languages: ["Deutsch", "Polnisch"],
    });

    // A group with a long name and a channel, so the list has every kind.
    await anna.page.getByRole("link", { name: "New conversation" }).click();
    await anna.page.getByRole("radio", { name: "Group" }).click();
    await anna.page.getByLabel("Name of the group").fill(LONG_GROUP);
    await anna.page.getByLabel("Search the directory").fill("Ben");
    await anna.page.locator('[data-email="ben@sonnenschein.example"]').click();
    await anna.page.getByRole("button", { name: "Start with 1 person" }).click();
    await anna.page.getByTestId("conversation-title").filter({ hasText: LONG_GROUP }).waitFor({ timeout: 20000 });
    group = new URL(anna.page.url()).pathname.split("/")[2];
    await say(anna.page, "Treffen am Donnerstag um 10 Uhr im Besprechungsraum 2");
    await anna.page.getByRole("link", { name: "New conversation" }).click();
    await anna.page.getByRole("radio", { name: "Channel" }).click();
    await anna.page.getByLabel("Name of the channel").fill("Neuigkeiten");
    await anna.page.getByLabel("Search the directory").fill("Ben");
    await anna.page.locator('[data-email="ben@sonnenschein.example"]').click();
    await anna.page.getByRole("button", { name: "Start with 1 person" }).click();
    await say(anna.page, "Die Dienstpläne für März sind da.");

    await startDirectChat(anna.page, { search: "Ben", email: "ben@sonnenschein.example" });
    direct = new URL(anna.page.url()).pathname.split("/")[2];
    await say(anna.page, "Hallo Ben, die **Übergabe** ist heute um 14 Uhr.");
    const item = ben.page.locator("[data-conversation]").filter({ has: ben.page.locator(".item-name", { hasText: "Anna Schmidt" }) });
    await item.waitFor({ timeout: 20000 });
    await item.click();
    const annas = ben.page.getByTestId("message").filter({ hasText: "Übergabe" });
    await annas.waitFor({ timeout: 15000 });
    await annas.hover();
    await annas.getByRole("button", { name: "Aktionen zur Nachricht" }).click();
    await ben.page.getByRole("menuitem", { name: "Antworten" }).click();
    await say(ben.page, "Alles klar, bis gleich");
    const reply = anna.page.getByTestId("message").filter({ hasText: "bis gleich" });
    await reply.waitFor({ timeout: 15000 });
    await reply.hover();
    await reply.getByRole("button", { name: "Message actions" }).click();
    // The quote reads as text, without the markdown marks.
    assert.equal(await reply.locator(".quote-text").innerText(), "Hallo Ben, die Übergabe ist heute um 14 Uhr.");
    await anna.page.getByRole("menuitem", { name: "React with 👍" }).click();
    // Anna's own reaction shows on her page at once (not only once something else comes in).
    await reply.locator(".reaction.mine", { hasText: "👍" }).waitFor({ timeout: 10000 });
    const bens = ben.page.getByTestId("message").filter({ hasText: "bis gleich" });
    await bens.locator(".reaction").waitFor({ timeout: 15000 });
    await bens.hover();
    await bens.getByRole("button", { name: "Aktionen zur Nachricht" }).click();
    await ben.page.getByRole("menuitem", { name: "Bearbeiten" }).click();
    await say(ben.page, "Alles klar, ich komme um 14 Uhr");
    await anna.page.getByTestId("message").filter({ hasText: "ich komme um 14 Uhr" }).getByText("edited").waitFor({ timeout: 15000 });
    await anna.page.getByTestId("composer").fill("Danke @Be");
    await anna.page.getByRole("option", { name: "@Ben Weber" }).click();
    await anna.page.getByTestId("composer").press("End");
    await anna.page.getByTestId("composer").type("! Bitte bring die _Wundfotos_ mit: `Zimmer 12`");
    await anna.page.getByTestId("composer").press("Enter");
    await ben.page.locator(".mention.me").waitFor({ timeout: 15000 });
    await say(ben.page, "Mache ich. Die Dokumentation ist hier: https://intranet.sonnenschein.example/dokumentation/wundversorgung/2026/maerz/zimmer-12");
    await eventually(async () => (await texts(anna.page)).some((t) => t.includes("intranet")), {
      what: "Ben's link on Anna's side",
    });
  }));

test("linking a device: the screen that waits for its code", () =>
  step("link", async () => {
    // Logging in by keyboard alone: Tab to each field, type, Enter.
    const page = guest.page;
    await page.goto(server.url);
    await page.locator("#f-org").waitFor();
    await tabTo(page, (f) => f.id === "f-org", "the organisation field");
    await page.keyboard.press("Control+A");
    await page.keyboard.type(slug);
    await tabTo(page, (f) => f.id === "f-email", "the e-mail field");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("anna@sonnenschein.example");
    await tabTo(page, (f) => f.id === "f-password", "the password field");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    await page.getByTestId("link-code").filter({ hasNotText: "…" }).waitFor({ timeout: 20000 });
    await shootAuth(guest.page, "link");
  }));

test("the messenger's screens in English and German, on a phone and a desk", () =>
  step("messenger", async () => {
    const page = anna.page;
    for (const lang of LANGS) {
      await go(page, "/profile");
      await page.locator("#set-lang").selectOption(lang);
      await page.locator(`html[lang="${lang}"]`).waitFor({ state: "attached" });

      await go(page, "/");
      await shoot(page, "conversation-list", lang, {
        ready: () => page.locator("[data-conversation]").nth(2).waitFor(),
      });

      await go(page, `/c/${direct}`);
      const ready = () => page.getByTestId("message").filter({ hasText: "intranet" }).waitFor();
      await shoot(page, "conversation", lang, { ready });
      await page.emulateMedia({ colorScheme: "dark" });
      await shoot(page, "conversation", lang, { ready, dark: true });
      await page.emulateMedia({ colorScheme: "light" });

      await go(page, "/new");
      await shoot(page, "new-conversation", lang, {
        ready: async () => {
          await page.locator('[data-testid="directory-results"] [data-email="ben@sonnenschein.example"]').waitFor();
          // Counted as shown: Anna herself is not offered.
          await page.getByText(lang === "de" ? "1 gefunden" : "1 found", { exact: true }).waitFor();
        },
      });

      // The group's: with the admin's controls, under a long name.
      await go(page, `/c/${group}/members`);
      await shoot(page, "members", lang, {
        ready: async () => {
          await page.getByTestId("members").locator(".member").nth(1).waitFor();
          await page.getByTestId("members").getByText(lang === "de" ? /· 1 Gerät$/ : /· 1 device$/).first().waitFor();
        },
      });
      await page.getByTestId("members").locator(".member", { hasText: "Ben Weber" }).locator("button.small").first().click();
      await shoot(page, "safety-number", lang, {
        ready: () => page.getByTestId("safety-number").locator("span").nth(11).waitFor(),
      });
      await page.keyboard.press("Escape");
      await page.getByRole("dialog").waitFor({ state: "detached" });

      await go(page, "/profile");
      await shoot(page, "profile", lang, {
        ready: async () => {
          await page.getByTestId("devices").locator("li").nth(1).waitFor({ timeout: 15000 });
          await page.getByTestId("link-request").waitFor({ timeout: 15000 });
          // The devices, not the form above them.
          await page.locator("#devices-h").evaluate((h) => h.scrollIntoView({ block: "start" }));
        },
      });
    }
    await page.setViewportSize(VIEWPORTS.desktop);
    await page.locator("#set-lang").selectOption("en");
    assert.deepEqual(problems, []);
  }));

/** Changes what this page's core keeps of a conversation (as a stop or a notice would leave
 * it), then reloads: for the screens that only a tampering server or a lost commit bring. */
async function keepConversation(page, id, change) {
  await page.evaluate(
    ({ id, change }) =>
      new Promise((resolve, reject) => {
        const r = indexedDB.open("kontor");
        r.onsuccess = () => {
          const tx = r.result.transaction("kv", "readwrite");
          const store = tx.objectStore("kv");
          const get = store.get(`conv/${id}`);
          get.onsuccess = () => {
            const raw = get.result;
            const bytes = raw instanceof ArrayBuffer ? new Uint8Array(raw) : raw;
            const state = JSON.parse(new TextDecoder().decode(bytes));
            Object.assign(state, change);
            const out = new TextEncoder().encode(JSON.stringify(state));
            store.put(raw instanceof ArrayBuffer ? out.buffer : out, `conv/${id}`);
          };
          tx.oncomplete = () => {
            r.result.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
        r.onerror = () => reject(r.error);
      }),
    { id, change },
  );
  await page.reload();
}

test("a stopped conversation says why and tries again; a device being added again, and whom messages miss", () =>
  step("stopped", async () => {
    const annaId = (await api(server, annaToken, "GET", "/me")).person.id;
    const benId = (await api(server, await tokenOf(ben.page), "GET", "/me")).person.id;
    // Ben's phone stopped the direct chat over a device of Anna's she never signed.
    await keepConversation(ben.page, direct, { stopped: { reason: "untrusted_device", person: annaId } });
    for (const lang of LANGS) {
      await go(ben.page, "/profile");
      await ben.page.locator("#set-lang").selectOption(lang);
      await ben.page.locator(`html[lang="${lang}"]`).waitFor({ state: "attached" });
      await go(ben.page, `/c/${direct}`);
      const ready = () => ben.page.getByTestId("stopped").waitFor();
      await shoot(ben.page, "stopped", lang, { ready });
      if (lang === "de") {
        await ben.page.emulateMedia({ colorScheme: "dark" });
        await shoot(ben.page, "stopped", lang, { ready, dark: true });
        await ben.page.emulateMedia({ colorScheme: "light" });
      }
    }
    assert.equal(await ben.page.getByTestId("composer").count(), 0, "nothing is written into a stopped conversation");

    // Anna is away; Ben tries again: his phone waits to be added afresh.
    await anna.page.context().setOffline(true);
    await ben.page.setViewportSize(VIEWPORTS.phone);
    await ben.page.getByRole("button", { name: "Erneut versuchen" }).click();
    await ben.page.getByTestId("rejoining").waitFor();
    await shoot(ben.page, "rejoining", "de", { ready: () => ben.page.getByTestId("rejoining").waitFor() });
    await eventually(
      async () => {
        const c = await api(server, annaToken, "GET", `/conversations/${direct}`);
        return c.rejoining.length === 1;
      },
      { what: "the server knows Ben's phone waits" },
    );

    // What Anna sees meanwhile, in her language: her messages do not reach Ben's phone.
    await keepConversation(anna.page, direct, { unreachable: [benId] });
    await go(anna.page, `/c/${direct}`);
    await shoot(anna.page, "unreachable", "en", { ready: () => anna.page.getByTestId("unreachable").waitFor() });

    // Anna is back: her app adds Ben's phone again, and they talk on.
    await anna.page.context().setOffline(false);
    await ben.page.getByTestId("rejoining").waitFor({ state: "detached", timeout: 30000 });
    await anna.page.getByTestId("unreachable").waitFor({ state: "detached", timeout: 30000 });
    await say(anna.page, "Wieder verbunden");
    await eventually(async () => (await texts(ben.page)).includes("Wieder verbunden"), {
      timeout: 20000,
      what: "Anna's message on Ben's renewed phone",
    });
    await say(ben.page, "Angekommen");
    await eventually(async () => (await texts(anna.page)).includes("Angekommen"), {
      timeout: 20000,
      what: "Ben's answer",
    });
    assert.deepEqual(problems, []);
  }));

test("the session's end, after the device was removed", () =>
  step("ended", async () => {
    const device = await guest.page.evaluate(
      () =>
        new Promise((resolve) => {
          const r = indexedDB.open("kontor");
          r.onsuccess = () => {
            const g = r.result.transaction("account").objectStore("account").get("session");
            g.onsuccess = () => {
              resolve(g.result?.device_id ?? null);
              r.result.close();
            };
            g.onerror = () => resolve(null);
          };
          r.onerror = () => resolve(null);
        }),
    );
    assert.ok(device, "the guest's browser keeps its device");
    await api(server, annaToken, "DELETE", `/me/devices/${device}`);
    await guest.page.getByTestId("session-ended").waitFor({ timeout: 10000 });
    await shootAuth(guest.page, "session-ended");
    assert.deepEqual(problems, []);
  }));

test("the messenger by keyboard: Tab to a conversation, Enter, Tab to the composer, type, Enter sends", () =>
  step("keyboard", async () => {
    const page = anna.page;
    await page.setViewportSize(VIEWPORTS.desktop);
    await page.goto(server.url);
    await page.locator("[data-conversation]").first().waitFor({ timeout: 20000 });
    await tabTo(page, (f) => f.conversation === direct, "the direct chat in the list");
    await page.keyboard.press("Enter");
    await page.getByTestId("conversation-title").filter({ hasText: "Ben Weber" }).waitFor();
    await tabTo(page, (f) => f.testId === "composer", "the composer");
    await page.keyboard.type("Per Tastatur geschrieben");
    await page.keyboard.press("Enter");
    await eventually(async () => (await texts(page)).includes("Per Tastatur geschrieben"), {
      what: "the message written by keyboard",
    });
    await eventually(async () => (await texts(ben.page)).includes("Per Tastatur geschrieben"), {
      what: "Ben receives it",
    });
    // The message's actions by keyboard too: back to its menu button, Enter, an arrow key to
    // a reaction, Enter.
    await tabTo(
      page,
      (f) => f.label === "Message actions" && f.message === "Per Tastatur geschrieben",
      "the new message's actions",
      "Shift+Tab",
    );
    await page.keyboard.press("Enter");
    // Inside the menu the arrow keys move (Tab leaves it, as in every menu).
    await tabTo(page, (f) => f.label === "React with ❤️", "the ❤️ reaction", "ArrowRight");
    await page.keyboard.press("Enter");
    const last = page.getByTestId("message").filter({ hasText: "Per Tastatur geschrieben" });
    // Shown at once on Anna's own page, and on Ben's.
    await last.locator(".reaction", { hasText: "❤️" }).waitFor({ timeout: 15000 });
    await ben.page.getByTestId("message").filter({ hasText: "Per Tastatur geschrieben" }).locator(".reaction").waitFor({ timeout: 15000 });
  }));
