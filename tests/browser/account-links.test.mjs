// Team accounts by email as people meet them: an owner invites a teammate from the Team page,
// the teammate opens the mailed link (on a phone), chooses a name and password and lands in
// the inbox; later "Forgot your password?" mails a link that sets a new one and signs in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, Console, audit, env, launch, linkIn, mailTo, screenshot, unique } from "./harness.mjs";

const DESKTOP = { viewport: { width: 1300, height: 900 } };
const PHONE = { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true };

async function removeMember(api, email) {
  const status = await api.page.evaluate(async ({ email, csrf }) => {
    const team = await (await fetch("/api/admin/team")).json();
    const m = team.find((x) => x.email === email);
    if (!m) return 404;
    return (await fetch(`/api/admin/team/${m.id}`, { method: "DELETE", headers: { "X-CSRF-Token": csrf } })).status;
  }, { email, csrf: api.me.csrf });
  assert.equal(status, 204);
}

test("an invited teammate joins from the mailed link, and resets a forgotten password", async () => {
  const browser = await launch();
  const api = await Agent.login(browser);
  const email = `${unique("neo")}@t.test`;
  try {
    const owner = await Console.login(browser, env.email, env.password, 0, DESKTOP);
    const page = owner.page;
    await owner.button("Team").click();
    const form = page.getByRole("form", { name: "Invite by email" });
    await form.getByLabel("Email").fill(email);
    await form.getByLabel("Role").selectOption("responder");
    await form.getByRole("button", { name: "Send invitation" }).click();
    await form.getByText(`Invitation mailed to ${email}.`).waitFor();
    const pending = page.getByRole("region", { name: "Invitations not yet taken" });
    await pending.getByText(email).waitFor();
    await audit(page, "the Team page with an invitation");
    await screenshot(page, "team-invite-desktop");
    await page.setViewportSize(PHONE.viewport);
    await pending.scrollIntoViewIfNeeded();
    await screenshot(page, "team-invite-phone");
    await page.setViewportSize(DESKTOP.viewport);

    // The teammate opens the link on a phone.
    const invite = await mailTo(email, /invited you to the .* team/);
    const link = linkIn(invite, "/admin/invite?");
    assert.ok(link.startsWith(`${env.base}/admin/invite?site=${env.site}#token=`), link);
    const phone = await (await browser.newContext(PHONE)).newPage();
    await phone.goto(link);
    const join = phone.getByRole("form", { name: /Join the .* team/ });
    await join.getByText(`You will sign in as ${email}.`).waitFor();
    await join.getByLabel("Display name (visitors see it on your messages)").fill("Neo");
    await join.getByLabel("Password (10 characters or more)").fill("first password 123");
    await join.getByLabel("Password again").fill("first password 123");
    await audit(phone, "the invitation page on a phone");
    await screenshot(phone, "join-phone");
    await join.getByRole("button", { name: "Join the team" }).click();
    await phone.getByRole("tab", { name: /Pending/ }).waitFor();
    assert.equal(new URL(phone.url()).pathname, "/admin", "the link's secret leaves the address");
    assert.equal(new URL(phone.url()).hash, "");
    await pending.getByText(email).waitFor({ state: "detached" }).catch(async () => {
      // The list reloads on the next change; reopen the page to see it.
      await owner.button("Inbox").click();
      await owner.button("Team").click();
      await page.getByRole("cell", { name: email }).waitFor();
    });

    // The link is spent.
    const again = await (await browser.newContext(DESKTOP)).newPage();
    await again.goto(link);
    await again.getByRole("heading", { name: "This invitation cannot be used" }).waitFor();
    await again.getByText(/expired or was already used/).waitFor();
    await screenshot(again, "invite-spent-desktop");

    // Forgot the password: a link by mail, then a new password, signed in.
    const laptop = await (await browser.newContext(DESKTOP)).newPage();
    await laptop.goto(`${env.base}/admin`);
    await laptop.getByRole("button", { name: "Forgot your password?" }).click();
    const forgot = laptop.getByRole("form", { name: "Set a new password" });
    await forgot.getByLabel("Site").fill(env.site);
    await forgot.getByLabel("Email").fill(email);
    await forgot.getByRole("button", { name: "Mail me a link" }).click();
    await forgot.getByText(/If that email belongs to a teammate of this site/).waitFor();
    await audit(laptop, "the forgotten-password form");
    await screenshot(laptop, "forgot-desktop");
    assert.equal(await laptop.getByRole("heading", { name: "Sign in to the console" }).count(), 0, "one form at a time");
    await laptop.setViewportSize(PHONE.viewport);
    await screenshot(laptop, "forgot-phone");
    await laptop.setViewportSize(DESKTOP.viewport);
    const reset = await mailTo(email, /Set a new password/);
    await laptop.goto(linkIn(reset, "/admin/reset?"));
    const set = laptop.getByRole("form", { name: "Set a new password" });
    await set.getByLabel("New password (10 characters or more)").fill("second password 456");
    await set.getByLabel("New password again").fill("second password 456");
    await screenshot(laptop, "reset-desktop");
    await set.getByRole("button", { name: "Set the password and sign in" }).click();
    await laptop.getByRole("tab", { name: /Pending/ }).waitFor();
    // The phone's session ended with the reset: it is back at sign-in.
    await phone.getByRole("button", { name: "Sign in" }).waitFor({ timeout: 15000 });
  } finally {
    await removeMember(api, email).catch(() => {});
    await browser.close();
  }
});
