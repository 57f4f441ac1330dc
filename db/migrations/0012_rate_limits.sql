CREATE TABLE `rate_limits` (
	`limiter` text NOT NULL,
	`key` text NOT NULL,
	`slots` text NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`limiter`, `key`)
);
--> statement-breakpoint
CREATE INDEX `rate_limits_expiry` ON `rate_limits` (`expires_at`);