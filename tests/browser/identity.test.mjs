// Signed visitor identity as owners and agents meet it: the owner creates the identity secret
// under Settings → Visitor identity (shown once); a page signs its user in with a token made
// by its backend (here with node's crypto, as a few lines of any backend would); the agent
// sees the visitor marked verified, with the user id; on another device the same user
// continues their conversation, and another user never sees it. Desktop and phone, axe-checked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { Console, audit, env, launch, screenshot, unique, Widget } from "./harness.mjs";

const DESKTOP = { viewport: { width: 1300, height: 900 } };
const PHONE = { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true };

const b64 = (s) => Buffer.from(s).toString("base64url");

/** An HS256 JWT, as a site's backend signs one. */
function jwt(secret, claims) {
  const head = b64(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64(JSON.stringify(claims));
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

test("an owner creates the identity secret and an agent sees the signed-in visitor as verified", async () => {
  const browser = await launch();
  try {
    const owner = await Console.login(browser, env.email, env.password, 0, DESKTOP);
    const page = owner.page;
    await owner.button("Settings").click();
    const part = page.getByRole("region", { name: "Visitor identity" });
    await part.getByRole("button", { name: /Create identity secret|Rotate secret/ }).click();
    const shown = part.getByLabel("Your new secret — copy it now, it is not shown again");
    await shown.waitFor();
    const secret = await shown.inputValue();
    assert.match(secret, /^whsec_/);
    await part.getByText(/Your backend signs visitor identity tokens/).waitFor();
    await part.scrollIntoViewIfNeeded();
    await audit(page, "Settings → Visitor identity", "#identity");
    await screenshot(page, "settings-identity-desktop");

    // The host page signs its user in.
    const visitorContext = await browser.newContext();
    const w = await Widget.open(visitorContext);
    const tag = unique("signed");
    const userId = `user-${tag}`;
    const token = jwt(secret, { sub: userId, email: "mia@shop.test", name: "Mia Signed", exp: Math.floor(Date.now() / 1000) + 600 });
    await w.page.evaluate(({ userId, token }) => window.Takeover.identify({ user_id: userId, email: "mia@shop.test", token }), { userId, token });
    await w.say(`${tag}: I want to talk to a human`);
    await w.text("Waiting for support agent to join").waitFor();

    await owner.button("Inbox").click();
    await page.getByRole("tab", { name: /Pending/ }).click();
    await page.getByText(`Mia Signed ✓ verified (online) — ${tag}`, { exact: false }).waitFor();
    await owner.open("Pending", tag);
    const header = page.getByRole("heading", { name: /Mia Signed/ });
    await header.getByText("✓ verified").waitFor();
    await page.getByText(userId).waitFor();
    assert.equal(await header.getByText("unverified").count(), 0);
    await audit(page, "a conversation with a verified visitor");
    await screenshot(page, "console-verified-desktop");
    await page.setViewportSize(PHONE.viewport);
    await screenshot(page, "console-verified-phone");

    // Later, in the same browser, another user signs in on the site: Mia's conversation does
    // not open for them; the widget starts a new one, and none of Mia's words show.
    const first = await w.conversationId();
    const later = await visitorContext.newPage();
    await later.goto(`${env.base}/`);
    const otherId = `other-${tag}`;
    const other = jwt(secret, { sub: otherId, exp: Math.floor(Date.now() / 1000) + 600 });
    await later.evaluate(({ otherId, other }) => window.Takeover.identify({ user_id: otherId, token: other }), { otherId, other });
    const w2 = new Widget(later);
    await w2.launcher.click();
    await w2.input.waitFor({ timeout: 20_000 });
    await later.waitForFunction((old) => {
      const saved = localStorage.getItem("takeover:" + "demo");
      return saved && !saved.includes(old);
    }, first);
    assert.equal(await w2.text(`${tag}: I want to talk to a human`).count(), 0, "none of Mia's words");

    // Mia on her phone: signed in there too, she continues her conversation, not a new one.
    const phone = await (await browser.newContext(PHONE)).newPage();
    await phone.goto(`${env.base}/`);
    const again = jwt(secret, { sub: userId, email: "mia@shop.test", name: "Mia Signed", exp: Math.floor(Date.now() / 1000) + 600 });
    await phone.evaluate(({ userId, again }) => window.Takeover.identify({ user_id: userId, email: "mia@shop.test", token: again }), { userId, again });
    const w3 = new Widget(phone);
    await w3.launcher.click();
    await w3.text(`${tag}: I want to talk to a human`).waitFor({ timeout: 20_000 });
    assert.equal(await w3.conversationId(), first, "the same conversation");
    await w3.text("Waiting for support agent to join").waitFor();
    await audit(phone, "a signed-in user's conversation continued on a phone", "[data-takeover-widget]");
    await screenshot(phone, "identity-continued-phone");
  } finally {
    await browser.close();
  }
});
