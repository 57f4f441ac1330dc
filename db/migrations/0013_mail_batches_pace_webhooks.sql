CREATE TABLE `mail_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`subject_en` text DEFAULT '' NOT NULL,
	`subject_fr` text DEFAULT '' NOT NULL,
	`body_en` text DEFAULT '' NOT NULL,
	`body_fr` text DEFAULT '' NOT NULL,
	`filters` text,
	`release` integer,
	`recipients` integer NOT NULL,
	`created_by_email` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`paused_at` integer,
	`paused_by_email` text
);
--> statement-breakpoint
CREATE INDEX `mail_groups_created` ON `mail_groups` (`created_at`);--> statement-breakpoint
CREATE TABLE `mail_pace` (
	`id` integer PRIMARY KEY NOT NULL,
	`quota` integer,
	`recent` text DEFAULT '[]' NOT NULL,
	`round_trips` text DEFAULT '[]' NOT NULL,
	`blocked_until` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `mail_webhook_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `mail_webhook_events_received` ON `mail_webhook_events` (`received_at`);--> statement-breakpoint
ALTER TABLE `registrations` ADD `email_bounced_at` integer;--> statement-breakpoint
ALTER TABLE `registrations` ADD `email_bounce` text;--> statement-breakpoint
ALTER TABLE `outbox` ADD `priority` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `outbox` ADD `expires_at` integer;--> statement-breakpoint
ALTER TABLE `outbox` ADD `batch_id` text;--> statement-breakpoint
ALTER TABLE `outbox` ADD `group_id` text REFERENCES mail_groups(id);--> statement-breakpoint
ALTER TABLE `outbox` ADD `delivery` text;--> statement-breakpoint
ALTER TABLE `outbox` ADD `delivery_detail` text;--> statement-breakpoint
ALTER TABLE `outbox` ADD `delivery_at` integer;--> statement-breakpoint
CREATE INDEX `outbox_queue` ON `outbox` (`state`,`priority`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `outbox_expiry` ON `outbox` (`state`,`expires_at`);--> statement-breakpoint
CREATE INDEX `outbox_batch` ON `outbox` (`batch_id`);--> statement-breakpoint
CREATE INDEX `outbox_group` ON `outbox` (`group_id`,`state`);--> statement-breakpoint
CREATE INDEX `outbox_provider_message` ON `outbox` (`provider_message_id`);--> statement-breakpoint
CREATE INDEX `outbox_delivery` ON `outbox` (`delivery`);--> statement-breakpoint
UPDATE `outbox` SET `priority` = 0 WHERE `template` IN ('auth.sign_in', 'registration.manage_link');--> statement-breakpoint
UPDATE `outbox` SET `priority` = 2 WHERE `template` IN ('announcement', 'programme.release');--> statement-breakpoint
UPDATE `outbox` SET `batch_id` = `id` WHERE `attempts` > 0 AND `state` IN ('pending', 'sending', 'failed');
