// Measures the desktop app for BENCHMARKS.md (not a test: nothing here passes or fails).
// Run by scripts/bench-desktop under Xvfb with a private keychain:
//   1. cold start: from spawning the binary to the first painted sign-in screen, found by
//      polling the window's pixels (xdotool + ImageMagick);
//   2. resident memory of the whole process tree (app, WebKit web and network processes)
//      idle on the signed-in Overview, and after previewing a 100,000-row file;
//   3. scrolling that preview: time from a scroll step to the next painted frame.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Driver, appBinary, until, dropFile } from "./webdriver.mjs";

const runs = Number(process.env.RUNS ?? 5);

function children(pid) {
  const out = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch { /* gone */ }
  }
  return out;
}

function tree(pid) {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i]));
  return all;
}

function rssKb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  } catch { return 0; }
}

// The driver's own process is not part of the app: count only what it started.
// Proportional set size: shared library pages split between the processes mapping them,
// so the sum over the tree is the memory the tree really costs.
function pssKb(pid) {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    return Number(rollup.match(/^Pss:\s+(\d+)/m)?.[1] ?? 0);
  } catch { return 0; }
}

const treePssMb = (pid) => tree(pid).slice(1).reduce((sum, p) => sum + pssKb(p), 0) / 1024;

const treeMb = (pid) => tree(pid).slice(1).reduce((sum, p) => sum + rssKb(p), 0) / 1024;

function colours(window) {
  try {
    const png = execFileSync("import", ["-window", window, "png:-"], { stdio: ["ignore", "pipe", "ignore"] });
    return Number(execFileSync("convert", ["png:-", "-format", "%k", "info:"], { input: png }).toString());
  } catch { return 0; }
}

let signInIdle = null;

async function coldStart(measureIdle) {
  const data = mkdtempSync(join(tmpdir(), "sxadmin-bench-"));
  const started = performance.now();
  const child = spawn(appBinary, [], { env: { ...process.env, SXADMIN_DESKTOP_DATA: data }, stdio: "ignore" });
  const window = await until("the window", async () => {
    try { return execFileSync("xdotool", ["search", "--onlyvisible", "--name", "^SX Admin$"]).toString().trim().split("\n")[0]; }
    catch { return null; }
  }, 30000);
  // The sign-in screen has text, a card and buttons: far more colours than a blank window.
  await until("the first painted screen", async () => colours(window) > 40, 30000);
  const ms = performance.now() - started;
  if (measureIdle) {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const all = tree(child.pid);
    signInIdle = {
      rss: all.reduce((sum, p) => sum + rssKb(p), 0) / 1024,
      pss: all.reduce((sum, p) => sum + pssKb(p), 0) / 1024,
    };
  }
  child.kill("SIGTERM");
  await new Promise((resolve) => child.on("exit", resolve));
  rmSync(data, { recursive: true, force: true });
  return ms;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const starts = [];
for (let i = 0; i < runs; i++) starts.push(await coldStart(i === runs - 1));
console.log(`cold start to first painted screen: median ${median(starts).toFixed(0)} ms, ` +
  `min ${Math.min(...starts).toFixed(0)} ms, max ${Math.max(...starts).toFixed(0)} ms over ${runs} runs`);
console.log(`memory, process tree, idle on the sign-in screen (no WebDriver): RSS ${signInIdle.rss.toFixed(0)} MB, ` +
  `PSS ${signInIdle.pss.toFixed(0)} MB`);

const data = mkdtempSync(join(tmpdir(), "sxadmin-bench-"));
const app = await Driver.start({ SXADMIN_DESKTOP_DATA: data });
try {
  await app.click("#try-demo");
  await app.waitForText("#overview-account", "Demo Inc.", 30000);
  const idle = [];
  const idlePss = [];
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    idle.push(treeMb(app.child.pid));
    idlePss.push(treePssMb(app.child.pid));
  }
  console.log(`proportional memory (PSS), process tree, idle on Overview: ${median(idlePss).toFixed(0)} MB`);
  console.log(`resident memory, process tree, idle on Overview (demo portal inside): ${median(idle).toFixed(0)} MB ` +
    `(${tree(app.child.pid).length - 1} processes: ` +
    tree(app.child.pid).slice(1).map((p) => {
      const name = readFileSync(`/proc/${p}/comm`, "utf8").trim();
      return `${name} ${(rssKb(p) / 1024).toFixed(0)} MB`;
    }).join(", ") + ")");

  let csv = "email,first_name,last_name,role,language,licence\n";
  for (let i = 0; i < 100000; i++) {
    csv += `user${i}@demo.example,First${i},Last${i},${i % 50 === 0 ? "manager" : "user"},${i % 2 ? "fr" : "en"},\n`;
  }
  await app.click('[data-screen="import"]');
  const before = performance.now();
  await dropFile(app, "bench-100000.csv", csv);
  await app.waitForText("#plan-create", "to create", 120000);
  const previewMs = performance.now() - before;
  const frames = await app.cmd("POST", "/execute/async", {
    script: `const done = arguments[arguments.length - 1];
      const list = document.querySelector("#preview");
      const times = [];
      let step = 0;
      function next() {
        if (step++ >= 120) { done(times); return; }
        const t = performance.now();
        list.scrollTop += list.clientHeight * 7;
        requestAnimationFrame(() => requestAnimationFrame(() => { times.push(performance.now() - t); next(); }));
      }
      next();`,
    args: [],
  });
  const sorted = [...frames].sort((a, b) => a - b);
  const afterMb = treeMb(app.child.pid);
  const afterPss = treePssMb(app.child.pid);
  console.log(`preview of a 100,000-row file (drop to plan shown, 6.1 MB): ${previewMs.toFixed(0)} ms`);
  console.log(`scrolling the preview (120 jumps of 7 screens, to the next painted frame): ` +
    `median ${median(frames).toFixed(1)} ms, p95 ${sorted[Math.floor(sorted.length * 0.95)].toFixed(1)} ms`);
  console.log(`resident memory, process tree, after previewing 100,000 rows: ${afterMb.toFixed(0)} MB ` +
    `(PSS ${afterPss.toFixed(0)} MB)`);

  // Apply it: 98,000 creates (one row in fifty has an unknown role) through the batch API.
  const applyStart = performance.now();
  await app.click("#apply-import");
  const report = await app.waitForText("#import-report", "Import finished", 600000);
  const applySeconds = (performance.now() - applyStart) / 1000;
  const created = Number(report.match(/(\d+) created/)?.[1] ?? 0);
  console.log(`import of the file into the demo portal: ${created} users created in ${applySeconds.toFixed(1)} s ` +
    `(${(created / applySeconds).toFixed(0)} users/s)`);

  // The Users screen over 98,000+ users: first page, then scrolling through pages.
  const usersStart = performance.now();
  await app.click('[data-screen="users"]');
  await app.waitForText("#user-count", (t) => Number(t.replace(/\D/g, "")) > 90000, 30000);
  console.log(`Users screen with ${await app.text("#user-count")} users: first page shown in ` +
    `${(performance.now() - usersStart).toFixed(0)} ms`);
  const userFrames = await app.cmd("POST", "/execute/async", {
    script: `const done = arguments[arguments.length - 1];
      const list = document.querySelector("#users");
      const times = [];
      let step = 0;
      function next() {
        if (step++ >= 60) { done(times); return; }
        const t = performance.now();
        list.scrollTop += list.clientHeight * 3;
        requestAnimationFrame(() => requestAnimationFrame(() => { times.push(performance.now() - t); next(); }));
      }
      next();`,
    args: [],
  });
  const usersSorted = [...userFrames].sort((a, b) => a - b);
  console.log(`scrolling the Users list (60 jumps of 3 screens, pages fetched as needed): ` +
    `median ${median(userFrames).toFixed(1)} ms, p95 ${usersSorted[Math.floor(usersSorted.length * 0.95)].toFixed(1)} ms`);
} finally {
  await app.quit();
  rmSync(data, { recursive: true, force: true });
}
