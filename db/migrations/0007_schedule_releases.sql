CREATE TABLE `schedule_releases` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`number` integer NOT NULL,
	`created_at` integer NOT NULL,
	`comment` text DEFAULT '' NOT NULL,
	`created_by` text NOT NULL,
	`snapshot` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `schedule_releases_number_unique` ON `schedule_releases` (`number`);