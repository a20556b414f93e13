// A settings change in the console shows in a widget that is already open.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Console, Widget, env, launch, screenshot } from "./harness.mjs";

test("a new title and colour reach an open widget without a reload", async () => {
  const browser = await launch();
  try {
    const w = await Widget.open(await browser.newContext());
    await w.say("Do you have a size guide?");
    await w.text("Size guide link", false).waitFor();
    const owner = await Console.login(browser);
    await owner.button("Settings").click();
    const title = owner.page.getByLabel("Title");
    await title.waitFor();
    const before = await title.inputValue();
    assert.ok(before, "the form shows the stored title, not an empty field");
    try {
      await title.fill("Northwind Help Desk");
      await owner.button("Save settings").click();
      await owner.page.getByText("Saved. Open widgets show the change now.").waitFor();
      await w.panel.getByRole("heading", { name: "Northwind Help Desk", exact: true }).waitFor();
      await screenshot(w.page, "settings-live-title");
    } finally {
      // Shared demo site: put the title back for the other tests.
      await title.fill(before);
      await owner.button("Save settings").click();
      await w.panel.getByRole("heading", { name: before, exact: true }).waitFor();
    }
    assert.equal(await w.panel.getByRole("heading", { name: "Northwind Help Desk" }).count(), 0);
  } finally {
    await browser.close();
  }
});

test("a new question starts empty and cannot be saved so; the snippet has a Copy button", async () => {
  const browser = await launch();
  try {
    const owner = await Console.login(browser);
    await owner.page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
    await owner.button("Settings").click();
    await owner.button("Save settings").waitFor();
    const before = await owner.page.locator(".qa").count();
    await owner.button("Add a question").click();
    const question = owner.page.getByLabel(`Question ${before + 1}`);
    assert.equal(await question.inputValue(), "", "a placeholder, not text that could be saved");
    assert.match(await question.getAttribute("placeholder"), /e\.g\./);
    // The browser refuses the form while the new row is empty; nothing is sent.
    const saved = [];
    owner.page.on("request", (r) => { if (r.method() === "PUT") saved.push(r.url()); });
    await owner.button("Save settings").click();
    assert.equal(await question.evaluate((i) => i.validity.valueMissing), true);
    assert.deepEqual(saved, []);
    await owner.button(`Remove question ${before + 1}`).click();

    await owner.button("Copy snippet").click();
    await owner.page.getByText("Copied.").waitFor();
    const copied = await owner.page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, `<script async src="${env.base}/widget/embed.js" data-site-key="${env.site}"></script>`);
    await screenshot(owner.page, "settings-snippet-copied");
  } finally {
    await browser.close();
  }
});
