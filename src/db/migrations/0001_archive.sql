CREATE TABLE "archive_settings" (
	"corp_id" text PRIMARY KEY NOT NULL,
	"stage_rules" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "auto_tag_rules" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"name" text NOT NULL,
	"rule" jsonb NOT NULL,
	"tag_id" text NOT NULL,
	"action" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "churn_warnings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"user_id" text,
	"kind" text NOT NULL,
	"transition_key" text NOT NULL,
	"detail" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"digest_sent_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"resolved_by" text,
	"resolution" text
);
--> statement-breakpoint
CREATE TABLE "complaints" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"user_id" text NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"content" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" text,
	"resolution" text
);
--> statement-breakpoint
CREATE TABLE "custom_field_values" (
	"corp_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"field_id" bigint NOT NULL,
	"value" jsonb NOT NULL,
	"updated_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "custom_field_values_corp_id_external_user_id_field_id_pk" PRIMARY KEY("corp_id","external_user_id","field_id")
);
--> statement-breakpoint
CREATE TABLE "custom_fields" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"key" text NOT NULL,
	"label" text NOT NULL,
	"type" text NOT NULL,
	"options" text[] DEFAULT '{}'::text[] NOT NULL,
	"required" boolean DEFAULT false NOT NULL,
	"validation" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"archived_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "customer_scores" (
	"corp_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"last_order_at" timestamp with time zone,
	"frequency" integer DEFAULT 0 NOT NULL,
	"monetary" numeric(16, 2) DEFAULT '0' NOT NULL,
	"r" smallint,
	"f" smallint,
	"m" smallint,
	"tier" text NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customer_scores_corp_id_external_user_id_pk" PRIMARY KEY("corp_id","external_user_id")
);
--> statement-breakpoint
CREATE TABLE "customer_stages" (
	"corp_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"stage" text NOT NULL,
	"since" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customer_stages_corp_id_external_user_id_pk" PRIMARY KEY("corp_id","external_user_id")
);
--> statement-breakpoint
CREATE TABLE "follow_ups" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"user_id" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"channel" text NOT NULL,
	"content" text NOT NULL,
	"next_follow_up_at" timestamp with time zone,
	"reminded_at" timestamp with time zone,
	"template_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "interactions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"user_id" text,
	"kind" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"source_event_id" bigint,
	"detail" jsonb
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"external_order_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"amount" numeric(14, 2) NOT NULL,
	"currency" text DEFAULT 'CNY' NOT NULL,
	"ordered_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'paid' NOT NULL,
	"items" jsonb,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stage_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"from_stage" text,
	"to_stage" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"reason" jsonb
);
--> statement-breakpoint
CREATE TABLE "tag_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"user_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"add_tag_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"remove_tag_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"rule_id" bigint,
	"status" text DEFAULT 'pending' NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"locked_by" text,
	"last_error" text,
	"dead_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"done_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "segment_members" (
	"corp_id" text NOT NULL,
	"segment_id" bigint NOT NULL,
	"external_user_id" text NOT NULL,
	"materialised_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "segment_members_corp_id_segment_id_external_user_id_pk" PRIMARY KEY("corp_id","segment_id","external_user_id")
);
--> statement-breakpoint
CREATE TABLE "segments" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"rule" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"materialised_at" timestamp with time zone,
	"member_count" bigint
);
--> statement-breakpoint
CREATE INDEX "auto_tag_rules_corp" ON "auto_tag_rules" USING btree ("corp_id");--> statement-breakpoint
CREATE UNIQUE INDEX "churn_warnings_transition" ON "churn_warnings" USING btree ("corp_id","kind","external_user_id","transition_key");--> statement-breakpoint
CREATE INDEX "churn_warnings_digest" ON "churn_warnings" USING btree ("corp_id","user_id") WHERE digest_sent_at is null;--> statement-breakpoint
CREATE INDEX "complaints_customer" ON "complaints" USING btree ("corp_id","external_user_id","opened_at");--> statement-breakpoint
CREATE INDEX "complaints_open" ON "complaints" USING btree ("corp_id","opened_at") WHERE status = 'open';--> statement-breakpoint
CREATE INDEX "custom_field_values_field" ON "custom_field_values" USING btree ("corp_id","field_id");--> statement-breakpoint
CREATE UNIQUE INDEX "custom_fields_key" ON "custom_fields" USING btree ("corp_id","key");--> statement-breakpoint
CREATE INDEX "customer_stages_stage" ON "customer_stages" USING btree ("corp_id","stage");--> statement-breakpoint
CREATE INDEX "follow_ups_customer" ON "follow_ups" USING btree ("corp_id","external_user_id","at");--> statement-breakpoint
CREATE INDEX "follow_ups_due" ON "follow_ups" USING btree ("corp_id","next_follow_up_at") WHERE reminded_at is null and next_follow_up_at is not null;--> statement-breakpoint
CREATE INDEX "interactions_customer" ON "interactions" USING btree ("corp_id","external_user_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "interactions_source" ON "interactions" USING btree ("corp_id","source_event_id","external_user_id","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "orders_external_id" ON "orders" USING btree ("corp_id","external_order_id");--> statement-breakpoint
CREATE INDEX "orders_customer" ON "orders" USING btree ("corp_id","external_user_id","ordered_at");--> statement-breakpoint
CREATE INDEX "stage_changes_customer" ON "stage_changes" USING btree ("corp_id","external_user_id","at");--> statement-breakpoint
CREATE INDEX "stage_changes_recent" ON "stage_changes" USING btree ("corp_id","at");--> statement-breakpoint
CREATE INDEX "tag_changes_claim" ON "tag_changes" USING btree ("corp_id","available_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "segment_members_customer" ON "segment_members" USING btree ("corp_id","external_user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "segments_name" ON "segments" USING btree ("corp_id","name");--> statement-breakpoint
CREATE INDEX "external_contacts_connected" ON "external_contacts" USING btree ("corp_id","external_user_id") WHERE connected;