"""Debian's python3-kazoo against a server: prints one line per check, OK or FAIL.

The same script runs against Java ZooKeeper and ZkCompat; the test compares the lines.
Exit code 1 if any check failed.
"""
import sys
import threading

from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, NodeExistsError, NoNodeError, NotEmptyError

failures = 0


def check(name, condition, detail=""):
    global failures
    if condition:
        print("OK " + name)
    else:
        failures += 1
        print("FAIL %s %s" % (name, detail))
    sys.stdout.flush()


def main(hosts):
    zk = KazooClient(hosts=hosts, timeout=10)
    zk.start(timeout=20)
    other = KazooClient(hosts=hosts, timeout=10)
    other.start(timeout=20)
    try:
        zk.ensure_path("/kz/a/b")
        check("ensure_path", zk.exists("/kz/a/b") is not None)
        stat = zk.set("/kz/a", b"hello")
        data, stat2 = zk.get("/kz/a")
        check("set_get", data == b"hello" and stat2.version == 1 and stat.version == 1, repr((data, stat2)))
        try:
            zk.set("/kz/a", b"x", version=5)
            check("bad_version", False)
        except BadVersionError:
            check("bad_version", True)
        try:
            zk.create("/kz/a")
            check("node_exists", False)
        except NodeExistsError:
            check("node_exists", True)
        try:
            zk.delete("/kz/a")
            check("not_empty", False)
        except NotEmptyError:
            check("not_empty", True)
        try:
            zk.get("/kz/none")
            check("no_node", False)
        except NoNodeError:
            check("no_node", True)

        changed = threading.Event()
        seen = []

        @zk.DataWatch("/kz/a")
        def watch(data, stat, event=None):
            if event is not None:
                seen.append((event.type, event.path))
                changed.set()

        other.set("/kz/a", b"changed")
        check("data_watch", changed.wait(10) and seen[0] == ("CHANGED", "/kz/a"), repr(seen))

        children = []
        got_children = threading.Event()

        @zk.ChildrenWatch("/kz/a")
        def kids(names):
            children.append(sorted(names))
            if len(children) > 1:
                got_children.set()

        other.create("/kz/a/c")
        check("children_watch", got_children.wait(10) and children[-1] == ["b", "c"], repr(children))

        seq1 = zk.create("/kz/s-", sequence=True)
        seq2 = zk.create("/kz/s-", sequence=True)
        check("sequence", seq1 == "/kz/s-0000000001" and seq2 == "/kz/s-0000000002", seq1 + " " + seq2)

        eph = other.create("/kz/eph", ephemeral=True)
        check("ephemeral_owner", zk.exists(eph).ephemeralOwner == other.client_id[0])

        tx = zk.transaction()
        tx.create("/kz/t1", b"1")
        tx.check("/kz/a", 2)
        tx.set_data("/kz/a", b"tx")
        results = tx.commit()
        check("transaction", results[0] == "/kz/t1" and zk.get("/kz/a")[0] == b"tx", repr(results))

        tx = zk.transaction()
        tx.create("/kz/t2")
        tx.check("/kz/a", 99)
        results = tx.commit()
        check("failed_transaction", zk.exists("/kz/t2") is None and len(results) == 2
              and isinstance(results[1], BadVersionError), repr(results))

        lock = zk.Lock("/kz/lock", "me")
        with lock:
            check("lock", len(lock.contenders()) == 1)

        counter = zk.Counter("/kz/counter")
        counter += 5
        counter += 2
        check("counter", counter.value == 7, repr(counter.value))

        election_winner = []
        election = zk.Election("/kz/election", "kz")
        election.run(lambda: election_winner.append("kz"))
        check("election", election_winner == ["kz"])

        queue = zk.Queue("/kz/queue")
        for item in (b"a", b"b", b"c"):
            queue.put(item)
        check("queue", [queue.get(), queue.get(), queue.get()] == [b"a", b"b", b"c"])

        check("server_version", zk.server_version()[:2] == (3, 8), repr(zk.server_version()))
        check("ruok", zk.command(b"ruok") == "imok")

        other.stop()
        other.close()
        check("ephemeral_gone", zk.exists("/kz/eph") is None)

        zk.delete("/kz", recursive=True)
        check("recursive_delete", zk.exists("/kz") is None)
    finally:
        zk.stop()
        zk.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
