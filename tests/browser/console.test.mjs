// The agents' console and a visitor's widget, side by side, through two takeover cycles.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Console, Widget, env, launch, screenshot, unique } from "./harness.mjs";

test("escalate, claim, talk, note, hand back, and a second cycle makes a second ticket", async () => {
  const browser = await launch();
  try {
    const agent = await Console.login(browser);
    const w = await Widget.open(await browser.newContext());
    const tag = unique("order");
    await w.say(`My ${tag} never arrived, I want to talk to a human`);
    await w.text("Waiting for support agent to join").waitFor();

    // It appears in Pending without a reload, with its waiting time.
    await agent.tab("Pending").click();
    await agent.row(tag).waitFor();
    assert.match(await agent.row(tag).textContent(), /waiting \d+ s/);
    await agent.row(tag).click();
    await agent.button("Claim").click();
    await w.text("Demo Owner joined the conversation").waitFor();
    await agent.write("Reply", "Hi, I'm looking into it now.");
    await w.text("You're now chatting with a human").waitFor();
    await w.page.locator("li.bubble.agent", { hasText: "looking into it" }).waitFor();
    await screenshot(agent.page, "console-active");

    // Both ways, live.
    await w.say("Thank you! It was order 5512.");
    await agent.page.locator("li.bubble.visitor", { hasText: "order 5512" }).waitFor();

    // A note stays with the team.
    await agent.write("Internal note", "Customer is a VIP, refund without questions");
    await agent.page.locator("li.bubble.note", { hasText: "VIP" }).waitFor();
    await agent.write("Reply", "Refund issued.");
    await w.page.locator("li.bubble.agent", { hasText: "Refund issued" }).waitFor();
    assert.equal(await w.text("VIP", false).count(), 0, "the note never reaches the visitor");

    // Closing words go to the visitor, stored before the AI resumes: the person's last words.
    await agent.handBack("Glad I could help, the assistant takes it from here.");
    await w.text("AI resumed").waitFor();
    const last = await w.page.locator("li.bubble").evaluateAll((all) => all.map((b) => b.textContent));
    assert.match(last.at(-1), /Glad I could help/, "the closing words are the last bubble before the AI");
    await agent.page.locator(".separator", { hasText: "AI resumed" }).waitFor();
    await w.say("Do you offer gift cards?");
    await w.text("digital gift cards", false).waitFor();
    await agent.page.locator("li.bubble.bot", { hasText: "digital gift cards" }).waitFor();

    // Second cycle: the agent takes over from the AI on their own.
    await agent.button("Take over").click();
    await w.page.locator("li.event", { hasText: "Demo Owner joined the conversation" }).nth(1).waitFor();
    await agent.write("Reply", "One more thing from me.");
    await w.text("You're now chatting with a human").waitFor();
    await agent.handBack();
    await w.page.locator("li.event", { hasText: "AI resumed" }).nth(1).waitFor();
    assert.equal(await agent.page.locator(".separator", { hasText: "Live chat" }).count(), 2);
    await screenshot(agent.page, "console-two-cycles");

    // Two tickets, in the tickets list and in the exports.
    await agent.button("Tickets").click();
    await agent.page.locator("tr", { hasText: tag }).first().waitFor();
    // The second ticket's row names the tag once its summary (made at hand-back) arrives.
    await agent.page.locator("tr", { hasText: tag }).nth(1).waitFor();
    assert.equal(await agent.page.locator("tr", { hasText: tag }).count(), 2);
    const id = await w.conversationId();
    const text = await agent.page.evaluate(async (id) =>
      (await fetch(`/api/admin/conversations/${id}/transcript?format=text`)).text(), id);
    assert.equal(text.match(/Live chat · ticket/g).length, 2);
    assert.equal(text.match(/AI resumed · by Demo Owner/g).length, 2);
    assert.match(text, /Internal note by Demo Owner: Customer is a VIP/);
    const csv = await agent.page.evaluate(async () => (await fetch("/api/admin/tickets.csv")).text());
    assert.equal(csv.split("\n").filter((l) => l.includes(tag)).length, 2);
    await screenshot(agent.page, "console-tickets");
  } finally {
    await browser.close();
  }
});

test("two agents claim at once: one wins, the other is told who", async () => {
  const browser = await launch();
  try {
    const setup = await Console.login(browser);
    const email = `${unique("rita")}@example.com`;
    const password = await setup.addTeammate(email, "Rita Responder", "responder");
    const owner = await Console.login(browser, undefined, undefined, 1500);
    const rita = await Console.login(browser, email, password, 1500);
    const w = await Widget.open(await browser.newContext());
    const tag = unique("race");
    await w.say(`${tag}: I need a person please`);
    await w.text("Waiting for support agent to join").waitFor();
    await owner.open("Pending", tag);
    await rita.open("Pending", tag);
    await owner.button("Claim").waitFor();
    await rita.button("Claim").waitFor();
    await Promise.all([owner.button("Claim").click(), rita.button("Claim").click()]);
    const lost = await Promise.race([
      owner.page.getByText(/Already claimed by/).waitFor().then(() => owner),
      rita.page.getByText(/Already claimed by/).waitFor().then(() => rita),
    ]);
    const won = lost === owner ? rita : owner;
    const winner = won === owner ? "Demo Owner" : "Rita Responder";
    await lost.page.getByText(`Already claimed by ${winner}`).waitFor();
    assert.equal(await won.page.getByText(/Already claimed by/).count(), 0);
    // The loser's view turns read-only.
    assert.equal(await lost.page.getByRole("textbox", { name: /Reply|note/ }).count(), 0);
    assert.equal(await lost.button("Claim").count(), 0);
    await screenshot(lost.page, "console-already-claimed");
  } finally {
    await browser.close();
  }
});

test("a viewer reads everything and can do nothing, in the UI and the API", async () => {
  const browser = await launch();
  try {
    const owner = await Console.login(browser);
    const email = `${unique("vera")}@example.com`;
    const password = await owner.addTeammate(email, "Vera Viewer", "viewer");
    const viewer = await Console.login(browser, email, password);
    const w = await Widget.open(await browser.newContext());
    const tag = unique("viewer");
    await w.say(`${tag}: a human, please`);
    await w.text("Waiting for support agent to join").waitFor();
    await viewer.open("Pending", tag);
    await viewer.page.locator("li.bubble.visitor", { hasText: tag }).waitFor();
    assert.equal(await viewer.button("Claim").count(), 0);
    assert.equal(await viewer.page.getByRole("textbox", { name: /Reply|note/ }).count(), 0);
    assert.equal(await viewer.button("Team").count(), 0);
    // The API refuses too.
    const id = await w.conversationId();
    const refusal = await viewer.page.evaluate((id) => new Promise((resolve) => {
      const ws = new WebSocket(`${location.origin.replace(/^http/, "ws")}/api/admin/conversations/${id}/ws`);
      ws.onopen = () => ws.send(JSON.stringify({ type: "hello", version: 1, credential: { kind: "agent" }, last_seq: 0 }));
      ws.onmessage = (e) => {
        const f = JSON.parse(e.data);
        if (f.type === "welcome") ws.send(JSON.stringify({ type: "claim" }));
        if (f.type === "error") resolve(f.code);
      };
    }), id);
    assert.equal(refusal, "forbidden");
    const team = await viewer.page.evaluate(async () => {
      const me = await (await fetch("/api/admin/me")).json();
      return (await fetch("/api/admin/team", { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf }, body: "{}" })).status;
    });
    assert.equal(team, 403);
  } finally {
    await browser.close();
  }
});

test("a teammate without a display name is asked for one, types, and reassigns", async () => {
  const browser = await launch();
  try {
    const owner = await Console.login(browser);
    const email = `${unique("nora")}@example.com`;
    const password = await owner.addTeammate(email, "", "responder");
    const nora = await Console.login(browser, email, password);
    const w = await Widget.open(await browser.newContext());
    const tag = unique("name");
    await w.say(`${tag}: can a person help me?`);
    await w.text("Waiting for support agent to join").waitFor();

    await nora.open("Pending", tag);
    await nora.button("Claim").click();
    const modal = nora.page.getByRole("dialog", { name: "Choose your display name" });
    await modal.waitFor();
    await screenshot(nora.page, "console-name-modal");
    await modal.getByLabel("Display name").fill("Nora");
    await modal.getByRole("button", { name: "Save and take over" }).click();
    await w.text("Nora joined the conversation").waitFor();

    // Typing shows to the visitor and clears when Nora pauses.
    await nora.page.getByRole("textbox", { name: "Reply to the visitor" }).fill("Let me see");
    await w.text("Nora is typing…").waitFor();
    await w.text("Nora is typing…").waitFor({ state: "detached", timeout: 10_000 });

    await nora.page.getByRole("combobox", { name: "Reassign to" }).selectOption({ label: "Demo Owner" });
    await w.text("Demo Owner joined the conversation").waitFor();
    await nora.page.getByText("Reassigned from Nora to Demo Owner").waitFor();
  } finally {
    await browser.close();
  }
});

test("a conversation that does not exist says so, offers nothing to do, and is not asked for again", async () => {
  const browser = await launch();
  try {
    const agent = await Console.login(browser);
    const sockets = [];
    agent.page.on("websocket", (ws) => { if (ws.url().includes("/conversations/")) sockets.push(ws.url()); });
    await agent.conversation("7".repeat(32));
    await agent.page.getByRole("alert").filter({ hasText: "This conversation does not exist." }).waitFor();
    await agent.page.getByRole("heading", { name: "No such conversation" }).waitFor();
    await screenshot(agent.page, "console-gone");
    // Long enough for several reconnects, had the close not been final (the first comes
    // within a second).
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(sockets.length, 1, `asked ${sockets.length} times`);
    assert.equal(await agent.page.getByRole("textbox", { name: "Reply to the visitor" }).count(), 0);
    assert.equal(await agent.page.getByRole("link", { name: "JSON" }).count(), 0);
    // The inbox still works: back to it, and the pending tab is there.
    await agent.tab("Pending").waitFor();

    // On a phone, the same words where the conversation would be, and the way back.
    const phone = await Console.login(browser, env.email, env.password, 0, { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true });
    await phone.conversation("8".repeat(32));
    await phone.page.getByRole("alert").filter({ hasText: "This conversation does not exist." }).waitFor();
    await phone.page.getByRole("button", { name: "← Inbox" }).waitFor();
    await screenshot(phone.page, "console-gone-phone");
  } finally {
    await browser.close();
  }
});
