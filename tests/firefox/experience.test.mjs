// The visitor's experience of a takeover in Firefox: while waiting they leave an email (and
// see where replies will go); after the hand-back they rate the chat.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent } from "../browser/harness.mjs";
import { asked, screenshot } from "./harness.mjs";

test("firefox: a waiting visitor leaves an email, then rates the chat after the hand-back", async () => {
  const { w, page, chromium } =
    await asked("Do you offer gift cards?", "digital gift cards", { width: 390, height: 800 });
  try {
    await w.click("button.human");
    await w.text("Leave your email so we can reply if you leave.");
    const field = await w.waitFor('form.email-ask input[type="email"]');
    await field.asElement().type("firefox-visitor@example.com");
    await w.click('form.email-ask button[type="submit"]');
    await w.text("We'll email you at firefox-visitor@example.com if you leave before we reply.");
    await screenshot(page, "email-kept");

    const agent = await Agent.login(chromium);
    await agent.open(await w.conversationId());
    await agent.claim();
    await w.text("You're now chatting with a human");
    await agent.send({ type: "hand_back", ask_rating: true });
    await w.text("How was your chat with Demo Owner?");
    await w.click('button.star[aria-label="4 of 5"]');
    await w.click('form.rating button[type="submit"]');
    await w.text("You rated this chat 4/5. Thank you!");
    const rated = await agent.until((f) => f.type === "item" && f.body.kind === "event" && f.body.data?.event === "rated");
    assert.equal(rated.body.data.score, 4);
    await screenshot(page, "rated");
  } finally {
    await chromium.close();
  }
});
