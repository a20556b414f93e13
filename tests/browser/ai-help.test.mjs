// AI help in the console: with a model configured, an agent reads the Spanish visitor in
// English, asks for a suggested reply, undoes it, has their own draft translated into the
// visitor's language, and sends it themselves; their own words stay in the team's view only.
// The model is a small OpenAI-compatible server on loopback, run by this test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { Agent, Console, SCREENS, Widget, env, launch, screenshot, troubles } from "./harness.mjs";

const SUGGESTION = "Thanks for waiting! Your order ships today.";

/** Streams a short answer to the widget's visitor; drafts for agents say what was asked. */
async function mockModel() {
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => { raw += c; });
    req.on("end", () => {
      const body = JSON.parse(raw || "{}");
      const messages = body.messages || [];
      const system = messages[0]?.content || "";
      const last = messages.at(-1)?.content || "";
      if (body.stream) {
        res.writeHead(200, { "Content-Type": "text/event-stream" });
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "Lo reviso ahora mismo." } }] })}\n\n`);
        res.end("data: [DONE]\n\n");
        return;
      }
      let text = SUGGESTION;
      if (system.includes("You translate")) text = `[${(system.match(/ISO 639-1 code ([a-z]+)/i) || [])[1]}] ${last}`;
      else if (system.includes("Rewrite it clearer")) text = `Improved: ${last}`;
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content: text } }] }));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, base: `http://127.0.0.1:${server.address().port}/v1` };
}

async function api(agent, method, path, body) {
  return agent.page.evaluate(async ({ method, path, body, csrf }) => {
    const r = await fetch(path, { method, headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: body && JSON.stringify(body) });
    return r.status;
  }, { method, path, body, csrf: agent.me.csrf });
}

test("an agent drafts with Suggest, Undo and Translate, and sends it", async () => {
  const model = await mockModel();
  const browser = await launch();
  const owner = await Agent.login(browser);
  const original = await owner.settings();
  try {
    assert.equal(await api(owner, "PUT", "/api/admin/secrets/model-key", { key: "local-key-1234", base_url: model.base }), 200);
    await owner.saveSettings({ ...original, engine: { kind: "llm", base_url: model.base, model: "local", system_prompt: "", timeout_ms: 5000 } });

    const w = await Widget.open(await browser.newContext({ locale: "es-ES" }), `${env.base}/`,
      { open: "Abrir chat", placeholder: "Escribe tu mensaje…" });
    await w.say("Hola, mi pedido 4411 todavía no ha llegado");
    await w.text("Lo reviso ahora mismo.").waitFor();
    const id = await w.conversationId();

    for (const [name, device] of SCREENS) {
      const agent = await Console.login(browser, env.email, env.password, 0, device);
      const errors = troubles(agent.page);
      await agent.conversation(id);
      if (name === "desktop") await agent.button("Take over").click();
      const box = agent.page.getByRole("textbox", { name: "Reply to the visitor" });
      await box.waitFor();

      // The visitor and the AI, read in the agent's language, the original kept above.
      await agent.page.getByRole("checkbox", { name: "Show in English" }).check();
      await agent.page.locator("li.bubble.visitor .translation",
        { hasText: "[en] Hola, mi pedido 4411 todavía no ha llegado" }).waitFor();
      await agent.page.locator("li.bubble.bot .translation", { hasText: "[en] Lo reviso ahora mismo." }).waitFor();
      await agent.page.locator("li.bubble.visitor", { hasText: "Hola, mi pedido 4411" }).first().scrollIntoViewIfNeeded();
      await screenshot(agent.page, `ai-help-read-${name}`);
      const value = async (want) => agent.page.waitForFunction(
        (w) => document.querySelector("form.composer textarea")?.value === w, want);

      await agent.button("Suggest reply").click();
      await value(SUGGESTION);
      await agent.button("Undo").click();
      await value("");

      await box.fill("Your parcel leaves the warehouse today.");
      await agent.button("Translate for the visitor").click();
      await value("[es] Your parcel leaves the warehouse today.");
      await screenshot(agent.page, `ai-help-${name}`);
      // Only Send reaches the visitor: nothing before it on the desktop, nothing more after.
      assert.equal(await w.text("[es] Your parcel").count(), name === "desktop" ? 0 : 1);
      if (name === "desktop") {
        await agent.page.getByText("your own words stay in the team's transcript").waitFor();
        await agent.button("Send").click();
        await w.page.locator("li.bubble.agent", { hasText: "[es] Your parcel leaves the warehouse today." }).waitFor();
        await agent.page.locator("li.bubble.agent .original",
          { hasText: "Written as: Your parcel leaves the warehouse today." }).waitFor();
        assert.equal(await w.text("Written as").count(), 0, "the visitor sees the translation alone");
        await screenshot(agent.page, `ai-help-sent-${name}`);
      }
      assert.deepEqual(errors, []);
    }
  } finally {
    await owner.saveSettings(original).catch(() => {});
    await api(owner, "DELETE", "/api/admin/secrets/model-key").catch(() => {});
    model.server.close();
    await browser.close();
  }
});
