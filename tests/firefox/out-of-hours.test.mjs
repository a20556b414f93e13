// Out of hours in Firefox: one form with the visitor's question carried in, and when the team
// is back in the visitor's time; the message left is acknowledged.
import { test } from "node:test";
import { Agent, launch } from "../browser/harness.mjs";
import { Widget, firefox, screenshot } from "./harness.mjs";

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

test("firefox: out of hours the visitor leaves a message, told when the team is back", async () => {
  const chromium = await launch();
  const owner = await Agent.login(chromium);
  const before = await owner.settings();
  // Open one minute tomorrow at 09:00 UTC: closed now.
  const tomorrow = DAYS[(new Date().getUTCDay() + 1) % 7];
  try {
    await owner.saveSettings({
      ...before,
      business_hours: { enabled: true, time_zone: "UTC", weekly: [{ day: tomorrow, start: "09:00", end: "09:01" }] },
    });
    const browser = await firefox({ "intl.accept_languages": "en-US" });
    const page = await (await browser.createBrowserContext()).newPage();
    await page.emulateTimezone("UTC").catch(() => {});
    const w = await Widget.open(page);
    await w.say("Do you have a size guide?");
    await w.text("Size guide");
    await w.click("button.human");
    await w.text("We're back tomorrow at");
    const message = await w.waitFor('form.contact textarea[name="message"]');
    const carried = await message.evaluate((el) => el.value);
    if (carried !== "Do you have a size guide?") throw new Error(`the question was not carried: ${carried}`);
    await (await w.waitFor('form.contact input[name="name"]')).asElement().type("Mara Firefox");
    await (await w.waitFor('form.contact input[name="email"]')).asElement().type("mara.firefox@example.com");
    await screenshot(page, "out-of-hours-form");
    await w.click('form.contact button[type="submit"]');
    await w.text("Your message is with the team");
    await w.frame.waitForFunction(() => !document.querySelector("[data-takeover-widget]")
      .shadowRoot.querySelector("form.contact"), { polling: 100 });
    await w.waitFor("textarea");
  } finally {
    await owner.saveSettings(before);
    await chromium.close();
  }
});
