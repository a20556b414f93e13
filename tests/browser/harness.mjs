// Shared setup for the browser tests: Debian's chromium through playwright-core, against the
// worker that `cargo xtask test` started and seeded (its URL and login come in the environment).
// One page object for the visitor's widget and one driver for an agent over the real API.
import { afterEach } from "node:test";
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import PostalMime from "postal-mime";
import { join } from "node:path";
import { createServer } from "node:http";

export const env = {
  base: process.env.BASE_URL,
  site: process.env.SITE_KEY,
  email: process.env.OWNER_EMAIL,
  password: process.env.OWNER_PASSWORD,
  artifacts: process.env.ARTIFACTS || "test-artifacts",
  mailDir: process.env.MAIL_DIR,
};

if (!env.base) throw new Error("BASE_URL is not set: run these through `cargo xtask test`");

// Every browser a test launched, closed at its end (kept open until then so a failure can be
// looked at as it was), whether or not the test reached its own `close()`: one that threw
// before it (a login that timed out) would otherwise keep the file's process, and so the
// whole suite, waiting for ever. Only under the test runner: a script (the widget benchmark)
// closes its browser at once.
const underTest = Boolean(process.env.NODE_TEST_CONTEXT);
const closing = [];

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  if (underTest) {
    closing.push({ browser, close: browser.close.bind(browser) });
    browser.close = async () => {};
  }
  return browser;
}

// A failed test leaves a picture and the visible text of every page it had open
// (FAILED-<test>-<n>.png/.txt in the artifacts), then its browsers are really closed.
if (underTest) afterEach(async (t) => {
  const held = closing.splice(0);
  if (!t.passed) {
    const name = t.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
    let n = 0;
    for (const { browser } of held) {
      for (const context of browser.contexts()) {
        for (const page of context.pages()) {
          n += 1;
          await lastLook(page, join(env.artifacts, `FAILED-${name}-${n}`)).catch(() => {});
        }
      }
    }
  }
  await Promise.all(held.map(({ close }) => close().catch(() => {})));
});

async function lastLook(page, path) {
  mkdirSync(env.artifacts, { recursive: true });
  await page.screenshot({ path: `${path}.png`, timeout: 5_000 });
  // Shadow roots included: the widget lives in one.
  const text = await page.evaluate(() => {
    const shadows = [...document.querySelectorAll("*")].filter((el) => el.shadowRoot)
      .map((el) => [...el.shadowRoot.children].filter((c) => c.tagName !== "STYLE").map((c) => c.innerText ?? "").join("\n")).join("\n---\n");
    return `${location.href}\n${document.body?.innerText ?? ""}\n--- shadow ---\n${shadows}`;
  });
  writeFileSync(`${path}.txt`, text);
}

export async function screenshot(page, name) {
  mkdirSync(env.artifacts, { recursive: true });
  await page.screenshot({ path: join(env.artifacts, `${name}.png`) });
}

/** Fails with axe's findings on `page` (only inside `within`, a selector, when given). */
export async function audit(page, what, within) {
  const builder = new AxeBuilder({ page });
  const result = await (within ? builder.include(within) : builder).analyze();
  const found = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`);
  assert.deepEqual(found, [], `axe violations on ${what}`);
}

/** A host page on its own loopback origin (`pages`: path → HTML); closed by the test. */
export async function hostSite(pages) {
  const server = createServer((req, res) => {
    const body = pages[req.url];
    res.writeHead(body ? 200 : 404, { "Content-Type": "text/html" });
    res.end(body || "not found");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

/**
 * What `page` throws or logs as an error from now on: uncaught exceptions and unhandled
 * rejections, and console errors other than the browser's own line for a failed request.
 */
export function troubles(page) {
  const seen = [];
  page.on("pageerror", (e) => seen.push(`uncaught: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      seen.push(`console: ${m.text()}`);
    }
  });
  return seen;
}

/** The visitor's side: the demo page (or any page) with the widget. */
export class Widget {
  constructor(page, texts = EN) {
    this.page = page;
    this.t = texts;
  }

  static async open(context, url = `${env.base}/`, texts = EN) {
    const page = await context.newPage();
    await page.goto(url);
    const w = new Widget(page, texts);
    await w.launcher.click();
    await w.input.waitFor({ timeout: 20_000 });
    return w;
  }

  get launcher() { return this.page.getByRole("button", { name: this.t.open }); }
  get input() { return this.page.getByRole("textbox", { name: this.t.placeholder }); }
  get panel() { return this.page.getByRole("dialog"); }
  text(s, exact = false) { return this.page.getByText(s, { exact }); }

  async say(text) {
    await this.input.fill(text);
    await this.input.press("Enter");
  }

  /** The conversation's id, once the widget has started one (the first message starts it). */
  async conversationId(site = env.site) {
    const key = `takeover:${site}`;
    await this.page.waitForFunction((k) => localStorage.getItem(k) !== null, key);
    const raw = await this.page.evaluate((k) => localStorage.getItem(k), key);
    return JSON.parse(raw).conversation_id;
  }

  /** How many bubbles carry exactly this text. */
  async bubbles(text) {
    return this.page.locator("li.bubble", { hasText: text }).count();
  }
}

export const EN = { open: "Open chat", placeholder: "Type your message…" };

/**
 * An agent driven through the real HTTP API and WebSocket, from inside a browser page of its
 * own (so the HttpOnly session cookie is used exactly as the console uses it).
 */
export class Agent {
  static async login(browser) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${env.base}/api/health`);
    const res = await page.evaluate(async (body) => {
      const r = await fetch("/api/admin/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      return { status: r.status, me: await r.json() };
    }, { site_key: env.site, email: env.email, password: env.password });
    if (res.status !== 200) throw new Error(`agent login failed: ${res.status}`);
    const agent = new Agent();
    agent.page = page;
    agent.me = res.me;
    return agent;
  }

  async open(conversationId) {
    return this.page.evaluate((id) => new Promise((resolve, reject) => {
      const ws = new WebSocket(`${location.origin.replace(/^http/, "ws")}/api/admin/conversations/${id}/ws`);
      window.frames_ = [];
      window.sock = ws;
      ws.onmessage = (e) => {
        const f = JSON.parse(e.data);
        window.frames_.push(f);
        if (f.type === "welcome") resolve(f);
      };
      ws.onerror = () => reject(new Error("agent socket failed"));
      ws.onopen = () => ws.send(JSON.stringify({ type: "hello", version: 1, credential: { kind: "agent" }, last_seq: 0 }));
    }), conversationId);
  }

  async send(frame) {
    await this.page.evaluate((f) => window.sock.send(JSON.stringify(f)), frame);
  }

  /** The site's settings through the admin API, as the settings page reads them. */
  async settings() {
    return this.page.evaluate(async () => (await fetch("/api/admin/settings")).json());
  }

  async saveSettings(settings) {
    const status = await this.page.evaluate(async ({ s, csrf }) => {
      const r = await fetch("/api/admin/settings", { method: "PUT", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(s) });
      return r.status;
    }, { s: settings, csrf: this.me.csrf });
    if (status !== 200) throw new Error(`saving settings failed: ${status}`);
  }

  claim() { return this.send({ type: "claim" }); }
  handBack() { return this.send({ type: "hand_back" }); }
  typing(on) { return this.send({ type: "typing", on }); }
  say(text) { return this.send({ type: "send", client_id: `a${Date.now()}${Math.random().toString(36).slice(2)}`, text }); }

  /** Waits until a received frame matches `pred` (run in the page), returning it. */
  async until(pred) {
    const handle = await this.page.waitForFunction(
      (src) => window.frames_.find(new Function("f", `return (${src})(f)`)),
      pred.toString(), { timeout: 15_000 });
    return handle.jsonValue();
  }
}

/** The screens a new view is looked at on: a desktop and a phone. */
export const SCREENS = [
  ["desktop", { viewport: { width: 1280, height: 800 } }],
  ["phone", { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }],
];

/** The agents' console in a browser context of its own. */
export class Console {
  /**
   * `lag` (ms) holds back what the server sends on conversation sockets, as a slow network
   * would: two agents then both see "Claim" long enough to click it at once. `device` is the
   * browser context's options (a phone's viewport); `prepare(context)` runs before the page
   * opens (init scripts, a fake clock).
   */
  static async login(browser, email = env.email, password = env.password, lag = 0, device = {}, prepare = null) {
    const context = await browser.newContext(device);
    if (prepare) await prepare(context);
    if (lag) {
      await context.routeWebSocket(/\/api\/admin\/conversations\/.*\/ws$/, (ws) => {
        const server = ws.connectToServer();
        server.onMessage((m) => setTimeout(() => ws.send(m), lag));
        ws.onMessage((m) => server.send(m));
      });
    }
    const page = await context.newPage();
    await page.goto(`${env.base}/admin`);
    await page.getByLabel("Site").fill(env.site);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("tab", { name: /Pending/ }).waitFor();
    // The inbox's socket open (the top bar stops saying "Connecting…"): what makes the
    // teammate count as present, which tests of the visitor's wait rely on.
    await page.waitForFunction(() => document.querySelector("span.status[role=status]")?.textContent === "");
    const c = new Console();
    c.page = page;
    return c;
  }

  /** Conversation `id` at its own address (an inbox row's preview is shared with other tests). */
  async conversation(id) { await this.page.goto(`${env.base}/admin/c/${id}`); }

  tab(name) { return this.page.getByRole("tab", { name: new RegExp(`^${name}`) }); }
  row(text) { return this.page.locator("button.row", { hasText: text }); }
  button(name) { return this.page.getByRole("button", { name, exact: true }); }

  async open(tab, text) {
    await this.tab(tab).click();
    await this.row(text).click();
  }

  async write(mode, text) {
    await this.page.getByRole("radio", { name: mode }).check();
    const box = this.page.getByRole("textbox", { name: mode === "Reply" ? "Reply to the visitor" : /Internal note/ });
    await box.fill(text);
    await box.press("Enter");
    // The draft stays until the server has it (then the box empties): wait for that, as a
    // person would before writing the next one.
    for (let waited = 0; (await box.inputValue()) !== "" && waited < 10_000; waited += 25) {
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(await box.inputValue(), "", `the ${mode.toLowerCase()} was not taken within 10 s`);
  }

  /** Hands the open conversation back to the AI, with closing words if any. */
  async handBack(words = "") {
    await this.button("Hand back to AI").click();
    if (words) await this.page.getByLabel("Closing words to the visitor (optional)").fill(words);
    await this.button("Hand back").click();
  }

  /** Adds a teammate through the API, as the signed-in owner; returns their password. */
  async addTeammate(email, name, role) {
    const password = `pw-${Math.random().toString(36).slice(2)}-long`;
    const status = await this.page.evaluate(async (m) => {
      const me = await (await fetch("/api/admin/me")).json();
      const r = await fetch("/api/admin/team", { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf }, body: JSON.stringify(m) });
      return r.status;
    }, { email, name, role, password });
    if (status !== 201) throw new Error(`adding ${email}: ${status}`);
    return password;
  }
}

/** A word no other test writes, to find this test's conversation in shared lists. */
/** A tag to find one test's conversation by. Digits only after the prefix: the FAQ engine reads
 * such a token as an order number, never as a word of the question (a random word would make
 * the AI's answer depend on the draw). */
export const unique = (prefix) => `${prefix}-${Math.floor(100000 + Math.random() * 900000)}`;

/** Every mail the worker has sent so far (parsed as a mail client would), oldest first. */
export async function sentMail() {
  if (!env.mailDir || !existsSync(env.mailDir)) return [];
  const files = [];
  for (const run of readdirSync(env.mailDir)) {
    const dir = join(env.mailDir, run, "files", "email");
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) files.push(join(dir, f));
  }
  files.sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
  return Promise.all(files.map((f) => PostalMime.parse(readFileSync(f))));
}

/** Waits for a mail to `address` whose subject matches, and returns it. */
export async function mailTo(address, subject, timeout = 15000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const found = (await sentMail()).filter((m) => m.to?.some((t) => t.address === address) && subject.test(m.subject));
    if (found.length) return found[found.length - 1];
    if (Date.now() > deadline) throw new Error(`no mail to ${address} matching ${subject}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The first link in a mail's text that contains `part`. */
export function linkIn(mail, part) {
  const url = mail.text.split(/\s+/).find((w) => w.includes(part));
  if (!url) throw new Error(`no link with ${part} in: ${mail.text}`);
  return url;
}

// The apps move focus a frame after the element appears (the node must be mounted first), so a
// test reading document.activeElement at once races the page: wait for focus, then fail clearly.
export async function focused(locator, what, timeout = 5000) {
  const reached = await locator.evaluate((el, timeout) => new Promise((resolve) => {
    const until = performance.now() + timeout;
    const check = () => {
      if (el.getRootNode().activeElement === el) resolve(true);
      else if (performance.now() > until) resolve(false);
      else setTimeout(check, 20);
    };
    check();
  }), timeout);
  assert.ok(reached, `${what}: focus never reached it`);
}
