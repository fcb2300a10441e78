// Signs in through the demo portal's own pages in a real Chromium, as a person would: the
// portal is started as `sxadmin portal serve --demo` (scripts/test builds it), the browser fills the e-mail form and
// the one-time code from the outbox, and the portal redirects back to a loopback listener
// the way the desktop app and the CLI receive their sign-in.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const screenshots = join(process.env.CARGO_TARGET_DIR ?? join(repoRoot, "target"), "screenshots");

const sxadmin = process.env.SXADMIN_BIN
  ?? join(process.env.CARGO_TARGET_DIR ?? join(repoRoot, "target"), "debug", "sxadmin");

/** Starts `sxadmin portal serve --demo` and resolves with the URL it prints once it listens. */
function startDemoPortal(dataDir) {
  const child = spawn(sxadmin, [
    "portal", "serve", "--demo",
    "--listen", "127.0.0.1:0",
    "--db", join(dataDir, "portal.sqlite"),
    "--outbox", join(dataDir, "outbox"),
  ], { stdio: ["ignore", "pipe", "inherit"] });
  const url = new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const match = line.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) resolve(match[1]);
    });
    child.on("exit", (code) => reject(new Error(`the portal exited with ${code} before listening`)));
  });
  return { child, url };
}

/** A loopback listener that receives the authorisation redirect, like a native app's. */
function startRedirectListener() {
  let deliver;
  const received = new Promise((resolve) => (deliver = resolve));
  const server = createServer((request, response) => {
    const url = new URL(request.url, "http://127.0.0.1");
    response.writeHead(200, { "content-type": "text/html" });
    response.end("<h1>Signed in to SX Admin</h1><p>You can close this window.</p>");
    deliver(url.searchParams);
  });
  const ready = new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
  return { server, ready, received };
}

function newestCode(outbox) {
  const files = readdirSync(outbox).sort();
  assert.ok(files.length > 0, "the portal wrote no sign-in e-mail to the outbox");
  const text = readFileSync(join(outbox, files[files.length - 1]), "utf8");
  const match = text.match(/code is (\d{6})/);
  assert.ok(match, `no code in the e-mail: ${text}`);
  return match[1];
}

test("an administrator signs in to the demo portal through its pages in Chromium", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "sxadmin-browser-"));
  const portal = startDemoPortal(dataDir);
  const listener = startRedirectListener();
  let browser;
  try {
    const base = await portal.url;
    const port = await listener.ready;
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const state = randomBytes(8).toString("hex");
    const authorize = new URL("/oauth/authorize", base);
    for (const [key, value] of Object.entries({
      response_type: "code", client_id: "sxadmin-desktop", redirect_uri: redirectUri,
      code_challenge: challenge, code_challenge_method: "S256", state,
    })) authorize.searchParams.set(key, value);

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"],
    });
    const page = await browser.newPage();
    await page.goto(authorize.toString());
    await page.getByLabel("E-mail address").fill("admin@demo.example");
    await page.getByRole("button", { name: "Send me a code" }).click();
    await page.getByLabel("One-time code").waitFor();
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, "portal-sign-in-code.png") });
    await page.getByLabel("One-time code").fill(newestCode(join(dataDir, "outbox")));
    await page.getByRole("button", { name: "Sign in" }).click();

    const params = await listener.received;
    await page.getByText("Signed in to SX Admin").waitFor();
    assert.equal(params.get("state"), state);
    const code = params.get("code");
    assert.ok(code, `the redirect carried no code: ${params}`);

    const tokenResponse = await fetch(new URL("/oauth/token", base), {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "authorization_code", code, redirect_uri: redirectUri,
        client_id: "sxadmin-desktop", code_verifier: verifier,
      }),
    });
    assert.equal(tokenResponse.status, 200);
    const tokens = await tokenResponse.json();
    const me = await fetch(new URL("/api/v1/me", base), {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(me.status, 200);
    const body = await me.json();
    assert.equal(body.user.email, "admin@demo.example");
    assert.equal(body.account.name, "Demo Inc.");
  } finally {
    await browser?.close();
    listener.server.close();
    portal.child.kill("SIGINT");
    rmSync(dataDir, { recursive: true, force: true });
  }
});
