// Anna sets up her organisation in the browser, invites Ben, Ben accepts in a second
// browser, they chat both ways live (replies, reactions, edits, deletes, mentions, the
// markdown subset); the server never sees the words; Anna deprovisions Ben and his page ends
// his session at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  ARTEFACTS,
  acceptInvitation,
  api,
  browser,
  eventually,
  filesUnder,
  logIn,
  say,
  setUpOrganisation,
  startServer,
  texts,
  tokenOf,
} from "./harness.mjs";

const CANARY = `KANARIE${Math.random().toString(36).slice(2, 10).toUpperCase()}`;

test("Anna and Ben chat end to end in the browser, and Ben's access ends at once", async () => {
  const server = await startServer();
  const anna = await browser({ locale: "en-GB", viewport: { width: 1280, height: 800 } });
  const ben = await browser({ locale: "de-DE", viewport: { width: 360, height: 740 } });
  try {
    await setUpOrganisation(anna.page, server);
    await anna.page.getByText("No conversations yet.").waitFor();

    // Anna invites Ben (through the API with her browser's session; the admin center has
    // its own test).
    const annaToken = await tokenOf(anna.page);
    const invite = await api(server, annaToken, "POST", "/invitations", {
      email: "ben@sonnenschein.example",
      role: "member",
      display_name: "Ben Weber",
    });
    assert.match(invite.link, /\/join#code=/);

    // Ben accepts on his phone, in German.
    await acceptInvitation(ben.page, invite.link, { name: "Ben Weber", lang: "de" });
    await ben.page.getByText("Noch keine Unterhaltungen.").waitFor();

    // Anna starts a direct chat with Ben from the directory.
    await anna.page.getByRole("link", { name: "New conversation" }).click();
    await anna.page.getByLabel("Search the directory").fill("Ben");
    await anna.page.locator('[data-email="ben@sonnenschein.example"]').click();
    await anna.page.getByTestId("conversation-title").filter({ hasText: "Ben Weber" }).waitFor();
    await say(anna.page, `Hallo Ben, die **Übergabe** ist um 14 Uhr ${CANARY}-1`);
    await eventually(async () => (await texts(anna.page)).some((t) => t.includes(`${CANARY}-1`)), {
      what: "Anna's own message",
    });
    const bold = anna.page.locator("strong", { hasText: "Übergabe" });
    await bold.waitFor();

    // Ben sees it arrive live, with an unread count, and opens the chat.
    const item = ben.page.locator("[data-conversation]").first();
    await item.waitFor({ timeout: 20000 });
    await eventually(async () => (await item.getByTestId("unread").textContent()) === "1", {
      what: "Ben's unread count",
    });
    await item.click();
    await eventually(async () => (await texts(ben.page)).some((t) => t.includes(`${CANARY}-1`)), {
      what: "Ben receives Anna's message",
    });

    // Ben replies to it.
    const annasMessage = ben.page.getByTestId("message").filter({ hasText: `${CANARY}-1` });
    await annasMessage.hover();
    await annasMessage.getByRole("button", { name: "Aktionen zur Nachricht" }).click();
    await ben.page.getByRole("menuitem", { name: "Antworten" }).click();
    await say(ben.page, `Alles klar, bis gleich ${CANARY}-2`);
    const reply = anna.page.getByTestId("message").filter({ hasText: `${CANARY}-2` });
    await reply.waitFor({ timeout: 15000 });
    assert.match(await reply.locator(".quote").innerText(), /Übergabe/);

    // Anna reacts; Ben sees the reaction.
    await reply.hover();
    await reply.getByRole("button", { name: "Message actions" }).click();
    await anna.page.getByRole("menuitem", { name: "React with 👍" }).click();
    const bensReply = ben.page.getByTestId("message").filter({ hasText: `${CANARY}-2` });
    await bensReply.locator(".reaction", { hasText: "👍" }).waitFor({ timeout: 15000 });

    // Ben edits his reply; Anna sees the new text and that it was edited.
    await bensReply.hover();
    await bensReply.getByRole("button", { name: "Aktionen zur Nachricht" }).click();
    await ben.page.getByRole("menuitem", { name: "Bearbeiten" }).click();
    await say(ben.page, `Alles klar, ich komme ${CANARY}-3`);
    const edited = anna.page.getByTestId("message").filter({ hasText: `${CANARY}-3` });
    await edited.waitFor({ timeout: 15000 });
    await edited.getByText("edited").waitFor();

    // Anna mentions Ben; his page shows it as a mention of him.
    await anna.page.getByTestId("composer").fill("Danke @Be");
    await anna.page.getByRole("option", { name: "@Ben Weber" }).waitFor();
    await anna.page.getByTestId("composer").press("Enter");
    await anna.page.getByTestId("composer").press("End");
    await anna.page.getByTestId("composer").type(`! ${CANARY}-4`);
    await anna.page.getByTestId("composer").press("Enter");
    await ben.page.locator(".mention.me", { hasText: "@Ben Weber" }).waitFor({ timeout: 15000 });

    // A list and a code block in the markdown subset.
    await anna.page.getByTestId("composer").fill(`- Verband wechseln ${CANARY}-5`);
    await anna.page.getByTestId("composer").press("Shift+Enter");
    await anna.page.getByTestId("composer").type("- Blutdruck messen");
    await anna.page.getByTestId("composer").press("Enter");
    await ben.page.locator(".li", { hasText: "Blutdruck messen" }).waitFor({ timeout: 15000 });

    // Anna deletes her first message for everybody.
    const first = anna.page
      .getByTestId("message")
      .filter({ has: anna.page.getByTestId("message-text").filter({ hasText: `${CANARY}-1` }) });
    await first.hover();
    // Asked in the app's own dialog, never the browser's confirm().
    anna.page.once("dialog", () => assert.fail("the browser's own dialog was used"));
    await first.getByRole("button", { name: "Message actions" }).click();
    await anna.page.getByRole("menuitem", { name: "Delete for everybody" }).click();
    const ask = anna.page.getByRole("dialog", { name: "Delete this message for everybody?" });
    await ask.getByRole("button", { name: "Delete for everybody" }).click();
    await ben.page.getByText("Diese Nachricht wurde gelöscht.").first().waitFor({ timeout: 15000 });
    assert.ok(!(await texts(ben.page)).some((t) => t.includes(`${CANARY}-1`)));

    // Deprovisioning: Ben's page ends his session at once, and keeps nothing.
    const people = await api(server, annaToken, "GET", "/directory?q=Ben");
    const benId = people.people[0].id;
    const before = Date.now();
    await api(server, annaToken, "POST", `/people/${benId}/deprovision`);
    await ben.page.getByTestId("session-ended").waitFor({ timeout: 5000 });
    // The page says that his organisation ended his access, and logging in again says so too.
    assert.equal(await ben.page.getByTestId("session-ended").innerText(), "Ihre Organisation hat Ihren Zugang beendet.");
    const took = Date.now() - before;
    console.log(`Ben's page ended his session ${took} ms after the deprovisioning`);
    const dbs = await ben.page.evaluate(() => indexedDB.databases());
    assert.ok(!dbs.some((d) => d.name === "kontor"), "Ben's keys and messages are deleted");
    await ben.page.reload();
    await ben.page.getByRole("heading", { name: "Anmelden" }).waitFor();
    const slug = (await api(server, annaToken, "GET", "/me")).org.slug;
    await logIn(ben.page, server, { org: slug, email: "ben@sonnenschein.example", lang: "de" });
    await ben.page.getByText("Ihre Organisation hat Ihren Zugang beendet.").waitFor();
    await ben.page.screenshot({ path: `${ARTEFACTS}/access-ended-login-de-phone.png` });
    // Anna's table says since when it ended.
    await anna.page.goto(`${server.url}/admin/people`);
    await anna.page.getByLabel("Also show suspended people and people whose access has ended").check();
    const row = anna.page.locator('tr[data-email="ben@sonnenschein.example"]');
    await row.getByText("Access ended").waitFor();
    const since = await row.getByTestId("status-since").innerText();
    assert.ok(since.includes(String(new Date().getFullYear())), since);
  } catch (e) {
    await anna.page.screenshot({ path: `${ARTEFACTS}/failure-anna.png` });
    await ben.page.screenshot({ path: `${ARTEFACTS}/failure-ben.png` });
    throw e;
  } finally {
    await anna.context.close();
    await ben.context.close();
    await server.stop();
  }

  // The canary: the words typed in the browsers are nowhere on the server.
  const found = [];
  for (const f of filesUnder(server.data)) {
    const bytes = readFileSync(f);
    if (bytes.includes(CANARY) || bytes.includes(Buffer.from(CANARY, "utf16le"))) found.push(f);
  }
  assert.deepEqual(found, [], "no message text in the server's database, WAL or data directory");
  const log = server.log.join("");
  assert.ok(log.length > 0, "the server logged");
  assert.ok(!log.includes(CANARY), "no message text in the server's log");
});
