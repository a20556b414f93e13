// The visitor's core paths in Firefox: open, chat with the AI, ask for a person, the agent's
// named bubbles and the banner, the hand-back; a dropped socket that reconnects without losing
// or doubling anything; the widget inside an iframe; right-to-left Arabic.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { Agent, launch } from "../browser/harness.mjs";
import { Widget, asked, env, firefox, screenshot } from "./harness.mjs";

test("firefox: chat, ask for a person, talk with them, hand back", async () => {
  const { w, page, chromium } = await asked("Do you ship internationally?", "ship to 40 countries");
  try {
    await w.click("button.human");
    await w.text("Waiting for support agent to join");
    await screenshot(page, "waiting");

    const agent = await Agent.login(chromium);
    await agent.open(await w.conversationId());
    await agent.claim();
    await w.text("You're now chatting with a human");
    await w.gone("Waiting for support agent to join");
    await agent.say("Hello from a person, in Firefox");
    await w.text("Hello from a person, in Firefox");
    const bubble = await w.frame.evaluate(() => document.querySelector("[data-takeover-widget]")
      .shadowRoot.querySelector("li.bubble.agent").textContent);
    assert.match(bubble, /Demo Owner/, "the agent's bubble is named");
    await screenshot(page, "with-a-person");

    await w.say("Thanks!");
    await agent.until((f) => f.type === "item" && f.body.data?.text === "Thanks!");
    await agent.handBack();
    await w.text("AI resumed");
    await w.gone("You're now chatting with a human");
  } finally {
    await chromium.close();
  }
});

test("firefox: a dropped socket reconnects and nothing is lost or shown twice", async () => {
  const browser = await firefox();
  const chromium = await launch();
  try {
    const page = await (await browser.createBrowserContext()).newPage();
    // Keeps the page's sockets so the test can drop one, as a network would.
    await page.evaluateOnNewDocument(() => {
      const Native = window.WebSocket;
      window.__sockets = [];
      window.WebSocket = class extends Native {
        constructor(...args) {
          super(...args);
          window.__sockets.push(this);
        }
      };
    });
    const w = await Widget.open(page);
    await w.say("Do you offer gift cards?");
    await w.text("digital gift cards");
    const id = await w.conversationId();

    await page.evaluate(() => window.__sockets.at(-1).close());
    await w.text("Reconnecting…");
    const agent = await Agent.login(chromium);
    await agent.open(id);
    await agent.claim();
    await agent.say("Missed while you were away");
    await w.say("Typed while offline");

    await w.text("Missed while you were away");
    await w.gone("Reconnecting…");
    await agent.until((f) => f.type === "item" && f.body.data?.text === "Typed while offline");
    await w.delivered("Typed while offline");
    assert.equal(await w.bubbles("Typed while offline"), 1);
    assert.equal(await w.bubbles("Missed while you were away"), 1);
    assert.equal(await w.bubbles("Do you offer gift cards?"), 1);
    assert.ok(await page.evaluate(() => window.__sockets.length) >= 2, "a new socket was opened");
    await screenshot(page, "reconnected");
  } finally {
    await chromium.close();
  }
});

/** A page on its own loopback origin; closed by the test that starts it. */
async function serve(html) {
  const server = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(html);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

test("firefox: the widget on a shop of another origin, inside an iframe of a third", async () => {
  const shop = await serve(`<!doctype html><html lang="en"><title>Shop</title><h1>Shop</h1>
    <script async src="${env.base}/widget/embed.js" data-site-key="${env.site}"></script>`);
  const outer = await serve(`<!doctype html><html lang="en"><title>Frame</title>
    <iframe title="shop" src="${shop.origin}/" style="width:480px;height:700px"></iframe>`);
  try {
    const browser = await firefox();
    const page = await (await browser.createBrowserContext()).newPage();
    await page.goto(`${outer.origin}/`);
    const frame = await page.waitForFrame((f) => f.url().startsWith(shop.origin));
    const w = new Widget(page, frame);
    await w.click('button.launcher[aria-label^="Open chat"]');
    await w.say("Do you have a physical store?");
    await w.text("Harbour Street");
    await screenshot(page, "in-iframe");
  } finally {
    shop.server.close();
    outer.server.close();
  }
});

test("firefox: Arabic reads right to left", async () => {
  const browser = await firefox({ "intl.accept_languages": "ar" });
  const page = await (await browser.createBrowserContext()).newPage();
  await page.setViewport({ width: 390, height: 800 });
  const w = await Widget.open(page, `${env.base}/`, "فتح الدردشة");
  assert.deepEqual(await w.direction(), { lang: "ar", dir: "rtl" });
  await w.waitFor('textarea[aria-label="اكتب رسالتك…"]');
  await screenshot(page, "arabic");
});

test("firefox: a page whose JSON.parse revives dates: words that look like dates arrive and stay", async () => {
  // The page's own script, as a site has it (not one run in every frame).
  const shop = await serve(`<!doctype html><html lang="en"><title>Shop</title><script>
    const parse = JSON.parse;
    JSON.parse = function (t, r) {
      return parse(t, (k, v) => typeof v === "string" && /^\\d{4}-\\d\\d-\\d\\dT/.test(v) ? new Date(v) : v);
    };
  </script><h1>Shop</h1>
    <script async src="${env.base}/widget/embed.js" data-site-key="${env.site}"></script>`);
  try {
    const browser = await firefox();
    const page = await (await browser.createBrowserContext()).newPage();
    const w = await Widget.open(page, `${shop.origin}/`);
    await w.say("Do you have a physical store?");
    await w.text("Harbour Street");
    await w.say("2025-01-01T10:00:00Z");
    await w.delivered("2025-01-01T10:00:00Z");
    await page.reload();
    await w.click('button.launcher[aria-label^="Open chat"]');
    await w.text("2025-01-01T10:00:00Z");
    await w.text("Harbour Street");
    assert.equal(await w.bubbles("2025-01-01T10:00:00Z"), 1);
  } finally {
    shop.server.close();
  }
});
