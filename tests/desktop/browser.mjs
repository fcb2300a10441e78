#!/usr/bin/env node
// Stands in for the system browser in the end-to-end tests (the app runs it through
// SXADMIN_BROWSER with the authorisation URL): a headless Chromium signs in on the
// portal's own pages as a person would, reading the one-time code from the portal's
// outbox folder (SXADMIN_TEST_OUTBOX), as SXADMIN_TEST_EMAIL.

import { createRequire } from "node:module";
import { readdirSync, readFileSync, appendFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "browser", "package.json"));

const url = process.argv[2];
const outbox = process.env.SXADMIN_TEST_OUTBOX;
const email = process.env.SXADMIN_TEST_EMAIL ?? "admin@demo.example";
const log = process.env.SXADMIN_TEST_BROWSER_LOG;

function newestCode() {
  const files = readdirSync(outbox).sort();
  const text = readFileSync(join(outbox, files[files.length - 1]), "utf8");
  const match = text.match(/code is (\d{6})/);
  if (!match) throw new Error(`no code in the e-mail: ${text}`);
  return match[1];
}

let browser;
try {
  // playwright-core is installed with the browser test's packages (tests/browser).
  const { chromium } = require("playwright-core");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
  const page = await browser.newPage();
  await page.goto(url);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByRole("button", { name: "Send me a code" }).click();
  await page.getByLabel("One-time code").waitFor();
  await page.getByLabel("One-time code").fill(newestCode());
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Signed in to SX Admin").waitFor();
  if (log) appendFileSync(log, "signed in\n");
} catch (error) {
  if (log) appendFileSync(log, `failed: ${error.stack}\n`);
  process.exitCode = 1;
} finally {
  await browser?.close();
}
