CREATE TABLE "channels" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"name" text NOT NULL,
	"state" text NOT NULL,
	"status" text DEFAULT 'creating' NOT NULL,
	"config_id" text,
	"qr_code" text,
	"user_ids" text[] NOT NULL,
	"remark" text DEFAULT '' NOT NULL,
	"skip_verify" boolean DEFAULT true NOT NULL,
	"welcome_template_id" bigint,
	"tag_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"wecom_synced_version" integer DEFAULT 0 NOT NULL,
	"wecom_locked_until" timestamp with time zone,
	"last_errcode" integer,
	"last_error" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "media" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"filename" text NOT NULL,
	"content_type" text NOT NULL,
	"type" text NOT NULL,
	"size" integer NOT NULL,
	"sha256" text NOT NULL,
	"data" "bytea" NOT NULL,
	"wecom_media_id" text,
	"wecom_uploaded_at" timestamp with time zone,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "template_uses" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"client_key" text,
	"template_id" bigint NOT NULL,
	"user_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"follow_up_id" bigint NOT NULL,
	"text" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "templates" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"name" text NOT NULL,
	"category" text DEFAULT '' NOT NULL,
	"kind" text NOT NULL,
	"text" text DEFAULT '' NOT NULL,
	"attachments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_by" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"wecom_template_id" text,
	"wecom_status" text DEFAULT 'none' NOT NULL,
	"wecom_synced_version" integer DEFAULT 0 NOT NULL,
	"wecom_locked_until" timestamp with time zone,
	"wecom_errcode" integer,
	"wecom_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"archived_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "welcome_sends" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"welcome_code" text NOT NULL,
	"event_id" bigint,
	"user_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"state" text,
	"channel_id" bigint,
	"template_id" bigint,
	"status" text NOT NULL,
	"errcode" integer,
	"error" text,
	"content" text,
	"attachment_types" text[] DEFAULT '{}'::text[] NOT NULL,
	"missing" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "welcome_settings" (
	"corp_id" text PRIMARY KEY NOT NULL,
	"default_welcome_template_id" bigint,
	"default_group_welcome_template_id" bigint,
	"updated_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaign_batches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"campaign_id" bigint NOT NULL,
	"run_id" bigint NOT NULL,
	"sender" text NOT NULL,
	"batch_no" integer NOT NULL,
	"recipients" integer NOT NULL,
	"text" text,
	"attachments" jsonb,
	"sending_at" timestamp with time zone,
	"msgid" text,
	"msgid_source" text,
	"fail_count" integer,
	"errcode" integer,
	"answered_at" timestamp with time zone,
	"sender_sent_at" timestamp with time zone,
	"deferred_until" timestamp with time zone,
	"reminders" integer DEFAULT 0 NOT NULL,
	"last_reminded_at" timestamp with time zone,
	"final_at" timestamp with time zone,
	"status" text DEFAULT 'pending' NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"locked_by" text,
	"last_error" text,
	"dead_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "campaign_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"campaign_id" bigint NOT NULL,
	"run_id" bigint NOT NULL,
	"recipient_id" text NOT NULL,
	"recipient_kind" text NOT NULL,
	"sender" text NOT NULL,
	"batch_no" integer,
	"status" text NOT NULL,
	"reason" text,
	"planned_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	"final_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "campaign_reminders" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"batch_id" bigint NOT NULL,
	"msgid" text NOT NULL,
	"status" text DEFAULT 'sending' NOT NULL,
	"errcode" integer,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaign_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"campaign_id" bigint NOT NULL,
	"scheduled_at" timestamp with time zone NOT NULL,
	"reason" text,
	"deferred_until" timestamp with time zone,
	"planned_at" timestamp with time zone,
	"summary" jsonb,
	"completed_at" timestamp with time zone,
	"status" text DEFAULT 'pending' NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"locked_by" text,
	"last_error" text,
	"dead_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"audience" jsonb NOT NULL,
	"content" jsonb NOT NULL,
	"schedule_type" text,
	"run_at" timestamp with time zone,
	"cron" text,
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"timezone" text NOT NULL,
	"owner_rule" text DEFAULT 'recent_added' NOT NULL,
	"planned_through" timestamp with time zone,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"activated_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "channels_state" ON "channels" USING btree ("corp_id","state");--> statement-breakpoint
CREATE UNIQUE INDEX "channels_config_id" ON "channels" USING btree ("corp_id","config_id") WHERE config_id is not null;--> statement-breakpoint
CREATE INDEX "channels_wecom_owed" ON "channels" USING btree ("corp_id") WHERE status in ('creating', 'deleting') or version > wecom_synced_version;--> statement-breakpoint
CREATE INDEX "media_sha256" ON "media" USING btree ("corp_id","sha256");--> statement-breakpoint
CREATE UNIQUE INDEX "template_uses_key" ON "template_uses" USING btree ("corp_id","client_key") WHERE client_key is not null;--> statement-breakpoint
CREATE INDEX "template_uses_template" ON "template_uses" USING btree ("corp_id","template_id");--> statement-breakpoint
CREATE INDEX "templates_list" ON "templates" USING btree ("corp_id","kind","category","id") WHERE archived_at is null;--> statement-breakpoint
CREATE INDEX "templates_wecom_owed" ON "templates" USING btree ("corp_id") WHERE wecom_status in ('adding', 'editing', 'deleting');--> statement-breakpoint
CREATE UNIQUE INDEX "welcome_sends_code" ON "welcome_sends" USING btree ("corp_id","welcome_code");--> statement-breakpoint
CREATE INDEX "welcome_sends_customer" ON "welcome_sends" USING btree ("corp_id","external_user_id","created_at");--> statement-breakpoint
CREATE INDEX "welcome_sends_open" ON "welcome_sends" USING btree ("corp_id","created_at") WHERE status = 'sending';--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_batches_key" ON "campaign_batches" USING btree ("run_id","sender","batch_no");--> statement-breakpoint
CREATE INDEX "campaign_batches_run" ON "campaign_batches" USING btree ("corp_id","run_id");--> statement-breakpoint
CREATE INDEX "campaign_batches_claim" ON "campaign_batches" USING btree ("corp_id","available_at") WHERE status in ('pending', 'sending', 'waiting');--> statement-breakpoint
CREATE INDEX "campaign_batches_msgid" ON "campaign_batches" USING btree ("corp_id","msgid");--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_deliveries_recipient" ON "campaign_deliveries" USING btree ("run_id","recipient_id");--> statement-breakpoint
CREATE INDEX "campaign_deliveries_batch" ON "campaign_deliveries" USING btree ("run_id","sender","batch_no");--> statement-breakpoint
CREATE INDEX "campaign_deliveries_history" ON "campaign_deliveries" USING btree ("corp_id","recipient_id","planned_at");--> statement-breakpoint
CREATE INDEX "campaign_reminders_batch" ON "campaign_reminders" USING btree ("batch_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_runs_occurrence" ON "campaign_runs" USING btree ("campaign_id","scheduled_at");--> statement-breakpoint
CREATE INDEX "campaign_runs_campaign" ON "campaign_runs" USING btree ("corp_id","campaign_id","scheduled_at");--> statement-breakpoint
CREATE INDEX "campaign_runs_claim" ON "campaign_runs" USING btree ("corp_id","available_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "campaigns_recent" ON "campaigns" USING btree ("corp_id","id");--> statement-breakpoint
CREATE INDEX "campaigns_active" ON "campaigns" USING btree ("corp_id") WHERE status = 'active';--> statement-breakpoint
CREATE INDEX "relations_state" ON "relations" USING btree ("corp_id","state") WHERE state is not null;