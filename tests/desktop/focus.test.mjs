// End-to-end tests of where keyboard focus lands: after signing in and out, after a screen
// change by Alt+digit, and after an action, focus is on the new screen's heading or on the
// action's outcome, never on the page body. Driven through WebKitWebDriver under Xvfb
// against the embedded demo portal (scripts/test).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Driver, dropFile, until } from "./webdriver.mjs";

const ALT = "\uE00A";
const NULL = "\uE000";

const dataDir = mkdtempSync(join(tmpdir(), "sxadmin-desktop-focus-"));
let app;

before(async () => {
  app = await Driver.start({ SXADMIN_DESKTOP_DATA: dataDir });
});

after(async () => {
  await app?.quit();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Waits until the focused element's tag and text satisfy `test`, and answers them. */
async function focusIs(what, test) {
  return until(`focus on ${what}`, async () => {
    const focused = await app.script(
      `const el = document.activeElement; return el ? el.tagName + " " + el.textContent.trim() : null`);
    return focused && test(focused) ? focused : null;
  });
}

/** The field's aria-invalid and the text of what its aria-describedby names. */
async function fieldError(css) {
  return app.script(`const el = document.querySelector(arguments[0]);
    const described = el.getAttribute("aria-describedby");
    return [el.getAttribute("aria-invalid"), described ? document.getElementById(described)?.textContent ?? "" : null]`, [css]);
}

test("a refused portal address is tied to its field", async () => {
  await app.type("#portal-url", "http://portal.example.com");
  await app.click("#sign-in");
  await app.waitForText("#sign-in-error", "plain http");
  const [invalid, described] = await fieldError("#portal-url");
  assert.equal(invalid, "true");
  assert.match(described, /plain http/);
});

test("after sign-in, focus is on the Overview's heading", async () => {
  await app.click("#try-demo");
  await app.waitForText("#account-name", "Demo Inc.", 30000);
  await focusIs("the Overview heading", (f) => f === "H1 Overview");
});

test("Alt+digit moves to a screen and focuses its heading; the shortcuts are declared", async () => {
  await app.type("main h1", `${ALT}2${NULL}`, { clear: false });
  await focusIs("the Users heading", (f) => f.startsWith("H1 Users"));
  await app.type("main h1", `${ALT}5${NULL}`, { clear: false });
  await focusIs("the Domains heading", (f) => f === "H1 Domains");
  const shortcuts = await app.script(
    `return [...document.querySelectorAll("nav [data-screen]")].map((b) => b.getAttribute("aria-keyshortcuts"))`);
  assert.deepEqual(shortcuts, ["Alt+1", "Alt+2", "Alt+3", "Alt+4", "Alt+5", "Alt+6", "Alt+7"]);
});

test("a Skip to content link leads to the screen's heading", async () => {
  const skip = await app.script(`return document.querySelector("a.skip")?.textContent`);
  assert.equal(skip, "Skip to content");
  await app.click('[data-screen="roles"]');
  // The link shows when it takes focus (it is the first Tab stop); Enter follows it.
  await app.script(`document.querySelector("a.skip").focus()`);
  await app.type("a.skip", "\uE007", { clear: false });
  await focusIs("the Roles heading", (f) => f === "H1 Roles");
});

test("per-row buttons name their row, and Verify puts focus on its outcome", async () => {
  await app.click('[data-screen="domains"]');
  await app.type("#domain-name", "newco.example");
  await app.click("#request-domain");
  await app.waitFor('#domain-list tr[data-domain="newco.example"]');
  const names = await app.script(
    `return [...document.querySelectorAll("#domain-list button")].map((b) => b.getAttribute("aria-label") ?? b.textContent)`);
  assert.ok(names.includes("Remove newco.example…"), names.join(", "));
  assert.ok(names.includes("Verify newco.example"), names.join(", "));
  assert.equal(new Set(names).size, names.length, `every name is unique: ${names.join(", ")}`);
  await app.click('#domain-list tr[data-domain="newco.example"] button.verify');
  await focusIs("the verification's outcome", (f) => f.startsWith("DIV newco.example"));
});

test("after a file is read for import, focus is on its plan", async () => {
  await app.click('[data-screen="import"]');
  await dropFile(app, "focus.csv", "email,first_name,last_name\nnina.focus@demo.example,Nina,Focus\n");
  await app.waitFor("#import-plan");
  const focused = await until("focus on the import plan", async () =>
    (await app.script(`return document.activeElement?.id`)) === "import-plan" || null);
  assert.ok(focused);
  await app.click('[data-screen="domains"]');
});

test("a refused domain is tied to its field, which takes focus back", async () => {
  await app.type("#domain-name", "not a domain");
  await app.click("#request-domain");
  await app.waitFor("#domain-error");
  await focusIs("the domain field", (f) => f.startsWith("INPUT"));
  const [invalid, described] = await fieldError("#domain-name");
  assert.equal(invalid, "true");
  assert.ok(described && described.length > 5, `the error is described: ${described}`);
});

test("after sign-out, focus is on the sign-in heading", async () => {
  await app.click("#sign-out");
  await focusIs("the sign-in heading", (f) => f === "H1 Sign in to SX Admin");
});
