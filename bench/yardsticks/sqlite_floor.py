"""The SQLite yardstick beside `overdrag-bench floor`: the same bare transaction (a version
bump returning its row, an event insert of about 2 KB, an outbox insert) through SQLite's C
library in the calling thread, with Overdrag's settings (WAL; synchronous as given, FULL as
shipped). Prints transactions per second.

    python3 bench/yardsticks/sqlite_floor.py FULL
"""

import os
import sqlite3
import sys
import tempfile
import time

synchronous = sys.argv[1] if len(sys.argv) > 1 else "FULL"
transactions = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
with tempfile.TemporaryDirectory() as scratch:
    db = sqlite3.connect(os.path.join(scratch, "floor.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.execute("CREATE TABLE floor_case (id BIGINT PRIMARY KEY, version INT NOT NULL)")
    db.execute(
        "CREATE TABLE floor_event (id INTEGER PRIMARY KEY, case_id BIGINT NOT NULL,"
        " seq INT NOT NULL, payload TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE floor_outbox (id INTEGER PRIMARY KEY, case_id BIGINT NOT NULL,"
        " seq INT NOT NULL, recipient TEXT NOT NULL)"
    )
    db.execute("INSERT INTO floor_case VALUES (0, 0)")
    payload = "Kommunen overtager opgaven efter aftale med regionen. " * 40
    started = time.perf_counter()
    for _ in range(transactions):
        db.execute("BEGIN IMMEDIATE")
        (seq,) = db.execute(
            "UPDATE floor_case SET version = version + 1 WHERE id = ?1 RETURNING version", (0,)
        ).fetchone()
        db.execute(
            "INSERT INTO floor_event (case_id, seq, payload) VALUES (?1, ?2, ?3)", (0, seq, payload)
        )
        db.execute(
            "INSERT INTO floor_outbox (case_id, seq, recipient) VALUES (?1, ?2, ?3)",
            (0, seq, "kommune@example.invalid"),
        )
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
print(
    f"SQLite {sqlite3.sqlite_version} through Python, synchronous={synchronous}: "
    f"{transactions / elapsed:.0f} transactions/s, {elapsed / transactions * 1e6:.0f} µs each"
)
