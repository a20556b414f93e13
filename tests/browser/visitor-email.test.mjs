// A visitor waiting for a person leaves an email "so we can reply if you leave"; they leave;
// the teammate's reply reaches them by mail, and the mail's link opens the chat on another
// device (a phone), where they carry on. The console says the reply will be emailed. A link
// that was altered opens nothing and says so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, Console, Widget, audit, env, launch, linkIn, mailTo, screenshot, unique } from "./harness.mjs";

const DESKTOP = { viewport: { width: 1300, height: 900 } };
const PHONE = { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true };

test("a waiting visitor leaves an email, gets the reply they missed by mail, and carries on from its link", async () => {
  const browser = await launch();
  try {
    const address = `${unique("mara")}@example.com`;
    const w = await Widget.open(await browser.newContext(DESKTOP));
    await w.say("Do you ship internationally?");
    await w.text("We ship to 40 countries").waitFor();
    await w.say("Where is my parcel 5521?");
    // The assistant cannot answer that and may hand over by itself; else the visitor asks.
    const human = w.page.getByRole("button", { name: "Talk to a human" });
    const waiting = w.text("Waiting for support agent to join");
    await human.or(waiting).first().waitFor();
    // The button shows from the first answer on, so the assistant may still hand over between
    // this look and the click: the wait below tells the two apart.
    if (await human.isVisible()) await human.click({ timeout: 3000 }).catch(() => {});
    await w.text("Waiting for support agent to join").waitFor();
    const ask = w.panel.locator("form.email-ask");
    const field = ask.getByLabel("Leave your email so we can reply if you leave.");
    await field.waitFor();
    await audit(w.page, "the waiting state asking for an email", "[data-takeover-widget]");
    await screenshot(w.page, "visitor-email-ask-desktop");
    await w.page.setViewportSize(PHONE.viewport);
    await screenshot(w.page, "visitor-email-ask-phone");
    await w.page.setViewportSize(DESKTOP.viewport);

    // The browser takes it as an address; the edge does not.
    await field.fill("mara@example");
    await ask.getByRole("button", { name: "Save" }).click();
    await w.panel.getByRole("alert").filter({ hasText: "That email address does not look right." }).waitFor();

    await field.fill(address);
    await ask.getByRole("button", { name: "Save" }).click();
    const saved = w.panel.getByText(`We'll email you at ${address} if you leave before we reply.`);
    await saved.waitFor();
    await w.panel.getByRole("button", { name: "Change" }).waitFor();
    assert.equal(await w.panel.getByText("That email address does not look right.").count(), 0,
      "the refusal of the address before goes");
    await audit(w.page, "the waiting state with the email kept", "[data-takeover-widget]");
    await screenshot(w.page, "visitor-email-saved-desktop");

    const id = await w.conversationId();
    const agent = await Agent.login(browser);
    await agent.open(id);
    await agent.claim();
    await w.text("You're now chatting with a human").waitFor();
    await w.page.context().close();

    // The console says how the reply will reach a visitor who left.
    const desk = await Console.login(browser, env.email, env.password, 0, DESKTOP);
    await desk.page.goto(`${env.base}/admin/c/${id}`);
    const reach = desk.page.locator("p.reach");
    await reach.filter({ hasText: `your reply will be emailed to ${address}` }).waitFor({ timeout: 15_000 });
    await screenshot(desk.page, "console-reply-emailed");

    await agent.say("Your parcel 5521 left our warehouse today.");
    const mail = await mailTo(address, /^New reply in your chat with /, 30_000);
    assert.match(mail.text, /Demo Owner:\s+Your parcel 5521 left our warehouse today\./);
    const link = linkIn(mail, "/chat/");
    assert.ok(link.startsWith(`${env.base}/chat/${env.site}#resume=`), link);

    // Another device: the link opens the same conversation, and the address keeps no token.
    const phone = await (await browser.newContext(PHONE)).newPage();
    await phone.goto(link);
    await phone.getByText("Your parcel 5521 left our warehouse today.").waitFor();
    await phone.getByText("Where is my parcel 5521?").waitFor();
    assert.equal(new URL(phone.url()).hash, "", "the link's token is taken out of the address");
    await audit(phone, "the chat opened from a mailed link", "[data-takeover-widget]");
    await screenshot(phone, "visitor-email-resumed-phone");
    const input = phone.getByRole("textbox", { name: "Type your message…" });
    await input.fill("Thanks, I'll watch for it.");
    await input.press("Enter");
    await agent.until((f) => f.type === "item" && f.body.data?.text === "Thanks, I'll watch for it.");

    // An altered link opens nothing and says so; the chat page still works.
    const forged = link.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
    const other = await (await browser.newContext(PHONE)).newPage();
    await other.goto(forged);
    await other.getByText("This link has expired. You can start a new chat here.").waitFor();
    assert.equal(await other.getByText("Your parcel 5521 left our warehouse today.").count(), 0);
    await screenshot(other, "visitor-email-link-spent-phone");
  } finally {
    await browser.close();
  }
});
