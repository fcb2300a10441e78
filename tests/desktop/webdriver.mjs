// A small W3C WebDriver client for the desktop end-to-end tests. It starts WebKitGTK's own
// driver (WebKitWebDriver), which launches the real SX Admin binary with automation
// enabled, and drives the window's web view. Every wait polls a condition until a deadline.

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const targetDir = process.env.CARGO_TARGET_DIR ?? join(repoRoot, "target");
export const appBinary = process.env.SXADMIN_DESKTOP_BIN ?? join(targetDir, "debug", "sxadmin-desktop");
export const screenshotDir = process.env.SXADMIN_SCREENSHOTS ?? join(targetDir, "screenshots");

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Polls `probe` until it returns a truthy value; fails with `what` after `ms`. */
export async function until(what, probe, ms = 20000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export class Driver {
  constructor(base, child) {
    this.base = base;
    this.child = child;
    this.session = null;
  }

  /** Starts the driver, then the app with `env` (a fresh data folder per test). */
  static async start(env) {
    const port = await freePort();
    const child = spawn("WebKitWebDriver", [`--port=${port}`], {
      env: { ...process.env, TAURI_WEBVIEW_AUTOMATION: "true", ...env },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const driver = new Driver(`http://127.0.0.1:${port}`, child);
    await until("WebKitWebDriver to listen", async () => {
      const status = await fetch(`${driver.base}/status`).then((r) => r.json());
      return status.value?.ready;
    });
    await driver.open();
    return driver;
  }

  async open() {
    const response = await this.request("POST", "/session", {
      capabilities: {
        alwaysMatch: { "webkitgtk:browserOptions": { binary: appBinary, args: [] } },
      },
    });
    this.session = response.sessionId;
  }

  async request(method, path, body) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await response.json();
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
    }
    return json.value;
  }

  cmd(method, path, body) {
    return this.request(method, `/session/${this.session}${path}`, body);
  }

  /** Closes the app (the session) but keeps the driver for another one. */
  async closeApp() {
    if (this.session) {
      await this.cmd("DELETE", "").catch(() => {});
      this.session = null;
    }
  }

  async quit() {
    await this.closeApp();
    this.child.kill("SIGTERM");
  }

  async find(css) {
    const value = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return value[ELEMENT];
  }

  async findAll(css) {
    const value = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return value.map((v) => v[ELEMENT]);
  }

  /** Waits until `css` matches a displayed element and returns it. */
  async waitFor(css, ms) {
    return until(`${css} to appear`, async () => {
      const id = await this.find(css);
      return (await this.cmd("GET", `/element/${id}/displayed`)) ? id : null;
    }, ms);
  }

  async click(css) {
    const id = await this.waitFor(css);
    await until(`${css} to be enabled`, () => this.cmd("GET", `/element/${id}/enabled`));
    await this.cmd("POST", `/element/${id}/click`, {});
  }

  async type(css, text, { clear = true } = {}) {
    const id = await this.waitFor(css);
    if (clear) await this.cmd("POST", `/element/${id}/clear`, {});
    if (text) await this.cmd("POST", `/element/${id}/value`, { text });
  }

  async text(css) {
    const id = await this.waitFor(css);
    return this.cmd("GET", `/element/${id}/text`);
  }

  /** Waits until the text of `css` satisfies `test` (a string to contain, or a function). */
  async waitForText(css, test, ms) {
    const ok = typeof test === "string" ? (t) => t.includes(test) : test;
    return until(`${css} to show ${test}`, async () => {
      // textContent, not the rendered text: rows of a virtual list are positioned out of flow.
      const text = await this.script(
        "const el = document.querySelector(arguments[0]); return el ? el.textContent : null;", [css]);
      return text !== null && ok(text) ? text : null;
    }, ms);
  }

  async select(css, value) {
    await this.waitFor(css);
    await this.script(
      `const el = document.querySelector(arguments[0]); el.value = arguments[1];
       el.dispatchEvent(new Event("change", { bubbles: true }));`,
      [css, value],
    );
  }

  script(body, args = []) {
    return this.cmd("POST", "/execute/sync", { script: body, args });
  }

  /**
   * Captures the app's window from the X server, as a person sees it (WebDriver's own
   * screenshot needs WebKit's compositing mode, which the app turns off). Waits for two
   * painted frames first, so the capture shows the last DOM change.
   */
  async screenshot(name) {
    await this.cmd("POST", "/execute/async", {
      script: "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
      args: [],
    });
    const window = await until("the app window", async () => {
      const found = await xdotool("search", "--onlyvisible", "--name", "^SX Admin$").catch(() => "");
      return found.split("\n").filter(Boolean)[0];
    });
    mkdirSync(screenshotDir, { recursive: true });
    await new Promise((resolve, reject) => {
      const child = spawn("import", ["-window", window, join(screenshotDir, `${name}.png`)], { stdio: "ignore" });
      child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`import exited with ${code}`))));
    });
  }
}

/** Runs xdotool and resolves with its output. */
export function xdotool(...args) {
  return new Promise((resolve, reject) => {
    const child = spawn("xdotool", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`xdotool ${args.join(" ")}: ${err || code}`))));
  });
}

/** Answers the native GTK file dialog titled `title` with `path`, as a person types it. */
export async function answerFileDialog(title, path) {
  const window = await until(`the file dialog "${title}"`, async () => {
    const found = await xdotool("search", "--onlyvisible", "--name", title).catch(() => "");
    return found.split("\n").filter(Boolean)[0];
  }, 30000);
  await xdotool("windowfocus", "--sync", window);
  await xdotool("key", "--clearmodifiers", "ctrl+l");
  await xdotool("type", "--delay", "5", path);
  // The location entry may still be completing the path and swallow the first Return:
  // press it until the dialog has gone.
  let presses = 0;
  await until(`the file dialog "${title}" to close`, async () => {
    const open = await xdotool("search", "--onlyvisible", "--name", title).catch(() => "");
    if (!open) return true;
    if (presses++ % 10 === 0) await xdotool("key", "Return");
    return false;
  }, 20000);
}

/** Drops a file on the window, as dragging it from a file manager does. */
export async function dropFile(driver, name, text) {
  await driver.script(
    `const dt = new DataTransfer();
     dt.items.add(new File([arguments[1]], arguments[0], { type: "text/csv" }));
     window.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));`,
    [name, text],
  );
}

/** Answers the native GTK save dialog titled `title`: the whole path in the name field. */
export async function answerSaveDialog(title, path) {
  const window = await until(`the save dialog "${title}"`, async () => {
    const found = await xdotool("search", "--onlyvisible", "--name", title).catch(() => "");
    return found.split("\n").filter(Boolean)[0];
  }, 30000);
  await xdotool("windowfocus", "--sync", window);
  await xdotool("key", "--clearmodifiers", "ctrl+a");
  await xdotool("type", "--delay", "5", path);
  let presses = 0;
  await until(`the save dialog "${title}" to close`, async () => {
    const open = await xdotool("search", "--onlyvisible", "--name", title).catch(() => "");
    if (!open) return true;
    if (presses++ % 10 === 0) await xdotool("key", "Return");
    return false;
  }, 20000);
}
