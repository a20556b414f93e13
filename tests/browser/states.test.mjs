// Every state of the takeover cycle as the visitor sees it, with the agent driven over the API.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, Widget, launch, screenshot } from "./harness.mjs";

test("the visitor sees each state of the cycle, twice over", async () => {
  const browser = await launch();
  try {
    const w = await Widget.open(await browser.newContext());
    // Bot phase: the button waits for the site's threshold (one message on the demo site),
    // looked at once the chat has started (before, it is hidden whatever the threshold).
    await w.page.locator("li.bubble.bot.greeting").waitFor();
    assert.equal(await w.page.getByRole("button", { name: "Talk to a human" }).count(), 0);
    await w.say("Do you ship internationally?");
    await w.text("We ship to 40 countries").waitFor();
    await w.page.locator("li.bubble.bot:not(.greeting) .who", { hasText: "AI assistant" }).first().waitFor();
    await screenshot(w.page, "states-1-bot");

    // Escalated: the button goes, the spinner comes.
    await w.page.getByRole("button", { name: "Talk to a human" }).click();
    await w.text("Waiting for support agent to join").waitFor();
    await w.page.getByRole("button", { name: "Talk to a human" }).waitFor({ state: "detached" });
    await screenshot(w.page, "states-2-waiting");

    const agent = await Agent.login(browser);
    const id = await w.conversationId();
    await agent.open(id);
    await agent.claim();
    await w.text(`${agent.me.agent.name} joined the conversation`).waitFor();
    // Joined: one state at a time. The spinner goes at the claim, not at the person's first
    // words, and the header names who is here.
    await w.text("You're now chatting with a human").waitFor();
    assert.equal(await w.text("Waiting for support agent to join").count(), 0);
    const header = w.page.locator("header");
    assert.equal((await header.locator(".with").textContent()), agent.me.agent.name);
    assert.equal((await header.locator(".avatar").textContent()), "DO");
    await screenshot(w.page, "states-2b-joined");

    await agent.typing(true);
    await w.text(`${agent.me.agent.name} is typing…`).waitFor();
    await agent.say("Hello from a person");
    const bubble = w.page.locator("li.bubble.agent", { hasText: "Hello from a person" });
    await bubble.waitFor();
    assert.match(await bubble.textContent(), /DO\s*Demo Owner/);
    await w.text(`${agent.me.agent.name} is typing…`).waitFor({ state: "detached" });
    await screenshot(w.page, "states-3-active");

    // The AI stays quiet while a person holds the conversation.
    await w.say("Thanks, one more question");
    await agent.until((f) => f.type === "item" && f.body.data.text === "Thanks, one more question");
    await agent.handBack();
    await w.text(`${agent.me.agent.name} left the conversation`).waitFor();
    await w.text("AI resumed").waitFor();
    await w.text("You're now chatting with a human").waitFor({ state: "detached" });
    assert.equal(await w.page.locator("header .with").count(), 0, "nobody named once the AI is back");
    assert.equal(await w.page.locator("li.bubble.bot:not(.greeting)").count(), 1, "no AI answer while paused");

    // The AI is back, and a second cycle shows the same states.
    await w.say("How do I reset my password?");
    await w.text("Forgot password").waitFor();
    await agent.claim();
    await w.text("You're now chatting with a human").waitFor();
    await agent.say("Back again");
    await w.page.locator("li.bubble.agent", { hasText: "Back again" }).waitFor();
    await screenshot(w.page, "states-4-second-cycle");
  } finally {
    await browser.close();
  }
});
