// Settings → Webhooks as an owner uses it: add an endpoint (its secret shown once), send a
// test event that a local server receives, see the delivery listed, turn the endpoint off
// and remove it. Desktop and phone, axe-checked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { Console, audit, env, launch, screenshot, troubles } from "./harness.mjs";

const DESKTOP = { viewport: { width: 1300, height: 900 } };
const PHONE = { viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true };

/** A local endpoint that records what it receives. */
async function endpoint() {
  const received = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: JSON.parse(body || "{}") });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}/events`, received, close: () => server.close() };
}

test("an owner adds an endpoint, sends a test event and sees it delivered", async () => {
  const browser = await launch();
  const hook = await endpoint();
  try {
    const owner = await Console.login(browser, env.email, env.password, 0, DESKTOP);
    const page = owner.page;
    const errors = troubles(page);
    await owner.button("Settings").click();
    const part = page.getByRole("region", { name: "Webhooks" });
    const form = part.getByRole("form", { name: "Add an endpoint" });
    await form.getByLabel("Endpoint URL (https)").fill(hook.url);
    assert.equal(await form.getByLabel("message.created").isChecked(), false, "every message is opt-in");
    await form.getByRole("button", { name: "Add endpoint" }).click();
    await part.getByText(/Copy its signing secret now/).waitFor();
    const secret = await part.locator("code.secret").textContent();
    assert.match(secret, /^whsec_[A-Za-z0-9+/=]{40,}$/);

    const card = part.getByRole("article", { name: `Endpoint ${hook.url}` });
    await card.getByRole("button", { name: "Send test event" }).click();
    await card.getByRole("status").getByText("Test event sent.").waitFor();
    await card.getByRole("cell", { name: "delivered (204)" }).waitFor({ timeout: 15000 });
    assert.equal(hook.received.length, 1);
    const got = hook.received[0];
    assert.equal(got.body.type, "webhook.test");
    assert.equal(got.headers["webhook-id"], got.body.id);
    assert.match(got.headers["webhook-signature"], /^v1,/);
    await card.scrollIntoViewIfNeeded();
    await audit(page, "Settings → Webhooks", "#webhooks");
    await screenshot(page, "webhooks-desktop");
    await page.setViewportSize(PHONE.viewport);
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, "webhooks-phone");
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `the page fits a phone's width (${wide} px)`);
    await page.setViewportSize(DESKTOP.viewport);

    // Off, then gone.
    await card.getByRole("button", { name: "Turn off" }).click();
    await card.getByRole("button", { name: "Turn on" }).waitFor();
    await card.getByRole("button", { name: "Remove" }).click();
    await card.waitFor({ state: "detached" });
    // Each button looks for new deliveries a moment later, by when the list has drawn the
    // endpoint anew or dropped it.
    await page.waitForTimeout(2_500);
    assert.deepEqual(errors, [], "the endpoint's late look for deliveries ran without a fault");
  } finally {
    hook.close();
    await browser.close();
  }
});
