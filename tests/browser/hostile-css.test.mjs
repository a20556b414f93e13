// The demo page's deliberately hostile global CSS must not reach into the widget.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Widget, launch, screenshot } from "./harness.mjs";

test("no host page style leaks into the shadow root", async () => {
  const browser = await launch();
  try {
    const w = await Widget.open(await browser.newContext());
    // The host page really is hostile…
    const hostButton = await w.page.evaluate(() => {
      const b = document.createElement("button");
      document.body.append(b);
      return getComputedStyle(b).backgroundColor;
    });
    assert.equal(hostButton, "rgb(255, 105, 180)");
    // …and none of it applies inside the widget.
    const styles = await w.page.evaluate(() => {
      const root = document.querySelector("[data-takeover-widget]").shadowRoot;
      const pick = (sel) => getComputedStyle(root.querySelector(sel));
      return {
        launcherBg: pick(".launcher").backgroundColor,
        sendBg: pick(".composer button").backgroundColor,
        inputFont: pick("textarea").fontFamily,
        inputSize: pick("textarea").fontSize,
        inputBg: pick("textarea").backgroundColor,
        timelineMargin: pick(".timeline").marginTop,
      };
    });
    assert.equal(styles.launcherBg, "rgb(15, 118, 110)");
    assert.equal(styles.sendBg, "rgb(15, 118, 110)");
    assert.doesNotMatch(styles.inputFont, /Comic/);
    assert.equal(styles.inputSize, "16px", "16 px input: no zoom on iOS");
    assert.notEqual(styles.inputBg, "rgb(0, 0, 0)");
    assert.equal(styles.timelineMargin, "0px");
    await screenshot(w.page, "hostile-css");
  } finally {
    await browser.close();
  }
});
