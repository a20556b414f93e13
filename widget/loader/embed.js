/* The one script a site owner pastes:
 *   <script async src="https://EDGE/widget/embed.js" data-site-key="KEY"></script>
 * A classic script (document.currentScript exists only there). It draws the launcher at once
 * inside a shadow root, so no page CSS reaches it, and loads the wasm chat when the browser is
 * idle (data-load="open": only on first open, warmed when the pointer or focus reaches the
 * launcher). A new conversation starts only on first open.
 * data-mode="page" fills the page with the chat instead (used by /chat/KEY and iframes).
 * Whatever the host page or the network does, nothing here throws into the host page: a chat
 * that cannot load says so on the launcher's card, and the JS API stays callable. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.Takeover) return;
  var siteKey = script.getAttribute("data-site-key") || "";
  var pageMode = script.getAttribute("data-mode") === "page";
  var base = new URL(script.src, location.href).origin;
  // The build puts the content-hashed name here (cached for good); "widget.js" is the same
  // code under a stable name, cached minutes: what a loader from before a deploy falls back to.
  var GLUE = "widget.js";
  var SLOW_MS = 6000;
  var listeners = {};
  var pendingIdentity = null;
  var isOpen = false;
  var app = null;
  var loading = null;
  var lang = String(navigator.language || "en").slice(0, 2).toLowerCase();
  var UNAVAILABLE = {
    en: "Chat is unavailable right now.",
    es: "El chat no está disponible ahora.",
    fr: "Le chat est indisponible pour le moment.",
    de: "Der Chat ist gerade nicht erreichbar.",
    pt: "O chat está indisponível agora.",
    it: "La chat non è disponibile ora.",
    nl: "De chat is nu niet bereikbaar.",
    pl: "Czat jest teraz niedostępny.",
    tr: "Sohbet şu anda kullanılamıyor.",
    ja: "現在チャットをご利用いただけません。",
    zh: "聊天暂时不可用。",
    ar: "الدردشة غير متاحة الآن."
  };

  var host = document.createElement("div");
  host.setAttribute("data-takeover-widget", "");
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>:host{all:initial}" +
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;" +
    "border:0;border-radius:50%;background:var(--accent,#0f766e);color:#fff;cursor:pointer;" +
    "display:grid;place-items:center;box-shadow:0 6px 20px rgba(0,0,0,.25);padding:0}" +
    ".launcher:focus-visible{outline:3px solid #93c5fd;outline-offset:2px}.launcher[hidden]{display:none}" +
    // Beside the launcher, not in it: the launcher's name says the count, and text inside it
    // that its name does not hold confuses voice control.
    ".badge{position:fixed;bottom:60px;right:16px;z-index:2147483001;pointer-events:none;" +
    "min-width:20px;height:20px;padding:0 5px;" +
    "box-sizing:border-box;border-radius:10px;background:#b91c1c;color:#fff;" +
    "font:700 12px/20px system-ui,sans-serif;text-align:center}" +
    ".badge[hidden]{display:none}" +
    ".peek{position:fixed;right:20px;bottom:88px;z-index:2147483000;display:flex;align-items:flex-start;" +
    "max-width:min(300px,calc(100vw - 40px));background:#fff;color:#1f2933;border-radius:14px;" +
    "box-shadow:0 6px 24px rgba(0,0,0,.2);font:14px/1.4 system-ui,sans-serif}.peek[hidden]{display:none}" +
    ".peek button{font:inherit;color:inherit;background:none;border:0;cursor:pointer}" +
    ".peek-open{display:grid;gap:2px;padding:10px 4px 10px 14px;text-align:start;min-width:0}" +
    ".peek-who{font-weight:700;font-size:13px}.peek-who:empty{display:none}" +
    ".peek-text{display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden;" +
    "overflow-wrap:anywhere}.peek-hide{padding:8px 10px;font-size:18px;line-height:1;color:#52606d}" +
    ".peek button:focus-visible{outline:3px solid #93c5fd;border-radius:10px}</style>" +
    '<div class="peek" role="status" hidden><button class="peek-open" type="button">' +
    '<span class="peek-who"></span><span class="peek-text"></span></button>' +
    '<button class="peek-hide" type="button" aria-label="Hide">\u00d7</button></div>' +
    '<button class="launcher" type="button" aria-label="Open chat" aria-expanded="false">' +
    '<svg width="26" height="26" viewBox="0 0 24 24" fill="none" stroke="currentColor" ' +
    'stroke-width="2" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>' +
    '</button><span class="badge" aria-hidden="true" hidden></span><div class="app"></div>';
  var launcher = root.querySelector(".launcher");
  var badge = root.querySelector(".badge");
  var peek = root.querySelector(".peek");
  var peekHide = root.querySelector(".peek-hide");
  var peekWho = root.querySelector(".peek-who");
  var peekBody = root.querySelector(".peek-text");
  // The newest reply shown on the card, and whether the visitor hid that one.
  var peekText = "";
  var peekHidden = false;
  // The card says the chat cannot load (and opening it tries again).
  var unavailable = false;
  var mountPoint = root.querySelector(".app");
  if (pageMode) launcher.hidden = true;

  function emit(name, detail) {
    (listeners[name] || []).slice().forEach(function (fn) {
      try { fn(detail); } catch (e) { report(e); }
    });
  }

  // A listener's own error stays the host page's to see, without stopping the others.
  function report(e) {
    setTimeout(function () { throw e; });
  }

  function showUnavailable(on) {
    unavailable = on;
    if (on) {
      peekWho.textContent = "";
      peekBody.textContent = UNAVAILABLE[lang] || UNAVAILABLE.en;
      peek.dir = lang === "ar" ? "rtl" : "ltr";
      // On the full-page chat too: there the card is all there is, and opening it retries.
      peek.hidden = false;
    } else {
      peek.removeAttribute("dir");
      peek.hidden = true;
    }
  }

  // What the wasm app calls back into.
  var hooks = {
    emit: emit,
    close: function () { setOpen(false); },
    unread: function (n, who, text) {
      badge.hidden = !n;
      badge.textContent = n > 99 ? "99+" : String(n);
      launcher.setAttribute("aria-label", launcher.dataset.label + (n ? " (" + n + ")" : ""));
      if (text !== peekText) peekHidden = false;
      peekText = text || "";
      peek.hidden = !n || !text || peekHidden || pageMode;
      peekWho.textContent = who || "";
      peekBody.textContent = peekText;
    },
    theme: function (color, label, hide) {
      launcher.style.setProperty("--accent", color);
      launcher.dataset.label = label;
      launcher.setAttribute("aria-label", label);
      if (hide) peekHide.setAttribute("aria-label", hide);
    }
  };
  launcher.dataset.label = "Open chat";

  // Never throws: whatever the host page passed, the chat gets strings or nothing.
  function tell(m) {
    var p = pendingIdentity;
    try {
      m.identify(p.name, p.email, p.user_id, p.token);
    } catch (e) {
      report(e);
    }
  }

  var tries = 0;
  function attempt(name) {
    return import(base + "/widget/" + name).then(function (m) {
      // The glue finds its wasm beside itself (the build names it in the glue).
      return m.default().then(function () { return m; });
    });
  }

  // Resolves with the chat drawn (once, however many loads end), or rejects (then the next call
  // tries again).
  function load() {
    if (!loading) {
      // Another language's strings come from the edge: asked for beside the code, not after
      // it, they are in the browser's cache (an hour) by the time the chat asks.
      try {
        if (lang !== "en" && UNAVAILABLE[lang]) fetch(base + "/api/texts/" + lang).catch(function () {});
      } catch (e) { /* a host page's fetch that throws: the chat asks again itself */ }
      var p = loading = attempt(GLUE).catch(function () {
        // A fresh URL each time: a browser may keep a failed module fetch for the page's life.
        return attempt("widget.js?r=" + ++tries + "-" + Math.random().toString(36).slice(2));
      }).then(function (m) {
        if (app) return app;
        m.mount(mountPoint, siteKey, base, pageMode, hooks);
        app = m;
        if (pendingIdentity) tell(m);
        if (unavailable) showUnavailable(false);
        emit("ready");
        return m;
      });
      p.catch(function () { if (loading === p) loading = null; });
    }
    return loading;
  }

  // The open state the chat was last given, and the one timer that says a load is slow.
  var applied = false;
  var slow = 0;

  // Always resolves: the host page's promise never rejects, whatever the network does.
  function setOpen(value) {
    isOpen = value;
    launcher.setAttribute("aria-expanded", String(value));
    clearTimeout(slow);
    if (!value && !app) {
      // Nothing drawn, nothing to close: closing never downloads the chat.
      if (unavailable) showUnavailable(false);
      return Promise.resolve();
    }
    if (!app) {
      slow = setTimeout(function () {
        showUnavailable(true);
        // A load that hangs is not waited on for ever: the next open starts a fresh one
        // (whichever ends first is drawn).
        loading = null;
      }, SLOW_MS);
    }
    return load().then(function (m) {
      clearTimeout(slow);
      if (applied === isOpen) return;
      applied = isOpen;
      m.set_open(isOpen);
      emit(isOpen ? "open" : "close");
      var inside = host.contains(document.activeElement) || document.activeElement === host;
      if (!isOpen && !pageMode && inside) launcher.focus();
    }).catch(function () {
      clearTimeout(slow);
      if (!isOpen) return;
      isOpen = false;
      launcher.setAttribute("aria-expanded", "false");
      showUnavailable(true);
    });
  }

  // The chat drawn (hidden) before the visitor opens it: the launcher takes its name and colour
  // from it, and a saved conversation's unread count and reply card.
  function warm() {
    if (!app) load().catch(function () {});
  }

  launcher.addEventListener("click", function () { setOpen(!isOpen); });
  launcher.addEventListener("pointerenter", warm);
  launcher.addEventListener("focus", warm);
  root.querySelector(".peek-open").addEventListener("click", function () { setOpen(true); });
  peekHide.addEventListener("click", function () {
    peekHidden = true;
    if (unavailable) showUnavailable(false);
    peek.hidden = true;
    launcher.focus();
  });

  window.Takeover = {
    open: function () { return setOpen(true); },
    close: function () { return setOpen(false); },
    toggle: function () { return setOpen(!isOpen); },
    /* Tell the team who the visitor is: { name, email }, or signed by the site's backend:
       { user_id, name, email, token } (see README, "Signed visitor identity"). */
    identify: function (who) {
      who = who || {};
      var text = function (v) { return v == null ? undefined : String(v); };
      pendingIdentity = { name: text(who.name), email: text(who.email), user_id: text(who.user_id), token: text(who.token) };
      if (app) tell(app);
    },
    /* Events: ready, open, close, message, escalated, agent_joined. Returns an unsubscribe. */
    on: function (name, fn) {
      (listeners[name] = listeners[name] || []).push(fn);
      return function () {
        listeners[name] = (listeners[name] || []).filter(function (f) { return f !== fn; });
      };
    }
  };

  // A single-page app may replace the body or what is in it when it navigates: the chat goes
  // back where it was, with its conversation and socket. A page that removes it again at once,
  // over and over, wins, rather than the two fighting for ever.
  var returns = 0;
  var since = 0;
  var keeper = null;
  function attach() {
    (document.body || document.documentElement).appendChild(host);
    if (!keeper) return;
    keeper.disconnect();
    keeper.observe(document.documentElement, { childList: true });
    if (document.body) keeper.observe(document.body, { childList: true });
  }
  try {
    keeper = new MutationObserver(function () {
      if (host.isConnected) return;
      var now = Date.now();
      if (now - since > 1000) returns = 0;
      since = now;
      if (++returns > 20) return keeper.disconnect();
      attach();
    });
  } catch (e) {
    keeper = null; // no observer on this page: the chat stays where it was put
  }
  attach();
  if (window.performance && performance.mark) performance.mark("takeover:launcher");
  if (pageMode) {
    setOpen(true);
  } else if (script.getAttribute("data-load") !== "open") {
    // Measured (cargo xtask bench): prefetching when idle makes the first open ~2.7x faster.
    (window.requestIdleCallback || setTimeout)(warm);
  }
})();
