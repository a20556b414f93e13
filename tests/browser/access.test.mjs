// Accounts and access as teammates meet them in the console: what an admin cannot touch, a
// removed teammate's console, your own password, the site's secrets, closing a conversation
// as spam, and visitor-given identities marked unverified. Each view is audited with axe and
// photographed at desktop and phone sizes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { audit, Console, env, launch, screenshot, unique, Widget } from "./harness.mjs";

const PHONE = { width: 390, height: 800 };
const DESKTOP = { width: 1300, height: 900 };

/** Screenshots at both sizes, leaving the page at desktop size. */
async function shots(page, name) {
  await page.setViewportSize(DESKTOP);
  await screenshot(page, `${name}-desktop`);
  await page.setViewportSize(PHONE);
  await screenshot(page, `${name}-phone`);
  await page.setViewportSize(DESKTOP);
}

/** Opens the conversation whose row shows `text`, in whichever tab it is (the AI may have
 *  answered it, or handed it over). */
async function openAnywhere(agent, text) {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    for (const tab of ["Pending", "Live", "Active"]) {
      await agent.tab(tab).click();
      if (await agent.row(text).count()) return agent.row(text).click();
    }
    await agent.page.waitForTimeout(250);
  }
  throw new Error(`no inbox row shows ${text}`);
}

async function teammate(owner, browser, role, name = "Tess") {
  const email = `${unique(role)}@example.com`;
  const password = await owner.addTeammate(email, name, role);
  return { email, password, console: await Console.login(browser, email, password) };
}

test("an admin finds an owner's account locked and no way to make owners", async () => {
  const browser = await launch();
  try {
    const owner = await Console.login(browser);
    const { console: admin } = await teammate(owner, browser, "admin", "Ada Admin");
    await admin.button("Team").click();
    const ownerRole = admin.page.getByRole("combobox", { name: `Role of ${env.email}` });
    await ownerRole.waitFor();
    assert.equal(await ownerRole.isDisabled(), true, "the owner's role cannot be changed");
    assert.match(await ownerRole.getAttribute("title"), /Only an owner/);
    const ownerRow = admin.page.locator("tr", { hasText: env.email });
    assert.equal(await ownerRow.getByRole("button", { name: "Remove" }).count(), 0);
    const add = admin.page.locator("form.add-member select");
    assert.equal(await add.locator("option[value=owner]").count(), 0, "admins add no owners");
    await audit(admin.page, "the team page as an admin");
    await shots(admin.page, "team-as-admin");
  } finally {
    await browser.close();
  }
});

test("a removed teammate's console goes back to sign-in and says why", async () => {
  const browser = await launch();
  try {
    const owner = await Console.login(browser);
    const { email, console: gone } = await teammate(owner, browser, "responder", "Remy");
    const id = await owner.page.evaluate(async (email) => {
      const team = await (await fetch("/api/admin/team")).json();
      return team.find((m) => m.email === email).id;
    }, email);
    const status = await owner.page.evaluate(async (id) => {
      const me = await (await fetch("/api/admin/me")).json();
      return (await fetch(`/api/admin/team/${id}`, { method: "DELETE", headers: { "X-CSRF-Token": me.csrf } })).status;
    }, id);
    assert.equal(status, 204);
    await gone.page.getByText("Your session ended. Please sign in again.").waitFor({ timeout: 10_000 });
    await gone.page.getByRole("button", { name: "Sign in" }).waitFor();
    await audit(gone.page, "the sign-in page after a removal");
    await shots(gone.page, "signed-out-by-removal");
  } finally {
    await browser.close();
  }
});

test("a new password on the Account page signs out your other devices", async () => {
  const browser = await launch();
  try {
    const owner = await Console.login(browser);
    const { email, password, console: laptop } = await teammate(owner, browser, "responder", "Pat");
    const phone = await Console.login(browser, email, password);
    await laptop.button("Account").click();
    const page = laptop.page;
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    await audit(page, "the account page");
    await page.getByLabel("New password (10 characters or more)").fill("a-brand-new-password");
    await page.getByLabel("New password again").fill("a-brand-new-password");
    // Without the current password the server refuses, and says so beside the button.
    await page.getByLabel(/Current password/).fill("not-my-password");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByText("Your current password is not right.").waitFor();
    await shots(page, "account-refused");
    await page.getByLabel(/Current password/).fill(password);
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByText("Saved. Your other devices are signed out.").waitFor();
    await shots(page, "account-saved");
    await phone.page.getByText("Your session ended. Please sign in again.").waitFor({ timeout: 10_000 });
    // The laptop stays signed in.
    await laptop.button("Inbox").click();
    await laptop.tab("Pending").waitFor();
  } finally {
    await browser.close();
  }
});

test("the model key is write-only and the bot's signing secret is shown once", async () => {
  const browser = await launch();
  try {
    const owner = await Console.login(browser);
    const page = owner.page;
    await owner.button("Settings").click();
    const engine = page.getByRole("combobox", { name: "Engine" });
    await engine.selectOption("llm");
    const key = "sk-test-SECRET-9876";
    await page.getByLabel("New API key").fill(key);
    await page.getByRole("button", { name: "Save key" }).click();
    await page.getByText("Key saved. It is never shown again.").waitFor();
    await page.getByText(/This site's own key \(…9876, saved .*\) is set for https:\/\/api.openai.com\/v1/).waitFor();
    assert.equal(await page.getByLabel("New API key").inputValue(), "");
    assert.ok(!(await page.content()).includes(key), "the key is nowhere on the page");
    await audit(page, "the model key");
    await shots(page, "settings-model-key");

    await engine.selectOption("webhook");
    await page.getByRole("button", { name: /Create signing secret|Rotate secret/ }).click();
    const shown = page.getByLabel(/Your new secret/);
    await shown.waitFor();
    const secret = await shown.inputValue();
    assert.match(secret, /^whsec_/);
    await audit(page, "the new signing secret");
    await shots(page, "settings-signing-secret");
    // Reopening the page shows a hint, never the secret again.
    await owner.button("Inbox").click();
    await owner.button("Settings").click();
    await page.getByRole("combobox", { name: "Engine" }).waitFor();
    assert.ok(!(await page.content()).includes(secret.slice(6)), "the secret is not shown again");
    // Leave the site on the FAQ engine for the other tests.
    await page.getByRole("combobox", { name: "Engine" }).selectOption("faq");
  } finally {
    await browser.close();
  }
});

test("an agent closes a conversation as spam; the visitor may start a new one", async () => {
  const browser = await launch();
  try {
    const w = await Widget.open(await browser.newContext());
    const tag = unique("spam");
    await w.say(`${tag} buy cheap watches`);
    const first = await w.conversationId();
    const agent = await Console.login(browser);
    await openAnywhere(agent, tag);
    await agent.button("Close…").click();
    await audit(agent.page, "the close choices");
    await shots(agent.page, "close-choices");
    await agent.button("Close as spam").click();
    await agent.row(tag).waitFor({ state: "detached" });

    await w.page.getByTestId("timeline").getByText("This conversation has ended").waitFor();
    const again = w.page.getByRole("button", { name: "Start a new conversation" });
    await again.waitFor();
    await audit(w.page, "the ended conversation");
    await shots(w.page, "widget-ended");
    await again.click();
    await w.input.waitFor();
    await w.say("hello again");
    await w.text("hello again").waitFor();
    assert.notEqual(await w.conversationId(), first, "a fresh conversation");
    assert.equal(await w.bubbles(tag), 0, "the old messages are gone");
  } finally {
    await browser.close();
  }
});

test("names and emails the visitor gives are marked unverified", async () => {
  const browser = await launch();
  try {
    const w = await Widget.open(await browser.newContext());
    const tag = unique("who");
    await w.page.evaluate(() => window.Takeover.identify({ name: "Ana \u202Eevil", email: "ana@shop.example" }));
    await w.say(`${tag}: is my order on its way?`);
    const agent = await Console.login(browser);
    await openAnywhere(agent, tag);
    const pane = agent.page.getByRole("region", { name: "Conversation" });
    await pane.locator(".conv-head").getByText("Ana evil").waitFor();
    assert.equal(await pane.getByText("unverified").count(), 2, "name and email");
    await audit(agent.page, "a conversation with an unverified visitor");
    await shots(agent.page, "visitor-unverified");
    // Gone from the site: a reply will reach them by mail at the address they gave, unless
    // they come back first (the browser tests' worker gathers replies for 3 s).
    await w.page.close();
    await pane.locator(".reach", { hasText: "Ana evil has left the site: your reply will be emailed to ana@shop.example (as they gave it, unverified) unless they come back within 3 seconds, with a link back to this chat." }).waitFor();
    await shots(agent.page, "visitor-left-reach");
  } finally {
    await browser.close();
  }
});
