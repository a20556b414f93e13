// Telegram in the console: the owner connects a bot on the settings page (a local Bot API run
// by this test stands in for Telegram), a chat's messages arrive as a conversation marked with
// its channel and the visitor's Telegram profile, an agent replies, and a reply Telegram
// refuses for good is shown to the team as not delivered.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { Agent, Console, SCREENS, env, launch, screenshot, troubles } from "./harness.mjs";

const TOKEN = "424242:AAHbrowserTestTokenForTheLocalBotApi";

/** A Bot API on loopback: records the webhook's secret and what is sent, refuses on demand. */
async function mockTelegram() {
  const state = { secret: null, sent: [], refuse: 0 };
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => { raw += c; });
    req.on("end", () => {
      const body = JSON.parse(raw || "{}");
      const method = req.url.split("/").pop();
      const answer = (status, json) => { res.writeHead(status, { "Content-Type": "application/json" }); res.end(JSON.stringify(json)); };
      if (!req.url.startsWith(`/bot${TOKEN}/`)) return answer(401, { ok: false, description: "Unauthorized" });
      if (method === "getMe") return answer(200, { ok: true, result: { id: 424242, is_bot: true, username: "shop_help_bot" } });
      if (method === "setWebhook") { state.secret = body.secret_token; return answer(200, { ok: true, result: true }); }
      if (method === "sendMessage" && state.refuse > 0) {
        state.refuse -= 1;
        return answer(403, { ok: false, description: "Forbidden: bot was blocked by the user" });
      }
      if (method === "sendMessage") state.sent.push(body.text);
      answer(200, { ok: true, result: true });
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, state, base: `http://127.0.0.1:${server.address().port}` };
}

async function until(check, what) {
  for (let i = 0; i < 150; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`waited 15 s for ${what}`);
}

test("an owner connects Telegram and the team answers a Telegram chat", async () => {
  const telegram = await mockTelegram();
  const browser = await launch();
  const owner = await Agent.login(browser);
  try {
    for (const [name, device] of SCREENS) {
      const agent = await Console.login(browser, env.email, env.password, 0, device);
      const errors = troubles(agent.page);
      await agent.page.goto(`${env.base}/admin/settings#channels`);
      const part = agent.page.locator("#channels");
      if (name === "desktop") {
        await part.getByLabel("Telegram bot token").fill(TOKEN);
        await part.getByText("Advanced: a Bot API server of your own").click();
        await part.getByLabel("Bot API address").fill(telegram.base);
        await part.getByRole("button", { name: "Connect Telegram" }).click();
      }
      await part.getByText("Telegram: @shop_help_bot").waitFor();
      await part.scrollIntoViewIfNeeded();
      await screenshot(agent.page, `telegram-settings-${name}`);
      assert.deepEqual(errors, []);
      await agent.page.close();
    }
    assert.ok(telegram.state.secret, "the webhook was registered with a secret");

    const chat = 7_700_000 + Math.floor(Math.random() * 99_999);
    const update = (id, text) => fetch(`${env.base}/api/channels/telegram/${env.site}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": telegram.state.secret },
      body: JSON.stringify({ update_id: id, message: { message_id: id, date: 0, text,
        chat: { id: chat, type: "private" },
        from: { id: chat, is_bot: false, first_name: "Tara", last_name: "Quinn", username: "tara_q" } } }),
    });
    assert.equal((await update(1, "My parcel is damaged, I need a person")).status, 200);
    assert.equal((await update(2, "/human")).status, 200);
    await until(() => telegram.state.sent.some((t) => t.includes("Waiting for support agent")), "the waiting line");
    const listed = await owner.page.evaluate(async () => (await fetch("/api/admin/conversations")).json());
    const id = listed.find((c) => c.channel === "telegram" && c.preview.includes("parcel is damaged"))?.id;
    assert.ok(id, "the chat is a conversation in the inbox");

    for (const [name, device] of SCREENS) {
      const agent = await Console.login(browser, env.email, env.password, 0, device);
      const errors = troubles(agent.page);
      await agent.conversation(id);
      await agent.page.locator(".channel-badge", { hasText: "Telegram" }).first().waitFor();
      if (name === "desktop") {
        await agent.page.getByText("Telegram · @tara_q · Tara Quinn").waitFor();
        // The inbox lists one channel's conversations when asked.
        const list = agent.page.locator("#inbox-list");
        await list.getByText("Tara Quinn · Telegram").first().waitFor();
        await agent.page.getByLabel("Channel").selectOption("website");
        await list.getByText("Tara Quinn · Telegram").waitFor({ state: "detached" });
        await agent.page.getByLabel("Channel").selectOption("telegram");
        await list.getByText("Tara Quinn · Telegram").first().waitFor();
        await screenshot(agent.page, "telegram-inbox-filter-desktop");
        await agent.button("Claim").click();
        await agent.write("Reply", "Sorry to hear that, Tara. Could you send the order number?");
        await until(() => telegram.state.sent.some((t) => t.startsWith("Olga") || t.includes(": Sorry to hear that")), "the agent's reply");
        telegram.state.refuse = 1;
        await agent.write("Reply", "Are you still there?");
      }
      await agent.page.getByRole("alert").filter({ hasText: "Not delivered to the visitor" }).waitFor({ timeout: 20000 });
      await screenshot(agent.page, `telegram-conversation-${name}`);
      assert.deepEqual(errors, []);
      await agent.page.close();
    }
    const named = telegram.state.sent.find((t) => t.includes(": Sorry to hear that"));
    assert.match(named, /^[^:]+: Sorry to hear that, Tara/, "the visitor sees who writes");
  } finally {
    await owner.page.evaluate(async (csrf) => fetch("/api/admin/channels/telegram", { method: "DELETE", headers: { "X-CSRF-Token": csrf } }), owner.me.csrf).catch(() => {});
    telegram.server.close();
    await browser.close();
  }
});
