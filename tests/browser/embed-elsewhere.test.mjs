// The widget works on a host page of another origin, inside an iframe, and as a full page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Widget, env, hostSite, launch, screenshot } from "./harness.mjs";

const embed = `<script async src="${env.base}/widget/embed.js" data-site-key="${env.site}"></script>`;

test("a host page on another origin, and an iframe of it", async () => {
  const { server, origin } = await hostSite({
    "/": `<!doctype html><html lang="en"><title>Other shop</title><h1>Other origin</h1>${embed}`,
  });
  const framed = await hostSite({
    "/": `<!doctype html><html lang="en"><title>Frame</title><iframe title="shop" src="${origin}/" style="width:480px;height:700px"></iframe>`,
  });
  const browser = await launch();
  try {
    const w = await Widget.open(await browser.newContext(), `${origin}/`);
    assert.notEqual(new URL(w.page.url()).origin, env.base);
    await w.say("Is there a warranty on your products?");
    await w.text("two-year warranty", false).waitFor();
    await screenshot(w.page, "cross-origin");

    const page = await (await browser.newContext()).newPage();
    await page.goto(`${framed.origin}/`);
    const frame = page.frameLocator("iframe");
    await frame.getByRole("button", { name: "Open chat" }).click();
    const input = frame.getByRole("textbox", { name: "Type your message…" });
    await input.fill("Do you have a physical store?");
    await input.press("Enter");
    await frame.getByText("Harbour Street", { exact: false }).waitFor();
    await screenshot(page, "in-iframe");
  } finally {
    await browser.close();
    server.close();
    framed.server.close();
  }
});

test("the full-page chat at /chat/KEY, directly and in an iframe", async () => {
  const { server, origin } = await hostSite({
    "/": `<!doctype html><html lang="en"><title>Framed chat</title><iframe title="chat" src="${env.base}/chat/${env.site}" style="width:400px;height:600px"></iframe>`,
  });
  const browser = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${env.base}/chat/${env.site}`);
    const input = page.getByRole("textbox", { name: "Type your message…" });
    await input.fill("Do you restock sold out items?");
    await input.press("Enter");
    await page.getByText("Notify me", { exact: false }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Open chat" }).isVisible(), false);
    assert.equal(await page.getByRole("button", { name: "Close chat" }).count(), 0);
    await screenshot(page, "chat-page");

    const host = await (await browser.newContext()).newPage();
    await host.goto(`${origin}/`);
    const frame = host.frameLocator("iframe");
    await frame.getByRole("textbox", { name: "Type your message…" }).fill("How do I track my order?");
    await frame.getByRole("textbox", { name: "Type your message…" }).press("Enter");
    await frame.getByText("tracking link", { exact: false }).waitFor();
  } finally {
    await browser.close();
    server.close();
  }
});
