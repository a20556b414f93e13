// The visitor's widget and an agent's console, in two browser contexts, through one takeover.
import { test } from "node:test";
import assert from "node:assert/strict";
import { env, launch, screenshot } from "./harness.mjs";

test("visitor chats with the AI, asks for a human, and an agent takes over", async () => {
  const browser = await launch();
  try {
    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(`${env.base}/`);
    const launcher = visitor.getByRole("button", { name: "Open chat" });
    await launcher.waitFor({ state: "visible", timeout: 10_000 });
    await launcher.click();

    const input = visitor.getByRole("textbox", { name: "Type your message…" });
    await input.waitFor({ timeout: 20_000 });
    await input.fill("How long does shipping take?");
    await input.press("Enter");
    await visitor.getByText("Standard shipping takes 3 to 5 business days", { exact: false }).waitFor();
    await screenshot(visitor, "widget-bot-answer");

    await visitor.getByRole("button", { name: "Talk to a human" }).click();
    await visitor.getByText("Waiting for support agent to join").waitFor();
    await screenshot(visitor, "widget-waiting");

    // The agent signs in to the console and takes the conversation.
    const agent = await (await browser.newContext()).newPage();
    await agent.goto(`${env.base}/admin`);
    await agent.getByLabel("Site").fill(env.site);
    await agent.getByLabel("Email").fill(env.email);
    await agent.getByLabel("Password").fill(env.password);
    await agent.getByRole("button", { name: "Sign in" }).click();
    await agent.locator("li.row", { hasText: "escalated" }).first().click();
    await agent.getByRole("button", { name: "Take over" }).click();
    await agent.getByRole("textbox", { name: "Reply" }).fill("Hi, this is Demo Owner. How can I help?");
    await agent.getByRole("button", { name: "Send" }).click();

    await visitor.getByText("Demo Owner joined the conversation").waitFor();
    await visitor.getByText("You're now chatting with a human").waitFor();
    await visitor.getByText("How can I help?", { exact: false }).waitFor();
    await visitor.getByText("Waiting for support agent to join").waitFor({ state: "detached" });
    await screenshot(visitor, "widget-with-human");

    await agent.getByRole("button", { name: "Hand back to AI" }).click();
    await visitor.getByText("AI resumed").waitFor();
    await visitor.getByText("You're now chatting with a human").waitFor({ state: "detached" });
    // The AI answers again after the hand-back.
    const input2 = visitor.getByRole("textbox", { name: "Type your message…" });
    await input2.fill("Do you offer gift cards?");
    await input2.press("Enter");
    await visitor.getByText("digital gift cards", { exact: false }).waitFor();
    assert.equal(await visitor.getByText("Waiting for support agent to join").count(), 0);
    await screenshot(visitor, "widget-ai-resumed");
  } finally {
    await browser.close();
  }
});
