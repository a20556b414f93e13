// Accessible in every state: axe finds nothing, and it all works from the keyboard.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, audit, env, launch, Widget } from "./harness.mjs";

test("axe reports nothing in the closed, open, waiting and active states", async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${env.base}/`);
    const w = new Widget(page);
    await w.launcher.waitFor();
    await audit(page, "closed", "[data-takeover-widget]");
    await w.launcher.click();
    await w.input.waitFor();
    await w.say("Can I use a discount code?");
    await w.text("Promo code", false).waitFor();
    await audit(page, "open", "[data-takeover-widget]");
    await page.getByRole("button", { name: "Talk to a human" }).click();
    await w.text("Waiting for support agent to join").waitFor();
    await audit(page, "waiting", "[data-takeover-widget]");
    const agent = await Agent.login(browser);
    await agent.open(await w.conversationId());
    await agent.claim();
    await agent.say("Hi, I can help with that code.");
    await w.text("You're now chatting with a human").waitFor();
    await audit(page, "active", "[data-takeover-widget]");
  } finally {
    await browser.close();
  }
});

test("keyboard: open, type, send, Escape closes and focus returns to the launcher", async () => {
  const browser = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${env.base}/`);
    const w = new Widget(page);
    await w.launcher.waitFor();
    await w.launcher.focus();
    await page.keyboard.press("Enter");
    await w.input.waitFor();
    await page.waitForFunction(() => {
      const root = document.querySelector("[data-takeover-widget]").shadowRoot;
      return root.activeElement && root.activeElement.tagName === "TEXTAREA";
    });
    await page.keyboard.type("Line one");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("line two");
    assert.equal(await w.input.inputValue(), "Line one\nline two", "Shift+Enter adds a line");
    await page.keyboard.press("Enter");
    await page.locator("li.bubble.visitor", { hasText: "line two" }).waitFor();
    assert.equal(await w.input.inputValue(), "");
    await page.keyboard.press("Escape");
    await w.panel.waitFor({ state: "hidden" });
    const focused = await page.evaluate(() =>
      document.querySelector("[data-takeover-widget]").shadowRoot.activeElement?.className);
    assert.equal(focused, "launcher");
    assert.equal(await w.launcher.getAttribute("aria-expanded"), "false");
  } finally {
    await browser.close();
  }
});
