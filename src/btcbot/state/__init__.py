"""SQLite state: connections, migrations, role-tagged metadata, lock, repositories, unit of work.

    sqlite.py      connect(): WAL, synchronous=FULL, busy_timeout, foreign keys; never creates
    migrate.py     numbered migrations/NNNN_name.sql by PRAGMA user_version, backup first
    meta.py        db_meta, the immutable role tag
    lock.py        <db>.lock held for the process's life; stale holders taken over
    registry.py    CONTROL_DIR/registry/<role>.json and the same-file rule
    guards.py      open_for_role(): every refusal, in order, before anything is written
    uow.py         UnitOfWork: BEGIN IMMEDIATE, explicit commit, rollback otherwise
    repositories/  domain objects in and out; every row stamped with the audit columns
    admin.py       `btcbot db init` / `btcbot db check`

docs/STATE.md explains each choice.
"""
