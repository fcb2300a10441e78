// Spreadsheets both ways in the real window: the Excel template and a user export written
// through the native save dialog and read back, workbooks chosen in the native open dialog
// (the export itself, which plans every row unchanged, and a workbook with two sheets
// written by LibreOffice), and a sync that the safeguard refuses until the administrator
// types the number of users it removes.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { Driver, answerFileDialog, answerSaveDialog, dropFile, repoRoot, until } from "./webdriver.mjs";

const dataDir = mkdtempSync(join(tmpdir(), "sxadmin-desktop-sheets-"));
const twoSheets = join(repoRoot, "tests", "fixtures", "workbooks", "people-libreoffice.xlsx");
const demoUsers = [
  "admin@demo.example",
  "camille.tremblay@demo.example",
  "noah.gagnon@demo.example",
  "lea.roy@demo.example",
  "liam.cote@demo.example",
  "emma.bouchard@demo.example",
];
let app;

before(async () => {
  app = await Driver.start({ SXADMIN_DESKTOP_DATA: dataDir });
});

after(async () => {
  await app?.quit();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The entries of a ZIP file (an .xlsx), by name, inflated. */
function unzip(bytes) {
  let end = bytes.length - 22;
  while (end >= 0 && bytes.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, "the file is a ZIP archive");
  const count = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  const entries = new Map();
  for (let n = 0; n < count; n++) {
    assert.equal(bytes.readUInt32LE(at), 0x02014b50, "a central directory entry");
    const method = bytes.readUInt16LE(at + 10);
    const size = bytes.readUInt32LE(at + 20);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extra = bytes.readUInt16LE(at + 30);
    const comment = bytes.readUInt16LE(at + 32);
    const local = bytes.readUInt32LE(at + 42);
    const name = bytes.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    const data = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const raw = bytes.subarray(data, data + size);
    entries.set(name, method === 8 ? inflateRawSync(raw) : raw);
    at += 46 + nameLength + extra + comment;
  }
  return entries;
}

/** Every text of a workbook's sheets and shared strings, for "does it hold this?". */
function workbookText(path) {
  const entries = unzip(readFileSync(path));
  return [...entries].filter(([name]) => name.startsWith("xl/")).map(([, data]) => data.toString("utf8")).join("\n");
}

test("the Excel template is saved through the native save dialog", async () => {
  await app.click("#try-demo");
  await app.waitForText("#account-name", "Demo Inc.", 30000);
  await app.click('[data-screen="import"]');
  await app.click("#download-template");
  await app.waitFor("#template-xlsx");
  await app.screenshot("template-choice");
  const path = join(dataDir, "template.xlsx");
  await app.click("#template-xlsx");
  await answerSaveDialog("Save the import template", path);
  await app.waitForText('[role="status"]', "template was saved");
  const entries = unzip(readFileSync(path));
  assert.ok(entries.has("xl/workbook.xml"), "an Excel workbook");
  const workbook = entries.get("xl/workbook.xml").toString("utf8");
  assert.match(workbook, /name="Users"/);
  assert.match(workbook, /name="Guide"/);
  assert.match(workbookText(path), /dataValidation/, "drop-down lists");
});

test("the users are exported to .xlsx and, filtered, to CSV", async () => {
  await app.click('[data-screen="users"]');
  await app.waitForText("#users", "camille.tremblay@demo.example");
  await app.waitForText("#user-count", (t) => t.trim() === String(demoUsers.length));
  const xlsx = join(dataDir, "users.xlsx");
  await app.click("#export-users");
  await app.waitForText("#export-title", `Export ${demoUsers.length} users`);
  await app.click("#export-xlsx");
  await answerSaveDialog("Export users", xlsx);
  await app.waitForText('[role="status"]', `${demoUsers.length} users were exported`);
  const text = workbookText(xlsx);
  for (const email of demoUsers) assert.ok(text.includes(email), `${email} is in the export`);

  // The export follows the list's filters.
  await app.select("#filter-role", "administrator");
  await app.waitForText("#user-count", (t) => t.trim() === "1");
  await app.screenshot("users-filtered");
  const csv = join(dataDir, "admins.csv");
  await app.click("#export-users");
  await app.click("#export-csv");
  await answerSaveDialog("Export users", csv);
  await app.waitForText('[role="status"]', "1 user was exported");
  const lines = readFileSync(csv, "utf8").trim().split(/\r?\n/);
  assert.equal(lines.length, 2, `a header and the administrator:\n${lines.join("\n")}`);
  assert.match(lines[1], /^admin@demo\.example,/);
  await app.select("#filter-role", "");
  await app.waitForText("#user-count", (t) => t.trim() === String(demoUsers.length));
});

test("the exported .xlsx chosen in the native dialog plans every row unchanged", async () => {
  await app.click('[data-screen="import"]');
  await app.click("#choose-file");
  await answerFileDialog("Choose the file to import", join(dataDir, "users.xlsx"));
  await app.waitForText("#import-plan", "Excel workbook (.xlsx)");
  await app.waitForText("#plan-unchanged", `${demoUsers.length} unchanged`);
  await app.waitForText("#plan-create", "0 to create");
  await app.waitForText("#plan-update", "0 to update");
  await app.waitForText("#plan-error", "0 with errors");
  await app.waitForText("#apply-import", "Nothing to import");
  await app.screenshot("import-export-roundtrip");
});

test("a workbook with two sheets offers a chooser and names the cell of each problem", async () => {
  await app.click("#choose-file");
  await answerFileDialog("Choose the file to import", twoSheets);
  await app.waitForText("#import-plan", "sheet “Staff list”");
  const options = await app.script(
    `return [...document.querySelectorAll("#import-sheet option")].map((o) => o.value)`);
  assert.deepEqual(options, ["Staff list", "Notes"]);
  await app.waitForText("#plan-error", (t) => !t.startsWith("0 "));
  // "not-an-address" is the third row of the table, on row 5 of the sheet, column B.
  await app.click('#preview [data-index="2"]');
  await app.waitForText("#row-issues", "Row 5 of “Staff list”");
  await app.waitForText("#row-issues", "'Staff list'!B5");
  await app.screenshot("import-workbook");
  await app.select("#import-sheet", "Notes");
  await app.waitForText("#import-plan", "sheet “Notes”");
  await app.waitForText("#import-plan", "1 row");
});

test("a sync is refused beyond the safeguard, then applied once the number is typed", async () => {
  const kept = ["admin@demo.example", "camille.tremblay@demo.example"];
  const removed = demoUsers.filter((email) => !kept.includes(email));
  await dropFile(app, "two.csv", ["email", ...kept].join("\n"));
  await app.waitForText("#plan-unchanged", "2 unchanged");
  await app.click("#sync-missing");
  await app.waitForText("#plan-disable", `${removed.length} to disable`);
  const listed = await app.script(
    `return [...document.querySelectorAll("#import-removals li")].map((li) => li.dataset.email)`);
  assert.deepEqual([...listed].sort(), [...removed].sort(), "the users missing from the file, apart");
  const colour = await app.script(
    `return getComputedStyle(document.querySelector("#import-removals")).color`);
  const [r, g, b] = colour.match(/\d+/g).map(Number);
  assert.ok(r > g + 60 && r > b + 60, `removals are shown in red (${colour})`);

  // Deleting instead says what is lost, with a warning.
  await app.click("#sync-delete");
  await app.waitForText("#plan-delete", `${removed.length} to delete`);
  await app.waitForText("#delete-warning", "cannot be undone");
  await app.waitForText("#import-removals", "for good");
  await app.screenshot("import-sync-delete");
  await app.click("#sync-delete");
  await app.waitForText("#plan-disable", `${removed.length} to disable`);

  await app.waitForText("#safeguard", `${removed.length} of the account's ${demoUsers.length} users`);
  const disabled = () => app.script(`return document.querySelector("#apply-import").disabled`);
  assert.equal(await disabled(), true, "refused until the number is typed");
  await app.type("#confirm-removals", String(removed.length + 1));
  assert.equal(await disabled(), true, "a wrong number does not allow it");
  await app.type("#confirm-removals", String(removed.length));
  await until("the import to be allowed", async () => !(await disabled()));
  await app.screenshot("import-sync-safeguard");
  await app.click("#apply-import");
  const report = await app.waitForText("#import-report", "Import finished", 60000);
  assert.match(report, new RegExp(`${removed.length} disabled`));
  assert.match(report, / 0 not imported/);

  await app.click('[data-screen="users"]');
  await app.select("#filter-status", "disabled");
  await app.waitForText("#user-count", (t) => t.trim() === String(removed.length));
  for (const email of removed) await app.waitForText("#users", email);
  await app.screenshot("users-disabled");
});
