// The widget's part of `cargo xtask bench`: bytes on the wire and time to a usable chat, in
// headless Chromium against the real local worker. Prints a table and writes JSON.
import { writeFileSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createServer, get } from "node:http";
import { spawnSync } from "node:child_process";
import { launch } from "../browser/harness.mjs";
import { lighthouseFigures } from "./lighthouse.mjs";

const base = process.env.BASE_URL;
const site = process.env.SITE_KEY;
const runs = Number(process.env.RUNS || 7);
const out = process.env.BENCH_OUT || "target/bench";

/**
 * The bytes the worker sends for a widget file asked for in `coding` (none: as it is, asked
 * for explicitly — local wrangler compresses an answer to a request that names no coding).
 */
function served(name, coding) {
  return new Promise((resolve, reject) => {
    const headers = { "Accept-Encoding": coding || "identity" };
    get(`${base}/widget/${name}`, { headers }, (res) => {
      let bytes = 0;
      res.on("data", (chunk) => { bytes += chunk.length; });
      res.on("end", () => {
        const got = res.headers["content-encoding"] || null;
        if (res.statusCode !== 200 || got !== (coding || null)) {
          reject(new Error(`${name} in ${coding}: HTTP ${res.statusCode}, ${got}`));
        } else resolve(bytes);
      });
    }).on("error", reject);
  });
}

/**
 * Each coding's bytes as served; and the build's gzip copy, which Cloudflare sends as it is
 * while local wrangler's server sends its own re-encoding (brotli it passes through).
 */
async function sizes(name) {
  const gzip_built = statSync(join("dist/widget", `${name}.gz`)).size;
  return { raw: await served(name), gzip: await served(name, "gzip"), brotli: await served(name, "br"), gzip_built };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A host page per load strategy, on its own origin as a real site would be. */
async function host() {
  const page = (load) => `<!doctype html><html lang="en"><title>bench</title><h1>Bench</h1>
    <script async src="${base}/widget/embed.js" data-site-key="${site}" data-load="${load}"></script>`;
  const server = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(page(req.url.includes("idle") ? "idle" : "open"));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

async function timeOnce(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url, { waitUntil: "load" });
  await page.getByRole("button", { name: /Open chat/ }).waitFor();
  const launcher = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const mark = performance.getEntriesByName("takeover:launcher")[0];
    return Math.max(0, mark.startTime - nav.domContentLoadedEventStart);
  });
  // Let an idle prefetch (if any) happen, as it would while the visitor reads the page.
  await page.waitForTimeout(1500);
  await page.evaluate(() => performance.mark("bench:click"));
  await page.getByRole("button", { name: /Open chat/ }).click();
  await page.waitForFunction(() => performance.getEntriesByName("takeover:interactive").length > 0, null, { timeout: 20_000 });
  const interactive = await page.evaluate(() =>
    performance.getEntriesByName("takeover:interactive")[0].startTime -
    performance.getEntriesByName("bench:click")[0].startTime);
  await context.close();
  return { launcher, interactive };
}

// The content-hashed names the loader asks for, as `cargo xtask build` wrote them.
const built = readdirSync("dist/widget");
const named = (re) => {
  const found = built.filter((n) => re.test(n));
  if (found.length !== 1) throw new Error(`dist/widget: ${found.length} files match ${re}`);
  return found[0];
};
const files = {
  "loader (embed.js)": "embed.js",
  "JS glue (widget.HASH.js)": named(/^widget\.[0-9a-f]{12}\.js$/),
  "wasm (widget_bg.HASH.wasm, CSS inside)": named(/^widget_bg\.[0-9a-f]{12}\.wasm$/),
};
const bytes = {};
for (const [k, f] of Object.entries(files)) bytes[k] = await sizes(f);
const total = Object.values(bytes).reduce(
  (a, s) => ({ raw: a.raw + s.raw, gzip: a.gzip + s.gzip, brotli: a.brotli + s.brotli, gzip_built: a.gzip_built + s.gzip_built }),
  { raw: 0, gzip: 0, brotli: 0, gzip_built: 0 },
);
bytes["whole widget"] = total;

const browser = await launch();
const { server, origin } = await host();
const timing = {};
try {
  for (const strategy of ["open", "idle"]) {
    const samples = [];
    for (let i = 0; i < runs; i++) samples.push(await timeOnce(browser, `${origin}/${strategy}`));
    timing[strategy] = {
      launcher_ms: median(samples.map((s) => s.launcher)),
      click_to_interactive_ms: median(samples.map((s) => s.interactive)),
      runs,
    };
  }
} finally {
  await browser.close();
  server.close();
}

/**
 * The `n` largest items of the widget's wasm as built (before wasm-bindgen and wasm-opt, which
 * keep the names), raw bytes, by `twiggy top`; the names section and wasm-bindgen's own custom
 * section are left out (neither is served).
 */
function twiggyTop(n) {
  const file = "target/wasm32-unknown-unknown/release/takeover_widget.wasm";
  const r = spawnSync(process.env.TWIGGY || "twiggy", ["top", "-n", String(n + 5), "-f", "json", file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`twiggy: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout)
    .filter((i) => !/subsection|custom section/.test(i.name))
    .slice(0, n)
    .map((i) => ({
      bytes: i.shallow_size,
      // Without symbol hashes and crate disambiguators, which say nothing to a reader.
      item: i.name.replace(/::h[0-9a-f]{16}$/, "").replace(/\[[0-9a-f]{16}\]/g, ""),
    }));
}
const twiggy = twiggyTop(15);

// Fewer runs: each Lighthouse run takes seconds, and its simulated throttling is steady.
const lighthouse = await lighthouseFigures(base, runs > 1 ? 3 : 1, process.env.CHROMIUM || "/usr/bin/chromium");

const kb = (n) => (n / 1024).toFixed(1).padStart(8);
console.log("\nWidget bytes as the edge serves them  raw KB  gzip KB  brotli KB  gzip as built KB");
for (const [name, s] of Object.entries(bytes)) {
  console.log(`  ${name.padEnd(34)} ${kb(s.raw)} ${kb(s.gzip)} ${kb(s.brotli)} ${kb(s.gzip_built)}`);
}
console.log("  (local wrangler re-encodes gzip; Cloudflare sends the build's copy as it is)");
console.log(`\nWidget timing (median of ${runs}, headless Chromium, loopback)`);
console.log("  load strategy   DOMContentLoaded→launcher   click→interactive panel");
for (const [k, t] of Object.entries(timing)) {
  console.log(`  ${k.padEnd(15)} ${t.launcher_ms.toFixed(1).padStart(14)} ms ${t.click_to_interactive_ms.toFixed(1).padStart(20)} ms`);
}
console.log("\nLargest items in the widget's wasm (twiggy top, raw bytes before wasm-bindgen and wasm-opt)");
for (const t of twiggy) console.log(`  ${String(t.bytes).padStart(7)}  ${t.item.slice(0, 110)}`);
console.log(`\nLighthouse on the demo page (mobile, simulated throttling; median of ${lighthouse.with.runs})`);
console.log("  page              TBT ms    LCP ms  performance  accessibility");
for (const k of ["without", "with"]) {
  const l = lighthouse[k];
  console.log(`  ${(k + " widget").padEnd(16)} ${l.tbt_ms.toFixed(0).padStart(7)} ${l.lcp_ms.toFixed(0).padStart(9)} ${String(l.performance).padStart(12)} ${String(l.accessibility).padStart(14)}`);
}
console.log(`  the widget's cost: TBT ${lighthouse.widget_cost.tbt_ms.toFixed(0)} ms, LCP ${lighthouse.widget_cost.lcp_ms.toFixed(0)} ms`);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "widget.json"), JSON.stringify({ bytes, timing, lighthouse, twiggy }, null, 2));
// Every visitor of every site meets the widget: a page it makes less accessible fails the run.
if (lighthouse.with.accessibility < 100) {
  throw new Error(`accessibility ${lighthouse.with.accessibility} with the widget: ${lighthouse.with.accessibility_failing}`);
}
console.log(`\nwrote ${join(out, "widget.json")}`);
