// The host page's API: open, close, toggle, identify, events; and the unread badge.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, Widget, env, launch } from "./harness.mjs";

test("events fire, identify reaches the team, and the badge counts unread replies", async () => {
  const browser = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.addInitScript(() => {
      window.seen = [];
      document.addEventListener("DOMContentLoaded", () => {
        const hook = () => {
          if (!window.Takeover) return setTimeout(hook, 5);
          for (const e of ["ready", "open", "close", "message", "escalated", "agent_joined"]) {
            window.Takeover.on(e, (d) => window.seen.push({ e, d }));
          }
        };
        hook();
      });
    });
    await page.goto(`${env.base}/`);
    const w = new Widget(page);
    await w.launcher.waitFor();
    await page.evaluate(() => window.Takeover.identify({ name: "Rosa Diaz", email: "rosa@example.com" }));
    await page.evaluate(() => window.Takeover.open());
    await w.input.waitFor();
    await w.say("I want to talk to a human");
    await w.text("Waiting for support agent to join").waitFor();
    const id = await w.conversationId();

    // Closed, the badge counts what arrives.
    await page.evaluate(() => window.Takeover.toggle());
    await w.panel.waitFor({ state: "hidden" });
    const agent = await Agent.login(browser);
    const welcome = await agent.open(id);
    assert.equal(welcome.visitor.name, "Rosa Diaz");
    assert.equal(welcome.visitor.email, "rosa@example.com");
    await agent.claim();
    await agent.say("Hi Rosa, how can I help?");
    await agent.say("I'm here whenever you are.");
    await page.getByRole("button", { name: "Open chat (2)" }).waitFor();
    const badge = await page.evaluate(() =>
      document.querySelector("[data-takeover-widget]").shadowRoot.querySelector(".badge").textContent);
    assert.equal(badge, "2");
    await page.evaluate(() => window.Takeover.open());
    await page.getByRole("button", { name: "Open chat", exact: true }).waitFor();

    const events = await page.evaluate(() => window.seen.map((s) => s.e));
    for (const e of ["ready", "open", "close", "message", "escalated", "agent_joined"]) {
      assert.ok(events.includes(e), `event ${e} fired: ${events}`);
    }
    const joined = await page.evaluate(() => window.seen.find((s) => s.e === "agent_joined").d);
    assert.equal(joined.name, agent.me.agent.name);
    const bad = await page.evaluate(() => {
      window.Takeover.identify({ email: "not an email" });
      return new Promise((r) => setTimeout(r, 500));
    });
    assert.equal(bad, undefined);
    await w.text("That email address does not look right.").waitFor();
  } finally {
    await browser.close();
  }
});
