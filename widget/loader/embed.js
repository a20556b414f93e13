/* The one script a site owner pastes. Classic script (document.currentScript works only
 * there); draws the launcher at once inside a shadow root and loads the wasm chat only
 * when the visitor opens it. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.Takeover) return;
  var siteKey = script.getAttribute("data-site-key") || "";
  var base = new URL(script.src).origin;
  var host = document.createElement("div");
  host.setAttribute("data-takeover-widget", "");
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>:host{all:initial}" +
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;" +
    "border:0;border-radius:50%;background:#0f766e;color:#fff;cursor:pointer;display:grid;" +
    "place-items:center;box-shadow:0 6px 20px rgba(0,0,0,.25)}" +
    ".launcher:focus-visible{outline:3px solid #93c5fd;outline-offset:2px}</style>" +
    '<button class="launcher" type="button" aria-label="Open chat" aria-expanded="false">' +
    '<svg width="26" height="26" viewBox="0 0 24 24" fill="none" stroke="currentColor" ' +
    'stroke-width="2" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>' +
    "</button><div></div>";
  var launcher = root.querySelector(".launcher");
  var mountPoint = root.querySelector("div");
  var isOpen = false;
  var loading = null;

  function load() {
    if (!loading) {
      loading = import(base + "/widget/widget.js").then(function (m) {
        return m.default({ module_or_path: base + "/widget/widget_bg.wasm" }).then(function () {
          m.mount(mountPoint, siteKey, base);
          return m;
        });
      });
    }
    return loading;
  }

  function setOpen(value) {
    isOpen = value;
    launcher.setAttribute("aria-expanded", String(value));
    return load().then(function (m) { m.set_open(value); });
  }

  launcher.addEventListener("click", function () { setOpen(!isOpen); });
  window.Takeover = {
    open: function () { return setOpen(true); },
    close: function () { return setOpen(false); },
    toggle: function () { return setOpen(!isOpen); }
  };
  (document.body || document.documentElement).appendChild(host);
})();
