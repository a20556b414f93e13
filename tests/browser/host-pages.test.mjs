// The widget on host pages that do what real sites do: patch built-ins, include the script
// twice, navigate as a single-page app, and lose the edge. Nothing it does may throw into the
// host page, and the visitor is never left with a launcher that silently does nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, Widget, env, hostSite, launch, screenshot, troubles } from "./harness.mjs";

const embed = `<script async src="${env.base}/widget/embed.js" data-site-key="${env.site}"></script>`;
const UNAVAILABLE = "Chat is unavailable right now.";

// The page's own script, not an init script: Playwright runs that in every frame, even the
// empty one the widget makes for itself, where a page's scripts do not run.
function patchBuiltins() {
  // What old libraries did (Prototype.js, MooTools) and analytics still do.
  Array.prototype.extra = function () { return "extra"; };
  Array.prototype.toJSON = function () { return "[" + this.join(", ") + "]"; };
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  window.jsonCalls = 0;
  JSON.stringify = function (v, r, s) { window.jsonCalls++; return stringify(v, r, s); };
  // A page that wants its dates back as dates, whatever it parses.
  const when = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
  JSON.parse = function (t, r) {
    window.jsonCalls++;
    return parse(t, function (k, v) {
      const kept = r ? r.call(this, k, v) : v;
      return typeof kept === "string" && when.test(kept) ? new Date(kept) : kept;
    });
  };
  const fetch = window.fetch;
  window.fetched = [];
  window.fetch = function (input, init) {
    window.fetched.push(String(input && input.url ? input.url : input));
    return fetch(input, init);
  };
}

test("a host that patches Array.prototype, JSON (reviving dates) and fetch: the whole takeover still works", async () => {
  const { server, origin } = await hostSite({
    "/": `<!doctype html><html lang="en"><title>Old shop</title><script>(${patchBuiltins})()</script><h1>Old shop</h1>${embed}`,
  });
  const browser = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    const seen = troubles(page);
    await page.goto(`${origin}/`);
    const w = new Widget(page);
    await w.launcher.click();
    await w.input.waitFor({ timeout: 20_000 });
    await w.say("Is there a warranty on your products?");
    await w.text("two-year warranty", false).waitFor();
    await w.say("I want to talk to a human");
    await w.text("Waiting for support agent to join").waitFor();
    const agent = await Agent.login(browser);
    await agent.open(await w.conversationId());
    await agent.claim();
    await agent.say("Hello from a patched page");
    await w.text("Hello from a patched page").waitFor();
    // Texts the page's JSON.parse would turn into dates arrive, and stay, as they were said.
    await w.say("2025-01-01T10:00:00Z");
    await agent.say("2025-02-03T04:05:06.789Z");
    await w.text("2025-02-03T04:05:06.789Z").waitFor();
    await agent.until((f) => f.type === "item" && f.body.data?.text === "2025-01-01T10:00:00Z");
    await page.reload();
    await w.launcher.click();
    for (const said of ["2025-01-01T10:00:00Z", "2025-02-03T04:05:06.789Z", "Hello from a patched page"]) {
      await w.text(said).waitFor();
    }
    // Playwright's locators pierce shadow roots; the page's own queries do not.
    assert.equal(await page.evaluate(() => document.querySelectorAll("iframe").length), 0, "no frame of ours in the page's DOM");
    const fetched = await page.evaluate(() => window.fetched);
    assert.ok(fetched.some((u) => u.startsWith(env.base)), `the host's fetch was used: ${fetched}`);
    assert.deepEqual(seen, []);
  } finally {
    await browser.close();
    server.close();
  }
});

test("the script twice, then single-page navigations that replace the body: one chat, kept", async () => {
  const { server, origin } = await hostSite({
    "/": `<!doctype html><html lang="en"><title>App</title><h1>Home</h1>${embed}${embed}`,
  });
  const browser = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    const seen = troubles(page);
    await page.goto(`${origin}/`);
    const w = new Widget(page);
    await w.launcher.click();
    await w.input.waitFor({ timeout: 20_000 });
    assert.equal(await page.locator("[data-takeover-widget]").count(), 1);
    await w.say("Is there a warranty on your products?");
    await w.text("two-year warranty", false).waitFor();
    const id = await w.conversationId();

    // A router that re-renders what is in the body, then one that swaps the body itself.
    await page.evaluate(() => {
      history.pushState({}, "", "/products");
      document.body.innerHTML = "<h1>Products</h1>";
    });
    await page.getByRole("heading", { name: "Products" }).waitFor();
    await w.text("two-year warranty", false).waitFor();
    await page.evaluate(() => {
      history.pushState({}, "", "/checkout");
      const body = document.createElement("body");
      body.innerHTML = "<h1>Checkout</h1>";
      document.documentElement.replaceChild(body, document.body);
    });
    await page.getByRole("heading", { name: "Checkout" }).waitFor();
    await w.say("Do you have a physical store?");
    await w.text("Harbour Street", false).waitFor();
    assert.equal(await w.conversationId(), id, "the same conversation");
    assert.equal(await page.locator("[data-takeover-widget]").count(), 1);
    assert.equal(await w.bubbles("Is there a warranty on your products?"), 1);
    await screenshot(page, "host-spa-navigated");
    assert.deepEqual(seen, []);
  } finally {
    await browser.close();
    server.close();
  }
});

/** A page whose requests for the chat's code (not the loader) are held or refused. */
async function withEdge(browser, handler) {
  const page = await (await browser.newContext()).newPage();
  const seen = troubles(page);
  await page.route(/\/widget\/widget[^/]*$/, handler);
  return { page, seen, w: new Widget(page) };
}

test("the edge down: the launcher says so, the API stays callable, and it recovers", async () => {
  const browser = await launch();
  try {
    const { page, seen, w } = await withEdge(browser, (route) => route.abort("connectionrefused"));
    await page.goto(`${env.base}/`);
    await w.launcher.click();
    await w.text(UNAVAILABLE).waitFor();
    assert.equal(await w.launcher.getAttribute("aria-expanded"), "false");
    // The host page's calls neither throw nor reject.
    const api = await page.evaluate(async () => {
      const off = window.Takeover.on("open", () => {});
      off();
      window.Takeover.identify({ name: "Kim" });
      const opened = await window.Takeover.open();
      const toggled = await window.Takeover.toggle();
      return [opened === undefined, toggled === undefined, typeof off];
    });
    assert.deepEqual(api, [true, true, "function"]);
    await screenshot(page, "host-edge-down");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "host-edge-down-phone");
    await page.setViewportSize({ width: 1280, height: 720 });

    // Back up: the next open loads the chat and the notice goes.
    await page.unroute(/\/widget\/widget[^/]*$/);
    await w.launcher.click();
    await w.input.waitFor({ timeout: 20_000 });
    await w.text(UNAVAILABLE).waitFor({ state: "hidden" });
    assert.deepEqual(seen, []);
  } finally {
    await browser.close();
  }
});

test("the edge slow: a notice after a few seconds, then the chat opens when it arrives", async () => {
  const browser = await launch();
  try {
    let release;
    const released = new Promise((r) => { release = r; });
    const { page, seen, w } = await withEdge(browser, async (route) => {
      await released;
      await route.continue();
    });
    await page.goto(`${env.base}/`);
    await w.launcher.click();
    await w.text(UNAVAILABLE).waitFor({ timeout: 15_000 });
    release();
    await w.input.waitFor({ timeout: 20_000 });
    await w.text(UNAVAILABLE).waitFor({ state: "hidden" });
    assert.equal(await w.launcher.getAttribute("aria-expanded"), "true");
    assert.deepEqual(seen, []);
  } finally {
    await browser.close();
  }
});

test("the chat loaded but its API down: it says it could not start, and the next open retries", async () => {
  const browser = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    const seen = [];
    page.on("pageerror", (e) => seen.push(e.message));
    const api = /\/api\/sites\/[^/]+\/(config|conversations)$/;
    await page.route(api, (route) => route.abort("connectionrefused"));
    await page.goto(`${env.base}/`);
    const w = new Widget(page);
    await w.launcher.click();
    await w.text("The chat could not start. Please try again later.").waitFor({ timeout: 20_000 });
    await page.unroute(api);
    await page.getByRole("button", { name: "Close chat" }).click();
    await w.launcher.click();
    await w.say("Is there a warranty on your products?");
    await w.text("two-year warranty", false).waitFor();
    await w.text("The chat could not start.", false).waitFor({ state: "hidden" });
    assert.deepEqual(seen, []);
  } finally {
    await browser.close();
  }
});

test("calls before and during the load: close loads nothing, overlapping calls settle once, odd identities draw one chat", async () => {
  const lazy = `<script async src="${env.base}/widget/embed.js" data-site-key="${env.site}" data-load="open"></script>`;
  const { server, origin } = await hostSite({
    "/": `<!doctype html><html lang="en"><title>Shop</title><h1>Shop</h1>${lazy}`,
  });
  const browser = await launch();
  try {
    const page = await (await browser.newContext()).newPage();
    const seen = troubles(page);
    const code = [];
    page.on("request", (r) => { if (/\/widget\/widget/.test(r.url())) code.push(r.url()); });
    await page.goto(`${origin}/`);
    const w = new Widget(page);
    await w.launcher.waitFor();
    await page.evaluate(() => window.Takeover.close());
    await page.waitForTimeout(1000);
    assert.deepEqual(code, [], "closing a chat never opened downloads nothing");

    const events = await page.evaluate(async () => {
      const got = [];
      for (const e of ["ready", "open", "close"]) window.Takeover.on(e, () => got.push(e));
      // An array where a string belongs: the chat must still be drawn once.
      window.Takeover.identify({ name: ["Dana"], email: ["dana@example.com"] });
      await Promise.all([window.Takeover.open(), window.Takeover.close(), window.Takeover.open()]);
      return got;
    });
    assert.deepEqual(events, ["ready", "open"]);
    await w.input.waitFor();
    await page.evaluate(() => window.Takeover.toggle());
    await w.panel.waitFor({ state: "hidden" });
    await page.evaluate(() => window.Takeover.toggle());
    await w.input.waitFor();
    assert.equal(await w.panel.count(), 1, "one chat drawn");
    await w.say("Is there a warranty on your products?");
    await w.text("two-year warranty", false).waitFor();
    assert.deepEqual(seen, []);
  } finally {
    await browser.close();
    server.close();
  }
});

test("a loader from before a deploy: its hashed glue is gone, and it loads the current chat", async () => {
  const browser = await launch();
  try {
    const { page, seen, w } = await withEdge(browser, (route) =>
      /\/widget\/widget\.[0-9a-f]{12}\.js$/.test(route.request().url())
        ? route.fulfill({ status: 404, body: "gone" })
        : route.continue());
    const fallbacks = [];
    page.on("request", (r) => { if (/\/widget\/widget\.js\?r=/.test(r.url())) fallbacks.push(r.url()); });
    await page.goto(`${env.base}/`);
    await w.launcher.click();
    await w.input.waitFor({ timeout: 20_000 });
    assert.equal(fallbacks.length, 1, `loaded through the stable name: ${fallbacks}`);
    await w.say("Do you have a physical store?");
    await w.text("Harbour Street", false).waitFor();
    assert.deepEqual(seen, []);
  } finally {
    await browser.close();
  }
});

test("storage the page filled with junk (JSON nested 100,000 deep, fields of the wrong type): a fresh chat starts", async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext();
    // Before the widget's first load only: what the widget then saves must be kept.
    await context.addInitScript((site) => {
      if (sessionStorage.getItem("junk")) return;
      sessionStorage.setItem("junk", "1");
      localStorage.setItem(`takeover:${site}`, "[".repeat(100_000) + "]".repeat(100_000));
      localStorage.setItem(`takeover:${site}:seen`, '{"id": {"a": [1, 2]}, "seq": -1.5}');
    }, env.site);
    const page = await context.newPage();
    const seen = troubles(page);
    await page.goto(`${env.base}/`);
    const w = new Widget(page);
    await w.launcher.click();
    await w.input.waitFor({ timeout: 20_000 });
    await w.say("Is there a warranty on your products?");
    await w.text("two-year warranty", false).waitFor();
    const saved = await page.evaluate((k) => localStorage.getItem(k), `takeover:${env.site}`);
    assert.ok(JSON.parse(saved).conversation_id, `the new conversation is saved: ${saved.slice(0, 80)}`);
    assert.deepEqual(seen, []);
    await page.reload();
    await w.launcher.click();
    await w.text("two-year warranty", false).waitFor();
    assert.deepEqual(seen, []);
  } finally {
    await browser.close();
  }
});

/**
 * A context whose first page finds a saved conversation `gone` (since the deployment's storage
 * was reset, or never made: the page's storage is the page's to fill), with `unsent` waiting.
 */
async function savedButGone(browser, gone, unsent = []) {
  const context = await browser.newContext();
  await context.addInitScript(([site, gone, unsent]) => {
    if (sessionStorage.getItem("gone")) return;
    sessionStorage.setItem("gone", "1");
    localStorage.setItem(`takeover:${site}`, JSON.stringify({ conversation_id: gone, token: "0".repeat(64) }));
    if (unsent.length) localStorage.setItem(`takeover:outbox:${gone}`, JSON.stringify(unsent));
  }, [env.site, gone, unsent]);
  return context;
}

test("a saved conversation that no longer exists: a fresh one starts, and what was waiting to be sent is sent there, even across a reload while it is made", async () => {
  const browser = await launch();
  try {
    const gone = "7".repeat(32);
    const unsent = [{ client_id: "typed-before-the-reload", text: "Is there a warranty on your products?" }];
    const context = await savedButGone(browser, gone, unsent);
    const page = await context.newPage();
    const seen = troubles(page);
    // The first new conversation is still being made when the page reloads.
    let making;
    let first = true;
    const asked = new Promise((resolve) => { making = resolve; });
    await page.route("**/api/sites/*/conversations", (route) => {
      if (route.request().method() !== "POST" || !first) return route.fallback();
      first = false;
      making(route); // never answered: the page reloads first
    });
    await page.goto(`${env.base}/`);
    const held = await asked;
    await page.reload();
    await held.abort().catch(() => {});
    const w = new Widget(page);
    await w.launcher.click();
    await w.input.waitFor({ timeout: 20_000 });
    await w.text("two-year warranty", false).waitFor({ timeout: 20_000 });
    assert.equal(await w.text("Is there a warranty on your products?").count(), 1, "sent once");
    const saved = await page.evaluate((k) => localStorage.getItem(k), `takeover:${env.site}`);
    assert.notEqual(JSON.parse(saved).conversation_id, gone, "the new conversation is the one kept");
    assert.equal(await page.evaluate((k) => localStorage.getItem(k), `takeover:outbox:${gone}`), null);
    await w.say("And for how long?");
    await page.reload();
    await w.launcher.click();
    await w.text("And for how long?").waitFor();
    assert.deepEqual(seen, []);
  } finally {
    await browser.close();
  }
});

test("a saved conversation that no longer exists, the chat closed and nothing to send: the page view creates nothing", async () => {
  const browser = await launch();
  try {
    const gone = "6".repeat(32);
    const context = await savedButGone(browser, gone);
    const page = await context.newPage();
    const seen = troubles(page);
    const created = [];
    page.on("request", (r) => { if (r.method() === "POST" && r.url().endsWith("/conversations")) created.push(r.url()); });
    await page.goto(`${env.base}/`);
    const key = `takeover:${env.site}`;
    // The widget heard that the conversation is gone, and forgot it.
    await page.waitForFunction((k) => localStorage.getItem(k) === null, key, { timeout: 20_000 });
    await page.waitForTimeout(1_500);
    assert.deepEqual(created, [], "no conversation made for a visitor who did not open the chat");
    assert.equal(await page.evaluate((k) => localStorage.getItem(k), key), null);
    const w = new Widget(page);
    await w.launcher.click();
    await w.input.waitFor({ timeout: 20_000 });
    await w.say("Is there a warranty on your products?");
    await w.text("two-year warranty", false).waitFor();
    assert.notEqual(JSON.parse(await page.evaluate((k) => localStorage.getItem(k), key)).conversation_id, gone);
    assert.equal(created.length, 1, "one conversation, made when the visitor opened the chat");
    assert.deepEqual(seen, []);
  } finally {
    await browser.close();
  }
});

test("two tabs find their saved conversation gone at the same moment, words waiting in both: one new conversation, which both tabs join", async () => {
  const browser = await launch();
  try {
    const gone = "5".repeat(32);
    const unsent = [{ client_id: "typed-before-two-tabs", text: "Is there a warranty on your products?" }];
    const context = await browser.newContext();
    // The storage both tabs share, written once, before either loads.
    const setup = await context.newPage();
    await setup.route(`${env.base}/blank`, (r) =>
      r.fulfill({ contentType: "text/html", body: "<!doctype html><title>blank</title>" }));
    await setup.goto(`${env.base}/blank`);
    await setup.evaluate(([site, gone, unsent]) => {
      localStorage.setItem(`takeover:${site}`, JSON.stringify({ conversation_id: gone, token: "0".repeat(64) }));
      localStorage.setItem(`takeover:outbox:${gone}`, JSON.stringify(unsent));
    }, [env.site, gone, unsent]);
    await setup.close();
    // The first tab's request to make a conversation is held until the other tab asks too, or
    // 3 s pass: unguarded, each tab makes its own in that window.
    const made = [];
    let askedToo;
    const second = new Promise((resolve) => { askedToo = resolve; });
    await context.route("**/api/sites/*/conversations", async (route) => {
      if (route.request().method() !== "POST") return route.fallback();
      made.push(route.request().url());
      if (made.length === 1) await Promise.race([second, new Promise((r) => setTimeout(r, 3_000))]);
      else askedToo();
      return route.fallback();
    });
    const tabs = [await context.newPage(), await context.newPage()];
    const seen = tabs.map(troubles);
    await Promise.all(tabs.map((tab) => tab.goto(`${env.base}/`)));
    const key = `takeover:${env.site}`;
    for (const tab of tabs) {
      const w = new Widget(tab);
      await w.launcher.click();
      await w.text("two-year warranty", false).waitFor({ timeout: 20_000 });
      assert.equal(await w.text("Is there a warranty on your products?").count(), 1, "sent once");
    }
    assert.equal(made.length, 1, "one conversation made for the two tabs");
    const saved = JSON.parse(await tabs[0].evaluate((k) => localStorage.getItem(k), key));
    assert.notEqual(saved.conversation_id, gone);
    // Both tabs are in it: what one says, the other shows.
    await new Widget(tabs[0]).say("And for how long?");
    await new Widget(tabs[1]).text("And for how long?").waitFor({ timeout: 10_000 });
    assert.deepEqual(seen, [[], []]);
  } finally {
    await browser.close();
  }
});
