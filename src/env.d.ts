/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    /** Who is asking; every page and export applies the audience rule for this viewer. */
    viewer: import("./lib/programme/audience.ts").Viewer;
    /** The signed-in account and its session, or null; the guard decides what it may do. */
    principal: import("./lib/auth/guard.ts").Principal | null;
  }
}
