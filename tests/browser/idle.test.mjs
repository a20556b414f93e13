// A chat nobody has touched for the site's idle time closes by itself; the visitor writing
// again opens it where it was. A teammate can reopen any closed conversation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, Console, Widget, audit, env, launch, screenshot } from "./harness.mjs";

const PHONE = { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true };

test("a quiet chat closes by itself and the visitor picks it up again by writing", async () => {
  const browser = await launch();
  const owner = await Agent.login(browser);
  const before = await owner.settings();
  try {
    await owner.saveSettings({ ...before, takeover: { ...before.takeover, idle_close_secs: 2 } });
    for (const [context, name] of [[{ viewport: { width: 1300, height: 900 } }, "desktop"], [PHONE, "phone"]]) {
      const w = await Widget.open(await browser.newContext(context));
      await w.say("How long does shipping take?");
      await w.text("3 to 5 business days", false).waitFor();
      await w.text("Closed after a quiet while. Write here to pick it up again.").waitFor();
      assert.equal(await w.panel.getByRole("button", { name: "Start a new conversation" }).count(), 0);
      await audit(w.page, `an idle-closed chat (${name})`, "[data-takeover-widget]");
      await screenshot(w.page, `idle-closed-${name}`);
      const id = await w.conversationId();
      await w.say("Do you ship internationally?");
      await w.text("we ship to 40 countries", false).waitFor();
      assert.equal(await w.conversationId(), id, "the same conversation, not a new one");
    }
  } finally {
    await owner.saveSettings(before);
    await browser.close();
  }
});

test("a teammate reopens a closed conversation from the console", async () => {
  const browser = await launch();
  try {
    const w = await Widget.open(await browser.newContext());
    await w.say("Do you have gift cards?");
    await w.text("gift cards from $25", false).waitFor();
    const id = await w.conversationId();
    const agent = await Console.login(browser, undefined, undefined, 0, { viewport: { width: 1300, height: 900 } });
    await agent.page.goto(`${env.base}/admin/c/${id}`);
    await agent.button("Close…").click();
    await agent.button("Close conversation").click();
    await w.panel.getByRole("button", { name: "Start a new conversation" }).waitFor();
    assert.equal(await w.input.count(), 0, "closed for good: no box to write in");
    await agent.button("Reopen").click();
    await agent.page.getByText("Demo Owner reopened the conversation").waitFor();
    await w.input.waitFor();
    assert.equal(await w.panel.getByRole("button", { name: "Start a new conversation" }).count(), 0);
    await w.say("How much does shipping cost?");
    await w.text("$4.95", false).waitFor();
    await screenshot(agent.page, "console-reopened");
  } finally {
    await browser.close();
  }
});
