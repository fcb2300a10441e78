// End-to-end tests of the real SX Admin window against its embedded demo portal, driven
// through WebKitWebDriver under Xvfb, with a private keychain (scripts/test runs them
// inside one). Each run starts from a fresh data folder.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Driver } from "./webdriver.mjs";

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

test("the session survives a restart of the app", async () => {
  await app.closeApp();
  await app.open();
  await app.waitForText("#account-name", "Demo Inc.", 30000);
});
