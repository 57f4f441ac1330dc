CREATE TABLE `registration_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`registration_id` integer NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`from_status` text,
	`to_status` text NOT NULL,
	`note` text DEFAULT '' NOT NULL,
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `registration_events_registration` ON `registration_events` (`registration_id`,`at`);--> statement-breakpoint
CREATE TABLE `registration_tokens` (
	`hash` text PRIMARY KEY NOT NULL,
	`registration_id` integer NOT NULL,
	`nonce` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `registration_tokens_registration` ON `registration_tokens` (`registration_id`);--> statement-breakpoint
CREATE TABLE `registrations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text NOT NULL,
	`category` text NOT NULL,
	`status` text NOT NULL,
	`language` text NOT NULL,
	`name` text NOT NULL,
	`organisation` text NOT NULL,
	`country` text NOT NULL,
	`dietary` text DEFAULT '' NOT NULL,
	`accessibility` text DEFAULT '' NOT NULL,
	`agency` text DEFAULT '' NOT NULL,
	`position` text DEFAULT '' NOT NULL,
	`official_email` text DEFAULT '' NOT NULL,
	`company` text DEFAULT '' NOT NULL,
	`role` text DEFAULT '' NOT NULL,
	`institution` text DEFAULT '' NOT NULL,
	`policy_body` text DEFAULT '' NOT NULL,
	`list_consent` integer DEFAULT false NOT NULL,
	`privacy_consent_at` integer NOT NULL,
	`domain_verified` integer DEFAULT false NOT NULL,
	`seat_held` integer DEFAULT false NOT NULL,
	`waitlisted_at` integer,
	`expires_at` integer,
	`ticket_nonce` text NOT NULL,
	`ticket_hash` text NOT NULL,
	`checked_in_at` integer,
	`rejection_reason` text DEFAULT '' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `registrations_ticket_hash_unique` ON `registrations` (`ticket_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `registrations_one_active_per_email` ON `registrations` (`email`) WHERE status in ('pending_email', 'pending_review', 'confirmed', 'waitlisted');--> statement-breakpoint
CREATE INDEX `registrations_category_seat` ON `registrations` (`category`,`seat_held`);--> statement-breakpoint
CREATE INDEX `registrations_waitlist` ON `registrations` (`status`,`waitlisted_at`);--> statement-breakpoint
CREATE INDEX `registrations_expiry` ON `registrations` (`status`,`expires_at`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`template` text NOT NULL,
	`language` text NOT NULL,
	`recipient` text NOT NULL,
	`payload` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`lease_until` integer,
	`last_error` text,
	`provider_message_id` text,
	`registration_id` integer,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `outbox_due` ON `outbox` (`state`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `outbox_registration` ON `outbox` (`registration_id`);