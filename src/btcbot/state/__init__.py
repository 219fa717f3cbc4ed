"""SQLite state: connections, migrations, role-tagged metadata, lock, repositories, unit of work."""
