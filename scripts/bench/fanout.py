#!/usr/bin/env python3
"""Fan-out benchmark: one alert takes down 10,000 customers' services; time from the alert until
postfix's smtp-sink has accepted all 10,000 e-mails (Tocsin's outbox says `sent`), against
postfix's smtp-source sending 10,000 messages of the same size over 8 connections to the same
sink, in the same run. Then alert-to-first-e-mail latency with hold_down = 0s over N single
failures. Prints one JSON object. Needs postfix (smtp-sink, smtp-source) and a release build.

Usage: scripts/bench/fanout.py [CUSTOMERS] [LATENCY_TRIALS]

On SQLite by default. With FANOUT_POSTGRES set to the URL of a PostgreSQL server where it may
create a database (as TOCSIN_TEST_POSTGRES from scripts/postgres-throwaway is), it runs there,
with FANOUT_INSTANCES instances (default 1) sharing the outbox, each with its own archive.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(TOP, "target", "release", "tocsin")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TOKEN = {}


def http(addr, method, path, body=None):
    headers = {"Content-Type": "application/json"}
    if "token" in TOKEN:
        headers["Authorization"] = "Bearer " + TOKEN["token"]
    req = urllib.request.Request("http://" + addr + path, method=method, data=body.encode() if body else None,
                                 headers=headers)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def main():
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    trials = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    if not os.path.exists(BIN):
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=TOP, check=True)
    work = tempfile.mkdtemp()
    procs = []
    try:
        sink_port = free_port()
        sink_cmd = ["smtp-sink", "-c", "127.0.0.1:%d" % sink_port, "1000"]
        if os.geteuid() == 0:
            sink_cmd[1:1] = ["-u", "nobody"]
        sink = subprocess.Popen(sink_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(sink)
        with open(os.path.join(work, "inventory.yaml"), "w") as f:
            f.write("version: 1\nnodes:\n  - {id: sw, kind: switch}\n")
            for k in range(trials):
                f.write("  - {id: lat-%d, kind: switch}\n" % k)
            f.write("customers:\n")
            for i in range(customers):
                f.write("  - {id: c%d, name: Customer %d s.r.o., contacts: [{email: ops@c%d.example, language: %s}]}\n"
                        % (i, i, i, ["cs", "en", "pl", "fr", "ru"][i % 5]))
            for k in range(trials):
                f.write("  - {id: l%d, contacts: [{email: l%d@lat.example}]}\n" % (k, k))
            f.write("services:\n")
            for i in range(customers):
                f.write("  - {id: s%d, customer: c%d, name: vps-%d, requires: [sw]}\n" % (i, i, i))
            for k in range(trials):
                f.write("  - {id: ls%d, customer: l%d, requires: [lat-%d]}\n" % (k, k, k))
        postgres = os.environ.get("FANOUT_POSTGRES")
        instances = int(os.environ.get("FANOUT_INSTANCES", "1"))
        if postgres:
            name = "fanout_%d" % os.getpid()
            subprocess.run(["psql", postgres, "-qc", "CREATE DATABASE " + name], check=True)
            database = postgres.rsplit("/", 1)[0] + "/" + name
        else:
            instances = 1
            database = "sqlite://%s/tocsin.db" % work
        configs = []
        for n in range(instances):
            configs.append(os.path.join(work, "tocsin-%d.toml" % n))
            with open(configs[-1], "w") as f:
                f.write('listen = "127.0.0.1:0"\ndatabase = "%s"\ninventory = "inventory.yaml"\n'
                        'archive = "archive-%d"\npublic_url = "https://status.example.net"\n'
                        '[smtp]\nhost = "127.0.0.1"\nport = %d\nfrom = "Example Hosting <status@example.net>"\n'
                        '[notify]\nhold_down = "0s"\n' % (database, n, sink_port))
        config = configs[0]
        # The outbox API is staff-only: an administrator and a token, made as an operator would.
        subprocess.run([BIN, "users", "--config", config, "add", "bench@provider.test", "--role", "admin"],
                       cwd=work, check=True, stdout=subprocess.DEVNULL,
                       env=dict(os.environ, TOCSIN_PASSWORD="bench password 1234"))
        TOKEN["token"] = subprocess.run([BIN, "users", "--config", config, "token", "bench@provider.test"],
                                        cwd=work, check=True, capture_output=True, text=True).stdout.strip()
        servers = []
        addrs = []
        for n, c in enumerate(configs):
            log_path = os.path.join(work, "log-%d" % n)
            server = subprocess.Popen([BIN, "serve", "--config", c], stderr=open(log_path, "w"),
                                      env=dict(os.environ, TOCSIN_LOG="warn,tocsin_web=info"))
            procs.append(server)
            servers.append(server)
            for _ in range(600):
                time.sleep(0.05)
                m = re.search(r"listening on http://([0-9.:]+)", open(log_path).read())
                if m:
                    addrs.append(m.group(1))
                    break
            else:
                raise SystemExit("server did not start")
        addr = addrs[0]

        t0 = time.perf_counter()
        http(addr, "POST", "/api/v1/alerts", json.dumps({"node": "sw", "state": "down", "source": "bench", "id": "sw"}))
        while True:
            sent = http(addr, "GET", "/api/v1/outbox")["counts"]["sent"]
            if sent >= customers:
                break
            time.sleep(0.01)
        tocsin_s = time.perf_counter() - t0

        # Message size for smtp-source: the size of one message Tocsin sent, from the archive
        # after the server stops; meanwhile latency trials.
        latencies = []
        base = customers
        for k in range(trials):
            t0 = time.perf_counter()
            http(addr, "POST", "/api/v1/alerts", json.dumps({"node": "lat-%d" % k, "state": "down", "source": "bench", "id": "l%d" % k}))
            while http(addr, "GET", "/api/v1/outbox")["counts"]["sent"] < base + k + 1:
                time.sleep(0.002)
            latencies.append(time.perf_counter() - t0)
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=60)
        sample = None
        for n in range(instances):
            archive = os.path.join(work, "archive-%d" % n)
            keys = subprocess.run([BIN, "archive", "--dir", archive, "ls", "--prefix", "mail/"],
                                  capture_output=True, text=True, check=True).stdout.split()
            if keys:
                sample = subprocess.run([BIN, "archive", "--dir", archive, "get", keys[0]],
                                        capture_output=True, check=True).stdout
                break
        size = len(sample)

        t0 = time.perf_counter()
        subprocess.run(["smtp-source", "-s", "8", "-m", str(customers), "-l", str(size), "127.0.0.1:%d" % sink_port],
                       check=True, stdout=subprocess.DEVNULL)
        source_s = time.perf_counter() - t0

        latencies.sort()
        pick = lambda p: latencies[min(len(latencies) - 1, int(len(latencies) * p))]
        print(json.dumps({
            "bench": "fanout", "backend": "postgres" if postgres else "sqlite", "instances": instances,
            "messages": customers, "message_bytes": size,
            "tocsin_alert_to_all_accepted_s": round(tocsin_s, 3),
            "smtp_source_8_connections_s": round(source_s, 3),
            "ratio": round(tocsin_s / source_s, 2),
            "alert_to_first_email_s": {"trials": trials, "p50": round(pick(0.5), 4), "p99": round(pick(0.99), 4),
                                       "max": round(latencies[-1], 4)},
        }))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
