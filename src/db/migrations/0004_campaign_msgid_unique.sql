DROP INDEX "campaign_batches_msgid";--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_batches_msgid" ON "campaign_batches" USING btree ("corp_id","msgid") WHERE msgid is not null;