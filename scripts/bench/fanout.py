#!/usr/bin/env python3
"""Fan-out benchmark: one alert takes down 10,000 customers' services; time from the alert until
postfix's smtp-sink has accepted all 10,000 e-mails (Tocsin's outbox says `sent`), against
postfix's smtp-source sending 10,000 messages of the same size over 8 connections to the same
sink, in the same run. Then alert-to-first-e-mail latency with hold_down = 0s over N single
failures. Prints one JSON object. Needs postfix (smtp-sink, smtp-source) and a release build.

Usage: scripts/bench/fanout.py [CUSTOMERS] [LATENCY_TRIALS] [ROUNDS]     (defaults: 10000 100 3)

Each round starts afresh (inventory, server, fan-out, then smtp-source against the same sink):
the machine's pace drifts between runs, so the figures printed are those of the round whose
ratio is the median, with every round's ratio beside them.

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
BIN = os.environ.get("FANOUT_BIN") or os.path.join(TOP, "target", "release", "tocsin")
# Services per customer: a hosting customer's notice lists every service the outage takes down,
# which is what makes a real notice weigh several kilobytes rather than two.
# How often the outbox is asked how far the fan-out is (its counts alone, `?latest=0`). Each answer costs the server CPU that
# smtp-source does not pay (at 10 ms, a tenth of the server's CPU went to answering the bench),
# and the end is seen up to one poll late: both count against Tocsin.
POLL_S = float(os.environ.get("FANOUT_POLL_S", "0.05"))
SERVICES = int(os.environ.get("FANOUT_SERVICES", "16"))
# Kinds of service a hosting customer has, as its notice names them.
PRODUCTS = ["VPS {c}-{k} (4 vCPU, 8 GB RAM, Ubuntu 24.04 LTS)", "Managed database pg-{c}-{k} (PostgreSQL 16)",
            "Web hosting www.customer{c}-{k}.example (PHP 8.3)", "Mail domain mail.customer{c}-{k}.example (IMAP, SMTP)",
            "Object storage bucket backups-{c}-{k} (S3 API)", "Kubernetes node pool k8s-{c}-{k} (3 workers)"]


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
    with urllib.request.urlopen(req, timeout=300) as r:
        return json.loads(r.read() or b"null")


def sink_counter(path, name):
    """The last value of counter `name` (`sess`, `mesg`) that `smtp-sink -c` printed."""
    found = re.findall(name + r"=(\d+)", open(path).read())
    return int(found[-1]) if found else 0


def cpu_s(pids):
    """User plus system CPU seconds the processes `pids` have used so far (Linux)."""
    total = 0
    for pid in pids:
        fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def main():
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    trials = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    if not os.path.exists(BIN):
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=TOP, check=True)
    # The machine's pace drifts by 10-15 % from one run to the next: each round measures
    # Tocsin and smtp-source back to back, and the round with the median ratio is reported.
    results = [one_round(customers, trials, r) for r in range(rounds)]
    ratios = [r["ratio"] for r in results]
    middle = sorted(range(rounds), key=lambda i: ratios[i])[(rounds - 1) // 2]
    report = results[middle]
    report["rounds"] = rounds
    report["ratios_by_round"] = ratios
    print(json.dumps(report))


def one_round(customers, trials, number):
    """One server, one fan-out and the smtp-source run after it; the figures as a dict. On
    PostgreSQL each round has a database of its own, dropped at its end."""
    work = tempfile.mkdtemp()
    procs = []
    postgres = os.environ.get("FANOUT_POSTGRES")
    db_name = "fanout_%d_%d" % (os.getpid(), number)
    try:
        sink_port = free_port()
        sink_cmd = ["smtp-sink", "-c", "127.0.0.1:%d" % sink_port, "1000"]
        if os.geteuid() == 0:
            sink_cmd[1:1] = ["-u", "nobody"]
        # `-c` prints the sink's running counters (sessions, messages): the connections used.
        sink_log = os.path.join(work, "sink.out")
        sink = subprocess.Popen(sink_cmd, stdout=open(sink_log, "w"), stderr=subprocess.DEVNULL)
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
                for k in range(SERVICES):
                    name = PRODUCTS[(i + k) % len(PRODUCTS)].format(c=i, k=k)
                    f.write("  - {id: s%d-%d, customer: c%d, name: \"%s\", requires: [sw]}\n" % (i, k, i, name))
            for k in range(trials):
                f.write("  - {id: ls%d, customer: l%d, requires: [lat-%d]}\n" % (k, k, k))
        instances = int(os.environ.get("FANOUT_INSTANCES", "1"))
        if postgres:
            subprocess.run(["psql", postgres, "-qc", "CREATE DATABASE " + db_name], check=True)
            database = postgres.rsplit("/", 1)[0] + "/" + db_name
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

        cpu0 = cpu_s([p.pid for p in servers])
        sink_cpu0 = cpu_s([sink.pid])
        t0 = time.perf_counter()
        http(addr, "POST", "/api/v1/alerts", json.dumps({"node": "sw", "state": "down", "source": "bench", "id": "sw"}))
        # What can be seen from outside: when all notices were queued, when the first and the
        # last were accepted (to within one poll).
        queued_s = first_s = None
        while True:
            counts = http(addr, "GET", "/api/v1/outbox?latest=0")["counts"]
            now = time.perf_counter() - t0
            if queued_s is None and counts["queued"] + counts["sending"] + counts["sent"] + counts["failed"] >= customers:
                queued_s = now
            if first_s is None and counts["sent"] > 0:
                first_s = now
            if counts["sent"] >= customers:
                break
            time.sleep(POLL_S)
        tocsin_s = time.perf_counter() - t0
        tocsin_cpu = cpu_s([p.pid for p in servers]) - cpu0
        sink_cpu = cpu_s([sink.pid]) - sink_cpu0

        # Message size for smtp-source: the size of one message Tocsin sent, from the archive
        # after the server stops; meanwhile latency trials.
        latencies = []
        base = customers
        for k in range(trials):
            t0 = time.perf_counter()
            http(addr, "POST", "/api/v1/alerts", json.dumps({"node": "lat-%d" % k, "state": "down", "source": "bench", "id": "l%d" % k}))
            while http(addr, "GET", "/api/v1/outbox?latest=0")["counts"]["sent"] < base + k + 1:
                time.sleep(0.002)
            latencies.append(time.perf_counter() - t0)
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=60)
        # The sink counts a session when it ends: Tocsin's stay open until it stops.
        time.sleep(0.3)
        tocsin_sessions = sink_counter(sink_log, "sess")
        # The mean size of the fan-out's messages (every language), from a sample of the archive.
        sizes = []
        for n in range(instances):
            archive = os.path.join(work, "archive-%d" % n)
            keys = subprocess.run([BIN, "archive", "--dir", archive, "ls", "--prefix", "mail/"],
                                  capture_output=True, text=True, check=True).stdout.split()
            # mail/INCIDENT/ID.eml: the fan-out's incident is the one with the most messages.
            by_incident = {}
            for k in keys:
                by_incident.setdefault(k.split("/")[1], []).append(k)
            keys = max(by_incident.values(), key=len) if by_incident else []
            for key in keys[:: max(1, len(keys) // 50)][:50]:
                sizes.append(len(subprocess.run([BIN, "archive", "--dir", archive, "get", key],
                                                capture_output=True, check=True).stdout))
        size = round(sum(sizes) / len(sizes))
        before = sink_counter(sink_log, "sess")

        sink_cpu1 = cpu_s([sink.pid])
        t0 = time.perf_counter()
        subprocess.run(["smtp-source", "-s", "8", "-m", str(customers), "-l", str(size), "127.0.0.1:%d" % sink_port],
                       check=True, stdout=subprocess.DEVNULL)
        source_s = time.perf_counter() - t0
        time.sleep(0.3)
        source_sessions = sink_counter(sink_log, "sess") - before
        source_sink_cpu = cpu_s([sink.pid]) - sink_cpu1

        latencies.sort()
        pick = lambda p: latencies[min(len(latencies) - 1, int(len(latencies) * p))]
        return {
            "bench": "fanout", "backend": "postgres" if postgres else "sqlite", "instances": instances,
            "messages": customers, "message_bytes": size,
            "tocsin_alert_to_all_accepted_s": round(tocsin_s, 3),
            "smtp_source_8_connections_s": round(source_s, 3),
            "ratio": round(tocsin_s / source_s, 2),
            "alert_to_first_email_s": {"trials": trials, "p50": round(pick(0.5), 4), "p99": round(pick(0.99), 4),
                                       "max": round(latencies[-1], 4)},
            "services_per_customer": SERVICES, "message_bytes_sampled": len(sizes),
            "tocsin_breakdown_s": {"all_queued": round(queued_s, 3), "first_accepted": round(first_s, 3),
                                   "last_accepted": round(tocsin_s, 3),
                                   "sending": round(tocsin_s - first_s, 3),
                                   "server_cpu": round(tocsin_cpu, 2), "sink_cpu": round(sink_cpu, 2)},
            "smtp_source_sink_cpu_s": round(source_sink_cpu, 2),
            "smtp_sessions": {"tocsin": tocsin_sessions, "smtp_source": source_sessions},
            "targets_met": {"ratio_le_1.0": tocsin_s <= source_s},
        }
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if postgres:
            subprocess.run(["psql", postgres, "-qc", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % db_name],
                           check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
