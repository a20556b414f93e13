// Starts the console. A file of its own, not an inline script: the console's content policy
// runs only scripts from this origin.
import init, { start } from "/console/console.js";

init({ module_or_path: "/console/console_bg.wasm" }).then(() => {
  document.getElementById("app").textContent = "";
  start();
});
