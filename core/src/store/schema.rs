//! The tables, as diesel sees them; kept in step with `migrations/` by a test that migrates both
//! backends and queries every table.

// Generated from the migrations by hand: diesel print-schema is not run at build time.

diesel::table! {
    organizations (id) {
        id -> BigInt,
        name -> Text,
        recorded_at -> Timestamp,
        records_revision -> BigInt,
    }
}

diesel::table! {
    practices (id) {
        id -> BigInt,
        organization_id -> BigInt,
        name -> Text,
        initial_focus_population -> Nullable<Text>,
        catalog_id -> Text,
        catalog_version -> Text,
        recorded_at -> Timestamp,
        joined_on -> Nullable<Date>,
        time_zone -> Text,
        records_revision -> BigInt,
    }
}

diesel::table! {
    staff (id) {
        id -> BigInt,
        practice_id -> BigInt,
        name -> Text,
        role -> Text,
        started_on -> Date,
        ended_on -> Nullable<Date>,
        recorded_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
        voided_by_user -> Nullable<BigInt>,
        voided_by_token -> Nullable<BigInt>,
        voided_by -> Nullable<Text>,
        void_reason -> Nullable<Text>,
        replaces -> Nullable<BigInt>,
        replaced_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    documents (id) {
        id -> BigInt,
        organization_id -> BigInt,
        practice_id -> Nullable<BigInt>,
        title -> Text,
        document_type -> Text,
        criteria -> Text,
        effective_on -> Date,
        file_name -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        catalog_id -> Text,
        catalog_version -> Text,
        recorded_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
        voided_by_user -> Nullable<BigInt>,
        voided_by_token -> Nullable<BigInt>,
        voided_by -> Nullable<Text>,
        void_reason -> Nullable<Text>,
        replaces -> Nullable<BigInt>,
        replaced_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    training_records (id) {
        id -> BigInt,
        practice_id -> BigInt,
        staff_id -> BigInt,
        topic -> Text,
        completed_on -> Date,
        hours -> Double,
        trainer -> Nullable<Text>,
        document_id -> Nullable<BigInt>,
        catalog_id -> Text,
        catalog_version -> Text,
        recorded_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
        voided_by_user -> Nullable<BigInt>,
        voided_by_token -> Nullable<BigInt>,
        voided_by -> Nullable<Text>,
        void_reason -> Nullable<Text>,
        replaces -> Nullable<BigInt>,
        replaced_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    team_meetings (id) {
        id -> BigInt,
        practice_id -> BigInt,
        held_on -> Date,
        kind -> Text,
        patients_reviewed -> Integer,
        documented_in_chart -> Bool,
        catalog_id -> Text,
        catalog_version -> Text,
        recorded_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
        voided_by_user -> Nullable<BigInt>,
        voided_by_token -> Nullable<BigInt>,
        voided_by -> Nullable<Text>,
        void_reason -> Nullable<Text>,
        replaces -> Nullable<BigInt>,
        replaced_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    meeting_attendees (id) {
        id -> BigInt,
        meeting_id -> BigInt,
        role -> Text,
        staff_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    meeting_follow_ups (id) {
        id -> BigInt,
        meeting_id -> BigInt,
        description -> Text,
        owner_id -> Nullable<BigInt>,
        due_on -> Date,
        completed_on -> Nullable<Date>,
        voided_at -> Nullable<Timestamp>,
        voided_by_user -> Nullable<BigInt>,
        voided_by_token -> Nullable<BigInt>,
        voided_by -> Nullable<Text>,
        void_reason -> Nullable<Text>,
        replaces -> Nullable<BigInt>,
        replaced_by -> Nullable<BigInt>,
        recorded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    care_plans (id) {
        id -> BigInt,
        practice_id -> BigInt,
        kind -> Text,
        patient_ref -> Text,
        initiating_provider -> BigInt,
        discussed_on -> Date,
        established_on -> Nullable<Date>,
        documented_in_record -> Bool,
        recorded_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
        voided_by_user -> Nullable<BigInt>,
        voided_by_token -> Nullable<BigInt>,
        voided_by -> Nullable<Text>,
        void_reason -> Nullable<Text>,
        replaces -> Nullable<BigInt>,
        replaced_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    care_partners (id) {
        id -> BigInt,
        care_plan_id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    care_plan_shares (id) {
        id -> BigInt,
        care_plan_id -> BigInt,
        partner_id -> BigInt,
        shared_on -> Date,
        method -> Text,
        recorded_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
        voided_by_user -> Nullable<BigInt>,
        voided_by_token -> Nullable<BigInt>,
        voided_by -> Nullable<Text>,
        void_reason -> Nullable<Text>,
        replaces -> Nullable<BigInt>,
        replaced_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    attestations (id) {
        id -> BigInt,
        organization_id -> BigInt,
        practice_id -> Nullable<BigInt>,
        criterion -> Text,
        catalog_id -> Text,
        catalog_version -> Text,
        status -> Text,
        effective_on -> Date,
        signer -> Text,
        signer_role -> Text,
        statement -> Text,
        evidence -> Text,
        supersedes_id -> Nullable<BigInt>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    survey_results (id) {
        id -> BigInt,
        practice_id -> BigInt,
        kind -> Text,
        conducted_on -> Date,
        respondents -> Integer,
        score -> Double,
        catalog_id -> Text,
        catalog_version -> Text,
        recorded_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
        voided_by_user -> Nullable<BigInt>,
        voided_by_token -> Nullable<BigInt>,
        voided_by -> Nullable<Text>,
        void_reason -> Nullable<Text>,
        replaces -> Nullable<BigInt>,
        replaced_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    periodic_reports (id) {
        id -> BigInt,
        organization_id -> BigInt,
        practice_id -> Nullable<BigInt>,
        report_type -> Text,
        period_start -> Date,
        period_end -> Date,
        document_id -> Nullable<BigInt>,
        catalog_id -> Text,
        catalog_version -> Text,
        recorded_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
        voided_by_user -> Nullable<BigInt>,
        voided_by_token -> Nullable<BigInt>,
        voided_by -> Nullable<Text>,
        void_reason -> Nullable<Text>,
        replaces -> Nullable<BigInt>,
        replaced_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    tokens (id) {
        id -> BigInt,
        label -> Text,
        secret_sha256 -> Text,
        role -> Text,
        organization_id -> Nullable<BigInt>,
        practice_id -> Nullable<BigInt>,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        user_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_events (chain, seq) {
        seq -> BigInt,
        occurred_at -> Timestamp,
        token_id -> Nullable<BigInt>,
        action -> Text,
        record_kind -> Text,
        record_id -> Nullable<BigInt>,
        organization_id -> Nullable<BigInt>,
        practice_id -> Nullable<BigInt>,
        content -> Text,
        prev_hash -> Text,
        hash -> Text,
        user_id -> Nullable<BigInt>,
        chain -> BigInt,
    }
}

diesel::table! {
    audit_chain_head (chain) {
        chain -> BigInt,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        role -> Text,
        organization_id -> Nullable<BigInt>,
        practice_id -> Nullable<BigInt>,
        password_hash -> Nullable<Text>,
        invite_sha256 -> Nullable<Text>,
        invite_expires_at -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
        created_by_user -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id_sha256) {
        id_sha256 -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> BigInt,
        key -> Text,
        failed_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(practices -> organizations (organization_id));
diesel::joinable!(staff -> practices (practice_id));
diesel::joinable!(documents -> organizations (organization_id));
diesel::joinable!(documents -> practices (practice_id));
diesel::joinable!(training_records -> practices (practice_id));
diesel::joinable!(training_records -> staff (staff_id));
diesel::joinable!(training_records -> documents (document_id));
diesel::joinable!(team_meetings -> practices (practice_id));
diesel::joinable!(meeting_attendees -> team_meetings (meeting_id));
diesel::joinable!(meeting_attendees -> staff (staff_id));
diesel::joinable!(meeting_follow_ups -> team_meetings (meeting_id));
diesel::joinable!(meeting_follow_ups -> staff (owner_id));
diesel::joinable!(care_plans -> practices (practice_id));
diesel::joinable!(care_plans -> staff (initiating_provider));
diesel::joinable!(care_partners -> care_plans (care_plan_id));
diesel::joinable!(care_plan_shares -> care_plans (care_plan_id));
diesel::joinable!(care_plan_shares -> care_partners (partner_id));
diesel::joinable!(attestations -> organizations (organization_id));
diesel::joinable!(attestations -> practices (practice_id));
diesel::joinable!(survey_results -> practices (practice_id));
diesel::joinable!(periodic_reports -> organizations (organization_id));
diesel::joinable!(periodic_reports -> practices (practice_id));
diesel::joinable!(periodic_reports -> documents (document_id));

diesel::table! {
    kept_practice_evaluations (practice_id, day) {
        practice_id -> BigInt,
        day -> Date,
        records_revision -> BigInt,
        fingerprint -> Text,
        catalog_version -> Text,
        cells -> Text,
        computed_at -> Timestamp,
    }
}

diesel::table! {
    kept_practice_due_lists (practice_id, day) {
        practice_id -> BigInt,
        day -> Date,
        due -> Text,
    }
}

diesel::table! {
    kept_organization_evaluations (organization_id, day) {
        organization_id -> BigInt,
        day -> Date,
        records_revision -> BigInt,
        fingerprint -> Text,
        evaluation -> Text,
        computed_at -> Timestamp,
    }
}

diesel::joinable!(kept_practice_evaluations -> practices (practice_id));
diesel::joinable!(kept_practice_due_lists -> practices (practice_id));
diesel::joinable!(kept_organization_evaluations -> organizations (organization_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    practices,
    staff,
    documents,
    training_records,
    team_meetings,
    meeting_attendees,
    meeting_follow_ups,
    care_plans,
    care_partners,
    care_plan_shares,
    attestations,
    survey_results,
    periodic_reports,
    tokens,
    audit_events,
    audit_chain_head,
    users,
    sessions,
    sign_in_failures,
    kept_practice_evaluations,
    kept_practice_due_lists,
    kept_organization_evaluations,
);
