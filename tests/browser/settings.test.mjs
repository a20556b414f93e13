// A settings change in the console shows in a widget that is already open.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Console, Widget, launch, screenshot } from "./harness.mjs";

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
