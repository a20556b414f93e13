// A message is never lost between the visitor's page and the conversation: a socket that
// stays open while nothing comes back is replaced and the message sent again (stored once),
// and a message typed just before a reload is sent by the next page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Console, Widget, env, launch, screenshot, unique } from "./harness.mjs";

test("a socket that goes silent is replaced and the waiting message stored once", async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext();
    // The first socket after the greeting carries nothing back: the server stores what the
    // widget sends, but its acknowledgements and everything else never arrive.
    const sockets = [];
    await context.routeWebSocket(/\/api\/conversations\/.*\/ws$/, (ws) => {
      const server = ws.connectToServer();
      const n = sockets.push(ws);
      let muted = false;
      sockets.at(-1).mute = () => { muted = true; };
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => { if (!(n === 1 && muted)) ws.send(m); });
    });
    const w = await Widget.open(context);
    await w.say("Do you offer gift cards?");
    await w.text("digital gift cards", false).waitFor();

    sockets[0].mute();
    await w.say("Sent into a silent socket");
    await w.page.locator("li.bubble.visitor.pending", { hasText: "Sent into a silent socket" }).waitFor();
    await screenshot(w.page, "outbox-silent-pending");

    // Resent after 3 s on the same socket (still silent), then a new socket after 10 s.
    await w.page
      .locator("li.bubble.visitor:not(.pending)", { hasText: "Sent into a silent socket" })
      .waitFor({ timeout: 25_000 });
    assert.ok(sockets.length >= 2, "the silent socket was replaced");
    assert.equal(await w.bubbles("Sent into a silent socket"), 1, "stored and shown once");
    await screenshot(w.page, "outbox-silent-delivered");
  } finally {
    await browser.close();
  }
});

test("a message typed just before a reload is sent by the next page, once", async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext();
    // The first page's messages never reach the server (as when the page goes away before
    // the frame leaves); the next page's socket is untouched.
    let pages = 0;
    await context.routeWebSocket(/\/api\/conversations\/.*\/ws$/, (ws) => {
      const server = ws.connectToServer();
      const first = pages === 0;
      ws.onMessage((m) => {
        const frame = JSON.parse(m);
        if (first && frame.type === "send" && frame.text === "Typed before the reload") return;
        server.send(m);
      });
      server.onMessage((m) => ws.send(m));
    });
    const w = await Widget.open(context);
    await w.say("What payment methods do you accept?");
    await w.text("Apple Pay", false).waitFor();
    await w.say("Typed before the reload");
    await w.page.locator("li.bubble.visitor.pending", { hasText: "Typed before the reload" }).waitFor();
    const kept = await w.page.evaluate(() =>
      Object.keys(localStorage).filter((k) => k.startsWith("takeover:outbox:")).length);
    assert.equal(kept, 1, "the unacknowledged message is kept in the browser");

    pages += 1;
    await w.page.reload();
    await w.launcher.click();
    await w.page
      .locator("li.bubble.visitor:not(.pending)", { hasText: "Typed before the reload" })
      .waitFor({ timeout: 20_000 });
    assert.equal(await w.bubbles("Typed before the reload"), 1);
    const left = await w.page.evaluate(() =>
      Object.keys(localStorage).filter((k) => k.startsWith("takeover:outbox:")).length);
    assert.equal(left, 0, "nothing left waiting once it is stored");
    await screenshot(w.page, "outbox-after-reload");
  } finally {
    await browser.close();
  }
});

test("the first message, typed while the first conversation is still being made, survives a reload and is sent once", async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The first page's conversation is never made: the page reloads while it is asked for.
    let making;
    let first = true;
    const asked = new Promise((resolve) => { making = resolve; });
    await page.route("**/api/sites/*/conversations", (route) => {
      if (route.request().method() !== "POST" || !first) return route.fallback();
      first = false;
      making(route);
    });
    await page.goto(`${env.base}/`);
    const w = new Widget(page);
    await w.launcher.click();
    const held = await asked;
    await w.input.waitFor({ timeout: 20_000 });
    const words = `${unique("first")}: do you ship to Canada?`;
    await w.say(words);
    await page.locator("li.bubble.visitor.pending", { hasText: words }).waitFor();
    const waiting = await page.evaluate((k) => localStorage.getItem(k), `takeover:outbox-new:${env.site}`);
    assert.ok(waiting && waiting.includes(words), `kept before any conversation: ${waiting}`);

    await page.reload();
    await held.abort().catch(() => {});
    // The next page sends it without being opened; opened, it shows it stored, once.
    await page.waitForFunction((k) => localStorage.getItem(k) !== null, `takeover:${env.site}`, { timeout: 20_000 });
    await w.launcher.click();
    await page.locator("li.bubble.visitor:not(.pending)", { hasText: words }).waitFor({ timeout: 20_000 });
    assert.equal(await w.bubbles(words), 1);
    const left = await page.evaluate(() =>
      Object.keys(localStorage).filter((k) => k.startsWith("takeover:outbox")));
    assert.deepEqual(left, [], "nothing left waiting once it is stored");
    await screenshot(page, "outbox-first-message-after-reload");
    // Words waiting for no conversation in particular never reach a signed-in user's: a page
    // that signs one in drops them unread.
    await page.evaluate((k) => localStorage.setItem(k, JSON.stringify([{ client_id: "left-by-someone", text: "Someone else's words" }])), `takeover:outbox-new:${env.site}`);
    await page.evaluate((k) => localStorage.removeItem(k), `takeover:${env.site}`);
    await page.evaluate(() => window.Takeover.identify({ user_id: "u-1", name: "Una", token: "not-checked-here" }));
    await page.reload();
    await page.evaluate(() => window.Takeover.identify({ user_id: "u-1", name: "Una", token: "not-checked-here" }));
    await w.launcher.click();
    await w.input.waitFor();
    await page.waitForFunction((k) => localStorage.getItem(k) === null, `takeover:outbox-new:${env.site}`);
    assert.equal(await w.text("Someone else's words").count(), 0);
  } finally {
    await browser.close();
  }
});

test("a console socket that goes silent while the agent only reads is noticed and replaced", async () => {
  const browser = await launch();
  try {
    const agent = await Console.login(browser);
    // The agent's conversation socket goes quiet after the greeting, both ways, as a socket
    // that is open at both ends with nothing passing through it.
    const sockets = [];
    await agent.page.context().routeWebSocket(/\/api\/admin\/conversations\/.*\/ws$/, (ws) => {
      const server = ws.connectToServer();
      const n = sockets.push(ws);
      let greeted = false;
      ws.onMessage((m) => { if (!(n === 1 && greeted)) server.send(m); });
      server.onMessage((m) => {
        if (n === 1 && greeted) return;
        if (JSON.parse(m).type === "welcome") greeted = true;
        ws.send(m);
      });
    });
    const w = await Widget.open(await browser.newContext());
    const tag = unique("quiet");
    await w.say(`${tag}: I need a person please`);
    await w.text("Waiting for support agent to join").waitFor();
    await agent.open("Pending", tag);
    await agent.button("Claim").waitFor();
    await w.say(`${tag}: written while the agent's socket is silent`);

    // Quiet for 30 s: a ping, unanswered; 10 s later a new socket, whose welcome has it.
    await agent.page.locator("ol.timeline").getByText("written while the agent's socket is silent").waitFor({ timeout: 60_000 });
    assert.ok(sockets.length >= 2, "the silent socket was replaced");
    await screenshot(agent.page, "console-silent-socket-replaced");
  } finally {
    await browser.close();
  }
});
