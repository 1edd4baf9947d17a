"""The sqlite3 workload (in-memory and file databases), run under ddtrace and under v2 (test_parity.py)."""

import os
import sqlite3
import tempfile

import steps


class AppConnection(sqlite3.Connection):
    """An application's own connection class, handed to ``connect`` as its factory."""


class AppCursor(sqlite3.Cursor):
    pass


def main():
    memory = sqlite3.connect(":memory:")
    directory = tempfile.mkdtemp()
    on_file = sqlite3.connect(os.path.join(directory, "wl.db"))

    def create():
        memory.cursor().execute("CREATE TABLE wl (n INTEGER PRIMARY KEY, s TEXT)")

    def params_and_fetch():
        cur = memory.cursor()
        cur.execute("INSERT INTO wl VALUES (?, ?)", (1, "one"))
        cur.execute("SELECT n, s FROM wl WHERE n = :n", {"n": 1})
        cur.fetchone()
        cur.fetchmany(2)
        cur.fetchmany()
        cur.fetchall()

    def many():
        memory.cursor().executemany("INSERT INTO wl (s) VALUES (?)", [("a",), ("b",), ("c",)])

    def rowcount():
        memory.cursor().execute("UPDATE wl SET s = s || '!'")

    def shortcut_and_fetch():
        memory.execute("SELECT n FROM wl ORDER BY n").fetchall()

    def script():
        memory.cursor().executescript("CREATE TABLE IF NOT EXISTS wl2 (x); INSERT INTO wl2 VALUES (1);")

    def shortcut_many_and_script():
        memory.executemany("INSERT INTO wl2 VALUES (?)", [(2,), (3,)])
        memory.executescript("DELETE FROM wl2 WHERE x > 2;")

    def commit_rollback():
        memory.commit()
        memory.rollback()

    def context_manager():
        with memory:
            memory.execute("INSERT INTO wl (s) VALUES ('ctx')")

    def rows():
        memory.row_factory = sqlite3.Row
        try:
            row = memory.execute("SELECT n, s FROM wl LIMIT 1").fetchone()
            print("row", dict(row))
        finally:
            memory.row_factory = None

    def file_database():
        on_file.execute("CREATE TABLE IF NOT EXISTS f (v)")
        on_file.execute("INSERT INTO f VALUES (?)", ("x",))
        on_file.commit()
        print("file", on_file.execute("SELECT count(*) FROM f").fetchone())

    def own_factories():
        conn = sqlite3.connect(":memory:", factory=AppConnection)
        cur = conn.cursor(AppCursor)
        cur.execute("SELECT 1")
        cur.fetchall()
        conn.commit()
        conn.close()

    def dump():
        print("dump", len(list(memory.iterdump())))

    def backup():
        target = sqlite3.connect(":memory:")
        memory.backup(target)
        print("backup", target.execute("SELECT count(*) FROM wl").fetchone())

    def syntax_error():
        memory.execute("SELEC broken")

    def integrity_error():
        memory.execute("INSERT INTO wl VALUES (1, 'duplicate')")

    def empty_query():
        memory.cursor().execute("")

    steps.run(
        [
            ("create", create),
            ("params_and_fetch", params_and_fetch),
            ("many", many),
            ("rowcount", rowcount),
            ("shortcut_and_fetch", shortcut_and_fetch),
            ("script", script),
            ("shortcut_many_and_script", shortcut_many_and_script),
            ("commit_rollback", commit_rollback),
            ("context_manager", context_manager),
            ("rows", rows),
            ("file_database", file_database),
            ("own_factories", own_factories),
            ("dump", dump),
            ("backup", backup),
            ("syntax_error", syntax_error),
            ("integrity_error", integrity_error),
            ("empty_query", empty_query),
        ]
    )


if __name__ == "__main__":
    main()
