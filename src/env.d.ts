/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    /** Who is asking; every page and export applies the audience rule for this viewer. */
    viewer: import("./lib/programme/audience.ts").Viewer;
  }
}
