// The chat's first impression: the assistant's greeting and up to three suggested questions,
// one tap to ask; and what the team learns from the AI's answers (which FAQ entry, how sure)
// and from its handovers (the question to add to the FAQ).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Console, SCREENS, Widget, audit, env, focused, launch, screenshot, troubles, unique } from "./harness.mjs";

const GREETING = "Hi! How can we help you today?";

async function config() {
  return (await fetch(`${env.base}/api/sites/${env.site}/config`)).json();
}

const FAQ = JSON.parse(readFileSync(new URL("../../xtask/demo-site.json", import.meta.url))).faq.map((e) => e.question);

function assertFaqQuestions(shown) {
  assert.equal(shown.length, 3, `three suggestions: ${shown}`);
  for (const q of shown) assert.ok(FAQ.includes(q), `not a FAQ question: ${q}`);
}

/** The suggested questions on screen, in order. */
async function chips(page, label = "Suggested questions") {
  const group = page.getByRole("group", { name: label });
  await group.waitFor();
  return group.getByRole("button").allTextContents();
}

test("the chat opens with a greeting and suggested questions; a tap asks", async () => {
  const browser = await launch();
  try {
    const w = await Widget.open(await browser.newContext({ viewport: { width: 1280, height: 800 } }));
    const errors = troubles(w.page);
    const greeting = w.page.locator("li.bubble.bot.greeting");
    assert.match(await greeting.textContent(), new RegExp(`AI assistant\\s*${GREETING.replace(/[?!]/g, "\\$&")}`));
    const offered = (await config()).suggestions;
    assert.ok(offered.length >= 1 && offered.length <= 3, `suggestions: ${offered}`);
    assert.deepEqual(await chips(w.page), offered);
    await audit(w.page, "greeting and suggestions", "[data-takeover-widget]");
    await screenshot(w.page, "first-impression-desktop");

    // One tap asks it: the visitor's bubble, the AI's answer, and the chips go.
    await w.page.getByRole("button", { name: offered[0], exact: true }).click();
    await w.page.locator("li.bubble.visitor:not(.pending)", { hasText: offered[0] }).waitFor();
    await w.page.locator("li.bubble.bot:not(.greeting)").first().waitFor();
    await w.page.getByRole("group", { name: "Suggested questions" }).waitFor({ state: "detached" });
    assert.equal(await w.page.locator("li.bubble.bot.greeting").count(), 1, "the greeting stays on top");
    await screenshot(w.page, "first-impression-asked");
    assert.deepEqual(errors, []);

    // A phone, in Spanish: the greeting and the group's name in the visitor's language.
    const phone = await Widget.open(await browser.newContext({
      viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: "es-ES",
    }), `${env.base}/`, { open: "Abrir chat", placeholder: "Escribe tu mensaje…" });
    await phone.text("¡Hola! ¿En qué podemos ayudarte hoy?").waitFor();
    // The tap above counts toward "most asked": the order may have moved since, so these
    // pages show three of the FAQ's questions, whichever lead now.
    assertFaqQuestions(await chips(phone.page, "Preguntas sugeridas"));
    await screenshot(phone.page, "first-impression-phone-es");

    // The full-page chat opens on the greeting, not on an empty panel.
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await page.goto(`${env.base}/chat/${env.site}`);
    await page.getByText(GREETING).waitFor();
    assertFaqQuestions(await chips(page));
    await screenshot(page, "first-impression-full-page");
  } finally {
    await browser.close();
  }
});

test("the team sees which FAQ entry answered, and adds an unanswered question to the FAQ", async () => {
  const browser = await launch();
  try {
    const w = await Widget.open(await browser.newContext());
    await w.say("How do I reset my password?");
    await w.text("Forgot password").waitFor();
    const question = `Do you rent kayaks by the hour near ${unique("pier")}?`;
    await w.say(question);
    await w.text("Let me bring in someone from the team").waitFor();
    const id = await w.conversationId();

    for (const [name, device] of SCREENS) {
      const agent = await Console.login(browser, env.email, env.password, 0, device);
      const errors = troubles(agent.page);
      await agent.conversation(id);
      const source = agent.page.locator("li.bubble.bot .source");
      await source.waitFor();
      assert.match(await source.textContent(), /^From the FAQ: “How do I reset my password\?” · \d{2,3}% sure$/);
      const add = agent.page.getByRole("button", { name: "Add this question to the FAQ" });
      await add.scrollIntoViewIfNeeded();
      await screenshot(agent.page, `faq-source-${name}`);
      await add.click();

      // Settings, with a new entry holding the question and the cursor on its answer.
      await agent.page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();
      const entries = agent.page.locator("#questions .qa");
      const last = entries.last();
      await agent.page.waitForFunction((q) => {
        const inputs = [...document.querySelectorAll("#questions .qa input")];
        return inputs.at(-1)?.value === q;
      }, question);
      const answer = last.locator("textarea");
      await focused(answer, "the answer to fill in");
      assert.equal(await answer.inputValue(), "");
      await screenshot(agent.page, `faq-add-${name}`);
      assert.deepEqual(errors, []);
    }
  } finally {
    await browser.close();
  }
});
