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
