/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    /** Who is asking; every page and export applies the audience rule for this viewer. */
    viewer: import("./lib/programme/audience.ts").Viewer;
    /** The signed-in account and its session, or null; the guard decides what it may do. */
    principal: import("./lib/auth/guard.ts").Principal | null;
    /**
     * How the request reached the site: the client's address as TRUST_PROXY lets us believe it (use
     * it, never `clientAddress`, which is the proxy behind one), the TCP peer, the protocol, whether
     * a proxy was in between. Empty for prerendered pages.
     */
    edge: import("./lib/security/proxy.ts").Edge;
  }
}
