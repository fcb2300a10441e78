// End-to-end tests of the real SX Admin window against its embedded demo portal, driven
// through WebKitWebDriver under Xvfb, with a private keychain (scripts/test runs them
// inside one). Each run starts from a fresh data folder.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Driver, answerFileDialog, answerSaveDialog, dropFile, repoRoot } from "./webdriver.mjs";

const fixture = join(repoRoot, "tests", "desktop", "fixtures", "import.csv");

const dataDir = mkdtempSync(join(tmpdir(), "sxadmin-desktop-e2e-"));
let app;

before(async () => {
  app = await Driver.start({ SXADMIN_DESKTOP_DATA: dataDir });
});

after(async () => {
  await app?.quit();
  rmSync(dataDir, { recursive: true, force: true });
});

test("the sign-in screen offers the portal address and the demo", async () => {
  await app.waitFor("#portal-url");
  await app.waitFor("#try-demo");
  await app.screenshot("sign-in");
});

test("a portal address over plain http is refused in words", async () => {
  await app.type("#portal-url", "http://portal.example.com");
  await app.click("#sign-in");
  const text = await app.waitForText("#sign-in-error", "plain http");
  assert.doesNotMatch(text, /[{}]/, "the error is words, not JSON");
});

test("trying the demo portal signs in to Demo Inc.", async () => {
  await app.click("#try-demo");
  await app.waitForText("#account-name", "Demo Inc.", 30000);
  await app.waitForText("#overview-account", "Demo Inc.");
  await app.waitForText("#overview-pool", "Eco");
  await app.screenshot("overview");
});

test("an administrator adds a user and finds it in the list", async () => {
  await app.click('[data-screen="users"]');
  await app.waitForText("#users", "camille.tremblay@demo.example");
  await app.click("#add-user");
  await app.type("#user-email", "not-an-address");
  await app.type("#user-first", "Zoé");
  await app.waitForText("#user-email-hint", "not an e-mail address");
  await app.type("#user-email", "zoe.lambert@demo.example");
  await app.type("#user-last", "Lambert");
  await app.click("#save-user");
  await app.waitForText('[role="status"]', "zoe.lambert@demo.example was added");
  await app.type("#user-search", "lambert");
  await app.waitForText("#users", "zoe.lambert@demo.example");
  await app.waitForText("#user-count", (t) => t.trim() === "1");
  // Select all and delete, as a person would (a WebDriver "clear" sends no input event).
  await app.type("#user-search", "\uE009a\uE000\uE003", { clear: false });
  await app.waitForText("#users", "camille.tremblay@demo.example");
  await app.screenshot("users");
});

test("the portal's refusal shows on the e-mail field", async () => {
  await app.click("#add-user");
  await app.type("#user-email", "someone@unapproved.example");
  await app.click("#save-user");
  await app.waitForText("#user-email-hint", "not approved");
  await app.script(`document.querySelector("dialog[open]").close()`);
});


test("the template is saved through the native save dialog", async () => {
  await app.click('[data-screen="import"]');
  const path = join(dataDir, "template.csv");
  await app.click("#download-template");
  await app.click("#template-csv");
  await answerSaveDialog("Save the import template", path);
  await app.waitForText('[role="status"]', "template was saved");
  assert.equal(readFileSync(path, "utf8"), "email,first_name,last_name,role,language,licence\n");
});

test("an import read through the native open dialog shows every problem before writing", async () => {
  await app.click("#choose-file");
  await answerFileDialog("Choose the file to import", fixture);
  await app.waitForText("#plan-create", "3 to create");
  await app.waitForText("#plan-unchanged", "1 unchanged");
  await app.waitForText("#plan-error", "3 with errors");
  await app.waitForText("#import-plan", "unapproved.example");
  // The cell at fault is marked, and selecting the row explains it.
  const marked = await app.script(
    `return [...document.querySelectorAll("#preview .bad-cell")].map((c) => c.textContent.trim())`);
  assert.deepEqual(marked.slice(0, 2), ["outsider@unapproved.example", "bad-address@"]);
  // Keyboard: focus the table, End selects the last row, and its problem is explained.
  await app.click('#preview [data-index="0"]');
  await app.waitForText("#row-issues", "Line 2: no problem");
  await app.type("#preview", "\uE010", { clear: false });
  await app.waitForText("#row-issues", "manager");
  await app.screenshot("import-preview");
});

test("applying the import creates the valid rows and reports the rest", async () => {
  await app.click("#apply-import");
  const report = await app.waitForText("#import-report", "Import finished", 60000);
  assert.match(report, /3 created/);
  assert.match(report, /3 not imported/);
  // Each row that was not imported is listed with its line, address and reason.
  const failures = await app.script(
    `return [...document.querySelectorAll("#import-failures tbody tr")].map((r) =>
       [...r.cells].map((c) => c.textContent.trim()))`);
  assert.deepEqual(failures.map(([line, email]) => [line, email]), [
    ["6", "outsider@unapproved.example"],
    ["7", "bad-address@"],
    ["8", "julie.gauthier@demo.example"],
  ]);
  assert.match(failures[0][2], /not approved/);
  assert.match(failures[2][2], /manager/);
  await app.waitFor("#save-results");
  await app.screenshot("import-report");
});

test("the results are saved through the native save dialog, safe for Excel", async () => {
  const path = join(dataDir, "results.csv");
  await app.click("#save-results");
  await answerSaveDialog("Save the import results", path);
  await app.waitForText('[role="status"]', "results were saved");
  const text = readFileSync(path, "utf8");
  assert.ok(text.startsWith("\uFEFFrow,email,outcome,message\r\n"), "UTF-8 BOM and the header");
  assert.match(text, /\r\n2,ines\.fortin@demo\.example,created,/);
  assert.match(text, /\r\n8,julie\.gauthier@demo\.example,error,.*manager/);
});

test("importing the same file again has nothing to do", async () => {
  await dropFile(app, "import.csv", readFileSync(fixture, "utf8"));
  await app.waitForText("#plan-create", "0 to create");
  await app.waitForText("#plan-update", "0 to update");
  await app.waitForText("#plan-unchanged", "4 unchanged");
  await app.waitForText("#apply-import", "Nothing to import");
});

test("licences: an explanation when a tier has too few, assign, then transfer", async () => {
  await app.click('[data-screen="licences"]');
  await app.waitForText("#licence-users", "marc.pelletier@demo.example");
  for (const email of ["marc.pelletier@demo.example", "liam.cote@demo.example", "noah.gagnon@demo.example"]) {
    await app.click(`#licence-users [data-email="${email}"] input`);
  }
  await app.select("#licence-tier", "pro");
  await app.waitForText("#licence-shortage", "Only 2 Pro licences are available");
  // Keep only Marc selected and give him an Eco licence.
  await app.click('#licence-users [data-email="liam.cote@demo.example"] input');
  await app.click('#licence-users [data-email="noah.gagnon@demo.example"] input');
  await app.select("#licence-tier", "eco");
  await app.click("#assign-licence");
  await app.waitForText("#licence-notice", "Assigned 1 Eco licence");
  await app.waitForText('#licence-users [data-email="marc.pelletier@demo.example"]', "Eco");
  // Transfer Inès's licence (from the import) to Liam, who has none.
  await app.click('#licence-users [data-email="marc.pelletier@demo.example"] input');
  await app.click('#licence-users [data-email="ines.fortin@demo.example"] input');
  const liam = await app.script(
    `return [...document.querySelectorAll("#transfer-to option")].find((o) => o.textContent === "liam.cote@demo.example")?.value`);
  assert.ok(liam, "Liam, who has no licence, is offered as a transfer target");
  const offered = await app.text("#transfer-to");
  assert.doesNotMatch(offered, /marc\.pelletier/, "users with a licence are not offered");
  await app.select("#transfer-to", liam);
  await app.click("#transfer-licence");
  await app.waitForText("#confirm-title", "Transfer ines.fortin@demo.example");
  await app.waitForText("dialog[open]", "deletes ines.fortin@demo.example's message logs");
  await app.waitForText("dialog[open]", "audit log is kept");
  await app.click("#confirm-action");
  await app.waitForText("#licence-notice", "now belongs to liam.cote@demo.example");
  await app.waitForText('#licence-users [data-email="liam.cote@demo.example"]', "Eco");
  await app.waitForText('#licence-users [data-email="ines.fortin@demo.example"]', "no licence");
  await app.screenshot("licences");
});

test("licences: a change for many users says which users it failed for, and why", async () => {
  // Three users hold a licence and two Pro licences are free: one of the three must fail.
  const holders = ["liam.cote@demo.example", "marc.pelletier@demo.example", "sofia.nguyen@demo.example"];
  // The transfer cleared the selection.
  for (const email of holders) await app.click(`#licence-users [data-email="${email}"] input`);
  await app.select("#licence-tier", "pro");
  await app.click("#change-licence");
  // The change asks first, saying how many users move from which tiers.
  await app.waitForText("#confirm-title", "Change 3 users to Pro");
  await app.waitForText("dialog[open]", (t) => /\d from (Eco|Advanced)/.test(t) && /kept/.test(t));
  await app.click("#confirm-action");
  await app.waitForText("#licence-notice", "2 users now have a Pro licence");
  await app.waitForText("#licence-notice", "1 user was left as they were");
  const failed = await app.script(
    `return [...document.querySelectorAll("#licence-failures li")].map((li) => li.textContent)`);
  assert.equal(failed.length, 1);
  const [email, reason] = failed[0].split(": ");
  assert.ok(holders.includes(email), `${email} is one of the selected users`);
  assert.ok(reason && reason.length > 10, `the portal's reason is shown: ${failed[0]}`);
  await app.screenshot("licence-failures");
});

test("the event log of a user shows the licence they received", async () => {
  await app.click('[data-screen="users"]');
  await app.type("#user-search", "liam");
  await app.waitForText("#user-count", (t) => t.trim() === "1");
  await app.click('#users [data-index="0"]');
  await app.click("#user-events");
  await app.waitForText("#events-for", "liam.cote@demo.example");
  await app.waitForText("#event-list", "licence.received");
  await app.screenshot("event-log");
  const path = join(dataDir, "events.csv");
  await app.click("#events-export");
  await answerSaveDialog("Export the event log", path);
  await app.waitForText('[role="status"]', "event log was saved");
  const text = readFileSync(path, "utf8");
  assert.match(text, /^time,actor,action,target,client,details/);
  assert.match(text, /licence\.received/);
});

test("a domain is requested, shows its DNS record, and is verified", async () => {
  await app.click('[data-screen="domains"]');
  await app.waitForText("#domain-list", "demo.example");
  await app.type("#domain-name", "newco.example");
  await app.click("#request-domain");
  await app.waitForText('[data-domain="newco.example"]', "_secure-exchanges.newco.example");
  await app.screenshot("domains");
  await app.click('[data-domain="newco.example"] .verify');
  await app.waitForText("#domain-notice", "newco.example is approved");
  await app.waitForText('[data-domain="newco.example"]', "Approved");
});

test("roles show the eight permissions", async () => {
  await app.click('[data-screen="roles"]');
  const text = await app.waitForText("#roles-table", "Roles and authorisations");
  for (const permission of ["Business management", "Billing", "Purchase", "Logs", "Administrator logs",
    "Domain management", "Activation rules"]) {
    assert.match(text, new RegExp(permission));
  }
  await app.screenshot("roles");
});

test("the session survives a restart of the app", async () => {
  await app.closeApp();
  await app.open();
  await app.waitForText("#account-name", "Demo Inc.", 30000);
});
