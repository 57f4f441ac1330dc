CREATE TABLE `checkin_scans` (
	`nonce` text PRIMARY KEY NOT NULL,
	`registration_id` integer,
	`user_id` integer NOT NULL,
	`desk` text NOT NULL,
	`scanned_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	`outcome` text NOT NULL,
	`reason` text DEFAULT '' NOT NULL,
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `checkin_scans_one_admission` ON `checkin_scans` (`registration_id`) WHERE outcome = 'admitted';--> statement-breakpoint
CREATE INDEX `checkin_scans_received` ON `checkin_scans` (`received_at`);