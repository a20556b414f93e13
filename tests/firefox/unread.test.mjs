// In Firefox, a reply the visitor has not seen waits for them: the launcher's count and the
// card with who wrote and the first words, kept across a reload until the chat is opened.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent } from "../browser/harness.mjs";
import { asked, screenshot } from "./harness.mjs";

/** The launcher's count and the reply card's text, as shown (empty when hidden). */
async function unread(w) {
  return w.frame.evaluate(() => {
    const root = document.querySelector("[data-takeover-widget]").shadowRoot;
    const shown = (el) => el && !el.hidden && getComputedStyle(el).display !== "none";
    const badge = root.querySelector(".badge");
    const card = root.querySelector(".peek");
    return { badge: shown(badge) ? badge.textContent : "", card: shown(card) ? card.textContent : "" };
  });
}

test("firefox: an unseen reply survives a reload, with its card", async () => {
  const { w, page, chromium } = await asked("Do you offer gift cards?", "digital gift cards");
  try {
    const agent = await Agent.login(chromium);
    await agent.open(await w.conversationId());
    await agent.claim();
    await w.text("You're now chatting with a human");
    await w.click("button.close");

    await agent.say("Your parcel ships today, tracking follows by email.");
    await page.waitForFunction(() => document.querySelector("[data-takeover-widget]").shadowRoot
      .querySelector(".peek")?.textContent.includes("Your parcel ships today"), { polling: 100 });
    let seen = await unread(w);
    assert.equal(seen.badge, "1");
    assert.match(seen.card, /Demo Owner/);
    await screenshot(page, "unread-card");

    await page.reload();
    await page.waitForFunction(() => document.querySelector("[data-takeover-widget]")?.shadowRoot
      ?.querySelector(".peek")?.textContent.includes("Your parcel ships today"), { polling: 100 });
    seen = await unread(w);
    assert.equal(seen.badge, "1", "still unread after a reload");

    await w.click('button.launcher[aria-label^="Open chat"]');
    await w.text("Your parcel ships today");
    await w.click("button.close");
    await page.reload();
    await w.waitFor("button.launcher");
    await page.waitForFunction(() => document.querySelector("[data-takeover-widget]").shadowRoot
      .textContent.includes("Your parcel ships today"), { polling: 100 });
    seen = await unread(w);
    assert.deepEqual(seen, { badge: "", card: "" }, "nothing unread after reading");
  } finally {
    await chromium.close();
  }
});
