import { describe, expect, it } from "vitest";
import { repairQuery } from "./repair-query.mjs";

describe("repairQuery", () => {
  it.each([
    ["/programme?day=2013-07-02", "/programme?day=2013-07-02"],
    ["/programme?q=caf%C3%A9", "/programme?q=caf%C3%A9"],
    ["/programme?day=%ZZ", "/programme?day=%25ZZ"],
    ["/programme?q=%C3%28", "/programme?q=%25C3%2528"],
    ["/x?a=%E0%A4%A", "/x?a=%25E0%25A4%25A"],
    ["/%ZZ", "/%ZZ"],
  ])("%s -> %s", (input, output) => {
    expect(repairQuery(input)).toBe(output);
  });
});
