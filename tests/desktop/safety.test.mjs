// End-to-end tests of the actions that grant privileges, cost money or throw work away:
// each asks first, and no keyboard move through a control performs it by itself. Driven
// through WebKitWebDriver under Xvfb against the embedded demo portal (scripts/test).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Driver, until } from "./webdriver.mjs";

const DOWN = "\uE015";
const ESCAPE = "\uE00C";
// The limit as the language writes it: "1,000", "1 000" or "1000".
const LIMIT = /1\D?000\b/;
const camille = "camille.tremblay@demo.example";

const dataDir = mkdtempSync(join(tmpdir(), "sxadmin-desktop-safety-"));
let app;

before(async () => {
  app = await Driver.start({ SXADMIN_DESKTOP_DATA: dataDir });
  await app.click("#try-demo");
  await app.waitForText("#account-name", "Demo Inc.", 30000);
});

after(async () => {
  await app?.quit();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Finds Camille afresh on the portal and answers the role the list shows for her. */
async function camilleRole() {
  await app.type("#user-search", "");
  await app.type("#user-search", "camille.tremblay");
  await app.waitForText("#user-count", (t) => t.trim() === "1");
  const row = await app.waitForText('#users [data-index="0"]', camille);
  return /Administrator/.test(row) ? "administrator" : "standard";
}

async function openDialogTitle() {
  return app.script(`return document.querySelector("dialog[open] h2")?.textContent ?? null`);
}

/** Waits until no dialog is open (closing follows the key press, not within it). */
async function noDialog() {
  await until("every dialog to close", async () => (await openDialogTitle()) === null || null);
}

test("pressing Down on the role control changes nothing on the portal", async () => {
  await app.click('[data-screen="users"]');
  assert.equal(await camilleRole(), "standard");
  await app.click('#users [data-index="0"]');
  await app.type("#user-role", DOWN, { clear: false });
  await app.type("#user-role", DOWN, { clear: false });
  assert.equal(await openDialogTitle(), null, "arrowing opens no dialog");
  assert.doesNotMatch(await app.text("#users"), /Administrator/);
  // A fresh search asks the portal again: the role is still the old one.
  assert.equal(await camilleRole(), "standard");
});

test("a role change asks first, says what the role may do, and only then changes it", async () => {
  await app.click('#users [data-index="0"]');
  await app.click("#user-role");
  await app.waitForText("#role-title", camille);
  const text = await app.text("dialog[open]");
  assert.match(text, /May do everything/);
  assert.match(text, /Standard user/);
  // Arrowing through the choices inside the dialog changes nothing either.
  await app.type("#role-administrator", DOWN, { clear: false });
  await app.type("#role-user", DOWN, { clear: false });
  await app.type("#role-administrator", ESCAPE, { clear: false });
  await noDialog();
  assert.equal(await camilleRole(), "standard", "cancelling keeps the role");

  await app.click('#users [data-index="0"]');
  await app.click("#user-role");
  await app.click("#role-administrator");
  await app.click("#confirm-role");
  await app.waitForText('[role="status"]', `${camille} is now an administrator`);
  assert.equal(await camilleRole(), "administrator");
});

/** The purchased count the pool shows for `tier`, read after the screen asked the portal. */
async function purchased(tier) {
  await app.waitFor(`#licence-pool tr[data-tier="${tier}"]`);
  const text = await app.script(
    `return document.querySelector('#licence-pool tr[data-tier="' + arguments[0] + '"] td:nth-child(2)').textContent`, [tier]);
  return Number(text.replace(/\D/g, ""));
}

/** Opens Licences afresh, so its pool is read from the portal again. */
async function reopenLicences() {
  await app.click('[data-screen="overview"]');
  await until("the licences screen to close", async () =>
    (await app.script(`return document.querySelector("#licence-pool") === null`)) || null);
  await app.click('[data-screen="licences"]');
}

test("Buy states the limit, refuses too many in words, and asks with the quantity", async () => {
  await app.click('[data-screen="licences"]');
  await app.waitFor("#licence-pool");
  await app.waitForText("#buy-limit", (t) => LIMIT.test(t));
  await app.type("#buy-count", "10001");
  await app.waitForText("#buy-problem", (t) => /At most/.test(t) && LIMIT.test(t));
  await app.click("#buy");
  assert.equal(await openDialogTitle(), null, "an out-of-range quantity is not offered for purchase");

  const before = await purchased("eco");
  await app.type("#buy-count", "7");
  await app.click("#buy");
  await app.waitForText("#confirm-title", "Buy 7 Eco licences");
  const text = await app.text("dialog[open]");
  assert.match(text, /Tier: Eco/);
  assert.match(text, /Quantity: 7/);
  assert.match(text, new RegExp(`at most ${LIMIT.source}`));
  await app.type("#confirm-action", ESCAPE, { clear: false });
  await noDialog();
  await reopenLicences();
  assert.equal(await purchased("eco"), before, "nothing is bought before the confirmation");

  await app.type("#buy-count", "7");
  await app.click("#buy");
  await app.click("#confirm-action");
  await app.waitForText("#licence-notice", "Bought 7 Eco licences");
  await reopenLicences();
  assert.equal(await purchased("eco"), before + 7);
});

test("Escape in an edited user form asks before throwing the edits away", async () => {
  await app.click('[data-screen="users"]');
  await app.click("#add-user");
  await app.type("#user-first", "Half-typed");
  await app.type("#user-first", ESCAPE, { clear: false });
  await app.waitFor("#discard-edits");
  assert.equal(await openDialogTitle(), "Add a user", "the form stays open");
  await app.click("#keep-editing");
  const kept = await app.script(`return document.querySelector("#user-first").value`);
  assert.equal(kept, "Half-typed");
  await app.type("#user-first", ESCAPE, { clear: false });
  await app.click("#discard-changes");
  await noDialog();

  // An untouched form still closes on Escape at once, without asking.
  await app.click("#add-user");
  await app.type("#user-first", ESCAPE, { clear: false });
  await noDialog();
  assert.equal(await app.script(`return document.querySelector("#discard-edits") === null`), true);
});

test("a disabled destructive button looks as disabled as the others, not armed", async () => {
  await app.click('[data-screen="users"]');
  await app.waitFor("#delete-user");
  const [danger, plain] = await app.script(`
    const look = (el) => { const s = getComputedStyle(el); return [el.disabled, s.color, s.borderTopColor].join(" "); };
    return [look(document.querySelector("#delete-user")), look(document.querySelector("#edit-user"))]`);
  assert.match(danger, /^true /, "Delete is disabled with no user selected");
  assert.equal(danger, plain);
});
