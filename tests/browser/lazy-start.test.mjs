// The chat prefetches when the browser is idle, but a conversation starts only on first open.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Widget, env, hostSite, launch } from "./harness.mjs";

const wasmLoaded = () => performance.getEntriesByType("resource")
  .some((e) => /\/widget\/widget_bg\.[0-9a-f]{12}\.wasm$/.test(e.name));

test("an idle prefetch loads the chat without starting a conversation", async () => {
  const browser = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    const created = [];
    page.on("request", (r) => {
      if (r.method() === "POST" && r.url().endsWith("/conversations")) created.push(r.url());
    });
    await page.goto(`${env.base}/`);
    await page.waitForFunction(wasmLoaded);
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

test("data-load=open loads nothing until the pointer or focus reaches the launcher", async () => {
  const tag = `<script async src="${env.base}/widget/embed.js" data-site-key="${env.site}" data-load="open"></script>`;
  const { server, origin } = await hostSite({
    "/": `<!doctype html><html lang="en"><title>Shop</title><a href="#top">Top</a>${tag}`,
  });
  const browser = await launch();
  try {
    for (const reach of ["hover", "focus"]) {
      const page = await (await browser.newContext()).newPage();
      const created = [];
      page.on("request", (r) => {
        if (r.method() === "POST" && r.url().endsWith("/conversations")) created.push(r.url());
      });
      await page.goto(`${origin}/`);
      const w = new Widget(page);
      await w.launcher.waitFor();
      await page.waitForTimeout(1500);
      assert.equal(await page.evaluate(wasmLoaded), false, "nothing loaded before");
      if (reach === "hover") await w.launcher.hover();
      else await w.launcher.focus();
      await page.waitForFunction(wasmLoaded);
      await page.waitForTimeout(300);
      assert.deepEqual(created, [], `no conversation on ${reach}`);
      await page.context().close();
    }
  } finally {
    await browser.close();
    server.close();
  }
});
