// Outside business hours a request for a person offers the contact form, in the owner's words.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, Widget, launch, screenshot } from "./harness.mjs";

test("out of hours the visitor leaves name, email and message for the team", async () => {
  const browser = await launch();
  const owner = await Agent.login(browser);
  const before = await owner.settings();
  try {
    await owner.saveSettings({
      ...before,
      business_hours: { enabled: true, time_zone: "UTC", weekly: [] },
      texts: { "*": { out_of_hours: "We're closed right now: leave us a note." } },
    });
    const w = await Widget.open(await browser.newContext());
    await w.say("Do you have a size guide?");
    await w.text("Size guide", false).first().waitFor();
    await w.panel.getByRole("button", { name: "Talk to a human" }).click();
    await w.text("We're closed right now: leave us a note.").waitFor();
    const form = w.panel.locator("form.contact");
    assert.equal(await form.getByLabel("Message").inputValue(), "Do you have a size guide?",
      "the question the visitor asked is carried into the form");
    await form.getByLabel("Your name").fill("Mara Visitor");
    await form.getByLabel("Email").fill("mara@example.com");
    await form.getByLabel("Message").fill("Please send me the size guide for kids.");
    await screenshot(w.page, "out-of-hours-form");
    await form.getByRole("button", { name: "Send" }).click();
    await w.panel.getByRole("status").filter({ hasText: "Your message is with the team" }).waitFor();
    await form.waitFor({ state: "detached" });
    assert.equal(await w.bubbles("Please send me the size guide for kids."), 1);
    assert.equal(await w.page.locator(".spinner").count(), 0, "nobody is expected to join now");
    await screenshot(w.page, "out-of-hours-left");
  } finally {
    await owner.saveSettings(before);
    await browser.close();
  }
});
