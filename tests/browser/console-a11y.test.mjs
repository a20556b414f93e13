// axe finds nothing on the console's pages: sign-in, inbox, a conversation, tickets, team.
import { test } from "node:test";
import assert from "node:assert/strict";
import { audit, Console, env, launch, screenshot, unique, Widget } from "./harness.mjs";

test("the console's pages have no axe violations", async () => {
  const browser = await launch();
  try {
    const signIn = await (await browser.newContext()).newPage();
    await signIn.goto(`${env.base}/admin`);
    await signIn.getByRole("button", { name: "Sign in" }).waitFor();
    await audit(signIn, "the sign-in page");

    const w = await Widget.open(await browser.newContext());
    const tag = unique("axe");
    await w.say(`${tag}: please put me through to a human`);
    await w.text("Waiting for support agent to join").waitFor();

    const agent = await Console.login(browser);
    await agent.row(tag).waitFor();
    await audit(agent.page, "inbox");
    await agent.row(tag).click();
    await agent.button("Claim").click();
    await agent.write("Reply", "Hello, how can I help?");
    await agent.write("Internal note", "Checking the order history");
    await agent.page.locator("li.bubble.note").waitFor();
    await audit(agent.page, "conversation");
    await agent.button("Tickets").click();
    await agent.page.locator("tr", { hasText: tag }).waitFor();
    await audit(agent.page, "tickets");
    await agent.button("Team").click();
    await agent.page.getByRole("heading", { name: "Add a teammate" }).waitFor();
    await audit(agent.page, "team");
    await screenshot(agent.page, "console-team");
    await agent.button("Settings").click();
    await agent.page.getByRole("button", { name: "Save widget" }).waitFor();
    await audit(agent.page, "settings");
  } finally {
    await browser.close();
  }
});
