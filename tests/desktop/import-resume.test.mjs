// An import interrupted by the app closing midway (its process killed while rows are being
// sent), resumed after a restart: every row of the file ends up on the portal exactly once.
// The same account, now larger than a page, then shows that the Licences screen reaches
// every user.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Driver, dropFile, until } from "./webdriver.mjs";

const ROWS = 3000;
const SEEDED = 6;
const dataDir = mkdtempSync(join(tmpdir(), "sxadmin-desktop-resume-"));
let app;

const name = (n) => `bulk${String(n).padStart(4, "0")}`;
const csv = ["email,first_name,last_name"]
  .concat(Array.from({ length: ROWS }, (_, n) => `${name(n)}@demo.example,Bulk,${name(n)}`))
  .join("\n");

before(async () => {
  app = await Driver.start({ SXADMIN_DESKTOP_DATA: dataDir });
});

after(async () => {
  await app?.quit();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The SX Admin process the driver started, found among the driver's children. */
function appProcess(driver) {
  const lines = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(driver.child.pid)], { encoding: "utf8" });
  const found = lines.split("\n").map((l) => l.trim().split(/\s+/)).find(([, comm]) => comm === "sxadmin-desktop");
  assert.ok(found, `the app runs under the driver:\n${lines}`);
  return Number(found[0]);
}

test("an import killed midway is offered after a restart and resumed with every row once", async () => {
  await app.click("#try-demo");
  await app.waitForText("#account-name", "Demo Inc.", 30000);
  await app.click('[data-screen="import"]');
  await dropFile(app, "bulk.csv", csv);
  await app.waitForText("#plan-create", `${ROWS} to create`, 60000);
  await app.click("#apply-import");
  // Close the app the hard way once the portal has settled some rows but not all.
  const done = await until("some rows to be imported", async () => {
    const text = await app.script(`return document.querySelector("#import-progress")?.textContent ?? ""`);
    const n = Number(text.split(" of ")[0]);
    return n > 0 ? n : null;
  }, 60000);
  assert.ok(done < ROWS, `the import was still running when the app was closed (${done} of ${ROWS})`);
  console.log(`# the app was killed with ${done} of ${ROWS} rows settled`);
  process.kill(appProcess(app), "SIGKILL");
  await app.quit();

  app = await Driver.start({ SXADMIN_DESKTOP_DATA: dataDir });
  await app.waitForText("#resume-offer", "bulk.csv", 30000);
  await app.screenshot("resume-offer");
  await app.click("#open-resume");
  const offer = await app.waitForText("#interrupted-import", "bulk.csv");
  assert.match(offer, /stopped after \d+ of 3000 rows/);
  await app.click("#resume-import");
  const report = await app.waitForText("#import-report", "Import finished", 120000);
  assert.match(report, / 0 not imported/, "no row failed, none was sent twice into a refusal");
  await until("the stopped import to be gone", async () =>
    app.script(`return document.querySelector("#interrupted-import") === null`));

  await app.click('[data-screen="users"]');
  await app.waitForText("#user-count", (t) => t.trim().replace(/\D/g, "") === String(ROWS + SEEDED), 30000);
  for (const n of [0, 1234, ROWS - 1]) {
    await app.type("#user-search", name(n));
    await app.waitForText("#user-count", (t) => t.trim() === "1");
    await app.waitForText("#users", `${name(n)}@demo.example`);
  }
});

test("the Licences screen pages through an account larger than a page and searches the portal", async () => {
  await app.click('[data-screen="licences"]');
  await app.waitForText("#licence-shown", `Showing 100 of ${ROWS + SEEDED} users`, 30000);
  await app.click("#licence-more");
  await app.waitForText("#licence-shown", "Showing 200 of");
  await app.type("#licence-search", name(ROWS - 1));
  await app.waitForText("#licence-users", `${name(ROWS - 1)}@demo.example`);
  await app.waitForText("#licence-shown", "Showing 1 of 1 user found");
  await app.screenshot("licences-search");
});
