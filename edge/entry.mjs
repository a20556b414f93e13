// The worker's entry: what worker-build makes, with the Site object as a class that extends
// `DurableObject`. workerd takes JavaScript RPC only to such a class, and conversations send
// their reports to their site by RPC (`report`), which makes no Request, Headers or Response
// on either side (ARCHITECTURE.md, "At a chat's pace"). Every event goes to the Rust object.
import { DurableObject } from "cloudflare:workers";
import { Site as RustSite } from "./build/index.js";

export * from "./build/index.js";
export { default } from "./build/index.js";

export class Site extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.site = new RustSite(ctx, env);
  }
  fetch(request) {
    return this.site.fetch(request);
  }
  alarm(info) {
    return this.site.alarm(info);
  }
  webSocketMessage(ws, message) {
    return this.site.webSocketMessage(ws, message);
  }
  webSocketClose(ws, code, reason, wasClean) {
    return this.site.webSocketClose(ws, code, reason, wasClean);
  }
  webSocketError(ws, error) {
    return this.site.webSocketError(ws, error);
  }
  report(batch) {
    return this.site.report(batch);
  }
  reportUnread(batch) {
    return this.site.reportUnread(batch);
  }
}
