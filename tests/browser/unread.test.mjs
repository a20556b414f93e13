// A reply the visitor has not seen waits for them: a count on the launcher and a card above it
// with who wrote and the first words, kept across reloads and pages until the chat is opened.
import { test } from "node:test";
import assert from "node:assert/strict";
import { audit, Console, launch, screenshot, unique, Widget } from "./harness.mjs";

for (const [name, device] of [
  ["desktop", { viewport: { width: 1300, height: 900 } }],
  ["phone", { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true }],
]) {
  test(`an unseen reply survives a reload, with its card (${name})`, async () => {
    const browser = await launch();
    try {
      const agent = await Console.login(browser);
      const w = await Widget.open(await browser.newContext(device));
      const tag = unique("unread");
      await w.say(`${tag}: I want to talk to a human`);
      await w.text("Waiting for support agent to join").waitFor();
      await agent.open("Pending", tag);
      await agent.button("Claim").click();
      await w.text("You're now chatting with a human").waitFor().catch(() => {});
      await w.page.getByRole("button", { name: "Close chat" }).click();

      await agent.write("Reply", "Your parcel ships today, tracking follows by email.");
      const badge = w.page.locator("[data-takeover-widget] .badge");
      const card = w.page.locator("[data-takeover-widget] .peek");
      await card.getByText("Your parcel ships today", { exact: false }).waitFor();
      await card.getByText("Demo Owner").waitFor();
      assert.equal(await badge.textContent(), "1");
      await audit(w.page, `the reply card (${name})`, "[data-takeover-widget]");
      await screenshot(w.page, `unread-card-${name}`);

      // Reloaded, and not opened: still unread, still shown.
      await w.page.reload();
      await card.getByText("Your parcel ships today", { exact: false }).waitFor();
      assert.equal(await badge.textContent(), "1");

      // Hidden: the card goes, the count stays.
      await card.getByRole("button", { name: "Hide" }).click();
      await card.waitFor({ state: "hidden" });
      assert.equal(await badge.isVisible(), true);

      // Opened: read. Closed and reloaded: nothing unread.
      await w.launcher.click();
      await w.page.locator("li.bubble.agent", { hasText: "ships today" }).waitFor();
      await w.page.getByRole("button", { name: "Close chat" }).click();
      await w.page.reload();
      // The chat resumed in the background: its messages are there, hidden.
      await w.page.locator("li.bubble.agent", { hasText: "ships today" }).waitFor({ state: "attached" });
      assert.equal(await badge.isVisible(), false, "nothing unread after reading");
      assert.equal(await card.isVisible(), false);
    } finally {
      await browser.close();
    }
  });
}
