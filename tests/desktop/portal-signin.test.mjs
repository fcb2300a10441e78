// The desktop app signing in to a separate portal server through the browser (PKCE and a
// loopback redirect), keeping the sign-in across restarts through the keychain, and
// forgetting it on sign-out. The "browser" is headless Chromium on the portal's real
// pages (browser.mjs), started by the app as it would start the system browser.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Driver, repoRoot } from "./webdriver.mjs";

const scratch = mkdtempSync(join(tmpdir(), "sxadmin-desktop-signin-"));
const sxadmin = process.env.SXADMIN_BIN
  ?? join(process.env.CARGO_TARGET_DIR ?? join(repoRoot, "target"), "debug", "sxadmin");
const browserLog = join(scratch, "browser.log");
let portal;
let portalUrl;
let app;

before(async () => {
  portal = spawn(sxadmin, ["portal", "serve", "--demo", "--listen", "127.0.0.1:0",
    "--db", join(scratch, "portal.sqlite"), "--outbox", join(scratch, "outbox")],
  { stdio: ["ignore", "pipe", "inherit"] });
  portalUrl = await new Promise((resolve, reject) => {
    createInterface({ input: portal.stdout }).on("line", (line) => {
      const match = line.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) resolve(match[1]);
    });
    portal.on("exit", (code) => reject(new Error(`the portal exited with ${code}`)));
  });
  app = await Driver.start({
    SXADMIN_DESKTOP_DATA: join(scratch, "app"),
    SXADMIN_BROWSER: join(repoRoot, "tests", "desktop", "browser.mjs"),
    SXADMIN_TEST_OUTBOX: join(scratch, "outbox"),
    SXADMIN_TEST_BROWSER_LOG: browserLog,
  });
});

after(async () => {
  await app?.quit();
  portal?.kill("SIGINT");
  rmSync(scratch, { recursive: true, force: true });
});

test("signing in through the browser brings the window back signed in", async () => {
  await app.type("#portal-url", portalUrl);
  await app.click("#sign-in");
  try {
    await app.waitForText("#account-name", "Demo Inc.", 60000);
  } catch (error) {
    const log = existsSync(browserLog) ? readFileSync(browserLog, "utf8") : "(the browser never ran)";
    throw new Error(`${error.message}\nbrowser: ${log}`);
  }
  await app.waitForText(".who", portalUrl);
  const source = await app.cmd("GET", "/source");
  assert.doesNotMatch(source, /sxr_|sxa_|refresh_token|access_token/, "no token in the web view");
});

test("the sign-in survives a restart through the keychain", async () => {
  await app.closeApp();
  await app.open();
  await app.waitForText("#account-name", "Demo Inc.", 30000);
  await app.click('[data-screen="users"]');
  await app.waitForText("#users", "admin@demo.example");
});

test("sign out forgets the sign-in; the portal address is remembered", async () => {
  await app.click("#sign-out");
  await app.waitFor("#try-demo");
  await app.closeApp();
  await app.open();
  await app.waitFor("#try-demo");
  const value = await app.script(`return document.querySelector("#portal-url").value`);
  assert.equal(value, portalUrl);
});
