// A hand-back asks the visitor to rate the chat (the agent can untick it): stars and optional
// words in the widget, given once; the agent sees the rating in the conversation and Tickets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { audit, Console, launch, screenshot, unique, Widget } from "./harness.mjs";

const PHONE = { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true };

/** A visitor whose chat the console's agent claimed and answered. */
async function claimedChat(browser, agent, context) {
  const w = await Widget.open(await browser.newContext(context));
  const tag = unique("rate");
  await w.say(`${tag}: my zip broke, I want to talk to a human`);
  await w.text("Waiting for support agent to join").waitFor();
  await agent.open("Pending", tag);
  await agent.button("Claim").click();
  await agent.write("Reply", "Sorry about that, a new jacket is on its way.");
  await w.page.locator("li.bubble.agent", { hasText: "new jacket" }).waitFor();
  return { w, tag };
}

test("after a hand-back the visitor rates the chat, once, and the agent sees it", async () => {
  const browser = await launch();
  try {
    const agent = await Console.login(browser);
    const { w, tag } = await claimedChat(browser, agent, { viewport: { width: 1300, height: 900 } });
    await agent.button("Hand back to AI").click();
    assert.equal(await agent.page.getByLabel("Ask the visitor to rate this chat").isChecked(), true,
      "asked by default");
    await agent.button("Hand back").click();

    const card = w.panel.locator("form.rating");
    await card.getByText("How was your chat with Demo Owner?").waitFor();
    assert.equal(await card.getByRole("button", { name: "Send rating" }).isDisabled(), true,
      "nothing to send before a star");
    await card.getByRole("button", { name: "4 of 5" }).click();
    assert.equal(await card.getByRole("button", { name: "4 of 5" }).getAttribute("aria-pressed"), "true");
    await card.getByLabel("Anything to add? (optional)").fill("Quick and kind");
    await audit(w.page, "the rating card", "[data-takeover-widget]");
    await screenshot(w.page, "rating-card-desktop");
    await card.getByRole("button", { name: "Send rating" }).click();
    await w.text("You rated this chat 4/5. Thank you!").waitFor();
    await card.waitFor({ state: "detached" });
    await screenshot(w.page, "rating-given");

    // The agent sees it in the conversation and in Tickets.
    await agent.page.getByText("The visitor rated the chat ★★★★☆ 4/5: “Quick and kind”").waitFor();
    await agent.button("Tickets").click();
    const row = agent.page.locator("tr", { hasText: tag });
    await row.getByText("4/5").waitFor();
    await row.getByText("Quick and kind").waitFor();
    await screenshot(agent.page, "tickets-rating");

    // Reloaded, the rated chat asks nothing again.
    await w.page.reload();
    await w.launcher.click();
    await w.text("You rated this chat 4/5. Thank you!").waitFor();
    assert.equal(await w.panel.locator("form.rating").count(), 0);
  } finally {
    await browser.close();
  }
});

test("on a phone the card fits, and 'No thanks' or an unticked box asks nothing", async () => {
  const browser = await launch();
  try {
    const agent = await Console.login(browser);
    const { w } = await claimedChat(browser, agent, PHONE);
    await agent.handBack();
    const card = w.panel.locator("form.rating");
    await card.waitFor();
    await screenshot(w.page, "rating-card-phone");
    const box = await card.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 390, "the card fits the phone's width");
    await card.getByRole("button", { name: "No thanks" }).click();
    await card.waitFor({ state: "detached" });
    await w.input.waitFor();

    // Unticked: no card at all.
    const second = await claimedChat(browser, agent, PHONE);
    await agent.button("Hand back to AI").click();
    await agent.page.getByLabel("Ask the visitor to rate this chat").uncheck();
    await agent.button("Hand back").click();
    await second.w.text("AI resumed").waitFor();
    assert.equal(await second.w.panel.locator("form.rating").count(), 0);
  } finally {
    await browser.close();
  }
});
