-- Every change to the programme bumps the 'programme' counter (read by the page cache).
INSERT INTO `change_counters` (`name`, `value`) VALUES ('programme', 0) ON CONFLICT DO NOTHING;
--> statement-breakpoint
CREATE TRIGGER `rooms_insert_bumps_programme` AFTER INSERT ON `rooms` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `rooms_update_bumps_programme` AFTER UPDATE ON `rooms` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `rooms_delete_bumps_programme` AFTER DELETE ON `rooms` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `tracks_insert_bumps_programme` AFTER INSERT ON `tracks` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `tracks_update_bumps_programme` AFTER UPDATE ON `tracks` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `tracks_delete_bumps_programme` AFTER DELETE ON `tracks` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `formats_insert_bumps_programme` AFTER INSERT ON `formats` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `formats_update_bumps_programme` AFTER UPDATE ON `formats` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `formats_delete_bumps_programme` AFTER DELETE ON `formats` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `speakers_insert_bumps_programme` AFTER INSERT ON `speakers` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `speakers_update_bumps_programme` AFTER UPDATE ON `speakers` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `speakers_delete_bumps_programme` AFTER DELETE ON `speakers` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `sessions_insert_bumps_programme` AFTER INSERT ON `sessions` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `sessions_update_bumps_programme` AFTER UPDATE ON `sessions` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `sessions_delete_bumps_programme` AFTER DELETE ON `sessions` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `session_speakers_insert_bumps_programme` AFTER INSERT ON `session_speakers` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `session_speakers_update_bumps_programme` AFTER UPDATE ON `session_speakers` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
--> statement-breakpoint
CREATE TRIGGER `session_speakers_delete_bumps_programme` AFTER DELETE ON `session_speakers` BEGIN UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'programme'; END;
