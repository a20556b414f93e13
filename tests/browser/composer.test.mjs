// The visitor's message box grows with a long message (then scrolls), and shrinks back once it
// is sent; the full-page chat keeps a readable width on a wide screen.
import { test } from "node:test";
import assert from "node:assert/strict";
import { env, launch, screenshot, Widget } from "./harness.mjs";

test("the message box grows with the message and the full-page chat has a readable width", async () => {
  const browser = await launch();
  try {
    const w = await Widget.open(await browser.newContext({ viewport: { width: 1300, height: 900 } }));
    const one = (await w.input.boundingBox()).height;
    await w.input.pressSequentially("a long question", { delay: 5 });
    for (let i = 0; i < 3; i += 1) await w.input.press("Shift+Enter");
    await w.input.pressSequentially("over several lines", { delay: 5 });
    const four = (await w.input.boundingBox()).height;
    assert.ok(four > one * 2, `grew: ${one} → ${four}`);
    for (let i = 0; i < 10; i += 1) await w.input.press("Shift+Enter");
    const many = (await w.input.boundingBox()).height;
    assert.ok(many <= 141, `capped, then it scrolls: ${many}`);
    await screenshot(w.page, "composer-grown");
    await w.input.press("Enter");
    await w.page.locator("li.bubble.visitor", { hasText: "over several lines" }).waitFor();
    assert.ok((await w.input.boundingBox()).height <= one + 1, "back to one line once sent");

    const page = await (await browser.newContext({ viewport: { width: 1300, height: 900 } })).newPage();
    await page.goto(`${env.base}/chat/${env.site}`);
    const box = page.getByRole("textbox", { name: "Type your message…" });
    await box.waitFor();
    const timeline = await page.getByTestId("timeline").boundingBox();
    assert.ok(timeline.width <= 760 && timeline.x > 200, `a centred column: ${JSON.stringify(timeline)}`);
    await screenshot(page, "full-page-chat-desktop");
    const header = await page.locator("[data-takeover-widget] header").boundingBox();
    assert.ok(header.width >= 1299, `the header spans the page: ${JSON.stringify(header)}`);
  } finally {
    await browser.close();
  }
});
