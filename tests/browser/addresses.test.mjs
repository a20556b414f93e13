// Every console page and conversation has its own address: a link opens it (after signing in
// if need be), a reload stays, Back and Forward move between conversations and pages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Console, Widget, env, launch, unique } from "./harness.mjs";

test("console addresses: links, reload, Back and Forward", async () => {
  const browser = await launch();
  try {
    const w = await Widget.open(await browser.newContext());
    const tag = unique("addr");
    await w.say(`${tag}: a person please`);
    await w.text("Waiting for support agent to join").waitFor();
    const id = await w.conversationId();

    const agent = await Console.login(browser);
    const page = agent.page;
    const open = page.getByRole("region", { name: "Conversation" });
    const path = () => new URL(page.url()).pathname;
    // The console pushes its address from an effect, and playwright learns of it from an event
    // of its own: wait for the page's location rather than read the cached URL once.
    const at = (want) => page.waitForFunction((p) => location.pathname === p, want);
    await agent.row(tag).click();
    await open.waitFor();
    await at(`/admin/c/${id}`);

    await page.reload();
    await open.locator(".conv-head h2").waitFor();
    assert.equal(path(), `/admin/c/${id}`, "a reload keeps the conversation open");
    await open.getByText(`${tag}: a person please`).waitFor();

    await agent.button("Tickets").click();
    await at("/admin/tickets");
    await page.goBack();
    await open.getByText(`${tag}: a person please`).waitFor();
    await at(`/admin/c/${id}`);
    await page.goBack();
    await at("/admin");
    await page.getByText("Select a conversation.").waitFor();
    await page.goForward();
    await open.getByText(`${tag}: a person please`).waitFor();

    // A link, as from a notification, opens the conversation once signed in.
    const link = await (await browser.newContext()).newPage();
    await link.goto(`${env.base}/admin/c/${id}`);
    await link.getByLabel("Site").fill(env.site);
    await link.getByLabel("Email").fill(env.email);
    await link.getByLabel("Password").fill(env.password);
    await link.getByRole("button", { name: "Sign in" }).click();
    await link.getByRole("region", { name: "Conversation" }).getByText(`${tag}: a person please`).waitFor();

    // An address that is not a conversation's opens the inbox, nothing else.
    await link.goto(`${env.base}/admin/c/..%2F..%2Fapi`);
    await link.getByRole("tab", { name: /Pending/ }).waitFor();
    assert.equal(await link.getByRole("region", { name: "Conversation" }).count(), 0);
  } finally {
    await browser.close();
  }
});
