ALTER TABLE `sessions` ADD `title_en` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `title_fr` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `abstract_en` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `abstract_fr` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `description_en` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `description_fr` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `speakers` ADD `bio_en` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `speakers` ADD `bio_fr` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `schedule_releases` ADD `comment_en` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `schedule_releases` ADD `comment_fr` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `proposals` ADD `title_en` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `proposals` ADD `title_fr` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `proposals` ADD `abstract_en` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `proposals` ADD `abstract_fr` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `proposals` ADD `description_en` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `proposals` ADD `description_fr` text DEFAULT '' NOT NULL;--> statement-breakpoint
-- Every text had one language: a session's and a proposal's are in the session's (proposal's) own
-- language, a speaker's biography in the language of their profile, a release comment in English.
UPDATE `sessions` SET
  `title_en` = CASE WHEN `language` = 'fr' THEN '' ELSE `title` END,
  `title_fr` = CASE WHEN `language` = 'fr' THEN `title` ELSE '' END,
  `abstract_en` = CASE WHEN `language` = 'fr' THEN '' ELSE `abstract` END,
  `abstract_fr` = CASE WHEN `language` = 'fr' THEN `abstract` ELSE '' END,
  `description_en` = CASE WHEN `language` = 'fr' THEN '' ELSE `description` END,
  `description_fr` = CASE WHEN `language` = 'fr' THEN `description` ELSE '' END;--> statement-breakpoint
UPDATE `proposals` SET
  `title_en` = CASE WHEN `language` = 'fr' THEN '' ELSE `title` END,
  `title_fr` = CASE WHEN `language` = 'fr' THEN `title` ELSE '' END,
  `abstract_en` = CASE WHEN `language` = 'fr' THEN '' ELSE `abstract` END,
  `abstract_fr` = CASE WHEN `language` = 'fr' THEN `abstract` ELSE '' END,
  `description_en` = CASE WHEN `language` = 'fr' THEN '' ELSE `description` END,
  `description_fr` = CASE WHEN `language` = 'fr' THEN `description` ELSE '' END;--> statement-breakpoint
UPDATE `speakers` SET
  `bio_en` = CASE WHEN `language` = 'fr' THEN '' ELSE `bio` END,
  `bio_fr` = CASE WHEN `language` = 'fr' THEN `bio` ELSE '' END;--> statement-breakpoint
UPDATE `schedule_releases` SET `comment_en` = `comment`;--> statement-breakpoint
ALTER TABLE `sessions` DROP COLUMN `title`;--> statement-breakpoint
ALTER TABLE `sessions` DROP COLUMN `abstract`;--> statement-breakpoint
ALTER TABLE `sessions` DROP COLUMN `description`;--> statement-breakpoint
ALTER TABLE `speakers` DROP COLUMN `bio`;--> statement-breakpoint
ALTER TABLE `schedule_releases` DROP COLUMN `comment`;--> statement-breakpoint
ALTER TABLE `proposals` DROP COLUMN `title`;--> statement-breakpoint
ALTER TABLE `proposals` DROP COLUMN `abstract`;--> statement-breakpoint
ALTER TABLE `proposals` DROP COLUMN `description`;
