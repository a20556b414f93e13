// The agent sees the visitor typing, with the words so far, before they are sent; sending
// them (or a pause) ends it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { audit, Console, launch, screenshot, unique, Widget } from "./harness.mjs";

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
