import { describe, expect, it } from "vitest";
import { median, normalise, reviewTotal, summarise, type CriterionScale } from "./aggregate.ts";

// Relevance 0..5 weighing 2, clarity 0..10 weighing 1.
const criteria: CriterionScale[] = [
  { id: 1, scaleMin: 0, scaleMax: 5, weight: 2 },
  { id: 2, scaleMin: 0, scaleMax: 10, weight: 1 },
];
const scored = (a: number, b: number) => ({ abstain: false, scores: { 1: a, 2: b } });

describe("normalise", () => {
  it("brings a score to 0..100 on its scale", () => {
    expect(normalise(0, { scaleMin: 0, scaleMax: 5 })).toBe(0);
    expect(normalise(5, { scaleMin: 0, scaleMax: 5 })).toBe(100);
    expect(normalise(4, { scaleMin: 1, scaleMax: 10 })).toBeCloseTo(100 / 3, 12);
    expect(normalise(-1, { scaleMin: -2, scaleMax: 2 })).toBe(25);
  });
});

describe("reviewTotal", () => {
  it("is the weighted mean of the normalised scores", () => {
    expect(reviewTotal(scored(5, 10), criteria)).toBe(100);
    // (20 × 2 + 50 × 1) / 3
    expect(reviewTotal(scored(1, 5), criteria)).toBe(30);
    expect(reviewTotal(scored(3, 0), criteria)).toBe(40);
  });

  it("is null for an abstention, and leaves out criteria the review did not score or that are gone", () => {
    expect(reviewTotal({ abstain: true, scores: {} }, criteria)).toBeNull();
    expect(reviewTotal({ abstain: false, scores: { 2: 7 } }, criteria)).toBe(70);
    expect(reviewTotal({ abstain: false, scores: { 1: 5, 99: 0 } }, criteria)).toBe(100);
    expect(reviewTotal({ abstain: false, scores: { 99: 3 } }, criteria)).toBeNull();
  });

  it("takes a Map as well as an object", () => {
    expect(
      reviewTotal(
        {
          abstain: false,
          scores: new Map([
            [1, 4],
            [2, 2],
          ]),
        },
        criteria,
      ),
    ).toBe(60);
  });
});

describe("median", () => {
  it("is the middle value, or the mean of the two middle ones", () => {
    expect(median([])).toBeNull();
    expect(median([7])).toBe(7);
    expect(median([100, 30, 40])).toBe(40);
    expect(median([100, 30, 40, 60])).toBe(50);
  });
});

describe("summarise", () => {
  it("gives mean, median, count, spread (max − min) and abstentions apart", () => {
    const summary = summarise([scored(5, 10), scored(1, 5), { abstain: true, scores: {} }, scored(3, 0), scored(4, 2)], criteria);
    // Totals 100, 30, 40, 60.
    expect(summary).toEqual({ mean: 57.5, median: 50, count: 4, spread: 70, abstentions: 1 });
  });

  it("has no score without a scored review", () => {
    expect(summarise([], criteria)).toEqual({ mean: null, median: null, count: 0, spread: null, abstentions: 0 });
    expect(
      summarise(
        [
          { abstain: true, scores: {} },
          { abstain: true, scores: {} },
        ],
        criteria,
      ),
    ).toEqual({
      mean: null,
      median: null,
      count: 0,
      spread: null,
      abstentions: 2,
    });
  });

  it("a single review has no spread", () => {
    expect(summarise([scored(1, 5)], criteria)).toEqual({ mean: 30, median: 30, count: 1, spread: 0, abstentions: 0 });
  });
});
