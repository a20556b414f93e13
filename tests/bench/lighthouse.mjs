// The widget's cost on a real page, as Lighthouse sees it: the demo shop's page served from an
// origin of its own, once with the embed script and once without, in Debian's chromium (mobile
// preset, simulated throttling). Medians of `runs` each.
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";
import { hostSite } from "../browser/harness.mjs";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The demo page with the loader pointing at `base`, and the same page without it. */
async function pages(base) {
  const html = await (await fetch(`${base}/`)).text();
  const tag = /<script async src="\/widget\/embed\.js"([^>]*)><\/script>/;
  if (!tag.test(html)) throw new Error("the demo page has no embed script to measure");
  return hostSite({
    "/with": html.replace(tag, `<script async src="${base}/widget/embed.js"$1></script>`),
    "/without": html.replace(tag, ""),
  });
}

/** Lighthouse's figures for the page with and without the widget, and their differences. */
export async function lighthouseFigures(base, runs, chromePath) {
  const { server, origin } = await pages(base);
  const chrome = await chromeLauncher.launch({
    chromePath,
    chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const figures = {};
  try {
    for (const variant of ["without", "with"]) {
      const samples = [];
      for (let i = 0; i < runs; i++) {
        const { lhr } = await lighthouse(`${origin}/${variant}`, {
          port: chrome.port,
          output: "json",
          logLevel: "error",
          onlyCategories: ["performance", "accessibility"],
        });
        const failed = lhr.runtimeError?.message;
        if (failed) throw new Error(`Lighthouse on ${variant}: ${failed}`);
        samples.push({
          tbt_ms: lhr.audits["total-blocking-time"].numericValue,
          lcp_ms: lhr.audits["largest-contentful-paint"].numericValue,
          performance: Math.round(lhr.categories.performance.score * 100),
          accessibility: Math.round(lhr.categories.accessibility.score * 100),
          failing: Object.values(lhr.audits)
            .filter((a) => a.score === 0 && lhr.categories.accessibility.auditRefs.some((r) => r.id === a.id))
            .map((a) => a.id),
        });
      }
      figures[variant] = {
        tbt_ms: median(samples.map((s) => s.tbt_ms)),
        lcp_ms: median(samples.map((s) => s.lcp_ms)),
        performance: median(samples.map((s) => s.performance)),
        accessibility: Math.min(...samples.map((s) => s.accessibility)),
        accessibility_failing: [...new Set(samples.flatMap((s) => s.failing))],
        runs,
      };
    }
  } finally {
    await chrome.kill();
    server.close();
  }
  figures.widget_cost = {
    tbt_ms: figures.with.tbt_ms - figures.without.tbt_ms,
    lcp_ms: figures.with.lcp_ms - figures.without.lcp_ms,
  };
  return figures;
}
