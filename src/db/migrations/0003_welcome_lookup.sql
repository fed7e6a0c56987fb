ALTER TABLE "welcome_sends" ADD COLUMN "filled" text[];--> statement-breakpoint
ALTER TABLE "welcome_sends" ADD COLUMN "customer_lookup" text;--> statement-breakpoint
ALTER TABLE "welcome_sends" ADD COLUMN "customer_lookup_error" text;