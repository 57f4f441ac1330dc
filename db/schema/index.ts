export * from "./programme.ts";
export * from "./meta.ts";
