"""The mysql-connector, PyMySQL and mysqlclient workload, run under ddtrace and under v2 (test_parity.py).

Every driver runs the same DB-API steps against the real MariaDB server, then its own extras.
"""

import os
import select

import mysql.connector
import MySQLdb
import MySQLdb.cursors
import pymysql
import pymysql.cursors
import steps

HOST = os.environ.get("DDI_MYSQL_HOST", "127.0.0.1")
PORT = int(os.environ.get("DDI_MYSQL_PORT", "3306"))
ARGS = {"host": HOST, "port": PORT, "user": "root", "password": ""}


def server_closed(connection):
    """Wait until the server closed a killed connection's socket: the next query's error (a reset, not the end
    of the stream) then no longer depends on how fast the server was. mysqlclient's socket is not reachable."""
    sock = getattr(getattr(connection, "_socket", None), "sock", None) or getattr(connection, "_sock", None)
    if sock is not None:
        select.select([sock], [], [], 10)


def dbapi_steps(prefix, connect):
    conn = connect()
    table = f"wl_{prefix}"
    proc = steps.own(f"wl_{prefix}_proc", sep="_")

    def simple():
        cur = conn.cursor()
        cur.execute("SELECT 1")
        cur.fetchall()

    def fetch():
        cur = conn.cursor()
        cur.execute("SELECT 1 UNION SELECT 2 UNION SELECT 3 UNION SELECT %s", (4,))
        cur.fetchone()
        cur.fetchmany(2)
        cur.fetchall()

    def many():
        cur = conn.cursor()
        cur.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} (n int)")
        cur.executemany(f"INSERT INTO {table} VALUES (%s)", [(1,), (2,), (3,)])
        cur.executemany(f"UPDATE {table} SET n = n + %s WHERE n = %s", [(10, 1), (10, 2)])

    def rowcount():
        conn.cursor().execute(f"DELETE FROM {table} WHERE n > %s", (5,))

    def callproc():
        cur = conn.cursor()
        cur.execute(f"DROP PROCEDURE IF EXISTS {proc}")
        cur.execute(f"CREATE PROCEDURE {proc}(IN a INT) BEGIN SELECT a + 1; END")
        cur.callproc(proc, (1,))

    def commit_rollback():
        conn.commit()
        conn.rollback()

    def syntax_error():
        conn.cursor().execute("SELEC broken")

    def lost_connection():
        lost = connect()
        cur = lost.cursor()
        try:
            cur.execute("KILL CONNECTION_ID()")
        except Exception as e:
            print("kill", type(e).__name__)
        server_closed(lost)
        cur.execute("SELECT 1")

    steps.run(
        [
            (f"{prefix} simple", simple),
            (f"{prefix} fetch", fetch),
            (f"{prefix} many", many),
            (f"{prefix} rowcount", rowcount),
            (f"{prefix} callproc", callproc),
            (f"{prefix} commit_rollback", commit_rollback),
            (f"{prefix} syntax_error", syntax_error),
            (f"{prefix} lost_connection", lost_connection),
        ]
    )
    return conn


def connector_extras(conn):
    def prepared():
        cur = conn.cursor(prepared=True)
        cur.execute("SELECT %s", (5,))
        cur.fetchall()

    def dict_buffered():
        cur = conn.cursor(dictionary=True, buffered=True)
        cur.execute("SELECT 6 AS n")
        print("dict", cur.fetchone()["n"])

    steps.run([("connector prepared", prepared), ("connector dict_buffered", dict_buffered)])


def pymysql_extras(conn):
    def unbuffered():
        cur = conn.cursor(pymysql.cursors.SSDictCursor)
        cur.execute("SELECT 7 AS n")
        print("ss", cur.fetchall())

    steps.run([("pymysql unbuffered", unbuffered)])


def mysqldb_extras(conn):
    def unbuffered():
        cur = conn.cursor(MySQLdb.cursors.SSDictCursor)
        cur.execute("SELECT 8 AS n")
        print("ss", cur.fetchall())

    steps.run([("mysqldb unbuffered", unbuffered)])


connector_extras(dbapi_steps("connector", lambda: mysql.connector.connect(database="test", **ARGS)))
pymysql_extras(dbapi_steps("pymysql", lambda: pymysql.connect(database="test", **ARGS)))
mysqldb_extras(dbapi_steps("mysqldb", lambda: MySQLdb.connect(db="test", **ARGS)))
