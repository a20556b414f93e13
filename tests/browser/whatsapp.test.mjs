// WhatsApp in the console: the owner connects a Business number on the settings page and is
// shown what to paste into Meta's dashboard; a customer's message arrives (signed as Meta
// signs it) and an agent answers; once WhatsApp's window has closed (10 s in the test worker)
// the composer says so, with the time it closed, and takes no reply until the customer writes
// again. A local Cloud API run by this test stands in for WhatsApp.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { Agent, Console, SCREENS, env, launch, screenshot, troubles } from "./harness.mjs";

const TOKEN = "EAAGbrowserTestAccessTokenForTheGraphApi";
const APP_SECRET = "fedcba9876543210fedcba9876543210";
const NUMBER_ID = "109876543210987";

async function mockGraph() {
  const state = { sent: [] };
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => { raw += c; });
    req.on("end", () => {
      const body = JSON.parse(raw || "{}");
      const ok = req.headers.authorization === `Bearer ${TOKEN}` && req.url === `/v21.0/${NUMBER_ID}/messages`;
      if (ok) state.sent.push(body.text?.body ?? body.interactive?.body?.text);
      res.writeHead(ok ? 200 : 401, { "Content-Type": "application/json" });
      res.end(JSON.stringify(ok ? { messages: [{ id: "wamid.out" }] } : { error: { message: "Invalid OAuth access token" } }));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, state, base: `http://127.0.0.1:${server.address().port}/v21.0` };
}

async function until(check, what, ms = 15000) {
  for (let waited = 0; waited < ms; waited += 100) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`waited ${ms / 1000} s for ${what}`);
}

test("a WhatsApp conversation whose reply window has closed", async () => {
  const graph = await mockGraph();
  const browser = await launch();
  const owner = await Agent.login(browser);
  const customer = String(15550000000 + Math.floor(Math.random() * 9_999_999));
  let n = 0;
  const write = (text) => {
    n += 1;
    const body = JSON.stringify({ object: "whatsapp_business_account", entry: [{ id: "WABA", changes: [{ field: "messages", value: {
      messaging_product: "whatsapp", metadata: { phone_number_id: NUMBER_ID },
      contacts: [{ wa_id: customer, profile: { name: "Wanda Lee" } }],
      messages: [{ from: customer, id: `wamid.${customer}.${n}`, timestamp: "0", type: "text", text: { body: text } }] } }] }] });
    const signature = "sha256=" + createHmac("sha256", APP_SECRET).update(body).digest("hex");
    return fetch(`${env.base}/api/channels/whatsapp/${env.site}`, {
      method: "POST", headers: { "Content-Type": "application/json", "X-Hub-Signature-256": signature }, body });
  };
  try {
    for (const [name, device] of SCREENS) {
      const agent = await Console.login(browser, env.email, env.password, 0, device);
      const errors = troubles(agent.page);
      await agent.page.goto(`${env.base}/admin/settings#channels`);
      const part = agent.page.locator("#channels");
      if (name === "desktop") {
        await part.getByLabel("Phone number ID").fill(NUMBER_ID);
        await part.getByLabel("Access token").fill(TOKEN);
        await part.getByLabel("App secret").fill(APP_SECRET);
        await part.getByText("Advanced: another Graph API address").click();
        await part.getByLabel("Graph API address").fill(graph.base);
        await part.getByRole("button", { name: "Connect WhatsApp" }).click();
      }
      await part.getByText(`WhatsApp: number ID ${NUMBER_ID}`).waitFor();
      await part.getByText(`${env.base}/api/channels/whatsapp/${env.site}`).waitFor();
      await part.getByText("Verify token", { exact: true }).scrollIntoViewIfNeeded();
      await screenshot(agent.page, `whatsapp-settings-${name}`);
      assert.deepEqual(errors, []);
      await agent.page.close();
    }

    assert.equal((await write("Hi, I need a person about my refund")).status, 200);
    let id;
    await until(async () => {
      const listed = await owner.page.evaluate(async () => (await fetch("/api/admin/conversations")).json());
      id = listed.find((c) => c.channel === "whatsapp" && c.preview.includes("my refund"))?.id;
      return Boolean(id);
    }, "the conversation in the inbox");

    const desk = await Console.login(browser, env.email, env.password, 0, SCREENS[0][1]);
    const errors = troubles(desk.page);
    await desk.conversation(id);
    await desk.page.locator(".channel-badge", { hasText: "WhatsApp" }).first().waitFor();
    const claim = desk.button("Claim");
    const takeOver = desk.button("Take over");
    await until(async () => (await claim.count()) + (await takeOver.count()) > 0, "a way to take the conversation");
    await ((await claim.count()) ? claim : takeOver).click();
    await desk.write("Reply", "Hello Wanda, let me look at your refund.");
    await until(() => graph.state.sent.some((t) => t?.includes(": Hello Wanda")), "the reply on WhatsApp");

    // Ten seconds after the customer's message the window closes: no reply goes out.
    const closed = desk.page.locator(".window-closed");
    await closed.waitFor({ timeout: 20000 });
    assert.match(await closed.innerText(), /reply window closed at \d\d:\d\d/);
    assert.ok(await desk.page.getByRole("textbox", { name: "Reply to the visitor" }).isDisabled());
    assert.ok(await desk.page.locator("form.composer button[type=submit]").isDisabled());
    await screenshot(desk.page, "whatsapp-window-closed-desktop");

    const phone = await Console.login(browser, env.email, env.password, 0, SCREENS[1][1]);
    await phone.conversation(id);
    await phone.page.locator(".window-closed").waitFor({ timeout: 20000 });
    await screenshot(phone.page, "whatsapp-window-closed-phone");
    await phone.page.close();

    // The customer writes again: the composer takes a reply again.
    assert.equal((await write("Still here!")).status, 200);
    await closed.waitFor({ state: "detached" });
    await desk.write("Reply", "Your refund left today.");
    await until(() => graph.state.sent.some((t) => t?.includes(": Your refund left today.")), "the reply after the customer wrote");
    assert.deepEqual(errors, []);
  } finally {
    await owner.page.evaluate(async (csrf) => fetch("/api/admin/channels/whatsapp", { method: "DELETE", headers: { "X-CSRF-Token": csrf } }), owner.me.csrf).catch(() => {});
    graph.server.close();
    await browser.close();
  }
});
