"""Database: tables, the write path, read-side queries, migrations."""
