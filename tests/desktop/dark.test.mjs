// Light and dark follow the operating system: with GTK's dark theme the window's page
// reports a dark preference and paints dark.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Driver } from "./webdriver.mjs";

const dataDir = mkdtempSync(join(tmpdir(), "sxadmin-desktop-dark-"));
let app;

before(async () => {
  app = await Driver.start({ SXADMIN_DESKTOP_DATA: dataDir, GTK_THEME: "Adwaita:dark" });
});

after(async () => {
  await app?.quit();
  rmSync(dataDir, { recursive: true, force: true });
});

test("the window turns dark with the system's dark theme", async () => {
  await app.click("#try-demo");
  await app.click('[data-screen="users"]');
  await app.waitForText("#users", "camille.tremblay@demo.example", 30000);
  assert.equal(await app.script("return matchMedia('(prefers-color-scheme: dark)').matches"), true);
  const background = await app.script("return getComputedStyle(document.body).backgroundColor");
  const [r, g, b] = background.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 150, `the page is dark (${background})`);
  await app.screenshot("users-dark");
});
