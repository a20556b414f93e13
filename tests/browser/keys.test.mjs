// Keyboard shortcuts in the console: j/k move through the list, c claims, r and n write a reply
// or a note, h hands back, ? lists them; a letter typed into a field stays a letter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { audit, Console, focused, launch, screenshot, unique, Widget } from "./harness.mjs";

const current = (page) => page.locator(".list button.row[aria-current='true']");

test("the inbox worked from the keyboard", async () => {
  const browser = await launch();
  try {
    const agent = await Console.login(browser, undefined, undefined, 0, { viewport: { width: 1300, height: 900 } });
    const page = agent.page;
    const first = unique("keys");
    const second = unique("keys");
    const w = await Widget.open(await browser.newContext());
    await w.say(`${first}: I want to talk to a human`);
    await w.text("Waiting for support agent to join").waitFor();
    const other = await Widget.open(await browser.newContext());
    await other.say(`${second}: I want to talk to a human`);
    await other.text("Waiting for support agent to join").waitFor();

    // Open the first, then step to the next row and back.
    await agent.open("Pending", first);
    await current(page).filter({ hasText: first }).waitFor();
    await page.locator("body").press("j");
    await current(page).filter({ hasNotText: first }).waitFor();
    await page.keyboard.press("k");
    await current(page).filter({ hasText: first }).waitFor();

    // c claims the open conversation (once it is on screen, as a person would see it).
    await agent.button("Claim").waitFor();
    await page.keyboard.press("c");
    await w.text("Demo Owner joined the conversation").waitFor();

    // r: the cursor in the reply box, in Reply mode; letters typed there are text. (Claim
    // itself puts the cursor there, a frame later: leave it once it is there.)
    await page.locator("[data-key=reply]:not([disabled])").waitFor();
    const reply = page.getByRole("textbox", { name: "Reply to the visitor" });
    await focused(reply, "the claim's cursor");
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press("r");
    await focused(reply, "the reply box");
    await page.keyboard.type("just checking");
    await page.keyboard.press("Enter");
    await w.page.locator("li.bubble.agent", { hasText: "just checking" }).waitFor();

    // n: a note.
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press("n");
    const note = page.getByRole("textbox", { name: /Internal note/ });
    await focused(note, "the note box");
    await page.keyboard.type("noted by keyboard");
    await page.keyboard.press("Enter");
    await page.locator("li.bubble.note", { hasText: "noted by keyboard" }).waitFor();

    // ? lists the shortcuts; Esc closes the list.
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press("?");
    const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await help.waitFor();
    await help.getByText("Hand back to the AI").waitFor();
    await audit(page, "the shortcuts list");
    await screenshot(page, "console-shortcuts");
    // While the list is open, the page behind it takes no shortcut.
    await page.keyboard.press("h");
    assert.equal(await page.getByLabel("Closing words to the visitor (optional)").count(), 0);
    await page.keyboard.press("Escape");
    await help.waitFor({ state: "detached" });
    await focused(page.getByRole("button", { name: "Keyboard shortcuts", exact: true }), "the button that opened the list");
    await page.evaluate(() => document.activeElement.blur());

    // h: the hand-back form, its closing words in focus; Enter hands back.
    await page.keyboard.press("h");
    const words = page.getByLabel("Closing words to the visitor (optional)");
    await focused(words, "the closing words");
    await page.keyboard.press("Enter");
    await w.text("AI resumed").waitFor();
  } finally {
    await browser.close();
  }
});
