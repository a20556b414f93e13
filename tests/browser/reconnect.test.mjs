// Nothing is lost or shown twice when the socket dies or the browser goes offline.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, Console, Widget, launch, screenshot } from "./harness.mjs";

test("a killed socket reconnects, resyncs and resends without duplicates", async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext();
    // Route the visitor's socket through the test so it can be cut at will.
    const live = [];
    await context.routeWebSocket(/\/api\/conversations\/.*\/ws$/, (ws) => {
      ws.connectToServer();
      live.push(ws);
    });
    const w = await Widget.open(context);
    await w.say("Do you offer gift cards?");
    await w.text("digital gift cards", false).waitFor();
    const id = await w.conversationId();

    // Cut the socket; while it is down the agent takes over and writes, and the visitor types.
    await live.at(-1).close();
    await w.text("Reconnecting…").waitFor();
    const agent = await Agent.login(browser);
    await agent.open(id);
    await agent.claim();
    await agent.say("Missed while you were away");
    await w.say("Typed while offline");
    await screenshot(w.page, "reconnect-down");

    // Backoff brings it back; the missed items arrive once and the outbox is delivered once.
    await w.text("Missed while you were away").waitFor({ timeout: 20_000 });
    await w.text("Reconnecting…").waitFor({ state: "detached" });
    await agent.until((f) => f.type === "item" && f.body.data.text === "Typed while offline");
    await w.page.locator("li.bubble.visitor:not(.pending)", { hasText: "Typed while offline" }).waitFor();
    assert.equal(await w.bubbles("Typed while offline"), 1);
    assert.equal(await w.bubbles("Missed while you were away"), 1);
    assert.equal(await w.bubbles("Do you offer gift cards?"), 1);
    assert.ok(live.length >= 2, "a new socket was opened");
    await screenshot(w.page, "reconnect-back");
  } finally {
    await browser.close();
  }
});

test("going offline and back delivers what was typed, once", async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const w = await Widget.open(context);
    await w.say("What payment methods do you accept?");
    await w.text("Apple Pay", false).waitFor();

    // Chromium's offline emulation fires the window's offline/online events, as a real drop does.
    await context.setOffline(true);
    await w.text("Reconnecting…").waitFor();
    await w.say("Written offline");
    await w.page.locator("li.bubble.visitor.pending", { hasText: "Written offline" }).waitFor();
    await context.setOffline(false);

    await w.text("Reconnecting…").waitFor({ state: "detached", timeout: 20_000 });
    await w.page.locator("li.bubble.visitor:not(.pending)", { hasText: "Written offline" }).waitFor();
    assert.equal(await w.bubbles("Written offline"), 1);
    assert.equal(await w.bubbles("What payment methods do you accept?"), 1);
  } finally {
    await browser.close();
  }
});

test("the console's top bar says connecting at first, and reconnecting only after a drop", async () => {
  const browser = await launch();
  try {
    const live = [];
    const prepare = async (context) => {
      await context.routeWebSocket(/\/api\/admin\/inbox\/ws$/, (ws) => {
        ws.connectToServer();
        live.push(ws);
      });
      // Every text the status takes, from the page's first paint on.
      await context.addInitScript(() => {
        window.statuses_ = [];
        new MutationObserver(() => {
          const text = document.querySelector("span.status[role=status]")?.textContent;
          if (text !== undefined && text !== window.statuses_.at(-1)) window.statuses_.push(text);
        }).observe(document, { subtree: true, childList: true, characterData: true });
      });
    };
    const agent = await Console.login(browser, undefined, undefined, 0, {}, prepare);
    await live.at(-1).close();
    const status = agent.page.locator("span.status[role=status]");
    await status.filter({ hasText: "Reconnecting…" }).waitFor();
    await screenshot(agent.page, "console-reconnecting");
    await agent.page.setViewportSize({ width: 390, height: 844 });
    await screenshot(agent.page, "console-reconnecting-phone");
    await agent.page.waitForFunction(() => document.querySelector("span.status[role=status]")?.textContent === "", null, { timeout: 20_000 });
    const seen = await agent.page.evaluate(() => window.statuses_);
    assert.deepEqual(seen, ["Connecting…", "", "Reconnecting…", ""]);
  } finally {
    await browser.close();
  }
});
