ALTER TABLE "segments" ADD COLUMN "scope_user_ids" text[];--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "scope_user_ids" text[];