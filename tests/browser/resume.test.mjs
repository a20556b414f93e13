// The conversation resumes across reloads and across tabs of the same site.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Widget, launch } from "./harness.mjs";

test("a reload and a second tab resume the same conversation", async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const w = await Widget.open(context);
    await w.say("How long does shipping take?");
    await w.text("3 to 5 business days", false).waitFor();
    const id = await w.conversationId();

    await w.page.reload();
    await w.launcher.click();
    await w.text("3 to 5 business days", false).waitFor();
    assert.equal(await w.conversationId(), id);
    assert.equal(await w.bubbles("How long does shipping take?"), 1);

    const other = await Widget.open(context);
    assert.equal(await other.conversationId(), id);
    await other.text("3 to 5 business days", false).waitFor();
    // What one tab writes, the other sees.
    await other.say("Do you have a size guide?");
    await w.text("Size guide link", false).waitFor();
    assert.equal(await w.bubbles("Do you have a size guide?"), 1);
  } finally {
    await browser.close();
  }
});
