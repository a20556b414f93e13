// The chat prefetches when the browser is idle, but a conversation starts only on first open.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Widget, env, launch } from "./harness.mjs";

test("an idle prefetch loads the chat without starting a conversation", async () => {
  const browser = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    const created = [];
    page.on("request", (r) => {
      if (r.method() === "POST" && r.url().endsWith("/conversations")) created.push(r.url());
    });
    await page.goto(`${env.base}/`);
    await page.waitForFunction(() => performance.getEntriesByName(`${location.origin}/widget/widget_bg.wasm`).length > 0);
    await page.waitForTimeout(500);
    assert.deepEqual(created, [], "no conversation before the visitor opens the chat");
    assert.equal(await page.evaluate((k) => localStorage.getItem(`takeover:${k}`), env.site), null);

    const w = new Widget(page);
    await w.launcher.click();
    await w.input.waitFor();
    await page.waitForFunction((k) => localStorage.getItem(`takeover:${k}`), env.site);
    assert.equal(created.length, 1);
  } finally {
    await browser.close();
  }
});
