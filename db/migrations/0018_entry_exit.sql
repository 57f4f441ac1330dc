CREATE TABLE `checkin_presence` (
	`registration_id` integer NOT NULL,
	`day` text NOT NULL,
	`inside` integer NOT NULL,
	`entries` integer DEFAULT 0 NOT NULL,
	`exits` integer DEFAULT 0 NOT NULL,
	`since` integer NOT NULL,
	`desk` text DEFAULT '' NOT NULL,
	PRIMARY KEY(`registration_id`, `day`),
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `checkin_presence_day` ON `checkin_presence` (`day`,`inside`);--> statement-breakpoint
CREATE TABLE `checkin_settings` (
	`id` integer PRIMARY KEY NOT NULL,
	`entry_exit` integer DEFAULT false NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `checkin_scans` ADD `direction` text DEFAULT 'entry' NOT NULL;