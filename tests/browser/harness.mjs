// Shared setup for the browser tests: Debian's chromium through playwright-core, against the
// worker that `cargo xtask test` started and seeded (its URL and login come in the environment).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export const env = {
  base: process.env.BASE_URL,
  site: process.env.SITE_KEY,
  email: process.env.OWNER_EMAIL,
  password: process.env.OWNER_PASSWORD,
  artifacts: process.env.ARTIFACTS || "test-artifacts",
};

if (!env.base) throw new Error("BASE_URL is not set: run these through `cargo xtask test`");

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export async function screenshot(page, name) {
  mkdirSync(env.artifacts, { recursive: true });
  await page.screenshot({ path: join(env.artifacts, `${name}.png`) });
}
