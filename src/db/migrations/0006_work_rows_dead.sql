CREATE INDEX "tag_changes_dead" ON "tag_changes" USING btree ("corp_id") WHERE status = 'dead';--> statement-breakpoint
CREATE INDEX "inbound_events_dead" ON "inbound_events" USING btree ("corp_id") WHERE status = 'dead';--> statement-breakpoint
CREATE INDEX "handover_items_dead" ON "handover_items" USING btree ("corp_id") WHERE status = 'dead';--> statement-breakpoint
CREATE INDEX "app_messages_dead" ON "app_messages" USING btree ("corp_id") WHERE status = 'dead';--> statement-breakpoint
CREATE INDEX "campaign_batches_dead" ON "campaign_batches" USING btree ("corp_id") WHERE status = 'dead';--> statement-breakpoint
CREATE INDEX "campaign_runs_dead" ON "campaign_runs" USING btree ("corp_id") WHERE status = 'dead';