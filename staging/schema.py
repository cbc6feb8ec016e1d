"""DDL of the staging database. Table names and ledger columns are part of the contract (DESIGN §5)."""

from __future__ import annotations

SCHEMA_VERSION = 1

DDL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS batches (
    batch_id VARCHAR PRIMARY KEY,
    partner_id VARCHAR NOT NULL,
    mode VARCHAR NOT NULL,              -- order | migration
    sources VARCHAR NOT NULL,           -- JSON list of input paths
    received_at TIMESTAMPTZ NOT NULL,
    status VARCHAR NOT NULL,            -- staged | running | done | partial
    options VARCHAR,                    -- JSON: allow_pending_e911, all_or_nothing, cutover
    total INTEGER, valid INTEGER, held INTEGER, skipped INTEGER,
    report_path VARCHAR,
    updated_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS customers (
    batch_id VARCHAR NOT NULL,
    partner_id VARCHAR NOT NULL,
    account_key VARCHAR NOT NULL,
    account VARCHAR NOT NULL,
    row INTEGER,
    status VARCHAR NOT NULL,            -- valid | held | skipped
    codes VARCHAR,                      -- error codes that held it, comma-separated
    fingerprint VARCHAR,
    enterprise_id VARCHAR,
    group_id VARCHAR,
    billing_type VARCHAR,
    billing_start DATE,
    mrc DOUBLE,
    nrc DOUBLE,
    seats INTEGER,
    password_enc VARCHAR,               -- Fernet token, never clear text
    order_kind VARCHAR,                 -- new_customer (NULL: before issue 19) | new_group | add_services
    order_key VARCHAR,                  -- core.order.order_key: the identity of the order (re-send detection)
    PRIMARY KEY (batch_id, account_key)
);
CREATE TABLE IF NOT EXISTS package_lines (
    batch_id VARCHAR NOT NULL,
    account_key VARCHAR NOT NULL,
    row INTEGER,
    order_type VARCHAR,
    package VARCHAR,
    quantity INTEGER,
    billing_package VARCHAR,
    mrc DOUBLE,
    nrc DOUBLE
);
CREATE TABLE IF NOT EXISTS locations (
    batch_id VARCHAR NOT NULL,
    account_key VARCHAR NOT NULL,
    sheet VARCHAR,
    row INTEGER,
    location_name VARCHAR,
    address_1 VARCHAR, address_2 VARCHAR, city VARCHAR, state VARCHAR, zip VARCHAR,
    main_number VARCHAR
);
CREATE TABLE IF NOT EXISTS did_requests (
    batch_id VARCHAR NOT NULL,
    account_key VARCHAR NOT NULL,
    row INTEGER,
    npa VARCHAR, nxx VARCHAR,
    quantity INTEGER,
    numbers VARCHAR,
    purpose VARCHAR,
    fax_email VARCHAR,
    reserved INTEGER,
    backordered INTEGER
);
CREATE TABLE IF NOT EXISTS findings (
    batch_id VARCHAR NOT NULL,
    sheet VARCHAR, row INTEGER, "column" VARCHAR,
    code VARCHAR NOT NULL, severity VARCHAR NOT NULL,
    message VARCHAR, account VARCHAR, value VARCHAR
);
CREATE TABLE IF NOT EXISTS did_inventory (
    number VARCHAR PRIMARY KEY,         -- E.164 +1NXXNXXXXXX
    npa VARCHAR NOT NULL, nxx VARCHAR NOT NULL,
    rate_center VARCHAR, state VARCHAR,
    status VARCHAR NOT NULL,            -- free | reserved | assigned
    partner VARCHAR, account VARCHAR, batch_id VARCHAR,
    updated_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS id_counters (
    scope VARCHAR PRIMARY KEY,          -- 'enterprise' | 'group:<enterprise id>' (ONBOARD_ID_SCHEME=numeric)
    value BIGINT NOT NULL               -- the last number handed out
);
CREATE TABLE IF NOT EXISTS plans (
    batch_id VARCHAR NOT NULL,
    account_key VARCHAR NOT NULL,
    account VARCHAR NOT NULL,
    chunk INTEGER NOT NULL,
    plan VARCHAR NOT NULL,              -- JSON CustomerOrder.to_dict()
    PRIMARY KEY (batch_id, account_key)
);
CREATE TABLE IF NOT EXISTS ledger (
    batch_id VARCHAR NOT NULL,
    account VARCHAR NOT NULL,
    system VARCHAR NOT NULL,            -- broadworks | billing | tickets | mail
    step VARCHAR NOT NULL,
    status VARCHAR NOT NULL,            -- pending | in_doubt | done | failed
    attempts INTEGER NOT NULL,
    external_id VARCHAR,
    error VARCHAR,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (batch_id, account, system, step)
);
CREATE TABLE IF NOT EXISTS billing_accounts (
    batch_id VARCHAR NOT NULL,
    partner_id VARCHAR NOT NULL,
    account VARCHAR NOT NULL,
    role VARCHAR NOT NULL,              -- enterprise | customer
    account_id VARCHAR,
    updated_at TIMESTAMPTZ,
    PRIMARY KEY (batch_id, account, role)
);
CREATE TABLE IF NOT EXISTS tickets (
    batch_id VARCHAR NOT NULL,
    partner_id VARCHAR NOT NULL,
    account VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    detail VARCHAR,
    external_id VARCHAR NOT NULL,
    ticket_id VARCHAR,
    subject VARCHAR,
    updated_at TIMESTAMPTZ,
    PRIMARY KEY (external_id)
);
CREATE TABLE IF NOT EXISTS outbox (
    id VARCHAR PRIMARY KEY,             -- also the Message-ID key: a re-send replaces
    batch_id VARCHAR, account VARCHAR,
    kind VARCHAR NOT NULL,              -- admin_credentials (per customer) | credentials_message (one sent) | notice
    to_addr VARCHAR NOT NULL,
    subject VARCHAR,
    payload_enc VARCHAR,                -- Fernet token of the JSON payload; erased once sent
    status VARCHAR NOT NULL,            -- queued | sent | failed
    created_at TIMESTAMPTZ, sent_at TIMESTAMPTZ, error VARCHAR
);
CREATE TABLE IF NOT EXISTS readback (
    batch_id VARCHAR NOT NULL,
    account VARCHAR NOT NULL,
    system VARCHAR NOT NULL,
    data VARCHAR NOT NULL,              -- JSON of what the system holds
    read_at TIMESTAMPTZ,
    PRIMARY KEY (batch_id, account, system)
);
"""
