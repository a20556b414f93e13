// The console on a 390×800 phone: one column, the list, then a conversation over the whole
// screen with its actions and composer in view and a way back; on a desktop the two sit side
// by side and the conversation's header and composer stay in view while the messages scroll;
// the tab's title counts who waits, visitors with no name get a friendly one, and Claim puts
// the cursor in the reply box.
import { test } from "node:test";
import assert from "node:assert/strict";
import { audit, Console, env, focused, launch, screenshot, unique, Widget } from "./harness.mjs";

const PHONE = { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true };

/** Whether `locator` lies wholly inside the viewport. */
async function inView(page, locator) {
  const box = await locator.boundingBox();
  const { width, height } = page.viewportSize();
  return box !== null && box.x >= 0 && box.y >= 0 && box.x + box.width <= width + 0.5
    && box.y + box.height <= height + 0.5;
}

/** How far the page scrolls sideways (0: nothing sticks out). */
const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

test("on a phone the console is one column: list, conversation, back", async () => {
  const browser = await launch();
  try {
    const w = await Widget.open(await browser.newContext());
    const tag = unique("phone");
    await w.say(`${tag}: my parcel is lost, please get me a human`);
    await w.text("Waiting for support agent to join").waitFor();

    const agent = await Console.login(browser, env.email, env.password, 0, PHONE);
    const page = agent.page;
    await agent.row(tag).waitFor();
    assert.equal(await page.getByText("Select a conversation.").isVisible(), false,
      "no empty pane beside the list");
    assert.ok((await agent.row(tag).boundingBox()).width > 330, "the list has the width");
    assert.equal(await overflow(page), 0);
    await audit(page, "the phone inbox");
    await screenshot(page, "phone-console-inbox");

    await agent.row(tag).click();
    const back = agent.button("← Inbox");
    await back.waitFor();
    await focused(back, "the way back");
    const pane = page.getByRole("region", { name: "Conversation" });
    assert.deepEqual(Object.values(await pane.boundingBox()), [0, 0, 390, 800]);
    assert.ok(await inView(page, agent.button("Claim")), "Claim on screen");
    const noteOnly = page.getByText("what you write here is an internal note", { exact: false });
    assert.ok(await noteOnly.isVisible(), "before a claim the composer says it writes notes");
    await screenshot(page, "phone-console-pending");

    await back.click();
    await agent.row(tag).waitFor();
    assert.equal(await pane.count(), 0, "the conversation is closed");
    await focused(agent.row(tag), "the conversation's row, on the way back");

    await agent.row(tag).click();
    await agent.button("Claim").click();
    const reply = page.getByRole("textbox", { name: "Reply to the visitor" });
    await reply.waitFor();
    assert.ok(await inView(page, reply), "the reply box on screen");
    assert.equal(await noteOnly.count(), 0, "once claimed, replies");
    assert.ok((await reply.boundingBox()).width > 300, "the reply box has the width");
    await agent.write("Reply", "Hello from a phone, let me look into it.");
    await w.text("Hello from a phone, let me look into it.").waitFor();
    assert.ok(await inView(page, agent.button("Hand back to AI")), "Hand back on screen");
    assert.equal(await overflow(page), 0);
    await audit(page, "a conversation on a phone");
    await screenshot(page, "phone-console-conversation");
    await agent.button("Hand back to AI").click();
    const words = page.getByLabel("Closing words to the visitor (optional)");
    assert.ok(await inView(page, words), "the closing words on screen");
    await page.waitForFunction(() => document.activeElement?.closest("label")?.textContent.startsWith("Closing words"));
    await screenshot(page, "phone-console-hand-back");
    await agent.button("Cancel").click();
    await agent.button("Hand back to AI").waitFor();
    await back.click();

    await agent.button("Settings").click();
    await page.getByRole("button", { name: "Save widget" }).waitFor();
    assert.equal(await overflow(page), 0, "settings fit the phone's width");
    await screenshot(page, "phone-console-settings");
  } finally {
    await browser.close();
  }
});

test("on a desktop: header and composer in view, the waiting count in the tab, names, focus", async () => {
  const browser = await launch();
  try {
    const w = await Widget.open(await browser.newContext());
    const tag = unique("sticky");
    await w.say(`${tag}: a person please`);
    await w.text("Waiting for support agent to join").waitFor();

    const agent = await Console.login(browser, env.email, env.password, 0, { viewport: { width: 1300, height: 900 } });
    const page = agent.page;
    // The tab counts who waits; a visitor with no name has a friendly one, the same in the
    // list and the conversation.
    await agent.row(tag).waitFor();
    const pending = await agent.tab("Pending").locator(".count").textContent();
    assert.equal(await page.title(), `(${pending} waiting) Takeover console`);
    const title = await agent.row(tag).locator(".title").textContent();
    const name = title.split(" (online)")[0];
    assert.match(name, /^[A-Z][a-z]+ [A-Z][a-z]+$/, `a friendly name, not "Visitor": ${title}`);
    await agent.row(tag).locator(".dot.online").waitFor();
    await agent.row(tag).click();
    await page.locator(".conv-head h2", { hasText: name }).waitFor();
    await page.locator("li.bubble.visitor .who", { hasText: name }).first().waitFor();
    await agent.button("Claim").click();
    const reply = page.getByRole("textbox", { name: "Reply to the visitor" });
    await reply.waitFor();
    await page.waitForFunction(() => document.activeElement?.getAttribute("aria-label") === "Reply to the visitor");
    const fewer = pending === "1" ? "Takeover console" : `(${pending - 1} waiting) Takeover console`;
    await page.waitForFunction((t) => document.title === t, fewer);
    // Above the reply box: whether the visitor will see the reply now.
    await page.locator("form.composer .reach", { hasText: `${name} is on the site now and sees your reply at once.` }).waitFor();
    assert.equal(await agent.button("← Inbox").isVisible(), false, "no way back beside the list");
    const list = await page.locator("section.list").boundingBox();
    const pane = page.getByRole("region", { name: "Conversation" });
    assert.ok((await pane.boundingBox()).x > list.x + list.width, "list and conversation side by side");
    for (let n = 1; n <= 25; n++) {
      await agent.write("Internal note", `${tag} note ${n}: checking the courier's tracking page`);
    }
    await page.locator("li.bubble.note", { hasText: "note 25:" }).waitFor();
    const scroller = await pane.evaluate((el) => el.scrollHeight > el.clientHeight);
    assert.ok(scroller, "the messages overflow the pane");
    for (const where of ["top", "bottom"]) {
      await pane.evaluate((el, w) => { el.scrollTop = w === "top" ? 0 : el.scrollHeight; }, where);
      assert.ok(await inView(page, agent.button("Hand back to AI")), `Hand back in view at the ${where}`);
      assert.ok(await inView(page, page.getByRole("textbox", { name: /Internal note/ })),
        `the composer in view at the ${where}`);
    }
    await pane.evaluate((el) => { el.scrollTop = el.scrollHeight / 2; });
    const head = await page.locator(".conv-head").boundingBox();
    const box = await pane.boundingBox();
    assert.ok(Math.abs(head.y - box.y) < 1, `the header at the pane's top (${head.y} vs ${box.y})`);
    await screenshot(page, "console-sticky-header");

    // The visitor leaves: the dot says so, and the reply box says when they will read it.
    await w.page.close();
    await page.locator("form.composer .reach", { hasText: `${name} has left the site: they'll see your reply when they come back.` }).waitFor();
    await audit(page, "the conversation with the visitor gone", "form.composer");
    await agent.tab("Active").click();
    await agent.row(tag).locator(".dot.away").waitFor();
    await screenshot(page, "console-visitor-left");
  } finally {
    await browser.close();
  }
});
