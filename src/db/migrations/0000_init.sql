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
	"resolved_at" timestamp with time zone
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
	"recency_days" integer,
	"frequency" integer DEFAULT 0 NOT NULL,
	"monetary" numeric(16, 2) DEFAULT '0' NOT NULL,
	"r" smallint,
	"f" smallint,
	"m" smallint,
	"tier" text NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
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
CREATE TABLE "handover_audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"plan_id" bigint,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"detail" jsonb,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "handover_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"plan_id" bigint NOT NULL,
	"type" text NOT NULL,
	"target_id" text NOT NULL,
	"from_user_id" text NOT NULL,
	"to_user_id" text NOT NULL,
	"reason" text,
	"errcode" integer,
	"sent_at" timestamp with time zone,
	"takeover_at" timestamp with time zone,
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
CREATE TABLE "handover_plans" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"from_user_id" text NOT NULL,
	"takeover_user_ids" text[] NOT NULL,
	"rule" text NOT NULL,
	"transfer_message" text,
	"selection" jsonb NOT NULL,
	"notify_user_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"automatic" boolean DEFAULT false NOT NULL,
	"created_by" text NOT NULL,
	"confirmed_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"confirmed_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "unassigned_customers" (
	"corp_id" text NOT NULL,
	"handover_user_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"dimission_at" timestamp with time zone,
	"synced_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"kind" text NOT NULL,
	"user_id" text NOT NULL,
	"external_user_id" text,
	"recipients" text[] DEFAULT '{}'::text[] NOT NULL,
	"source_key" text NOT NULL,
	"detail" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customer_groups" (
	"corp_id" text NOT NULL,
	"chat_id" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"owner_user_id" text,
	"notice" text,
	"status" text DEFAULT 'active' NOT NULL,
	"wecom_status" integer,
	"member_version" text,
	"created_at" timestamp with time zone,
	"dismissed_at" timestamp with time zone,
	"last_seen_sync_id" bigint,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customer_groups_corp_id_chat_id_pk" PRIMARY KEY("corp_id","chat_id")
);
--> statement-breakpoint
CREATE TABLE "departments" (
	"corp_id" text NOT NULL,
	"id" integer NOT NULL,
	"name" text NOT NULL,
	"parent_id" integer,
	"leader_user_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"sort_order" integer,
	"removed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "departments_corp_id_id_pk" PRIMARY KEY("corp_id","id")
);
--> statement-breakpoint
CREATE TABLE "employees" (
	"corp_id" text NOT NULL,
	"user_id" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"department_ids" integer[] DEFAULT '{}'::int[] NOT NULL,
	"main_department" integer,
	"leader_of" integer[] DEFAULT '{}'::int[] NOT NULL,
	"position" text,
	"status" text DEFAULT 'active' NOT NULL,
	"wecom_status" integer,
	"has_customer_contact" boolean DEFAULT false NOT NULL,
	"departed_at" timestamp with time zone,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "employees_corp_id_user_id_pk" PRIMARY KEY("corp_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "external_contacts" (
	"corp_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"type" integer,
	"gender" integer,
	"avatar" text,
	"union_id" text,
	"position" text,
	"corp_name" text,
	"corp_full_name" text,
	"connected" boolean DEFAULT true NOT NULL,
	"disconnected_at" timestamp with time zone,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "external_contacts_corp_id_external_user_id_pk" PRIMARY KEY("corp_id","external_user_id")
);
--> statement-breakpoint
CREATE TABLE "group_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"chat_id" text NOT NULL,
	"member_id" text,
	"change" text NOT NULL,
	"cause" text NOT NULL,
	"event_id" bigint,
	"sync_job_id" bigint,
	"detail" jsonb,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "group_members" (
	"corp_id" text NOT NULL,
	"chat_id" text NOT NULL,
	"member_id" text NOT NULL,
	"type" integer NOT NULL,
	"join_scene" integer,
	"joined_at" timestamp with time zone,
	"invitor_user_id" text,
	"group_nickname" text,
	"name" text,
	"state" text,
	"is_admin" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"left_at" timestamp with time zone,
	"quit_scene" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "group_members_corp_id_chat_id_member_id_pk" PRIMARY KEY("corp_id","chat_id","member_id")
);
--> statement-breakpoint
CREATE TABLE "relation_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"relation_id" bigint NOT NULL,
	"user_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"change" text NOT NULL,
	"from_status" text,
	"to_status" text,
	"cause" text NOT NULL,
	"event_id" bigint,
	"sync_job_id" bigint,
	"detail" jsonb,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "relation_tags" (
	"corp_id" text NOT NULL,
	"relation_id" bigint NOT NULL,
	"tag_id" text NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "relation_tags_corp_id_relation_id_tag_id_pk" PRIMARY KEY("corp_id","relation_id","tag_id")
);
--> statement-breakpoint
CREATE TABLE "relations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"user_id" text NOT NULL,
	"external_user_id" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"remark" text,
	"description" text,
	"remark_corp_name" text,
	"remark_mobiles" text[],
	"add_way" integer,
	"state" text,
	"oper_user_id" text,
	"added_at" timestamp with time zone,
	"status_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_sync_id" bigint,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_jobs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"trigger" text NOT NULL,
	"phase" text DEFAULT 'employees' NOT NULL,
	"position" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"progress_done" integer DEFAULT 0 NOT NULL,
	"progress_total" integer DEFAULT 0 NOT NULL,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"warnings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"locked_by" text,
	"last_error" text,
	"dead_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "tag_groups" (
	"corp_id" text NOT NULL,
	"group_id" text NOT NULL,
	"name" text NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tag_groups_corp_id_group_id_pk" PRIMARY KEY("corp_id","group_id")
);
--> statement-breakpoint
CREATE TABLE "tags" (
	"corp_id" text NOT NULL,
	"tag_id" text NOT NULL,
	"group_id" text NOT NULL,
	"name" text NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tags_corp_id_tag_id_pk" PRIMARY KEY("corp_id","tag_id")
);
--> statement-breakpoint
CREATE TABLE "app_messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"corp_id" text NOT NULL,
	"to_user_ids" text[] NOT NULL,
	"content" text NOT NULL,
	"purpose" text NOT NULL,
	"source_key" text NOT NULL,
	"msg_id" text,
	"invalid_user_ids" text[],
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"detail" jsonb,
	"status" text DEFAULT 'pending' NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"locked_by" text,
	"last_error" text,
	"dead_at" timestamp with time zone
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
CREATE TABLE "wecom_access_tokens" (
	"corp_id" text NOT NULL,
	"secret_kind" text NOT NULL,
	"access_token" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "wecom_access_tokens_corp_id_secret_kind_pk" PRIMARY KEY("corp_id","secret_kind")
);
--> statement-breakpoint
CREATE INDEX "auto_tag_rules_corp" ON "auto_tag_rules" USING btree ("corp_id");--> statement-breakpoint
CREATE UNIQUE INDEX "churn_warnings_transition" ON "churn_warnings" USING btree ("corp_id","kind","external_user_id","transition_key");--> statement-breakpoint
CREATE INDEX "churn_warnings_digest" ON "churn_warnings" USING btree ("corp_id","user_id") WHERE digest_sent_at is null;--> statement-breakpoint
CREATE INDEX "complaints_customer" ON "complaints" USING btree ("corp_id","external_user_id","opened_at");--> statement-breakpoint
CREATE INDEX "complaints_open" ON "complaints" USING btree ("corp_id","opened_at") WHERE status = 'open';--> statement-breakpoint
CREATE INDEX "custom_field_values_field" ON "custom_field_values" USING btree ("corp_id","field_id");--> statement-breakpoint
CREATE UNIQUE INDEX "custom_fields_key" ON "custom_fields" USING btree ("corp_id","key");--> statement-breakpoint
CREATE INDEX "customer_scores_tier" ON "customer_scores" USING btree ("corp_id","tier");--> statement-breakpoint
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
CREATE UNIQUE INDEX "inbound_events_dedupe" ON "inbound_events" USING btree ("corp_id","dedupe_key");--> statement-breakpoint
CREATE INDEX "inbound_events_claim" ON "inbound_events" USING btree ("corp_id","priority" DESC NULLS LAST,"available_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "inbound_events_recent" ON "inbound_events" USING btree ("corp_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "handover_audit_recent" ON "handover_audit" USING btree ("corp_id","id");--> statement-breakpoint
CREATE INDEX "handover_audit_plan" ON "handover_audit" USING btree ("corp_id","plan_id");--> statement-breakpoint
CREATE INDEX "handover_items_plan" ON "handover_items" USING btree ("corp_id","plan_id","id");--> statement-breakpoint
CREATE INDEX "handover_items_claim" ON "handover_items" USING btree ("corp_id","available_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "handover_items_waiting" ON "handover_items" USING btree ("corp_id","from_user_id","to_user_id") WHERE status = 'waiting';--> statement-breakpoint
CREATE INDEX "handover_items_waiting_target" ON "handover_items" USING btree ("corp_id","target_id") WHERE status = 'waiting';--> statement-breakpoint
CREATE UNIQUE INDEX "handover_items_open_target" ON "handover_items" USING btree ("corp_id","type","target_id","from_user_id") WHERE status in ('planned', 'pending', 'waiting');--> statement-breakpoint
CREATE INDEX "handover_plans_recent" ON "handover_plans" USING btree ("corp_id","id");--> statement-breakpoint
CREATE INDEX "handover_plans_from" ON "handover_plans" USING btree ("corp_id","from_user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "unassigned_pair" ON "unassigned_customers" USING btree ("corp_id","handover_user_id","external_user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_source" ON "alerts" USING btree ("corp_id","source_key");--> statement-breakpoint
CREATE INDEX "alerts_recent" ON "alerts" USING btree ("corp_id","id");--> statement-breakpoint
CREATE INDEX "customer_groups_owner" ON "customer_groups" USING btree ("corp_id","owner_user_id");--> statement-breakpoint
CREATE INDEX "external_contacts_name" ON "external_contacts" USING btree ("corp_id","name");--> statement-breakpoint
CREATE INDEX "group_history_chat" ON "group_history" USING btree ("corp_id","chat_id","id");--> statement-breakpoint
CREATE INDEX "group_history_member" ON "group_history" USING btree ("corp_id","member_id");--> statement-breakpoint
CREATE INDEX "group_members_member" ON "group_members" USING btree ("corp_id","member_id");--> statement-breakpoint
CREATE INDEX "relation_history_customer" ON "relation_history" USING btree ("corp_id","external_user_id","id");--> statement-breakpoint
CREATE INDEX "relation_history_rep" ON "relation_history" USING btree ("corp_id","user_id","id");--> statement-breakpoint
CREATE INDEX "relation_tags_tag" ON "relation_tags" USING btree ("corp_id","tag_id");--> statement-breakpoint
CREATE UNIQUE INDEX "relations_pair" ON "relations" USING btree ("corp_id","user_id","external_user_id");--> statement-breakpoint
CREATE INDEX "relations_customer" ON "relations" USING btree ("corp_id","external_user_id");--> statement-breakpoint
CREATE INDEX "relations_owner_status" ON "relations" USING btree ("corp_id","user_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_jobs_one_open" ON "sync_jobs" USING btree ("corp_id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "sync_jobs_recent" ON "sync_jobs" USING btree ("corp_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "app_messages_source" ON "app_messages" USING btree ("corp_id","source_key");--> statement-breakpoint
CREATE INDEX "app_messages_claim" ON "app_messages" USING btree ("corp_id","available_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "segment_members_customer" ON "segment_members" USING btree ("corp_id","external_user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "segments_name" ON "segments" USING btree ("corp_id","name");