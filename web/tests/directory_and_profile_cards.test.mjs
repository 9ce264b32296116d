// The directory as people use it to reach a colleague: a competence filter that finds by
// prefix ("Wund" finds "Wundversorgung") and suggests the organisation's competences, a
// profile card for every person (from the directory and from a sender's name), its "Message"
// button, and a direct chat that opens with one tap. Screenshots on a phone and a desk, in
// English and German, light and dark; on each, nothing is wider than the screen.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ARTEFACTS, annaAndBen, api, eventually, invite, say, startServer, tokenOf, toTopBar,
} from "./harness.mjs";

const VIEWPORTS = { phone: { width: 360, height: 740 }, desktop: { width: 1280, height: 800 } };

/** What is wider than the screen, and buttons and links without an accessible name. */
async function problems(page) {
  return page.evaluate(() => {
    const out = [];
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width + 1) out.push("the page scrolls sideways");
    for (const el of document.querySelectorAll(".dialog, .dialog *, .picker, .picker *")) {
      if (el.getClientRects().length === 0) continue;
      const r = el.getBoundingClientRect();
      if (r.right > width + 1) out.push(`wider than the screen: ${el.outerHTML.slice(0, 100)}`);
    }
    for (const el of document.querySelectorAll("button, a")) {
      if (el.getClientRects().length === 0) continue;
      const name = el.getAttribute("aria-label") || el.textContent;
      if (!name?.trim()) out.push(`no accessible name: ${el.outerHTML.slice(0, 100)}`);
    }
    return out;
  });
}

/** Screenshots what the page shows on both screens, light (and dark when asked). */
async function shoot(page, name, lang, { dark = false } = {}) {
  const found = [];
  for (const scheme of dark ? ["light", "dark"] : ["light"]) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [vp, size] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(size);
      await page.mouse.move(0, 0);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const file = `directory-${name}-${vp}-${lang}${scheme === "dark" ? "-dark" : ""}.png`;
      await page.screenshot({ path: `${ARTEFACTS}/${file}` });
      for (const p of await problems(page)) found.push(`${file}: ${p}`);
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  assert.deepEqual(found, []);
}

async function profile(server, token, patch) {
  const me = await api(server, token, "GET", "/me");
  return api(server, token, "PATCH", `/people/${me.person.id}`, patch);
}

test("a competence found by its beginning, a profile card, and a direct chat in one tap", async () => {
  const server = await startServer();
  const { anna, ben, annaToken } = await annaAndBen(server);
  const clara = await invite(server, annaToken, { email: "clara@sonnenschein.example", name: "Clara Krause" });
  const pages = { anna, ben, clara };
  try {
    const benToken = await tokenOf(ben.page);
    const benId = (await api(server, benToken, "GET", "/me")).person.id;
    await profile(server, benToken, {
      job_title: "Pflegefachkraft",
      competences: ["Wundversorgung", "Palliativpflege"],
      languages: ["Deutsch", "Polnisch"],
      location: "Köln",
      phone_extension: "+49 221 555-12",
    });
    await profile(server, annaToken, { job_title: "Pflegedienstleitung", competences: ["Wundmanagement"] });
    await profile(server, await tokenOf(clara.page), { competences: ["Diabetesberatung"] });
    const team = await api(server, annaToken, "POST", "/teams", {
      name: "Station 3",
      kind: "group",
      parent_id: null,
      description: "",
    });
    await api(server, annaToken, "PUT", `/teams/${team.id}/members/${benId}`, { role: "member" });

    // Anna looks for wound care: "Wund" and "wund" find Ben, not Clara, and the field
    // suggests the organisation's competences that begin so.
    const a = anna.page;
    await a.getByRole("link", { name: "New conversation" }).click();
    const benRow = a.locator('[data-email="ben@sonnenschein.example"]');
    const claraRow = a.locator('[data-email="clara@sonnenschein.example"]');
    await claraRow.waitFor();
    for (const typed of ["Wund", "wund"]) {
      await a.getByLabel("Competence").fill(typed);
      await claraRow.waitFor({ state: "detached" });
      await benRow.waitFor();
      await a.getByText("1 found").waitFor();
    }
    const suggestions = a.getByTestId("competence-suggestions").locator("option");
    await eventually(async () => (await suggestions.evaluateAll((os) => os.map((o) => o.value))).join("|") === "Wundmanagement|Wundversorgung", {
      what: "the suggested competences",
    });
    assert.equal(await a.locator("#pick-comp").getAttribute("list"), "pick-comp-list");
    await shoot(a, "competence-filter", "en");

    // Ben's profile card, from his avatar in the results.
    await a.getByRole("button", { name: "Show the profile of Ben Weber" }).click();
    const card = a.getByRole("dialog", { name: "Ben Weber" });
    await card.waitFor();
    const text = await card.innerText();
    for (const field of ["Pflegefachkraft", "Station 3", "Wundversorgung", "Palliativpflege", "Deutsch, Polnisch", "Köln", "+49 221 555-12", "ben@sonnenschein.example"]) {
      assert.ok(text.includes(field), `the card shows ${field}: ${text}`);
    }
    assert.equal(await card.getByTestId("card-tel").getAttribute("href"), "tel:+49221555-12");
    assert.equal(await card.getByTestId("card-mail").getAttribute("href"), "mailto:ben@sonnenschein.example");
    // The focus is in the card, on its main action; Escape closes it.
    assert.equal(await a.evaluate(() => document.activeElement?.getAttribute("aria-label")), "Message Ben Weber");
    await shoot(a, "card", "en", { dark: true });
    await a.keyboard.press("Escape");
    await card.waitFor({ state: "detached" });

    // "Message" opens (here: starts) the direct chat with him.
    await a.getByRole("button", { name: "Show the profile of Ben Weber" }).click();
    await card.getByRole("button", { name: "Message Ben Weber" }).click();
    await a.getByTestId("conversation-title").filter({ hasText: "Ben Weber" }).waitFor({ timeout: 20000 });
    await card.waitFor({ state: "detached" });
    const withBen = new URL(a.url()).pathname;
    await say(a, "Hallo Ben, hast du heute Zeit für den Verbandswechsel?");

    // One tap on Clara in the new-chat screen starts the chat with her: no second step.
    await a.getByRole("link", { name: "New conversation" }).click();
    assert.equal(await a.getByRole("button", { name: /Start with/ }).count(), 0, "no confirm step for a direct chat");
    await a.getByLabel("Search the directory").fill("Clara");
    await claraRow.click();
    await a.getByTestId("conversation-title").filter({ hasText: "Clara Krause" }).waitFor({ timeout: 20000 });
    await a.getByTestId("composer").waitFor();
    // And one tap on Ben opens the chat there is, not a second one.
    await a.getByRole("link", { name: "New conversation" }).click();
    await a.getByLabel("Search the directory").fill("Ben");
    await benRow.click();
    await a.getByTestId("conversation-title").filter({ hasText: "Ben Weber" }).waitFor();
    assert.equal(new URL(a.url()).pathname, withBen);
    const direct = await api(server, annaToken, "GET", "/conversations");
    assert.equal(direct.conversations.filter((c) => c.kind === "direct").length, 2, "one chat with Ben, one with Clara");

    // Ben, on his phone in German: in a direct chat her name is in the header, not on each
    // message; her picture there opens her card.
    const b = ben.page;
    const item = b.locator("[data-conversation]").first();
    await item.waitFor({ timeout: 20000 });
    await item.click();
    const sender = b.getByTestId("header-person");
    await sender.waitFor({ timeout: 15000 });
    await sender.click();
    const annasCard = b.getByRole("dialog", { name: "Anna Schmidt" });
    await annasCard.getByText("Pflegedienstleitung").waitFor();
    await annasCard.getByRole("link", { name: /anna@sonnenschein\.example/ }).waitFor();
    await shoot(b, "card", "de", { dark: true });
    // "Nachricht schreiben" leads to the chat he is in already.
    const here = new URL(b.url()).pathname;
    await annasCard.getByRole("button", { name: "Anna Schmidt eine Nachricht schreiben" }).click();
    await annasCard.waitFor({ state: "detached" });
    assert.equal(new URL(b.url()).pathname, here);

    // His competence filter in German: "wund" finds Anna and suggests her competence.
    await toTopBar(b);
    await b.getByRole("link", { name: "Neue Unterhaltung" }).click();
    await b.getByLabel("Kompetenz").fill("wund");
    await b.locator('[data-email="clara@sonnenschein.example"]').waitFor({ state: "detached" });
    await b.locator('[data-email="anna@sonnenschein.example"]').waitFor();
    await b.getByTestId("competence-suggestions").locator('option[value="Wundmanagement"]').waitFor({ state: "attached" });
    await shoot(b, "competence-filter", "de");
  } catch (e) {
    for (const [who, p] of Object.entries(pages)) {
      await p.page.screenshot({ path: `${ARTEFACTS}/failure-directory-${who}.png` }).catch(() => {});
    }
    throw e;
  } finally {
    for (const p of Object.values(pages)) await p.context.close();
    await server.stop();
  }
});
