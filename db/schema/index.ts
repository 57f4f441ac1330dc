export * from "./programme.ts";
export * from "./meta.ts";
export * from "./registration.ts";
export * from "./outbox.ts";
export * from "./auth.ts";
export * from "./agenda.ts";
export * from "./releases.ts";
export * from "./media.ts";
