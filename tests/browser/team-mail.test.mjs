// Team mail as teammates set it up in the console: each chooses under Account which mail they
// get (kept on the server, so every device agrees), and an owner sets the site's reminders in
// Settings → Team email.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, Console, audit, env, launch, screenshot } from "./harness.mjs";

const DESKTOP = { viewport: { width: 1300, height: 900 } };
const PHONE = { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true };

async function mailChoice(page) {
  return page.evaluate(async () => (await fetch("/api/admin/me/email")).json());
}

test("a teammate chooses which mail they get, and it is kept on the server", async () => {
  const browser = await launch();
  const api = await Agent.login(browser);
  try {
    const owner = await Console.login(browser, env.email, env.password, 0, DESKTOP);
    const page = owner.page;
    const before = await mailChoice(page);
    assert.equal(before.prefs.new_requests, "always", "owners get every request by default");
    assert.equal(before.sending, true, "the local worker sends mail");
    await owner.button("Account").click();
    const form = page.getByRole("form", { name: "Email notifications" });
    await form.getByText(`Sent to ${env.email}.`).waitFor();
    const when = form.getByLabel("Mail me when a visitor asks for a person or leaves a message");
    assert.equal(await when.inputValue(), "always");
    try {
      await when.selectOption("outside_hours");
      await form.getByLabel(/Reminders when a request is still unclaimed/).uncheck();
      await form.getByRole("button", { name: "Save email notifications" }).click();
      await form.getByRole("status").getByText("Saved.").waitFor();
      await audit(page, "the Account page with mail choices");
      await screenshot(page, "account-mail-desktop");
      assert.deepEqual((await mailChoice(page)).prefs, { new_requests: "outside_hours", reminders: false });

      // Another device (a phone) shows the same choice.
      const phone = await Console.login(browser, env.email, env.password, 0, PHONE);
      await phone.page.goto(`${env.base}/admin/account`);
      const there = phone.page.getByRole("form", { name: "Email notifications" });
      const select = there.getByLabel("Mail me when a visitor asks for a person or leaves a message");
      await there.getByText(`Sent to ${env.email}.`).waitFor();
      assert.equal(await select.inputValue(), "outside_hours");
      assert.equal(await there.getByLabel(/Reminders when a request/).isChecked(), false);
      await there.scrollIntoViewIfNeeded();
      await audit(phone.page, "the Account page on a phone");
      await screenshot(phone.page, "account-mail-phone");
    } finally {
      const status = await api.page.evaluate(async (csrf) => {
        const put = { method: "PUT", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify({ new_requests: "always", reminders: true }) };
        return (await fetch("/api/admin/me/email", put)).status;
      }, api.me.csrf);
      assert.equal(status, 200);
    }
  } finally {
    await browser.close();
  }
});

test("an owner sets reminders for unclaimed requests in Settings → Team email", async () => {
  const browser = await launch();
  const api = await Agent.login(browser);
  const before = await api.settings();
  try {
    const owner = await Console.login(browser, env.email, env.password, 0, DESKTOP);
    const page = owner.page;
    await owner.button("Settings").click();
    const part = page.getByRole("region", { name: "Team email" });
    const after = part.getByLabel(/Remind by mail when a request is still unclaimed after/);
    await after.waitFor();
    assert.equal(await after.inputValue(), "0");
    await after.fill("15");
    await part.getByLabel(/Send reminders to every teammate/).check();
    await part.getByText("Unsaved changes").waitFor();
    await part.getByRole("button", { name: "Save team email" }).click();
    await part.getByText(/^Saved\./).waitFor();
    const saved = await api.settings();
    assert.deepEqual(saved.email, { remind_after_secs: 900, remind_everyone: true });
    assert.deepEqual(saved.takeover, before.takeover, "only this part changed");
    await part.scrollIntoViewIfNeeded();
    await audit(page, "Settings with the Team email part", "#team-email");
    await screenshot(page, "settings-team-email-desktop");

    const phone = await Console.login(browser, env.email, env.password, 0, PHONE);
    await phone.page.goto(`${env.base}/admin/settings#team-email`);
    const there = phone.page.getByRole("region", { name: "Team email" });
    await there.getByLabel(/Remind by mail/).waitFor();
    assert.equal(await there.getByLabel(/Remind by mail/).inputValue(), "15");
    await there.scrollIntoViewIfNeeded();
    await screenshot(phone.page, "settings-team-email-phone");
  } finally {
    await api.saveSettings(before);
    await browser.close();
  }
});
