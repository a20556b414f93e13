// The visitor's side in a second engine: Debian's firefox-esr driven by puppeteer-core over
// WebDriver BiDi, against the worker `cargo xtask test` started. Agents are driven through the
// Chromium harness (their part is the console's, tested there); what is checked here is the
// widget as Firefox runs it. Lookups go through the widget's open shadow root by hand, so
// they do not depend on which selector engines the BiDi implementation offers.
import { after } from "node:test";
import puppeteer from "puppeteer-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { env, launch } from "../browser/harness.mjs";

export { env };

const FIREFOX = process.env.FIREFOX || "/usr/bin/firefox-esr";
const open = [];

/** Firefox with `prefs` (e.g. the browser's language), closed when the file's tests end. */
export async function firefox(prefs = {}) {
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: FIREFOX,
    headless: true,
    extraPrefsFirefox: { "network.proxy.type": 0, ...prefs },
  });
  open.push(browser);
  return browser;
}

after(async () => {
  await Promise.all(open.splice(0).map((b) => b.close().catch(() => {})));
});

/**
 * A visitor in Firefox (a page of `viewport`) who asked the assistant `ask` and read `answer`,
 * and a Chromium browser for the agent's side; the caller closes `chromium`.
 */
export async function asked(ask, answer, viewport = { width: 1300, height: 900 }) {
  const browser = await firefox();
  const chromium = await launch();
  const page = await (await browser.createBrowserContext()).newPage();
  await page.setViewport(viewport);
  const w = await Widget.open(page);
  await w.say(ask);
  await w.text(answer);
  return { w, page, chromium };
}

export async function screenshot(page, name) {
  mkdirSync(env.artifacts, { recursive: true });
  await page.screenshot({ path: join(env.artifacts, `firefox-${name}.png`) });
}

/** The widget on a page, seen through its shadow root. */
export class Widget {
  constructor(page, frame = page.mainFrame()) {
    this.page = page;
    this.frame = frame;
  }

  /** Opens `url`, clicks the launcher (`label` in the page's language) and waits for the box. */
  static async open(page, url = `${env.base}/`, label = "Open chat") {
    await page.goto(url);
    const w = new Widget(page);
    await w.click(`button.launcher[aria-label^="${label}"]`);
    await w.waitFor("textarea");
    return w;
  }

  /** Waits for an element of the shadow root matching `selector`, and returns its handle. */
  async waitFor(selector, timeout = 20_000) {
    return this.frame.waitForFunction(
      (sel) => document.querySelector("[data-takeover-widget]")?.shadowRoot?.querySelector(sel),
      { timeout, polling: 100 }, selector);
  }

  async click(selector) {
    const handle = await this.waitFor(selector);
    await handle.asElement().click();
  }

  /** Waits until the chat shows `text` (anywhere in the shadow root). */
  async text(text, timeout = 20_000) {
    await this.frame.waitForFunction(
      (t) => document.querySelector("[data-takeover-widget]")?.shadowRoot?.textContent.includes(t),
      { timeout, polling: 100 }, text);
  }

  /** Waits until the chat no longer shows `text`. */
  async gone(text, timeout = 20_000) {
    await this.frame.waitForFunction(
      (t) => !document.querySelector("[data-takeover-widget]")?.shadowRoot?.textContent.includes(t),
      { timeout, polling: 100 }, text);
  }

  /** How many bubbles carry exactly `text`. */
  async bubbles(text) {
    return this.frame.evaluate((t) => [...document.querySelector("[data-takeover-widget]")
      .shadowRoot.querySelectorAll("li.bubble")].filter((b) => b.textContent.includes(t)).length, text);
  }

  /** Waits until the visitor's message `text` is acknowledged (no longer marked sending). */
  async delivered(text) {
    await this.frame.waitForFunction((t) => [...document.querySelector("[data-takeover-widget]")
      .shadowRoot.querySelectorAll("li.bubble.visitor:not(.pending)")].some((b) => b.textContent.includes(t)),
    { timeout: 20_000, polling: 100 }, text);
  }

  async say(text) {
    const box = await this.waitFor("textarea");
    await box.asElement().type(text);
    await box.asElement().press("Enter");
  }

  async conversationId() {
    const handle = await this.frame.waitForFunction(
      (k) => localStorage.getItem(k), { polling: 100 }, `takeover:${env.site}`);
    return JSON.parse(await handle.jsonValue()).conversation_id;
  }

  /** The panel's `lang` and `dir`. */
  async direction() {
    return this.frame.evaluate(() => {
      const panel = document.querySelector("[data-takeover-widget]").shadowRoot.querySelector(".panel");
      return { lang: panel.getAttribute("lang"), dir: panel.getAttribute("dir") };
    });
  }
}
