// The admin center in a real browser against the real server: the owner invites a person
// (who joins in a German browser), imports a CSV, builds teams, changes a role and a policy,
// reads the audit log and brands the organisation; the new admin then sees the admin center
// in German. Screenshots of every section on a desk and a phone, in English and German.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { join } from "node:path";
import { ARTEFACTS, PASSWORD, browser, startServer } from "./harness.mjs";

const SECTIONS = ["people", "invitations", "import", "teams", "policies", "audit", "branding"];
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };

/** Polls `f` until it returns something truthy; fails with `what` after `ms`. */
async function until(what, f, ms = 15000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await f();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A small square PNG in one colour, made here (no image files in the repository). */
function png(size, [r, g, b]) {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const x of buf) c = table[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

async function openSection(page, label) {
  await page.getByRole("navigation", { name: /Administration|Admin-Bereich/ }).getByRole("link", { name: label, exact: true }).click();
}

/**
 * How well text in the app's link colour reads where the app draws it: a link and a sender's
 * name made with the app's own CSS, their computed colour against the page's computed
 * background (WCAG contrast, computed in the page).
 */
async function linkContrast(page) {
  return page.evaluate(() => {
    const rgb = (c) => c.match(/[\d.]+/g).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const ratio = (a, b) => {
      const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
      return (hi + 0.05) / (lo + 0.05);
    };
    const bg = rgb(getComputedStyle(document.body).backgroundColor);
    const probe = document.createElement("div");
    probe.innerHTML = '<a href="#x">link</a> <p class="sender">Ben</p> <span class="mention">@Ben</span>';
    document.body.append(probe);
    const ratios = [...probe.children].map((el) => ratio(rgb(getComputedStyle(el).color), bg));
    probe.remove();
    return Math.min(...ratios);
  });
}

/** What each section shows once it has loaded, so the screenshot has content. */
async function sectionReady(page, section) {
  await page.getByTestId(`admin-${section}`).waitFor();
  const ready = {
    people: () => page.locator('[data-testid="admin-people"] tbody tr').first().waitFor(),
    invitations: () => page.getByTestId("invitation-list").waitFor(),
    import: () => page.locator("#import-text").waitFor(),
    teams: () => page.getByTestId("team-tree").locator("button").first().waitFor(),
    policies: () => page.locator("#f-pol-retention").waitFor(),
    audit: () => page.locator('[data-testid="audit-entries"] tbody tr').first().waitFor(),
    branding: () => page.getByTestId("brand-preview").waitFor(),
  };
  await ready[section]();
}

/** Screenshots of all sections at the page's current size. */
async function shootAll(page, labels, suffix) {
  // Not with the notes of what was just done over the content.
  await until("toasts gone", async () => (await page.locator(".toast").count()) === 0);
  for (const section of SECTIONS) {
    await openSection(page, labels[section]);
    await sectionReady(page, section);
    // Teams: show one team's members, not just the tree.
    if (section === "teams") {
      await page.getByTestId("team-tree").getByRole("button", { name: /Station Nord/ }).click();
      await page.getByTestId("team-members").waitFor();
    }
    await page.screenshot({ path: join(ARTEFACTS, `admin-${section}-${suffix}.png`) });
    // On a phone the list is below the fold: a second picture with it in view.
    const table = TABLES[section];
    if (suffix.startsWith("phone") && table) {
      await page.locator(table).first().scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTEFACTS, `admin-${section}-table-${suffix}.png`) });
    }
  }
}

/** The whole page in one picture: the app scrolls inside itself, so on a screen this tall. */
async function shootWhole(page, name) {
  await until("toasts gone", async () => (await page.locator(".toast").count()) === 0);
  const size = page.viewportSize();
  await page.setViewportSize({ width: size.width, height: size.width < 640 ? 2600 : 1500 });
  await page.screenshot({ path: join(ARTEFACTS, name) });
  await page.setViewportSize(size);
}

/** The branding page whole, in light and dark, at the page's current width. */
async function shootBranding(page, labels, suffix) {
  await openSection(page, labels.branding);
  await sectionReady(page, "branding");
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await shootWhole(page, `admin-branding-whole-${suffix}${scheme === "dark" ? "-dark" : ""}.png`);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

/** The list of each section that has one. */
const TABLES = {
  people: '[data-testid="admin-people"] table',
  invitations: '[data-testid="invitation-list"]',
  teams: '[data-testid="team-members"]',
  audit: '[data-testid="audit-entries"]',
};

const EN = {
  people: "People",
  invitations: "Invitations",
  import: "CSV import",
  teams: "Teams",
  policies: "Policies",
  audit: "Audit log",
  branding: "Branding",
};
const DE = {
  people: "Personen",
  invitations: "Einladungen",
  import: "CSV-Import",
  teams: "Teams",
  policies: "Richtlinien",
  audit: "Protokoll",
  branding: "Erscheinungsbild",
};

test("the admin center, end to end, in English and German", { timeout: 240_000 }, async () => {
  const s = await startServer();
  const anna = await browser({ locale: "en-GB", viewport: DESKTOP });
  let ben = null;
  try {
    const page = anna.page;

    // The owner, through the first-start screen.
    await page.goto(s.url);
    await page.getByLabel("Setup code").fill(s.setupCode());
    await page.getByLabel("Name of the organisation").fill("Pflegedienst Sonnenschein");
    await page.getByLabel("Your name").fill("Anna Schmidt");
    await page.getByLabel("E-mail address").fill("anna@sonnenschein.example");
    await page.getByLabel("Choose a password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create organisation" }).click();
    await page.getByLabel("I have kept my recovery key").check();
    await page.getByRole("button", { name: "Done" }).click();

    // Into the admin center from the header.
    await page.getByRole("link", { name: "Administration" }).click();
    await page.getByRole("heading", { name: "Administration", level: 1 }).waitFor();
    await sectionReady(page, "people");
    assert.ok(await page.locator('tr[data-email="anna@sonnenschein.example"]').isVisible(), "the owner is listed");

    // Invite one person: the link is shown once.
    await openSection(page, "Invitations");
    await page.getByLabel("E-mail address").fill("ben@sonnenschein.example");
    await page.getByLabel("Name (optional)").fill("Ben Becker");
    await page.getByLabel("Role", { exact: true }).selectOption("member");
    await page.getByRole("button", { name: "Create invitation" }).click();
    const created = page.getByTestId("invitation-created");
    await created.waitFor();
    const link = await page.getByLabel("Invitation link", { exact: true }).inputValue();
    assert.match(link, /\/join#code=/);
    assert.match(await created.innerText(), /shown only now/);
    await page.locator('[data-testid="invitation-list"] tr[data-email="ben@sonnenschein.example"]').waitFor();

    // Ben joins, in a German browser on a phone.
    ben = await browser({ locale: "de-DE", viewport: PHONE });
    await ben.page.goto(link);
    await until("Ben's name suggested", async () => (await ben.page.getByLabel("Ihr Name").inputValue()) === "Ben Becker");
    await ben.page.getByLabel("Passwort wählen").fill(PASSWORD);
    await ben.page.getByRole("button", { name: "Beitreten" }).click();
    await ben.page.getByLabel("Ich habe meinen Wiederherstellungsschlüssel aufbewahrt").check();
    await ben.page.getByRole("button", { name: "Fertig" }).click();
    // A member has no admin center.
    await ben.page.getByRole("link", { name: "Neue Unterhaltung" }).waitFor();
    assert.equal(await ben.page.getByRole("link", { name: "Admin-Bereich" }).count(), 0);

    // CSV import: three lines, one with a bad address.
    await openSection(page, "CSV import");
    const csv = [
      "email,display_name,role,job_title,competences,languages",
      "carla@sonnenschein.example,Carla Weber,member,Pflegefachkraft,Wundversorgung;Palliativpflege,Deutsch;Polnisch",
      "keine-adresse,Dieter Falsch,member,,,",
      "emil@sonnenschein.example,Emil Braun,guest,Praktikant,,Deutsch",
    ].join("\n");
    await page.getByLabel("CSV file").setInputFiles({ name: "team.csv", mimeType: "text/csv", buffer: Buffer.from(csv, "utf8") });
    await until("the file in the text field", async () => (await page.locator("#import-text").inputValue()).includes("carla@"));
    await page.getByRole("button", { name: "Import and invite" }).click();
    const summary = page.getByTestId("import-summary");
    await summary.waitFor();
    assert.equal((await summary.innerText()).trim(), "2 imported, 1 skipped");
    const bad = page.locator('[data-testid="import-lines"] tr[data-line="3"]');
    assert.match(await bad.innerText(), /keine-adresse/);
    assert.match(await bad.innerText(), /Skipped/);
    assert.match(await bad.innerText(), /'keine-adresse' is not a valid e-mail address\./);
    const good = page.locator('[data-testid="import-lines"] tr[data-line="2"]');
    assert.match(await good.innerText(), /Imported/);
    assert.match(await good.innerText(), /\/join#code=/);
    assert.match(await page.locator('[data-testid="import-lines"] tr[data-line="4"]').innerText(), /\/join#code=/);
    await page.getByTestId("import-report").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTEFACTS, "admin-import-report-desktop-en.png") });

    // Teams: a department and a ward inside it, with Ben as its lead.
    await openSection(page, "Teams");
    const newTeam = page.getByRole("form", { name: "New team" });
    await newTeam.getByLabel("Name of the team").fill("Pflege");
    await newTeam.getByLabel("Kind").selectOption("department");
    await newTeam.getByRole("button", { name: "Create team" }).click();
    await page.getByTestId("team-tree").getByRole("button", { name: /^Pflege/ }).waitFor();
    await newTeam.getByLabel("Name of the team").fill("Station Nord");
    await newTeam.getByLabel("Kind").selectOption("site");
    await newTeam.getByLabel("Part of").selectOption({ label: "Pflege" });
    await newTeam.getByRole("button", { name: "Create team" }).click();
    await page.getByTestId("team-tree").getByRole("button", { name: /Station Nord.*sub-team of Pflege/ }).waitFor();
    // The new team is open; its heading names the parent.
    await page.getByRole("heading", { name: "Pflege › Station Nord" }).waitFor();
    await page.getByLabel("Find a person").fill("Ben");
    await page.getByRole("button", { name: "Add Ben Becker as lead" }).click();
    const lead = page.getByLabel("Role of Ben Becker in the team");
    await until("Ben as lead", async () => (await lead.inputValue()) === "lead");

    // Roles: Ben becomes an admin.
    await openSection(page, "People");
    const role = page.getByLabel("Role of Ben Becker", { exact: true });
    await role.selectOption("admin");
    // Picking is not yet changing: the role is saved on purpose.
    await page.getByRole("button", { name: "Make Ben Becker Admin" }).click();
    await page.getByText("Ben Becker is now Admin.").waitFor();
    const benRow = page.locator('tr[data-email="ben@sonnenschein.example"]');
    assert.match(await benRow.innerText(), /Station Nord/);
    assert.match(await benRow.innerText(), /Lead/);
    // The owner's own role cannot be changed here: no control for it.
    assert.equal(await page.getByLabel("Role of Anna Schmidt", { exact: true }).count(), 0);

    // A policy, and it sticks after a reload.
    await openSection(page, "Policies");
    await page.getByLabel("Delete messages after").fill("30");
    // Only policies of what exists are offered: no read receipts or online status yet.
    assert.equal(await page.getByLabel("Read receipts").count(), 0);
    assert.equal(await page.getByLabel(/Self-registration/).count(), 0);
    await page.getByLabel("Owners and admins manage every group and channel they are in").uncheck();
    await page.getByLabel("Who creates announcement channels").selectOption("members");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("The policies were saved.").waitFor();
    await page.reload();
    await page.getByTestId("admin-policies").waitFor();
    await until("retention after reload", async () => (await page.getByLabel("Delete messages after").inputValue()) === "30");
    assert.equal(await page.getByLabel("Owners and admins manage every group and channel they are in").isChecked(), false);
    assert.equal(await page.getByLabel("Who creates announcement channels").inputValue(), "members");

    // The audit log lists what was done.
    await openSection(page, "Audit log");
    await sectionReady(page, "audit");
    for (const action of ["invitation.create", "invitation.accept", "team.create", "team.member.set", "person.role", "org.policies"]) {
      await page.locator(`[data-testid="audit-entries"] tr[data-action="${action}"]`).first().waitFor();
    }
    const roleEntry = page.locator('tr[data-action="person.role"]');
    assert.match(await roleEntry.innerText(), /Anna Schmidt/);
    assert.match(await roleEntry.innerText(), /Role changed/);
    assert.match(await roleEntry.innerText(), /Person: Ben Becker/);
    // In sentences, not JSON.
    assert.match(await roleEntry.innerText(), /Role: Member → Admin/);
    const policies = await page.locator('tr[data-action="org.policies"]').innerText();
    assert.match(policies, /Delete messages after \(days\): – → 30/);
    assert.match(policies, /Organisation admins manage conversations: yes → no/);
    assert.ok(!/[{}"]/.test(await page.getByTestId("audit-entries").innerText()), "no JSON in the audit log");
    // Ids in the details are named.
    assert.match(await page.locator('tr[data-action="team.member.set"]').innerText(), /Ben Becker as Lead/);
    // Filtered to people's actions only.
    await page.getByLabel("Action", { exact: true }).selectOption("person.");
    await until("only people's actions", async () => {
      const actions = await page.locator('[data-testid="audit-entries"] tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.action));
      return actions.length > 0 && actions.every((a) => a.startsWith("person."));
    });

    // Branding: the accent colour, previewed and then applied to the whole app.
    await openSection(page, "Branding");
    await page.getByLabel("Main colour", { exact: true }).fill("#8e24aa");
    const previewButton = page.getByTestId("brand-preview").locator(".admin-preview-button");
    await until("the preview in the new colour", async () =>
      (await previewButton.evaluate((e) => getComputedStyle(e).backgroundColor)) === "rgb(142, 36, 170)",
    );
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("The branding was saved.").last().waitFor();
    await until("--brand changed", async () =>
      (await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--brand").trim())) === "#8e24aa",
    );

    // A small PNG logo is taken; an SVG is refused.
    await page.getByLabel("Upload a logo").setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: png(64, [142, 36, 170]) });
    const logo = page.getByTestId("logo-preview");
    await logo.waitFor();
    await until("the logo loaded", async () => (await logo.evaluate((img) => img.naturalWidth)) === 64);
    await page.locator("header.topbar img.logo").waitFor();
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';
    await page.getByLabel("Upload a logo").setInputFiles({ name: "logo.svg", mimeType: "image/svg+xml", buffer: Buffer.from(svg) });
    await page.getByRole("alert").filter({ hasText: "SVG is not allowed" }).waitFor();
    // The PNG stays.
    assert.ok(await logo.isVisible());

    // A pale accent is flagged next to its field, with its ratio and what is needed, where
    // screen readers hear it; the header colour's text is checked too.
    await page.getByLabel("Main colour", { exact: true }).fill("#f5e663");
    const accentCheck = page.getByTestId("f-accent_color-contrast");
    await until("the pale accent flagged", async () =>
      /light background only 1\.2:1, 4\.5:1 needed/.test(await accentCheck.innerText()),
    );
    assert.equal(await accentCheck.getAttribute("role"), "status");
    assert.equal(await accentCheck.locator('[data-ok="false"]').count(), 1, "too pale on light, fine on dark");
    assert.match(await accentCheck.innerText(), /dark background: 1\d\.\d:1, readable/);
    assert.match(
      (await page.getByLabel("Main colour", { exact: true }).getAttribute("aria-describedby")) ?? "",
      /f-accent_color-contrast/,
    );
    await page.getByLabel("Header colour", { exact: true }).fill("#1e88e5");
    const headerCheck = page.getByTestId("f-secondary_color-contrast");
    await until("the header checked", async () => /Its text is black: 5\.\d:1 \(4\.5:1 needed\)/.test(await headerCheck.innerText()));
    assert.match(await headerCheck.innerText(), /Dark mode: a darker shade, with white text/);
    // The preview draws links in a readable shade in light and dark.
    const previewLink = (id) => page.getByTestId(id).locator(".admin-preview-link").evaluate((e) => getComputedStyle(e).color);
    assert.notEqual(await previewLink("brand-preview"), "rgb(245, 230, 99)", "darker on light");
    assert.equal(await previewLink("brand-preview-dark"), "rgb(245, 230, 99)", "the accent itself reads on dark");

    // The home-screen name: too long is refused before sending; the preview shows it.
    const appName = page.getByLabel("Name on the home screen");
    assert.equal(await appName.getAttribute("placeholder"), "Pflegedienst", "the default: the name cut to 12");
    assert.equal(await page.getByTestId("home-screen-name").innerText(), "Pflegedienst");
    await appName.fill("Sonnenschein 24");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("alert").filter({ hasText: "At most 12 characters" }).waitFor();
    await appName.fill("Sonnenschein");
    assert.equal(await page.getByTestId("home-screen-name").innerText(), "Sonnenschein");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("The branding was saved.").last().waitFor();
    const manifestHref = await page.locator('link[rel="manifest"]').getAttribute("href");
    const manifest = await page.evaluate(async (href) => (await fetch(href)).json(), manifestHref);
    assert.equal(manifest.short_name, "Sonnenschein");
    assert.equal(manifest.theme_color, "#1e88e5");

    // What people see in the app stays readable: links and names in a darker shade on light…
    assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--brand").trim()), "#f5e663");
    const lightRatio = await linkContrast(page);
    assert.ok(lightRatio >= 4.5, `links on light read at ${lightRatio.toFixed(2)}:1`);
    // …and in dark mode, where the top bar takes a darker shade of the header colour.
    const bar = page.locator("header.topbar");
    const barStyle = () => bar.evaluate((e) => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]);
    assert.deepEqual(await barStyle(), ["rgb(30, 136, 229)", "rgb(0, 0, 0)"], "light: the header colour, black text");
    await page.emulateMedia({ colorScheme: "dark" });
    await until("the top bar toned for dark", async () => (await barStyle())[0] !== "rgb(30, 136, 229)");
    const [darkBar, darkBarText] = await barStyle();
    assert.equal(darkBarText, "rgb(255, 255, 255)", "white text on the darker shade");
    const [r, g, b] = darkBar.match(/\d+/g).map(Number);
    assert.ok(r < 30 && g < 136 && b < 229, `a darker shade: ${darkBar}`);
    const darkRatio = await linkContrast(page);
    assert.ok(darkRatio >= 4.5, `links on dark read at ${darkRatio.toFixed(2)}:1`);
    await page.emulateMedia({ colorScheme: "light" });

    // Screenshots in English: desk, desk in dark, phone.
    await shootAll(page, EN, "desktop-en");
    await shootBranding(page, EN, "desktop-en");
    await page.emulateMedia({ colorScheme: "dark" });
    await shootAll(page, EN, "desktop-en-dark");
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize(PHONE);
    await shootAll(page, EN, "phone-en");
    await shootBranding(page, EN, "phone-en");

    // Ben, now an admin, sees the admin center in German.
    await ben.page.goto(`${s.url}/admin/people`);
    await ben.page.getByRole("heading", { name: "Admin-Bereich", level: 1 }).waitFor();
    await sectionReady(ben.page, "people");
    await shootAll(ben.page, DE, "phone-de");
    await shootBranding(ben.page, DE, "phone-de");
    await ben.page.setViewportSize(DESKTOP);
    await shootAll(ben.page, DE, "desktop-de");
    await shootBranding(ben.page, DE, "desktop-de");
    assert.match(await ben.page.getByTestId("f-accent_color-contrast").innerText(), /hellem Hintergrund nur 1,2:1, nötig sind 4,5:1/);
    assert.equal(await ben.page.getByTestId("home-screen-name").innerText(), "Sonnenschein");
    // German throughout, with the server's German messages.
    await openSection(ben.page, "Richtlinien");
    await ben.page.getByLabel("Nachrichten löschen nach").waitFor();
    assert.equal(await ben.page.getByLabel("Nachrichten löschen nach").inputValue(), "30");
    await openSection(ben.page, "Erscheinungsbild");
    await ben.page.getByLabel("Hauptfarbe", { exact: true }).fill("#12");
    await ben.page.getByRole("button", { name: "Speichern" }).click();
    await ben.page.getByRole("alert").filter({ hasText: "sechs Hexadezimalziffern" }).waitFor();

    // Suspending Ben ends his session at once, in his browser too.
    await page.setViewportSize(DESKTOP);
    await openSection(page, "People");
    await page.getByRole("button", { name: "Suspend Ben Becker" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Suspend", exact: true }).click();
    await page.getByText("Ben Becker was suspended.").waitFor();
    await until("Suspended", async () => /Suspended/.test(await benRow.innerText()));
    await ben.page.getByRole("heading", { name: "Sitzung beendet" }).waitFor();
    // Ending his access asks first, and says it is final.
    await page.getByRole("button", { name: "End the access of Ben Becker" }).click();
    const dialog = page.getByRole("dialog", { name: "End the access of Ben Becker for good?" });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Every device and every session/);
    assert.match(await dialog.innerText(), /This is final/);
    await page.screenshot({ path: join(ARTEFACTS, "admin-people-deprovision-desktop-en.png") });
    await dialog.getByRole("button", { name: "End access for good" }).click();
    await page.getByText("The access of Ben Becker has ended.").waitFor();
    await until("Access ended", async () => /Access ended/.test(await benRow.innerText()));
    assert.equal(await page.getByLabel("Role of Ben Becker", { exact: true }).count(), 0);
  } catch (e) {
    await anna.page.screenshot({ path: join(ARTEFACTS, "admin-failure-anna.png") }).catch(() => {});
    if (ben) await ben.page.screenshot({ path: join(ARTEFACTS, "admin-failure-ben.png") }).catch(() => {});
    console.error(s.log.slice(-30).join(""));
    throw e;
  } finally {
    await anna.context.close();
    if (ben) await ben.context.close();
    await s.stop();
  }
});
