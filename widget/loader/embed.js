/* The one script a site owner pastes:
 *   <script async src="https://EDGE/widget/embed.js" data-site-key="KEY"></script>
 * A classic script (document.currentScript exists only there). It draws the launcher at once
 * inside a shadow root, so no page CSS reaches it, and loads the wasm chat when the browser is
 * idle (data-load="open": only on first open). A new conversation starts only on first open.
 * data-mode="page" fills the page with the chat instead (used by /chat/KEY and iframes). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.Takeover) return;
  var siteKey = script.getAttribute("data-site-key") || "";
  var pageMode = script.getAttribute("data-mode") === "page";
  var base = new URL(script.src, location.href).origin;
  var listeners = {};
  var pendingIdentity = null;
  var isOpen = false;
  var app = null;
  var loading = null;

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
    ".peek-who{font-weight:700;font-size:13px}" +
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
  // The newest reply shown on the card, and whether the visitor hid that one.
  var peekText = "";
  var peekHidden = false;
  var mountPoint = root.querySelector(".app");
  if (pageMode) launcher.hidden = true;

  function emit(name, detail) {
    (listeners[name] || []).slice().forEach(function (fn) {
      try { fn(detail); } catch (e) { setTimeout(function () { throw e; }); }
    });
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
      root.querySelector(".peek-who").textContent = who || "";
      root.querySelector(".peek-text").textContent = peekText;
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

  function load() {
    if (!loading) {
      loading = import(base + "/widget/widget.js").then(function (m) {
        return m.default({ module_or_path: base + "/widget/widget_bg.wasm" }).then(function () {
          m.mount(mountPoint, siteKey, base, pageMode, hooks);
          app = m;
          if (pendingIdentity) tell(m);
          emit("ready");
          return m;
        });
      });
      loading.catch(function () { loading = null; });
    }
    return loading;
  }

  function setOpen(value) {
    var changed = isOpen !== value;
    isOpen = value;
    launcher.setAttribute("aria-expanded", String(value));
    return load().then(function (m) {
      m.set_open(value);
      if (!changed) return;
      emit(value ? "open" : "close");
      if (!value && !pageMode) launcher.focus();
    });
  }

  launcher.addEventListener("click", function () { setOpen(!isOpen); });
  root.querySelector(".peek-open").addEventListener("click", function () { setOpen(true); });
  peekHide.addEventListener("click", function () {
    peekHidden = true;
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

  (document.body || document.documentElement).appendChild(host);
  if (window.performance && performance.mark) performance.mark("takeover:launcher");
  if (pageMode) {
    setOpen(true);
  } else if (script.getAttribute("data-load") !== "open") {
    // Measured (cargo xtask bench): prefetching when idle makes the first open ~2.7x faster.
    (window.requestIdleCallback || setTimeout)(function () { load(); });
  }
})();
