ALTER TABLE "channels" ADD COLUMN "wecom_locked_by" text;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "wecom_locked_by" text;