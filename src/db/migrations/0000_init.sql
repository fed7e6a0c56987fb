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
CREATE TABLE "wecom_access_tokens" (
	"corp_id" text NOT NULL,
	"secret_kind" text NOT NULL,
	"access_token" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "wecom_access_tokens_corp_id_secret_kind_pk" PRIMARY KEY("corp_id","secret_kind")
);
--> statement-breakpoint
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
CREATE INDEX "app_messages_claim" ON "app_messages" USING btree ("corp_id","available_at") WHERE status = 'pending';