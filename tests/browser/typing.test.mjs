// The agent sees the visitor typing, with the words so far, before they are sent; sending
// them (or a pause) ends it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { audit, Console, launch, screenshot, troubles, unique, Widget } from "./harness.mjs";

test("the visitor's draft shows in the console as they type", async () => {
  const browser = await launch();
  try {
    const agent = await Console.login(browser, undefined, undefined, 0, { viewport: { width: 1300, height: 900 } });
    const w = await Widget.open(await browser.newContext());
    const tag = unique("peek");
    await w.say(`${tag}: I want to talk to a human`);
    await w.text("Waiting for support agent to join").waitFor();
    await agent.open("Pending", tag);
    await agent.button("Claim").click();

    await w.input.pressSequentially("My order number is 55", { delay: 40 });
    const line = agent.page.locator(".visitor-typing");
    await line.getByText("is typing").waitFor();
    await line.getByText("“My order number is 55”").waitFor();
    await audit(agent.page, "a conversation with the visitor typing");
    await screenshot(agent.page, "console-visitor-typing");

    await w.input.press("Enter");
    await agent.page.locator("li.bubble.visitor", { hasText: "My order number is 55" }).waitFor();
    await line.waitFor({ state: "detached" });

    // A draft left alone stops showing after a pause.
    await w.input.pressSequentially("hmm", { delay: 40 });
    await line.getByText("“hmm”").waitFor();
    await line.waitFor({ state: "detached", timeout: 10_000 });
    assert.equal(await agent.page.locator("li.bubble.visitor", { hasText: "hmm" }).count(), 0);
  } finally {
    await browser.close();
  }
});

test("the chat ends while the visitor is typing: the message box goes and nothing throws", async () => {
  const browser = await launch();
  try {
    const agent = await Console.login(browser, undefined, undefined, 0, { viewport: { width: 1300, height: 900 } });
    const w = await Widget.open(await browser.newContext());
    const errors = troubles(w.page);
    const tag = unique("ends");
    await w.say(`${tag}: I want to talk to a human`);
    await w.text("Waiting for support agent to join").waitFor();
    await agent.open("Pending", tag);
    await agent.button("Claim").click();
    await w.text("You're now chatting with a human").waitFor();
    await agent.button("Close…").click();

    // Typed faster than the draft is sent, so a send is still due when the box goes, and
    // the pause that ends "typing" falls after it.
    await w.input.pressSequentially("one more thing", { delay: 20 });
    await agent.button("Close as spam").click();
    await w.page.getByRole("button", { name: "Start a new conversation" }).waitFor();
    assert.equal(await w.input.count(), 0, "the message box is gone");
    await w.page.waitForTimeout(4_000);
    assert.deepEqual(errors, [], "the message box's timers ran after it was gone, without a fault");
  } finally {
    await browser.close();
  }
});

test("an agent types, then opens another conversation at once: the console throws nothing", async () => {
  const browser = await launch();
  try {
    const agent = await Console.login(browser, undefined, undefined, 0, { viewport: { width: 1300, height: 900 } });
    const errors = troubles(agent.page);
    const first = await Widget.open(await browser.newContext());
    const second = await Widget.open(await browser.newContext());
    const [a, b] = [unique("left"), unique("next")];
    await first.say(`${a}: I want to talk to a human`);
    await second.say(`${b}: I want to talk to a human`);
    await first.text("Waiting for support agent to join").waitFor();
    await second.text("Waiting for support agent to join").waitFor();
    await agent.open("Pending", a);
    await agent.button("Claim").click();
    await first.text("You're now chatting with a human").waitFor();

    // The visitor types too, so the console's own "typing" clock is running when it leaves.
    await first.input.pressSequentially("still there?", { delay: 20 });
    await agent.page.locator(".visitor-typing").getByText("is typing").waitFor();
    const reply = agent.page.getByRole("textbox", { name: "Reply to the visitor" });
    await reply.pressSequentially("Let me check", { delay: 20 });
    await agent.open("Pending", b);
    await agent.page.getByText(`${b}: I want to talk to a human`).first().waitFor();
    // Past both clocks: the agent's pause (checked every second) and the visitor's stale draft.
    await agent.page.waitForTimeout(9_000);
    assert.deepEqual(errors, [], "the left conversation's timers ran without a fault");
  } finally {
    await browser.close();
  }
});
