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
  var code = null;
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

  function later(fn) {
    return (window.requestIdleCallback || setTimeout)(fn);
  }

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
      peek.hidden = pageMode;
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

  function tell(m) {
    var p = pendingIdentity;
    m.identify(p.name, p.email, p.user_id, p.token);
  }

  function attempt(name) {
    return import(base + "/widget/" + name).then(function (m) {
      // The glue finds its wasm beside itself (the build names it in the glue).
      return m.default().then(function () { return m; });
    });
  }

  // The chat's code, downloaded and compiled; rejects when it cannot be (the next call tries
  // again).
  function fetchCode() {
    if (!code) {
      code = attempt(GLUE).catch(function () { return attempt("widget.js?r=" + Date.now()); });
      code.catch(function () { code = null; });
    }
    return code;
  }

  // Resolves with the chat mounted, or rejects (then the next call tries again).
  function load() {
    if (!loading) {
      loading = fetchCode().then(function (m) {
        m.mount(mountPoint, siteKey, base, pageMode, hooks);
        app = m;
        if (pendingIdentity) tell(m);
        if (unavailable) showUnavailable(false);
        emit("ready");
        return m;
      });
      loading.catch(function () { loading = null; });
    }
    return loading;
  }

  // Always resolves: the host page's promise never rejects, whatever the network does.
  function setOpen(value) {
    var changed = isOpen !== value;
    isOpen = value;
    launcher.setAttribute("aria-expanded", String(value));
    var slow = value && !app ? setTimeout(function () { showUnavailable(true); }, SLOW_MS) : 0;
    return load().then(function (m) {
      clearTimeout(slow);
      m.set_open(isOpen);
      if (!changed) return;
      emit(isOpen ? "open" : "close");
      if (!isOpen && !pageMode) launcher.focus();
    }).catch(function () {
      clearTimeout(slow);
      isOpen = false;
      launcher.setAttribute("aria-expanded", "false");
      if (value) showUnavailable(true);
    });
  }

  // Before the visitor opens the chat, only its code is fetched: drawing the chat is main-thread
  // work every page view would pay for (measured with Lighthouse in `cargo xtask bench`). A
  // visitor with a conversation gets it drawn at once, for the unread count and the reply card.
  function warm() {
    if (!app) (saved() ? load() : fetchCode()).catch(function () {});
  }

  function saved() {
    try {
      return Boolean(localStorage.getItem("takeover:" + siteKey));
    } catch (e) {
      return false; // storage blocked: nothing saved to resume
    }
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
      pendingIdentity = { name: who.name, email: who.email, user_id: who.user_id == null ? undefined : String(who.user_id), token: who.token };
      if (app) {
        try { tell(app); } catch (e) { report(e); }
      }
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
  // back where it was, with its conversation and socket. A page that keeps removing it wins
  // after a while, rather than the two fighting for ever.
  var returns = 0;
  var keeper = new MutationObserver(function () {
    if (host.isConnected) return;
    if (++returns > 50) return keeper.disconnect();
    attach();
  });
  function attach() {
    (document.body || document.documentElement).appendChild(host);
    keeper.disconnect();
    keeper.observe(document.documentElement, { childList: true });
    if (document.body) keeper.observe(document.body, { childList: true });
  }
  attach();
  if (window.performance && performance.mark) performance.mark("takeover:launcher");
  if (pageMode) {
    setOpen(true);
  } else if (script.getAttribute("data-load") !== "open") {
    // Measured (cargo xtask bench): prefetching when idle makes the first open ~2.7x faster.
    later(warm);
  }
})();
