-- A committee can score from the start: one criterion, "Overall" from 1 to 5, for a database that
-- has none (a new one, or one whose call never defined any). It is an ordinary criterion: renamed,
-- rescaled or deleted like the others, and never added back once this migration has run.
INSERT INTO `review_criteria` (`name_en`, `name_fr`, `scale_min`, `scale_max`, `weight`, `position`)
SELECT 'Overall', 'Appréciation générale', 1, 5, 1, 0
WHERE NOT EXISTS (SELECT 1 FROM `review_criteria`);
