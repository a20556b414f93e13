// Nobody misses a request: the first sign-in explains alerts before the browser asks; a new
// request raises a notification and a tone, the tone comes back every 30 s while anyone waits
// (a preference), the tab's title and icon count who waits, and the conversation already open
// on screen raises nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { audit, Console, env, launch, screenshot, unique, Widget } from "./harness.mjs";

/** Counts tones and notifications in the page, and lets time be moved on. */
async function listening(context) {
  await context.grantPermissions(["notifications"], { origin: env.base });
  await context.addInitScript(() => {
    window.__tones = 0;
    window.__notes = [];
    const oscillator = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function () {
      window.__tones += 1;
      return oscillator.call(this);
    };
    const Real = window.Notification;
    window.Notification = class extends Real {
      constructor(title, options) {
        super(title, options);
        window.__notes.push(title);
      }
    };
  });
  await context.clock.install();
}

const tones = (page) => page.evaluate(() => window.__tones);
const notes = (page) => page.evaluate(() => window.__notes);

test("alerts: asked for with a reason, then a notification, a repeating tone and a counted tab", async () => {
  const browser = await launch();
  try {
    const agent = await Console.login(browser, undefined, undefined, 0, { viewport: { width: 1300, height: 900 } }, listening);
    const page = agent.page;
    const banner = page.getByRole("region", { name: "Know the moment a visitor asks for a person" });
    await banner.waitFor();
    await audit(page, "the alerts banner");
    await screenshot(page, "alerts-banner-desktop");
    await banner.getByRole("button", { name: "Turn on alerts" }).click();
    await banner.waitFor({ state: "detached" });
    assert.equal(await page.evaluate(() => localStorage.getItem("takeover:notify")), "on");
    assert.equal(await page.getByLabel("Notify me of new escalations").isChecked(), true);

    // A new request: a notification naming the visitor, and a tone.
    const beforeTones = await tones(page);
    const tag = unique("alert");
    const w = await Widget.open(await browser.newContext());
    await w.say(`${tag}: I want to talk to a human`);
    await w.text("Waiting for support agent to join").waitFor();
    await page.waitForFunction(() => window.__notes.some((t) => t.endsWith("is waiting for a person")));
    assert.ok((await tones(page)) > beforeTones, "a tone with the notification");

    // The tab counts who waits, in its title and its icon.
    const waiting = await agent.tab("Pending").textContent();
    const count = Number(waiting.replace(/\D/g, ""));
    assert.ok(count >= 1);
    await page.waitForFunction((n) => document.title === `(${n} waiting) Takeover console`, count);
    const icon = await page.evaluate(() => decodeURIComponent(document.querySelector("link[rel=icon]").href));
    assert.match(icon, new RegExp(`>${count}</text>`));

    // The tone comes back every 30 s while anyone waits.
    const afterFirst = await tones(page);
    await page.clock.fastForward(31_000);
    await page.waitForFunction((n) => window.__tones > n, afterFirst);

    // Unticked under Account: no more repeats.
    await agent.button("Account").click();
    await page.getByLabel("Repeat the tone every 30 seconds while someone waits unclaimed").uncheck();
    const quiet = await tones(page);
    await page.clock.fastForward(61_000);
    assert.equal(await tones(page), quiet, "no tone once repeating is off");
    assert.equal(await page.evaluate(() => localStorage.getItem("takeover:repeat")), "off");
    await screenshot(page, "alerts-account");

    // The conversation open on screen raises nothing when it asks for a person.
    await agent.button("Inbox").click();
    const other = await Widget.open(await browser.newContext());
    const own = unique("open");
    await other.say(`${own}: do you have gift cards?`);
    await other.text("digital gift cards", false).waitFor();
    await agent.open("Live", own);
    const heard = (await notes(page)).length;
    await other.panel.getByRole("button", { name: "Talk to a human" }).click();
    await other.text("Waiting for support agent to join").waitFor();
    await page.locator(".conv-head .pill", { hasText: "escalated" }).waitFor();
    assert.equal((await notes(page)).length, heard, "no notification for the chat on screen");
  } finally {
    await browser.close();
  }
});

test("on a phone the alerts banner fits, and 'Not now' is remembered", async () => {
  const browser = await launch();
  try {
    const phone = { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true };
    const agent = await Console.login(browser, undefined, undefined, 0, phone);
    const banner = agent.page.getByRole("region", { name: "Know the moment a visitor asks for a person" });
    await banner.waitFor();
    await screenshot(agent.page, "alerts-banner-phone");
    const box = await banner.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 390);
    await banner.getByRole("button", { name: "Not now" }).click();
    await banner.waitFor({ state: "detached" });
    await agent.page.reload();
    await agent.tab("Pending").waitFor();
    assert.equal(await banner.count(), 0, "asked once");
  } finally {
    await browser.close();
  }
});
