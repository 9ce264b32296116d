// Groups and channels in the browser: Anna makes a group with Ben and Chris, all three
// chat, Anna removes Chris (his page says so and gets nothing new) and renames the group;
// an announcement channel where Ben first only reads, then may post once Anna makes him a
// member; the conversation list's unread counts, kinds and text filter; and a long
// conversation that keeps only a window of its messages in the DOM and loads older ones
// while scrolling up.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  ARTEFACTS,
  annaAndBen,
  eventually,
  invite,
  say,
  startDirectChat,
  startServer,
  texts,
} from "./harness.mjs";

let server;
let anna;
let ben;
let chris;
let annaToken;

async function step(name, f) {
  try {
    await f();
  } catch (e) {
    for (const [who, b] of Object.entries({ anna, ben, chris })) {
      if (b) await b.page.screenshot({ path: `${ARTEFACTS}/failure-groups-${name}-${who}.png` }).catch(() => {});
    }
    throw e;
  }
}

/** Waits until the open conversation shows this text. */
function shows(page, text, what = text) {
  return eventually(async () => (await texts(page)).includes(text), { timeout: 20000, what });
}

/** Opens a conversation from the list by its name (the list is shown first on a phone). */
async function open(page, name) {
  const back = page.locator(".conv-head .back, .page-head .back");
  if (await back.isVisible()) await back.click();
  const item = page.locator("[data-conversation]").filter({ has: page.locator(".item-name", { hasText: name }) });
  await item.first().waitFor({ timeout: 20000 });
  await item.first().click();
  await page.getByTestId("conversation-title").filter({ hasText: name }).waitFor();
}

/** Starts a group or channel (English UI) with these people. */
async function create(page, kind, name, emails) {
  await page.getByRole("link", { name: "New conversation" }).click();
  await page.getByRole("radio", { name: kind === "group" ? "Group" : "Channel" }).click();
  await page.getByLabel(kind === "group" ? "Name of the group" : "Name of the channel").fill(name);
  for (const email of emails) {
    await page.getByLabel("Search the directory").fill(email.split("@")[0]);
    await page.locator(`[data-email="${email}"]`).click();
    await page.locator(`[data-email="${email}"][aria-pressed="true"]`).waitFor();
  }
  await page.getByRole("button", { name: emails.length === 1 ? "Start with 1 person" : `Start with ${emails.length} people` }).click();
  await page.getByTestId("conversation-title").filter({ hasText: name }).waitFor({ timeout: 20000 });
}

before(async () => {
  server = await startServer();
  ({ anna, ben, annaToken } = await annaAndBen(server));
  chris = await invite(server, annaToken, {
    email: "chris@sonnenschein.example",
    name: "Chris Becker",
    viewport: { width: 1024, height: 768 },
  });
});

after(async () => {
  for (const b of [anna, ben, chris]) await b?.context.close();
  await server?.stop();
});

test("a group of three: everybody writes, Chris is removed and gets nothing new, the new name reaches the others", () =>
  step("group", async () => {
    await create(anna.page, "group", "Frühdienst", ["ben@sonnenschein.example", "chris@sonnenschein.example"]);
    await say(anna.page, "Guten Morgen, Frühdienst!");
    await open(ben.page, "Frühdienst");
    await open(chris.page, "Frühdienst");
    await shows(ben.page, "Guten Morgen, Frühdienst!");
    await shows(chris.page, "Guten Morgen, Frühdienst!");
    assert.match(await chris.page.locator(".conv-title .muted").innerText(), /3 people/);

    await say(ben.page, "Moin von Ben");
    await say(chris.page, "Hallo von Chris");
    for (const page of [anna.page, ben.page, chris.page]) {
      await shows(page, "Moin von Ben");
      await shows(page, "Hallo von Chris");
    }

    // Anna removes Chris in the Members panel.
    await anna.page.getByRole("button", { name: "Members" }).click();
    const members = anna.page.getByTestId("members");
    await members.locator(".member", { hasText: "Chris Becker" }).waitFor();
    await members.getByRole("button", { name: "Remove Chris Becker" }).click();
    await anna.page.getByRole("dialog", { name: "Remove Chris Becker from this conversation?" }).getByRole("button", { name: "Remove" }).click();
    await members.locator(".member", { hasText: "Chris Becker" }).waitFor({ state: "detached", timeout: 20000 });

    // Chris's page learns it at once: the server tells the removed devices, which then find
    // they may read nothing more. His composer goes; he is told why.
    await chris.page.getByText("You are no longer in this conversation.").first().waitFor({ timeout: 20000 });
    await chris.page.getByTestId("composer").waitFor({ state: "detached" });
    // And so after a reload (or reconnecting), from the device's own state.
    await chris.page.reload();
    await chris.page.locator(".banner", { hasText: "You are no longer in this conversation." }).waitFor({ timeout: 20000 });
    assert.equal(await chris.page.getByTestId("composer").count(), 0);

    // Ben and Anna go on; what they write does not reach Chris.
    await anna.page.getByRole("button", { name: "Members" }).click();
    await say(anna.page, "Ohne Chris weiter");
    await say(ben.page, "Ben antwortet ohne Chris");
    await shows(ben.page, "Ohne Chris weiter");
    await shows(anna.page, "Ben antwortet ohne Chris");
    assert.match(await ben.page.locator(".conv-title .muted").innerText(), /2 Personen/);

    // Anna renames the group.
    await anna.page.getByRole("button", { name: "Members" }).click();
    await anna.page.getByRole("button", { name: "Rename" }).click();
    await anna.page.getByRole("dialog").getByLabel("New name").fill("Frühdienst Nord");
    await anna.page.getByRole("dialog").getByRole("button", { name: "Save" }).click();
    await anna.page.getByTestId("conversation-title").filter({ hasText: "Frühdienst Nord" }).waitFor();
    await ben.page.getByTestId("conversation-title").filter({ hasText: "Frühdienst Nord" }).waitFor({ timeout: 20000 });
    await ben.page.locator(".system", { hasText: "„Frühdienst Nord“" }).waitFor();
    await anna.page.getByRole("button", { name: "Members" }).click();

    // Chris still has only what he had while he was a member.
    const chrisSees = await texts(chris.page);
    for (const t of ["Ohne Chris weiter", "Ben antwortet ohne Chris"]) {
      assert.ok(!chrisSees.includes(t), `Chris does not get "${t}"`);
    }
    assert.ok(chrisSees.includes("Hallo von Chris"));
    await chris.page.getByTestId("conversation-title").filter({ hasText: "Frühdienst" }).waitFor();
  }));

test("an announcement channel: Ben reads, then posts once Anna makes him a member", () =>
  step("channel", async () => {
    await create(anna.page, "channel", "Neuigkeiten", ["ben@sonnenschein.example"]);
    await say(anna.page, "Die Dienstpläne für März sind da.");
    await open(ben.page, "Neuigkeiten");
    await shows(ben.page, "Die Dienstpläne für März sind da.");
    await ben.page.getByTestId("read-only").waitFor();
    assert.equal(await ben.page.getByTestId("composer").count(), 0, "a reader has no composer");
    assert.match(await ben.page.locator(".conv-title .muted").innerText(), /Sie lesen mit/);
    // Readers may copy and forward a message, not reply to it or react.
    const posted = ben.page.getByTestId("message").filter({ hasText: "Die Dienstpläne für März sind da." });
    await posted.getByRole("button", { name: "Aktionen zur Nachricht" }).click();
    const menu = ben.page.getByTestId("menu");
    await menu.getByRole("menuitem", { name: "Text kopieren" }).waitFor();
    assert.equal(await menu.getByRole("menuitem", { name: "Antworten" }).count(), 0);
    assert.equal(await menu.getByRole("menuitem", { name: /reagieren$/ }).count(), 0);
    await ben.page.keyboard.press("Escape");
    await menu.waitFor({ state: "detached" });

    await say(anna.page, "Bitte bis Freitag eintragen.");
    await shows(ben.page, "Bitte bis Freitag eintragen.");

    // Anna makes Ben a poster; his composer appears without a reload.
    await anna.page.getByRole("button", { name: "Members" }).click();
    await anna.page.getByLabel("Role of Ben Weber").selectOption({ label: "Member" });
    // Asked first, in the app's dialog.
    await anna.page.getByRole("dialog", { name: "Give Ben Weber the role “Member” in this conversation?" }).getByRole("button", { name: "Change role" }).click();
    await anna.page
      .getByTestId("members")
      .locator(".member", { hasText: "Ben Weber" })
      .getByText(/^Member ·/)
      .waitFor({ timeout: 15000 });
    await ben.page.getByTestId("composer").waitFor({ timeout: 20000 });
    await ben.page.getByTestId("read-only").waitFor({ state: "detached" });
    await say(ben.page, "Erledigt, danke!");
    await anna.page.getByRole("button", { name: "Members" }).click();
    await shows(anna.page, "Erledigt, danke!");

    // The list's "Channels" filter shows the channel and nothing else.
    await anna.page.getByRole("button", { name: "Channels", exact: true }).click();
    const names = await anna.page.locator("[data-conversation] .item-name").allInnerTexts();
    assert.equal(names.length, 1);
    assert.match(names[0], /^Neuigkeiten/);
    await anna.page.getByRole("button", { name: "All", exact: true }).click();
  }));

test("the conversation list counts what is unread and finds conversations by name and last message", () =>
  step("list", async () => {
    // Ben is on his list (on a phone the list and a conversation are separate screens).
    await ben.page.getByRole("button", { name: "Zurück" }).click();
    const group = ben.page.locator("[data-conversation]").filter({ hasText: "Frühdienst Nord" });
    await group.waitFor();
    assert.equal(await group.getByTestId("unread").count(), 0, "nothing unread yet");

    await open(anna.page, "Frühdienst Nord");
    await say(anna.page, "Erste ungelesene");
    await say(anna.page, "Zweite ungelesene");
    await say(anna.page, "Dritte ungelesene Übergabe");
    await eventually(async () => (await group.getByTestId("unread").textContent()) === "3", {
      timeout: 20000,
      what: "three unread in the group",
    });
    // The newest conversation is on top, with its last message.
    await eventually(
      async () => (await ben.page.locator("[data-conversation] .item-name").first().innerText()).startsWith("Frühdienst Nord"),
      { what: "the group on top" },
    );
    assert.match(await group.locator(".item-preview").innerText(), /Dritte ungelesene Übergabe/);
    // "Unread" shows just that one.
    await ben.page.getByRole("button", { name: "Ungelesen", exact: true }).click();
    assert.equal(await ben.page.locator("[data-conversation]").count(), 1);
    await ben.page.getByRole("button", { name: "Alle", exact: true }).click();

    // Opened, the count goes back to zero (the list stays in the DOM behind the
    // conversation on a phone).
    await group.click();
    await shows(ben.page, "Dritte ungelesene Übergabe");
    await eventually(async () => (await group.getByTestId("unread").count()) === 0, {
      what: "nothing unread once opened",
    });
    await ben.page.getByRole("button", { name: "Zurück" }).click();
    await group.waitFor();
    assert.equal(await group.getByTestId("unread").count(), 0);

    // The filter finds by name …
    const filter = ben.page.getByLabel("Unterhaltungen und Nachrichten durchsuchen");
    await filter.fill("neuigk");
    assert.deepEqual(
      (await ben.page.locator("[data-conversation] .item-name").allInnerTexts()).map((n) => n.split(/\s*Kanal/)[0]),
      ["Neuigkeiten"],
    );
    // … and by the last message.
    await filter.fill("übergabe");
    assert.deepEqual(await ben.page.locator("[data-conversation] .item-name").allInnerTexts(), ["Frühdienst Nord"]);
    await filter.fill("gibt es nicht");
    await ben.page.getByText("Keine Unterhaltung passt.").waitFor();
    await filter.fill("");
    assert.ok((await ben.page.locator("[data-conversation]").count()) >= 2);
  }));

test("a long conversation keeps a window of its messages in the DOM and loads older ones while scrolling up", () =>
  step("scroll", async () => {
    const N = 150;
    const label = (i) => `Nachricht ${String(i).padStart(3, "0")}`;
    await startDirectChat(anna.page, { search: "Ben", email: "ben@sonnenschein.example" });
    await say(anna.page, "Schreib mal viel");
    await open(ben.page, "Anna Schmidt");
    await shows(ben.page, "Schreib mal viel");
    const started = Date.now();
    for (let i = 1; i <= N; i++) {
      await say(ben.page, label(i));
      // One after another, in order, as a person types.
      if (i % 10 === 0) await shows(ben.page, label(i));
    }
    await shows(anna.page, label(N), "the last of Ben's messages on Anna's side");
    console.log(`Ben typed ${N} messages in ${Date.now() - started} ms`);

    const timeline = anna.page.getByTestId("timeline");
    await eventually(async () => Number(await timeline.getAttribute("data-rows")) >= N, {
      what: "every message in Anna's timeline",
    });
    const inDom = await anna.page.getByTestId("message").count();
    console.log(`rows ${await timeline.getAttribute("data-rows")}, in the DOM ${inDom}`);
    assert.ok(inDom < N / 2, `only a window of the messages is in the DOM (${inDom})`);
    assert.ok(!(await texts(anna.page)).includes(label(1)), "the first is not rendered at the bottom");
    // The newest ones, in the order Ben typed them, each once.
    const bottom = (await texts(anna.page)).filter((t) => t.startsWith("Nachricht "));
    assert.deepEqual(bottom, bottom.map((_, k) => label(N - bottom.length + 1 + k)), "the newest in order");

    // Opened afresh, the timeline starts with the newest page and loads older ones while
    // scrolling up, until the first message is on screen.
    await anna.page.reload();
    await eventually(async () => (await texts(anna.page)).includes(label(N)), { what: "the newest after a reload" });
    const first = Number(await timeline.getAttribute("data-rows"));
    assert.ok(first < N, `only the newest page at first (${first} rows)`);
    await eventually(
      async () => {
        await timeline.evaluate((el) => el.scrollTo(0, 0));
        return (await texts(anna.page)).includes(label(1));
      },
      { timeout: 20000, what: "the first message after scrolling to the top" },
    );
    assert.ok(Number(await timeline.getAttribute("data-rows")) >= N, "the older page was loaded");
    // The window may move once more as the older page settles: look again until it is still.
    const top = anna.page.getByTestId("message").filter({ hasText: label(1) });
    await eventually(
      async () => {
        await timeline.evaluate((el) => el.scrollTo(0, 0));
        return (await top.count()) === 1 && (await top.isVisible());
      },
      { timeout: 20000, what: "the first message visible at the top" },
    );
    assert.ok((await anna.page.getByTestId("message").count()) < N / 2, "still only a window");
    // What is rendered up there is in order, each once.
    const window = (await texts(anna.page)).filter((t) => t.startsWith("Nachricht "));
    assert.deepEqual(window, window.map((_, k) => label(k + 1)), "the first messages in order");
  }));
