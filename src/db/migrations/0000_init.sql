CREATE TABLE "inbound_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"msg_type" text NOT NULL,
	"event" text,
	"change_type" text,
	"dispatch_key" text NOT NULL,
	"payload" jsonb NOT NULL,
	"xml" text NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	"status" text DEFAULT 'pending' NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"locked_by" text,
	"last_error" text,
	"dead_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "inbound_events_dedupe" ON "inbound_events" USING btree ("corp_id","dedupe_key");--> statement-breakpoint
CREATE INDEX "inbound_events_claim" ON "inbound_events" USING btree ("corp_id","priority" DESC NULLS LAST,"available_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "inbound_events_recent" ON "inbound_events" USING btree ("corp_id","id" DESC NULLS LAST);