// A settings change in the console shows in a widget that is already open.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, Console, Widget, audit, env, launch, screenshot } from "./harness.mjs";

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
      await owner.button("Save widget").click();
      await owner.page.getByText("Saved. Open widgets show the change now.").waitFor();
      await w.panel.getByRole("heading", { name: "Northwind Help Desk", exact: true }).waitFor();
      await screenshot(w.page, "settings-live-title");
    } finally {
      // Shared demo site: put the title back for the other tests.
      await title.fill(before);
      await owner.button("Save widget").click();
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
    await owner.button("Save widget").waitFor();
    const before = await owner.page.locator(".qa").count();
    await owner.button("Add a question").click();
    const question = owner.page.getByLabel(`Question ${before + 1}`);
    assert.equal(await question.inputValue(), "", "a placeholder, not text that could be saved");
    assert.match(await question.getAttribute("placeholder"), /e\.g\./);
    // The browser refuses the form while the new row is empty; nothing is sent.
    const saved = [];
    owner.page.on("request", (r) => { if (r.method() === "PUT") saved.push(r.url()); });
    await owner.button("Save questions").click();
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

const DESKTOP = { viewport: { width: 1300, height: 900 } };
const PHONE = { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true };

test("each part saves on its own and says so beside its button; unsaved edits are guarded", async () => {
  const browser = await launch();
  const api = await Agent.login(browser);
  const before = await api.settings();
  try {
    const owner = await Console.login(browser, env.email, env.password, 0, DESKTOP);
    const page = owner.page;
    await owner.button("Settings").click();
    const widget = page.getByRole("region", { name: "Widget" });
    const takeover = page.getByRole("region", { name: "Human takeover" });
    await widget.getByLabel("Title").waitFor();

    // The preview follows the edits before any save: title, colour (typed as hex), contrast.
    await widget.getByLabel("Title").fill("Draft title");
    const preview = page.locator(".preview-head");
    await preview.getByText("Draft title").waitFor();
    const hex = widget.getByLabel("Theme colour as hex");
    await hex.fill("#1D4ED8");
    assert.equal(await widget.getByLabel("Theme colour picker").inputValue(), "#1d4ed8");
    assert.equal(await preview.evaluate((e) => getComputedStyle(e).backgroundColor), "rgb(29, 78, 216)");
    await audit(page, "settings with unsaved edits");
    await hex.fill("#12");
    assert.equal(await hex.getAttribute("aria-invalid"), "true");
    await widget.getByText("Six hex digits, like #0f766e.").waitFor();
    await hex.fill("fde047");
    await widget.getByText(/White text on this colour is hard to read \(1\.\d:1/).waitFor();
    await widget.getByRole("status").getByText("Unsaved changes").waitFor();
    // The preview shows the unreadable colour as visitors would get it; the fields must pass.
    await audit(page, "the contrast warning", ".look-fields");
    await widget.screenshot({ path: `${env.artifacts}/settings-widget-preview-desktop.png` });

    // Saving the takeover part sends only that part: the title stays unsaved, and stored as it was.
    await takeover.getByLabel(/assignee has been offline/).fill("30");
    await takeover.getByRole("status").getByText("Unsaved changes").waitFor();
    await takeover.getByRole("button", { name: "Save takeover" }).click();
    await takeover.getByRole("status").getByText("Saved. Open widgets show the change now.").waitFor();
    await widget.getByRole("status").getByText("Unsaved changes").waitFor();
    const stored = await api.settings();
    assert.equal(stored.takeover.assignee_offline_secs, 1800);
    assert.equal(stored.title, before.title);
    assert.equal(stored.color, before.color);

    // The time zone is picked from the browser's list of zones, not typed.
    const zone = page.getByRole("region", { name: "Availability & hours" }).getByLabel("Time zone");
    assert.ok((await zone.locator("option").count()) > 300);
    await zone.selectOption("Europe/Berlin");
    assert.equal(await zone.inputValue(), "Europe/Berlin");

    // Leaving asks first; staying keeps every edit.
    let asked = 0;
    page.once("dialog", (d) => { asked += 1; assert.match(d.message(), /unsaved changes/); d.dismiss(); });
    await owner.button("Inbox").click();
    assert.equal(asked, 1);
    assert.equal(await widget.getByLabel("Title").inputValue(), "Draft title");
    page.once("dialog", (d) => { asked += 1; d.dismiss(); });
    await page.goBack();
    await page.waitForFunction(() => location.pathname === "/admin/settings");
    assert.equal(asked, 2);
    assert.equal(await widget.getByLabel("Title").inputValue(), "Draft title");
    // The browser's own guard on reload or close.
    const unload = new Promise((resolve) => page.once("dialog", (d) => { resolve(d.type()); d.dismiss(); }));
    await page.close({ runBeforeUnload: true });
    assert.equal(await unload, "beforeunload");
    assert.equal(page.isClosed(), false);
    // Told to leave, it leaves, and nothing unsaved was stored.
    page.once("dialog", (d) => d.accept());
    await owner.button("Inbox").click();
    await owner.tab("Pending").waitFor();
    const after = await api.settings();
    assert.equal(after.title, before.title);
    assert.deepEqual(after.business_hours, before.business_hours);
  } finally {
    await api.saveSettings(before);
    await browser.close();
  }
});

test("settings on a phone: one column, the preview under the fields, each Save beside its result", async () => {
  const browser = await launch();
  try {
    const owner = await Console.login(browser, env.email, env.password, 0, PHONE);
    const page = owner.page;
    await owner.button("Settings").click();
    const widget = page.getByRole("region", { name: "Widget" });
    await widget.getByLabel("Title").waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no sideways scrolling (${width} px)`);
    await audit(page, "settings on a phone");
    await screenshot(page, "settings-phone");
    await page.getByRole("region", { name: "Availability & hours" }).scrollIntoViewIfNeeded();
    await screenshot(page, "settings-hours-phone");
  } finally {
    await browser.close();
  }
});
