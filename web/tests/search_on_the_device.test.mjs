// Search on the device: Anna writes to Ben about the handover ("Übergabe") in their direct
// chat and in a group, and much more after it; Ben, on his phone in German, finds both by
// typing "ubergabe" over the conversation list, and a tap shows the message (scrolled into
// view, highlighted briefly) although it is older than what the timeline had loaded. Anna,
// on her desk in English, searches only the direct chat, for "strasse", and finds "Straße".
// Screenshots on a phone and a desk, in English and German, light and dark.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ARTEFACTS, annaAndBen, eventually, say, startDirectChat, startServer, texts } from "./harness.mjs";

let server;
let anna;
let ben;

/** Messages after the one to find: more than the timeline's first page (100). */
const AFTER = 110;
const TARGET = "Die **Übergabe** an der Straße ist um 14 Uhr";

async function step(name, f) {
  try {
    await f();
  } catch (e) {
    for (const [who, b] of Object.entries({ anna, ben })) {
      if (b) await b.page.screenshot({ path: `${ARTEFACTS}/failure-search-${name}-${who}.png` }).catch(() => {});
    }
    throw e;
  }
}

function painted(page) {
  return page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Whether the element is wholly inside the timeline's visible box. */
async function inView(page, locator) {
  const [box, tl] = await Promise.all([locator.boundingBox(), page.getByTestId("timeline").boundingBox()]);
  return !!box && !!tl && box.y >= tl.y - 1 && box.y + box.height <= tl.y + tl.height + 1;
}

/** The message bubble of the timeline that holds this text. */
function message(page, text) {
  return page.getByTestId("message").filter({ has: page.getByTestId("message-text").filter({ hasText: text }) });
}

/** Sets the app's language (as the profile does) and reloads. */
async function speak(page, lang) {
  await page.evaluate((l) => localStorage.setItem("kontor.lang", l), lang);
  await page.reload();
  await page.locator("[data-conversation]").first().waitFor({ timeout: 20000 });
}

before(async () => {
  server = await startServer();
  ({ anna, ben } = await annaAndBen(server));
});

after(async () => {
  await anna?.context.close();
  await ben?.context.close();
  await server?.stop();
});

test("Ben finds a message by a folded word in every conversation, and a tap shows it", () =>
  step("all", async () => {
    // A group where the handover is mentioned too (as the start of a longer word).
    await anna.page.getByRole("link", { name: "New conversation" }).click();
    await anna.page.getByRole("radio", { name: "Group" }).click();
    await anna.page.getByLabel("Name of the group").fill("Frühdienst Nord");
    await anna.page.getByLabel("Search the directory").fill("ben");
    await anna.page.locator('[data-email="ben@sonnenschein.example"]').click();
    await anna.page.getByRole("button", { name: "Start with 1 person" }).click();
    await anna.page.getByTestId("composer").waitFor({ timeout: 20000 });
    await say(anna.page, "Das Übergabeprotokoll liegt im Dienstzimmer");

    await startDirectChat(anna.page, { search: "Ben", email: "ben@sonnenschein.example" });
    await say(anna.page, TARGET);
    for (let i = 1; i <= AFTER; i++) {
      await say(anna.page, `Zwischendurch ${i}`);
      if (i % 10 === 0) await eventually(async () => (await texts(anna.page)).includes(`Zwischendurch ${i}`));
    }
    // Ben's device has it all (decrypted) once the newest is in his list.
    const direct = ben.page.locator("[data-conversation]").filter({ hasText: `Zwischendurch ${AFTER}` });
    await direct.waitFor({ timeout: 60000 });

    const search = ben.page.getByLabel("Unterhaltungen und Nachrichten durchsuchen");
    await search.fill("ubergabe");
    const results = ben.page.getByTestId("search-results");
    await results.getByText("2 Nachrichten gefunden").waitFor({ timeout: 10000 });
    const hits = results.locator("[data-hit]");
    assert.equal(await hits.count(), 2);
    // Newest first, each with its conversation, its sender and the match marked.
    assert.match(await hits.nth(0).innerText(), /Anna Schmidt/);
    assert.deepEqual(await hits.nth(0).locator("mark").allInnerTexts(), ["Übergabe"]);
    assert.match(await hits.nth(1).innerText(), /Frühdienst Nord/);
    assert.deepEqual(await hits.nth(1).locator("mark").allInnerTexts(), ["Übergabe"]);
    assert.match(await hits.nth(0).innerText(), /Die Übergabe an der Straße ist um 14 Uhr/, "as it reads, not markdown");
    await painted(ben.page);
    await ben.page.screenshot({ path: `${ARTEFACTS}/search-all-phone-de.png` });

    // A tap opens the direct chat at the message, although it is older than the first page.
    await hits.nth(0).click();
    const found = message(ben.page, "Die Übergabe an der Straße");
    await found.waitFor({ timeout: 10000 });
    await eventually(async () => (await found.getAttribute("class"))?.includes("flash"), { what: "highlighted" });
    await eventually(() => inView(ben.page, found), { what: "the message in view" });
    await painted(ben.page);
    await ben.page.screenshot({ path: `${ARTEFACTS}/search-jump-phone-de.png` });
    // Briefly.
    await eventually(async () => !(await found.getAttribute("class"))?.includes("flash"), {
      timeout: 5000,
      what: "the highlight gone",
    });
    // Back on the list, a word that is nowhere.
    await ben.page.locator(".conv-head .back").click();
    await search.fill("xylophon");
    await ben.page.getByText("Keine Nachricht auf diesem Gerät gefunden.").waitFor();
  }));

test("Anna searches one conversation and a click shows the message", () =>
  step("one", async () => {
    // The direct chat is open on Anna's desk.
    await anna.page.getByTestId("search-here").click();
    const field = anna.page.getByTestId("conversation-search");
    await field.fill("strasse");
    const results = anna.page.getByTestId("search-results");
    await results.getByText("1 message found").waitFor({ timeout: 10000 });
    assert.deepEqual(await results.locator("mark").allInnerTexts(), ["Straße"]);
    // Only this conversation: the group's "Übergabeprotokoll" is not among the results.
    await field.fill("ubergabe");
    await eventually(async () => (await results.innerText()).includes("1 message found"), { what: "one here" });
    await painted(anna.page);
    await anna.page.screenshot({ path: `${ARTEFACTS}/search-one-desktop-en.png` });

    await results.locator("[data-hit]").first().click();
    const found = message(anna.page, "Die Übergabe an der Straße");
    await found.waitFor({ timeout: 10000 });
    await eventually(async () => (await found.getAttribute("class"))?.includes("flash"), { what: "highlighted" });
    await eventually(() => inView(anna.page, found), { what: "the message in view" });
    assert.equal(await results.count(), 0, "the results close once one is picked");
    await painted(anna.page);
    await anna.page.screenshot({ path: `${ARTEFACTS}/search-jump-desktop-en.png` });
  }));

test("the search looks right on a phone and a desk, in English and German, light and dark", () =>
  step("screens", async () => {
    for (const [who, b, layout, langs] of [
      ["anna", anna, "desktop", ["en", "de"]],
      ["ben", ben, "phone", ["de", "en"]],
    ]) {
      for (const lang of langs) {
        await speak(b.page, lang);
        for (const theme of ["light", "dark"]) {
          await b.page.emulateMedia({ colorScheme: theme });
          const field = b.page.locator("#conv-filter");
          await field.fill("übergabe");
          await b.page.locator("[data-hit]").first().waitFor({ timeout: 10000 });
          await painted(b.page);
          await b.page.screenshot({ path: `${ARTEFACTS}/search-all-${layout}-${lang}-${theme}.png` });
          await field.fill("");
          // The search in one conversation.
          await b.page.locator("[data-conversation]").filter({ hasText: `Zwischendurch ${AFTER}` }).click();
          await b.page.getByTestId("search-here").click();
          await b.page.getByTestId("conversation-search").fill("zwischendurch 10");
          await b.page.getByTestId("search-results").locator("[data-hit]").first().waitFor({ timeout: 10000 });
          await painted(b.page);
          await b.page.screenshot({ path: `${ARTEFACTS}/search-one-${layout}-${lang}-${theme}.png` });
          const overflow = await b.page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
          assert.ok(overflow <= 0, `${who} ${lang} ${theme}: nothing wider than the screen (${overflow}px)`);
          await b.page.getByRole("button", { name: lang === "de" ? "Suche schließen" : "Close the search" }).click();
          if (layout === "phone") await b.page.locator(".conv-head .back").click();
        }
      }
    }
  }));
