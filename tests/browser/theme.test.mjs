// Dark mode follows the visitor's system, and narrow screens get the whole viewport.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Widget, launch, screenshot } from "./harness.mjs";

test("dark mode and the full-screen panel below 480 px", async () => {
  const browser = await launch();
  try {
    const dark = await Widget.open(await browser.newContext({ colorScheme: "dark" }));
    const bg = await dark.page.evaluate(() => getComputedStyle(
      document.querySelector("[data-takeover-widget]").shadowRoot.querySelector(".panel")).backgroundColor);
    assert.equal(bg, "rgb(31, 41, 51)");
    await screenshot(dark.page, "theme-dark");

    const phone = await Widget.open(await browser.newContext({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true }));
    const box = await phone.panel.boundingBox();
    assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, 375, 667]);
    await screenshot(phone.page, "theme-phone");

    const wide = await Widget.open(await browser.newContext({ viewport: { width: 1280, height: 800 } }));
    assert.equal((await wide.panel.boundingBox()).width, 370);
  } finally {
    await browser.close();
  }
});
