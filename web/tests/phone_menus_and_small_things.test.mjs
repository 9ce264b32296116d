// What a new user tripped over, tried again: on Ben's 360-px phone (German) and Anna's desk
// (English) the message menu stays on the screen for every message, also one's own last one,
// and moves with the arrow keys; deleting asks in the app's own dialog; an open conversation
// has one header; a direct chat names the other person once, in the header; the admin
// tables fit the phone and the audit log reads as sentences; the login page leads to an
// invitation code, and a second invitation link in the same tab is read; the recovery key
// can be saved and its dialog says why it waits; a new device asking to be linked is
// announced at once and shown as waiting; the profile page does not put the keyboard up.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  ARTEFACTS,
  annaAndBen,
  api,
  browser,
  eventually,
  logIn,
  PASSWORD,
  say,
  startDirectChat,
  startServer,
  texts,
  toTopBar,
} from "./harness.mjs";

let server;
let anna;
let ben;
let annaToken;
let slug;
const others = [];

async function step(name, f) {
  try {
    await f();
  } catch (e) {
    for (const [who, b] of Object.entries({ anna, ben })) {
      if (b) await b.page.screenshot({ path: `${ARTEFACTS}/failure-small-${name}-${who}.png` }).catch(() => {});
    }
    throw e;
  }
}

/** The box of an element against the page's viewport: every edge inside it. */
async function onScreen(page, locator, what) {
  const box = await locator.boundingBox();
  const vp = page.viewportSize();
  assert.ok(box, `${what} is shown`);
  assert.ok(
    box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width + 0.5 && box.y + box.height <= vp.height + 0.5,
    `${what} is on the screen: ${JSON.stringify(box)} in ${vp.width}×${vp.height}`,
  );
}

/** Whether the element is drawn on top at its centre (not under the composer or a header). */
function onTop(locator) {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit === el || el.contains(hit);
  });
}

before(async () => {
  server = await startServer();
  ({ anna, ben, annaToken } = await annaAndBen(server));
  slug = (await api(server, annaToken, "GET", "/me")).org.slug;
});

after(async () => {
  for (const b of [anna, ben, ...others]) await b?.context.close();
  await server?.stop();
});

test("the message menu stays on the screen for one's own last message, on a phone and a desk, and asks in the app", () =>
  step("menu", async () => {
    await startDirectChat(anna.page, { search: "Ben", email: "ben@sonnenschein.example" });
    for (let i = 1; i <= 12; i++) await say(anna.page, `Nachricht ${i} von Anna`);
    const item = ben.page.locator("[data-conversation]").first();
    await item.waitFor({ timeout: 20000 });
    await item.click();
    await eventually(async () => (await texts(ben.page)).includes("Nachricht 12 von Anna"), { what: "Anna's messages" });
    await say(ben.page, "Bin gleich da");
    const mine = ben.page.getByTestId("message").filter({ hasText: "Bin gleich da" });
    await mine.waitFor();

    // One header on the phone: the conversation's own, not the organisation's bar above it.
    assert.equal(await ben.page.locator(".topbar").isVisible(), false);
    assert.ok(await ben.page.locator(".conv-head").isVisible());
    // A direct chat: the other person is named in the header, not on each message.
    assert.equal(await ben.page.locator(".msg:not(.own) .sender").count(), 0);
    assert.equal(await ben.page.locator(".msg:not(.own) .avatar").count(), 0);

    await mine.getByRole("button", { name: "Aktionen zur Nachricht" }).click();
    const menu = ben.page.getByTestId("menu");
    await menu.waitFor();
    await onScreen(ben.page, menu, "the menu of Ben's last message");
    for (const name of ["Antworten", "Bearbeiten", "Für alle löschen"]) {
      const entry = menu.getByRole("menuitem", { name });
      await onScreen(ben.page, entry, name);
      assert.ok(await onTop(entry), `${name} is not under anything`);
    }
    await ben.page.screenshot({ path: `${ARTEFACTS}/menu-own-last-phone-de.png` });
    await ben.page.emulateMedia({ colorScheme: "dark" });
    await ben.page.screenshot({ path: `${ARTEFACTS}/menu-own-last-phone-de-dark.png` });
    await ben.page.emulateMedia({ colorScheme: "light" });

    // Deleting asks in the app's dialog; "Abbrechen" keeps the message.
    ben.page.once("dialog", () => assert.fail("the browser's own dialog was used"));
    await menu.getByRole("menuitem", { name: "Für alle löschen" }).click();
    const ask = ben.page.getByRole("dialog", { name: "Diese Nachricht für alle löschen?" });
    await ask.waitFor();
    await ben.page.screenshot({ path: `${ARTEFACTS}/ask-delete-phone-de.png` });
    await ask.getByRole("button", { name: "Abbrechen" }).click();
    await ask.waitFor({ state: "detached" });
    assert.ok((await texts(ben.page)).includes("Bin gleich da"));

    // On the desk: Anna's own last message, near the composer; arrow keys move through it.
    await eventually(async () => (await texts(anna.page)).includes("Bin gleich da"), { what: "Ben's answer" });
    await say(anna.page, "Bis gleich");
    const last = anna.page.getByTestId("message").filter({ hasText: "Bis gleich" });
    await last.hover();
    const button = last.getByRole("button", { name: "Message actions" });
    await button.click();
    const desk = anna.page.getByTestId("menu");
    await desk.waitFor();
    await onScreen(anna.page, desk, "the menu of Anna's last message");
    const items = desk.getByRole("menuitem");
    const focusedText = () => anna.page.evaluate(() => document.activeElement?.textContent ?? "");
    await eventually(async () => (await items.first().evaluate((el) => el === document.activeElement)), { what: "focus on the first item" });
    await anna.page.keyboard.press("End");
    assert.equal(await focusedText(), "Delete for everybody");
    assert.ok(await onTop(desk.getByRole("menuitem", { name: "Delete for everybody" })));
    await anna.page.keyboard.press("ArrowUp");
    assert.equal(await focusedText(), "Edit");
    await anna.page.keyboard.press("ArrowDown");
    await anna.page.keyboard.press("ArrowDown");
    assert.notEqual(await focusedText(), "Delete for everybody", "past the last item comes the first");
    await anna.page.screenshot({ path: `${ARTEFACTS}/menu-own-last-desktop-en.png` });
    await anna.page.keyboard.press("Escape");
    await desk.waitFor({ state: "detached" });
    assert.ok(await button.evaluate((el) => el === document.activeElement), "the focus is back on the button");
  }));

test("a message is copied and forwarded to a group, where it shows as forwarded; the group's first note says it was created", () =>
  step("forward", async () => {
    await anna.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    // A group with Ben, made by Anna.
    await anna.page.getByRole("link", { name: "New conversation" }).click();
    await anna.page.getByRole("radio", { name: "Group" }).click();
    await anna.page.getByLabel("Name of the group").fill("Station 3");
    await anna.page.getByLabel("Search the directory").fill("Ben");
    await anna.page.locator('[data-email="ben@sonnenschein.example"]').click();
    await anna.page.getByRole("button", { name: "Start with 1 person" }).click();
    await anna.page.getByTestId("conversation-title").filter({ hasText: "Station 3" }).waitFor({ timeout: 20000 });
    await anna.page.locator(".system", { hasText: "created the group “Station 3”" }).waitFor();

    // Back in the direct chat: copy a message's text, then forward it.
    await anna.page.locator("[data-conversation]").filter({ hasText: "Ben Weber" }).click();
    const third = anna.page.getByTestId("message").filter({ hasText: "Nachricht 3 von Anna" });
    await third.hover();
    await third.getByRole("button", { name: "Message actions" }).click();
    await anna.page.getByRole("menuitem", { name: "Copy text" }).click();
    assert.equal(await anna.page.evaluate(() => navigator.clipboard.readText()), "Nachricht 3 von Anna");
    await third.hover();
    await third.getByRole("button", { name: "Message actions" }).click();
    await anna.page.getByRole("menuitem", { name: "Forward…" }).click();
    const dialog = anna.page.getByRole("dialog", { name: "Forward to…" });
    await dialog.getByRole("button", { name: /Station 3/ }).click();
    await anna.page.locator(".toast", { hasText: "Forwarded to Station 3." }).waitFor();

    // Ben, on his phone, in German: the group says who created it, and the forwarded text.
    await ben.page.locator(".conv-head .back").click();
    await ben.page.locator("[data-conversation]").filter({ hasText: "Station 3" }).click();
    await ben.page.locator(".system", { hasText: "Anna Schmidt · hat die Gruppe „Station 3“ erstellt" }).waitFor({ timeout: 20000 });
    const forwarded = ben.page.getByTestId("message").filter({ hasText: "Nachricht 3 von Anna" });
    await forwarded.waitFor({ timeout: 20000 });
    await forwarded.getByText("Weitergeleitet").waitFor();
    await ben.page.screenshot({ path: `${ARTEFACTS}/forwarded-phone-de.png` });
  }));

test("a channel's audience is a team with its sub-teams; only admins are offered channels by default", () =>
  step("audience", async () => {
    const people = await api(server, annaToken, "GET", "/directory?q=Ben");
    const benId = people.people[0].id;
    const pflege = await api(server, annaToken, "POST", "/teams", { name: "Pflege", kind: "department", parent_id: null, description: "" });
    const nord = await api(server, annaToken, "POST", "/teams", { name: "Pflege Nord", kind: "site", parent_id: pflege.id, description: "" });
    await api(server, annaToken, "PUT", `/teams/${nord.id}/members/${benId}`, { role: "member" });

    await anna.page.getByRole("link", { name: "New conversation" }).click();
    await anna.page.getByRole("radio", { name: "Channel" }).click();
    await anna.page.getByLabel("Name of the channel").fill("Aus der Pflegedienstleitung");
    await anna.page.getByLabel("Teams (with their sub-teams)").check();
    await anna.page.getByTestId("audience-teams").getByLabel("Pflege", { exact: true }).check();
    await anna.page.screenshot({ path: `${ARTEFACTS}/channel-audience-desktop-en.png` });
    await anna.page.getByRole("button", { name: "Create the channel" }).click();
    await anna.page.getByTestId("conversation-title").filter({ hasText: "Aus der Pflegedienstleitung" }).waitFor({ timeout: 20000 });
    assert.match(await anna.page.locator(".conv-title .muted").innerText(), /you can post/);

    // Ben, in Pflege Nord, reads it; its label is whole on his phone.
    await ben.page.locator(".conv-head .back").click();
    const item = ben.page.locator("[data-conversation]").filter({ hasText: "Aus der Pflegedienstleitung" });
    await item.waitFor({ timeout: 20000 });
    const tag = item.locator(".item-tag");
    assert.equal(await tag.innerText(), "Kanal · nur lesen");
    assert.ok(await tag.evaluate((el) => el.scrollWidth <= el.clientWidth + 1), "the label is not cut");
    await ben.page.screenshot({ path: `${ARTEFACTS}/channel-in-list-phone-de.png` });
    // Ben, a member, is not offered channels.
    await ben.page.getByRole("link", { name: "Neue Unterhaltung" }).click();
    await ben.page.getByRole("radio", { name: "Gruppe" }).waitFor();
    assert.equal(await ben.page.getByRole("radio", { name: "Kanal" }).count(), 0);
    await ben.page.locator(".page-head .back").click();
  }));

test("conversations are pinned to the top and archived out of the list, and an emoji from the full picker is a reaction", () =>
  step("pin", async () => {
    const page = anna.page;
    const rows = page.locator("[data-conversation]");
    await page.locator("[data-conversation]").filter({ hasText: "Station 3" }).click();
    await page.getByTestId("conversation-menu").click();
    await page.getByRole("menuitem", { name: "Pin to the top" }).click();
    await eventually(async () => (await rows.first().innerText()).includes("Station 3"), { what: "Station 3 first" });
    await rows.first().getByTestId("pinned").waitFor();

    // React with an emoji from the full picker, found by its name.
    await say(page, "Wer übernimmt den Spätdienst?");
    const asked = page.getByTestId("message").filter({ hasText: "Spätdienst" });
    await asked.hover();
    await asked.getByRole("button", { name: "Message actions" }).click();
    await page.getByRole("menuitem", { name: "More reactions" }).click();
    const picker = page.getByTestId("emoji-picker");
    await picker.getByLabel("Find an emoji").fill("raised hand");
    await picker.getByRole("button", { name: "raised hand", exact: true }).click();
    await asked.locator(".reaction", { hasText: "✋" }).waitFor({ timeout: 15000 });

    // The direct chat goes into the archive: out of the list, under "Archived".
    await page.locator("[data-conversation]").filter({ hasText: "Ben Weber" }).click();
    await page.getByTestId("conversation-menu").click();
    await page.getByRole("menuitem", { name: "Archive" }).click();
    await eventually(async () => (await rows.filter({ hasText: "Ben Weber" }).count()) === 0, { what: "archived out of the list" });
    await page.getByRole("button", { name: "Archived" }).click();
    await rows.filter({ hasText: "Ben Weber" }).waitFor();
    await page.screenshot({ path: `${ARTEFACTS}/archived-desktop-en.png` });
    await page.getByRole("button", { name: "All" }).click();
  }));

test("a poll: Anna asks in the group, Ben votes on his phone, Anna sees the count; a pinned poll is shown under the header", () =>
  step("poll", async () => {
    const page = anna.page;
    await page.locator("[data-conversation]").filter({ hasText: "Station 3" }).click();
    await page.getByRole("button", { name: "New poll" }).click();
    const form = page.getByTestId("poll-form");
    await form.getByLabel("Question").fill("Teamtreffen wann?");
    await form.getByPlaceholder("Option 1").fill("Dienstag");
    await form.getByPlaceholder("Option 2").fill("Donnerstag");
    await form.getByLabel("Closes").selectOption("day");
    await page.screenshot({ path: `${ARTEFACTS}/poll-new-desktop-en.png` });
    await form.getByRole("button", { name: "Send the poll" }).click();
    const poll = page.getByTestId("poll").filter({ hasText: "Teamtreffen wann?" });
    await poll.waitFor({ timeout: 15000 });
    // Anna pins it for everybody.
    const message = page.getByTestId("message").filter({ has: poll });
    await message.hover();
    await message.getByRole("button", { name: "Message actions" }).click();
    await page.getByRole("menuitem", { name: "Pin", exact: true }).click();
    await page.getByTestId("pinned-bar").filter({ hasText: "Teamtreffen wann?" }).waitFor({ timeout: 15000 });

    await toTopBar(ben.page);
    await ben.page.locator("[data-conversation]").filter({ hasText: "Station 3" }).click();
    const bens = ben.page.getByTestId("poll").filter({ hasText: "Teamtreffen wann?" });
    await bens.waitFor({ timeout: 20000 });
    await ben.page.getByTestId("pinned-bar").filter({ hasText: "Teamtreffen wann?" }).waitFor({ timeout: 20000 });
    await bens.getByRole("radio", { name: /Donnerstag/ }).click();
    await bens.getByRole("radio", { name: /Donnerstag/, checked: true }).waitFor({ timeout: 15000 });
    await ben.page.screenshot({ path: `${ARTEFACTS}/poll-voted-phone-de.png` });
    await ben.page.emulateMedia({ colorScheme: "dark" });
    await ben.page.screenshot({ path: `${ARTEFACTS}/poll-voted-phone-de-dark.png` });
    await ben.page.emulateMedia({ colorScheme: "light" });
    await poll.getByText("1 person voted").waitFor({ timeout: 15000 });
    assert.match(await poll.innerText(), /Ben Weber/);
    await page.screenshot({ path: `${ARTEFACTS}/poll-counted-desktop-en.png` });
  }));

test("a colleague whose safety number was compared is marked verified, and a changed number is warned of", () =>
  step("verified", async () => {
    const page = anna.page;
    await page.locator("[data-conversation]").filter({ hasText: "Station 3" }).click();
    await page.getByRole("button", { name: "Members" }).click();
    const row = page.getByTestId("members").locator(".member", { hasText: "Ben Weber" });
    await row.getByRole("button", { name: "Safety number" }).click();
    await page.getByTestId("mark-verified").click();
    await page.getByTestId("safety-verified").waitFor();
    await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();
    await row.getByTestId("member-verified").waitFor();
    await page.screenshot({ path: `${ARTEFACTS}/member-verified-desktop-en.png` });

    // Kept is a number other than the one the keys make now (as after a new identity key).
    await page.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const r = indexedDB.open("kontor");
          r.onsuccess = () => {
            const store = r.result.transaction("cache", "readwrite").objectStore("cache");
            const get = store.get("verified-people");
            get.onsuccess = () => {
              const kept = get.result ?? {};
              for (const k of Object.keys(kept)) kept[k] = "0".repeat(60);
              store.put(kept, "verified-people").onsuccess = () => resolve(null);
            };
            get.onerror = () => reject(get.error);
          };
          r.onerror = () => reject(r.error);
        }),
    );
    await page.reload();
    await page.getByTestId("members").locator(".member", { hasText: "Ben Weber" }).getByTestId("member-safety-changed").waitFor({ timeout: 20000 });
    await page.getByTestId("members").locator(".member", { hasText: "Ben Weber" }).getByRole("button", { name: "Safety number" }).click();
    await page.getByTestId("safety-changed").waitFor();
    await page.screenshot({ path: `${ARTEFACTS}/safety-changed-desktop-en.png` });
    await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();
    await page.getByRole("button", { name: "Members" }).click();
  }));

test("admin tables fit a phone, and the audit log reads as sentences", () =>
  step("admin", async () => {
    const page = anna.page;
    await page.setViewportSize({ width: 360, height: 740 });
    try {
      for (const [section, ready] of [
        ["people", () => page.locator('tr[data-email="ben@sonnenschein.example"]').waitFor()],
        [
          "invitations",
          async () => {
            await page.getByLabel("Also show accepted, expired and revoked invitations").check();
            await page.getByTestId("invitation-list").locator("tbody tr").first().waitFor();
          },
        ],
        ["audit", () => page.getByTestId("audit-entries").locator("tbody tr").nth(2).waitFor()],
      ]) {
        await page.goto(`${server.url}/admin/${section}`);
        await ready();
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(wide <= 360, `${section}: the page is ${wide} px wide`);
        const table = page.locator("table.admin-table").first();
        const box = await table.boundingBox();
        assert.ok(box && box.x + box.width <= 360.5, `${section}: the table fits (${JSON.stringify(box)})`);
        await page.screenshot({ path: `${ARTEFACTS}/admin-${section}-phone-en.png`, fullPage: true });
      }
      const audit = await page.getByTestId("audit-entries").innerText();
      assert.ok(!/[{}"]/.test(audit), `no JSON in the audit log: ${audit}`);
      assert.match(audit, /ben@sonnenschein\.example as Member/);
      assert.match(audit, /Owner: anna@sonnenschein\.example/);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  }));

test("the login page leads to an invitation code, a second link in the same tab is read, and the recovery key waits until kept", () =>
  step("join", async () => {
    const b = await browser({ locale: "en-GB", viewport: { width: 360, height: 740 } });
    others.push(b);
    const page = b.page;
    await page.goto(server.url);
    await page.getByRole("heading", { name: "Log in" }).waitFor();
    await page.getByTestId("login-to-join").click();
    await page.getByLabel("Invitation code").waitFor();

    const clara = await api(server, annaToken, "POST", "/invitations", { email: "clara@sonnenschein.example", role: "member" });
    const dora = await api(server, annaToken, "POST", "/invitations", { email: "dora@sonnenschein.example", role: "member" });
    await page.goto(clara.link);
    await page.getByText("clara@sonnenschein.example").waitFor();
    // The second link opened in the same tab changes only the fragment.
    await page.evaluate((hash) => (location.hash = hash), new URL(dora.link).hash);
    await page.getByText("dora@sonnenschein.example").waitFor();

    await page.getByLabel("Your name").fill("Dora Dietz");
    await page.getByLabel("Choose a password").fill(PASSWORD);
    await page.getByRole("button", { name: "Join" }).click();
    await page.getByTestId("recovery-key").waitFor({ timeout: 30000 });
    // × and Escape do not close it before it is kept: the dialog says why.
    await page.keyboard.press("Escape");
    await page.getByTestId("recovery-why").waitFor();
    assert.ok(await page.getByTestId("recovery-key").isVisible());
    await page.screenshot({ path: `${ARTEFACTS}/recovery-waits-phone-en.png` });
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Save as file" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "kontor-recovery-key.txt");
    const key = (await page.getByTestId("recovery-key").innerText()).trim();
    const saved = await download.path().then((p) => import("node:fs").then((fs) => fs.readFileSync(p, "utf8")));
    assert.ok(saved.includes(key), "the file holds the key");
    await page.getByLabel("I have kept my recovery key").check();
    await page.getByRole("button", { name: "Done" }).click();
    await page.getByTestId("recovery").waitFor({ state: "detached" });
  }));

test("a new device asking to be linked is announced at once and shown as waiting; the profile does not put the keyboard up", () =>
  step("link", async () => {
    const laptop = await browser({ locale: "de-DE" });
    others.push(laptop);
    await logIn(laptop.page, server, { org: slug, email: "ben@sonnenschein.example", lang: "de" });
    await laptop.page.getByRole("heading", { name: "Dieses Gerät verknüpfen" }).waitFor({ timeout: 20000 });
    // Ben's phone, in a conversation, hears of it without looking.
    const banner = ben.page.getByTestId("link-requested");
    await banner.waitFor({ timeout: 15000 });
    assert.match(await banner.innerText(), /Ein neues Gerät möchte mit Ihrem Konto verknüpft werden/);
    await ben.page.screenshot({ path: `${ARTEFACTS}/link-requested-phone-de.png` });
    await banner.getByRole("link").click();
    await ben.page.getByTestId("link-request").waitFor({ timeout: 15000 });
    await ben.page.getByTestId("device-waiting").waitFor();
    assert.equal(await ben.page.getByTestId("device-waiting").count(), 1, "only the new device waits");
    // Nothing on the page took the focus for a keyboard to pop up.
    const focus = await ben.page.evaluate(() => document.activeElement?.tagName);
    assert.ok(!["INPUT", "TEXTAREA"].includes(focus ?? ""), `focus on ${focus}`);
    await ben.page.locator("#devices-h").scrollIntoViewIfNeeded();
    await ben.page.screenshot({ path: `${ARTEFACTS}/device-waiting-phone-de.png` });
    assert.equal(await banner.count(), 0, "seen: the banner is gone");
  }));
