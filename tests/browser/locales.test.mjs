// Every visitor-facing language renders, right-to-left for Arabic, and the conversation's
// detected language wins over the browser's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Widget, env, launch, screenshot } from "./harness.mjs";

const LOCALES = {
  en: ["Open chat", "Type your message…"],
  es: ["Abrir chat", "Escribe tu mensaje…"],
  fr: ["Ouvrir le chat", "Écrivez votre message…"],
  de: ["Chat öffnen", "Nachricht eingeben…"],
  pt: ["Abrir chat", "Digite sua mensagem…"],
  it: ["Apri la chat", "Scrivi il tuo messaggio…"],
  nl: ["Chat openen", "Typ je bericht…"],
  pl: ["Otwórz czat", "Wpisz wiadomość…"],
  tr: ["Sohbeti aç", "Mesajınızı yazın…"],
  ja: ["チャットを開く", "メッセージを入力…"],
  zh: ["打开聊天", "输入您的消息…"],
  ar: ["فتح الدردشة", "اكتب رسالتك…"],
};

test("each locale renders in its language", async () => {
  const browser = await launch();
  try {
    for (const [locale, [open, placeholder]] of Object.entries(LOCALES)) {
      const context = await browser.newContext({ locale });
      // The launcher is labelled in English until the chat has loaded, then in the language.
      const launcher = new RegExp(`^(Open chat|${open})`);
      const w = await Widget.open(context, `${env.base}/`, { open: launcher, placeholder });
      const dir = await w.panel.getAttribute("dir");
      assert.equal(dir, locale === "ar" ? "rtl" : "ltr", locale);
      assert.equal(await w.panel.getAttribute("lang"), locale);
      await w.page.getByRole("button", { name: open }).waitFor();
      if (locale === "ar" || locale === "ja") await screenshot(w.page, `locale-${locale}`);
      await context.close();
    }
  } finally {
    await browser.close();
  }
});

test("another language's strings are asked for beside the chat's code, not after it", async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ locale: "de-DE" });
    const asked = [];
    context.on("request", (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith("/api/texts/") || /^\/widget\/widget[.\w]*\.js$/.test(path)) asked.push(path);
    });
    const w = await Widget.open(context, `${env.base}/`, { open: /^(Open chat|Chat öffnen)/, placeholder: "Nachricht eingeben…" });
    await w.page.getByRole("button", { name: "Chat öffnen" }).waitFor();
    const texts = asked.indexOf("/api/texts/de");
    const glue = asked.findIndex((p) => p.startsWith("/widget/"));
    assert.ok(texts >= 0 && glue >= 0, asked.join(", "));
    assert.ok(texts < glue, `the strings after the code: ${asked.join(", ")}`);
  } finally {
    await browser.close();
  }
});

test("the language the visitor writes in wins over the browser's", async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ locale: "en-US" });
    const w = await Widget.open(context);
    await w.say("Hola, ¿cuánto tiempo tarda el envío de mi pedido a Madrid?");
    await w.page.getByRole("textbox", { name: "Escribe tu mensaje…" }).waitFor();
    assert.equal(await w.panel.getAttribute("lang"), "es");
  } finally {
    await browser.close();
  }
});
