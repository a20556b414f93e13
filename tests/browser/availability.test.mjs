// A teammate's Available / Away in the console's top bar decides what visitors are offered:
// Away (like having no console open) leaves nobody to answer, so a visitor who asks for a
// person gets the contact form at once; Available again, they wait for the team.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, audit, Console, env, launch, screenshot, Widget } from "./harness.mjs";

const PHONE = { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true };

/** What a new visitor meets when asking for a person: the form, or the wait. */
async function ask(browser) {
  const w = await Widget.open(await browser.newContext());
  await w.say("Do you have gift cards?");
  await w.panel.getByRole("button", { name: "Talk to a human" }).click();
  const form = w.panel.locator("form.contact");
  const waiting = w.panel.locator(".waiting");
  await form.or(waiting).first().waitFor();
  const met = (await form.count()) > 0 ? "form" : "waiting";
  await w.page.context().close();
  return met;
}

test("Away in the top bar means visitors are offered the form, Available that they wait", async () => {
  const browser = await launch();
  const api = await Agent.login(browser);
  const before = await api.settings();
  try {
    await api.saveSettings({ ...before, takeover: { ...before.takeover, when_nobody_available: "leave_message" } });
    const owner = await Console.login(browser, env.email, env.password, 0, { viewport: { width: 1300, height: 900 } });
    const page = owner.page;
    const select = page.getByLabel("Your availability");
    await assert.doesNotReject(select.waitFor());
    await page.waitForFunction(() => !document.querySelector(".availability select").disabled);
    assert.equal(await select.inputValue(), "available");
    assert.equal(await ask(browser), "waiting", "the owner is here: the visitor waits");

    await select.selectOption("away");
    await page.locator(".availability.away").waitFor();
    await audit(page, "the top bar while Away");
    await page.locator("header.top").screenshot({ path: `${env.artifacts}/availability-away-desktop.png` });
    assert.equal(await ask(browser), "form", "everyone Away: the form at once");

    // Remembered: a new sign-in (here on a phone) starts Away.
    const phone = await Console.login(browser, env.email, env.password, 0, PHONE);
    const phoneSelect = phone.page.getByLabel("Your availability");
    await phone.page.waitForFunction(() => !document.querySelector(".availability select").disabled);
    assert.equal(await phoneSelect.inputValue(), "away");
    await screenshot(phone.page, "availability-away-phone");

    await phoneSelect.selectOption("available");
    await phone.page.locator(".availability:not(.away)").waitFor();
    assert.equal(await ask(browser), "waiting", "Available again: the visitor waits");
  } finally {
    await api.saveSettings({ ...before });
    // Whatever happened above, the owner is left Available for the tests after this one.
    await api.page.evaluate(async (csrf) => fetch("/api/admin/me/availability", {
      method: "PUT", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ away: false }),
    }), api.me.csrf);
    await browser.close();
  }
});
