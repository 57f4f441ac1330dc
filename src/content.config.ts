// Build-time collection: the editorial pages (about, venue, FAQ, code of conduct, privacy) in EN and FR.
import { defineCollection } from "astro:content";
import { glob } from "astro/loaders";
import { z } from "astro/zod";

const pages = defineCollection({
  loader: glob({ pattern: "{en,fr}/*.md", base: "./content/pages" }),
  schema: z.object({
    title: z.string().min(1),
    description: z.string().min(1),
    order: z.number().int().default(99),
  }),
});

export const collections = { pages };
