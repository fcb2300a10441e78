// The app on a Linux desktop where no keychain runs (a minimal window manager, or plain
// `xvfb-run`): the demo still works, kept in memory with a note that it will not be
// remembered, and a portal sign-in says that no keychain is running and how to get one.
// The app gets a session bus address where nothing listens, so whatever keychain the
// test command runs for the other files is out of its reach.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Driver } from "./webdriver.mjs";

const dataDir = mkdtempSync(join(tmpdir(), "sxadmin-desktop-nokeychain-"));
let app;

before(async () => {
  app = await Driver.start({
    SXADMIN_DESKTOP_DATA: dataDir,
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dataDir, "no-bus")}`,
  });
});

after(async () => {
  await app?.quit();
  rmSync(dataDir, { recursive: true, force: true });
});

test("the demo portal works without a keychain and says it will not be remembered", async () => {
  await app.click("#try-demo");
  await app.waitForText("#account-name", "Demo Inc.", 30000);
  await app.waitForText("#not-remembered", "will not be remembered");
  await app.click('[data-screen="users"]');
  await app.waitForText("#users", "camille.tremblay@demo.example");
  await app.screenshot("demo-without-keychain");
});

test("a portal sign-in without a keychain says none is running and how to get one", async () => {
  await app.click("#sign-out");
  await app.type("#portal-url", "https://portal.example.com");
  await app.click("#sign-in");
  const text = await app.waitForText("#sign-in-error", "no system keychain is running");
  assert.match(text, /gnome-keyring/);
  assert.doesNotMatch(text, /locked/);
});
