// When no person can answer, the visitor is told so at once and offered one form: out of hours
// (in the owner's words, with when the team is back in the visitor's own time), or with nobody
// on the team available. When someone is, the wait says how long it usually takes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, Console, Widget, audit, launch, screenshot } from "./harness.mjs";

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const PHONE = { viewport: { width: 390, height: 800 }, timezoneId: "UTC", locale: "en-US" };

/** Runs `body` with the site's settings changed by `change`, restoring them afterwards. */
async function withSettings(owner, change, body) {
  const before = await owner.settings();
  try {
    await owner.saveSettings(change(structuredClone(before)));
    await body();
  } finally {
    await owner.saveSettings(before);
  }
}

test("out of hours the visitor leaves name, email and message for the team, told when it is back", async () => {
  const browser = await launch();
  const owner = await Agent.login(browser);
  // Open one minute, tomorrow at 09:00 UTC: closed now, back "tomorrow at 9:00 AM" in UTC.
  const tomorrow = DAYS[(new Date().getUTCDay() + 1) % 7];
  try {
    await withSettings(owner, (s) => ({
      ...s,
      business_hours: { enabled: true, time_zone: "UTC", weekly: [{ day: tomorrow, start: "09:00", end: "09:01" }] },
      texts: { "*": { out_of_hours: "We're closed right now: leave us a note." } },
    }), async () => {
      const w = await Widget.open(await browser.newContext({ timezoneId: "UTC", locale: "en-US" }));
      await w.say("Do you have a size guide?");
      await w.text("Size guide", false).first().waitFor();
      await w.panel.getByRole("button", { name: "Talk to a human" }).click();
      await w.text("We're closed right now: leave us a note. We're back tomorrow at 9:00 AM.").waitFor();
      const form = w.panel.locator("form.contact");
      assert.equal(await form.getByLabel("Message").inputValue(), "Do you have a size guide?",
        "the question the visitor asked is carried into the form");
      // One form: the chat's own box and Send step aside while it is offered.
      assert.equal(await w.input.count(), 0, "no second message box under the form");
      assert.equal(await w.panel.getByRole("button", { name: "Send" }).count(), 1, "one Send button");
      await form.getByLabel("Your name").fill("Mara Visitor");
      await form.getByLabel("Email").fill("mara@example.com");
      await form.getByLabel("Message").fill("Please send me the size guide for kids.");
      await audit(w.page, "the contact form", "[data-takeover-widget]");
      await screenshot(w.page, "out-of-hours-form");
      await form.getByRole("button", { name: "Send" }).click();
      await w.panel.getByRole("status").filter({ hasText: "Your message is with the team" }).waitFor();
      await form.waitFor({ state: "detached" });
      assert.equal(await w.bubbles("Please send me the size guide for kids."), 1);
      assert.equal(await w.page.locator(".spinner").count(), 0, "nobody is expected to join now");
      await w.input.waitFor();
      await screenshot(w.page, "out-of-hours-left");
    });
  } finally {
    await browser.close();
  }
});

test("with nobody available the visitor is told at once, and may go back to the assistant", async () => {
  const browser = await launch();
  // The owner signs in over the API only: no console is open, so nobody is available.
  const owner = await Agent.login(browser);
  try {
    await withSettings(owner, (s) => ({
      ...s,
      business_hours: null,
      takeover: { ...s.takeover, when_nobody_available: "leave_message" },
    }), async () => {
      const w = await Widget.open(await browser.newContext(PHONE));
      await w.say("Where is my order?");
      await w.panel.getByRole("button", { name: "Talk to a human" }).click();
      await w.text("Nobody from the team is available right now", false).waitFor();
      assert.equal(await w.page.locator(".spinner").count(), 0, "no endless spinner");
      const form = w.panel.locator("form.contact");
      await form.waitFor();
      await screenshot(w.page, "nobody-available-phone");
      await form.getByRole("button", { name: "Back to the chat" }).click();
      await form.waitFor({ state: "detached" });
      await w.say("How long does shipping take?");
      await w.text("3 to 5 business days", false).waitFor();
      await screenshot(w.page, "nobody-available-back-to-chat");
    });
  } finally {
    await browser.close();
  }
});

test("a waiting visitor is told how long it usually takes", async () => {
  const browser = await launch();
  const owner = await Agent.login(browser);
  try {
    await withSettings(owner, (s) => ({
      ...s,
      business_hours: null,
      takeover: { ...s.takeover, when_nobody_available: "wait", usual_wait_secs: 180 },
    }), async () => {
      // Someone is there: a wait nobody can end is never given a length.
      await Console.login(browser);
      for (const [context, name] of [[{ viewport: { width: 1300, height: 900 } }, "desktop"], [PHONE, "phone"]]) {
        const w = await Widget.open(await browser.newContext(context));
        await w.say("Do you have gift cards?");
        await w.panel.getByRole("button", { name: "Talk to a human" }).click();
        const waiting = w.panel.locator(".waiting");
        await waiting.getByText("Usually answered within 3 minutes.").waitFor();
        await audit(w.page, `waiting with an expected wait (${name})`, "[data-takeover-widget]");
        await screenshot(w.page, `waiting-expected-${name}`);
      }
    });
  } finally {
    await browser.close();
  }
});

test("while the visitor waits, the AI answers what it knows, then stops for the person", async () => {
  const browser = await launch();
  const owner = await Agent.login(browser);
  try {
    await withSettings(owner, (s) => ({
      ...s,
      business_hours: null,
      takeover: { ...s.takeover, when_nobody_available: "wait", ai_answers_while_waiting: true },
    }), async () => {
      for (const [context, name] of [[{ viewport: { width: 1300, height: 900 } }, "desktop"], [PHONE, "phone"]]) {
        const w = await Widget.open(await browser.newContext(context));
        await w.say("Do you have gift cards?");
        await w.panel.getByRole("button", { name: "Talk to a human" }).click();
        await w.text("Waiting for support agent to join").waitFor();
        await w.say("How long does shipping take?");
        await w.text("3 to 5 business days", false).waitFor();
        assert.equal(await w.text("Waiting for support agent to join").count(), 1, "still waiting for the person");
        await audit(w.page, `an answer while waiting (${name})`, "[data-takeover-widget]");
        await screenshot(w.page, `waiting-ai-answers-${name}`);
        if (name === "desktop") {
          // Claimed: the person answers from now on.
          const id = await w.conversationId();
          const desk = await Agent.login(browser);
          await desk.open(id);
          await desk.claim();
          await w.text(/joined the conversation/).waitFor();
          await w.say("Do you ship internationally?");
          await desk.say("Let me look that up for you.");
          await w.text("Let me look that up for you.").waitFor();
          assert.equal(await w.text("we ship to 40 countries", false).count(), 0, "the AI keeps out of it");
        }
      }
    });
  } finally {
    await browser.close();
  }
});
