DROP INDEX "campaign_batches_msgid";--> statement-breakpoint
ALTER TABLE "campaign_batches" ADD COLUMN "poll_failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_batches_msgid" ON "campaign_batches" USING btree ("corp_id","msgid") WHERE msgid is not null;