/**
 * Score aggregation of the review committee: pure functions, no database.
 *
 * - A review's total is the weighted mean of its scores, each first brought to 0..100 on its
 *   criterion's scale: `100 * (score - min) / (max - min)`. Criteria may use different scales
 *   (0–5, 1–10); normalising first keeps a 10-point criterion from outweighing a 5-point one beyond
 *   its weight. Only the criteria the review scored count (a criterion added after the review is
 *   left out of that review rather than counted as zero).
 * - A proposal's score: mean and median of its reviews' totals, their count (abstentions excluded),
 *   the spread as max − min of the totals (how much the reviewers disagree, in the same 0..100
 *   points), and the number of abstentions apart. With no scored review, mean, median and spread are null.
 */

/** A criterion as aggregation needs it. */
export interface CriterionScale {
  id: number;
  scaleMin: number;
  scaleMax: number;
  weight: number;
}

/** A review as aggregation needs it: an abstention, or scores by criterion id. */
export interface ReviewScores {
  abstain: boolean;
  scores: ReadonlyMap<number, number> | Record<number, number>;
}

/** A proposal's aggregated score. */
export interface ScoreSummary {
  /** Mean of the reviews' totals (0..100), null without a scored review. */
  mean: number | null;
  median: number | null;
  /** Reviews with scores (abstentions excluded). */
  count: number;
  /** Highest total minus lowest (0..100 points), null without a scored review. */
  spread: number | null;
  abstentions: number;
}

const entries = (scores: ReviewScores["scores"]): [number, number][] =>
  scores instanceof Map ? [...scores] : Object.entries(scores).map(([k, v]) => [Number(k), v as number]);

/** A score brought to 0..100 on its criterion's scale (a one-point scale counts as 100). */
export function normalise(score: number, criterion: Pick<CriterionScale, "scaleMin" | "scaleMax">): number {
  const range = criterion.scaleMax - criterion.scaleMin;
  if (range <= 0) return 100;
  return (100 * (score - criterion.scaleMin)) / range;
}

/** The weighted total (0..100) of one review, or null for an abstention or a review with no known criterion. */
export function reviewTotal(review: ReviewScores, criteria: readonly CriterionScale[]): number | null {
  if (review.abstain) return null;
  const byId = new Map(criteria.map((c) => [c.id, c]));
  let sum = 0;
  let weights = 0;
  for (const [criterionId, score] of entries(review.scores)) {
    const criterion = byId.get(criterionId);
    if (!criterion || !(criterion.weight > 0)) continue;
    sum += normalise(score, criterion) * criterion.weight;
    weights += criterion.weight;
  }
  return weights > 0 ? sum / weights : null;
}

/** The median of numbers (the mean of the two middle ones for an even count), null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Mean, median, count, spread and abstentions of a proposal's reviews. */
export function summarise(reviews: readonly ReviewScores[], criteria: readonly CriterionScale[]): ScoreSummary {
  const totals: number[] = [];
  let abstentions = 0;
  for (const review of reviews) {
    if (review.abstain) {
      abstentions++;
      continue;
    }
    const total = reviewTotal(review, criteria);
    if (total !== null) totals.push(total);
  }
  if (totals.length === 0) return { mean: null, median: null, count: 0, spread: null, abstentions };
  return {
    mean: totals.reduce((a, b) => a + b, 0) / totals.length,
    median: median(totals),
    count: totals.length,
    spread: Math.max(...totals) - Math.min(...totals),
    abstentions,
  };
}

/** A score for display: one decimal, or a dash. */
export function formatScore(value: number | null, locale: string): string {
  if (value === null) return "–";
  return new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(value);
}
