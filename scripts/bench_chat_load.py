"""Load on the web chat: several clients asking `/ask` at once over loopback.

Starts `app.py` on a free port (with this environment: QA_INDEX_DIR, QA_CORPUS_DIR…), asks
every question once from a single client (the expected answers, and a warm-up), then lets
`--clients` threads ask `--questions` each at the same time, every `--bad-every`th one an
input the app must refuse (a question too long, k=2.5, one of zero-width characters only). Prints failures,
answers that differ from the single client's, latency p50/p95 and the server's RSS before and
after (before: once every question has been asked once), then stops the server. Bounded: it gives up after `--deadline` seconds.

    python scripts/bench_chat_load.py                          # 8 clients x 25 questions
    python scripts/bench_chat_load.py --clients 8 --questions 50 --json out.json
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BAD_INPUTS = (("问" * 1001, 5), ("执笔方制度有哪些问题？", 2.5), ("\u200b\u2060", 5))  # too long, k not whole, empty


def eval_questions() -> list[str]:
    questions = []
    for path in sorted((ROOT / "evals").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                questions.append(json.loads(line)["question"])
    return questions


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def start_app(port: int, timeout: float) -> tuple[subprocess.Popen, str]:
    """app.py on 127.0.0.1:port, once its console says `ready at URL`."""
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    ready = threading.Event()
    log: list[str] = []

    def watch():
        for line in server.stderr:
            log.append(line)
            if "ready at" in line:
                ready.set()

    threading.Thread(target=watch, daemon=True).start()
    if not ready.wait(timeout):
        server.kill()
        sys.exit(f"bench: app.py not ready within {timeout:.0f} s:\n{''.join(log[-20:])}")
    return server, f"http://127.0.0.1:{port}/"


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--questions", type=int, default=25, help="per client")
    parser.add_argument("--bad-every", type=int, default=10, help="every Nth request is an input the app must refuse (0: none)")
    parser.add_argument("--rounds", type=int, default=1, help="run the clients this many times over (RSS after each: a leak grows, warm-up does not)")
    parser.add_argument("--deadline", type=float, default=900, help="seconds for the whole run")
    parser.add_argument("--json", type=Path, help="write the figures as JSON")
    args = parser.parse_args()

    from gradio_client import Client
    from gradio_client.exceptions import AppError

    began = time.monotonic()
    pool = eval_questions()
    plans = [
        [
            BAD_INPUTS[(c + i) % len(BAD_INPUTS)] if args.bad_every and (i + 1) % args.bad_every == 0 else (pool[(c * args.questions + i) % len(pool)], 5)
            for i in range(args.questions)
        ]
        for c in range(args.clients)
    ]
    server, url = start_app(free_port(), timeout=args.deadline / 2)
    try:
        rss_ready = rss_mib(server.pid)
        single = Client(url, verbose=False)
        expected = {q: single.predict(q, 5, api_name="/ask") for q in sorted({q for plan in plans for q, k in plan if (q, k) not in BAD_INPUTS})}
        rss_before = rss_mib(server.pid)
        latencies: list[float] = []
        failures: list[str] = []
        differing = refused = 0
        lock = threading.Lock()

        def client(plan):
            nonlocal differing, refused
            ask = Client(url, verbose=False)
            for question, k in plan:
                bad = (question, k) in BAD_INPUTS
                t0 = time.perf_counter()
                try:
                    record = ask.predict(question, k, api_name="/ask")
                except AppError as error:
                    with lock:
                        if bad and "internal error" not in str(error):
                            refused += 1
                        else:
                            failures.append(f"{question[:30]!r} k={k}: {error}")
                    continue
                except Exception as error:  # a dropped connection, a server crash: a failure
                    with lock:
                        failures.append(f"{question[:30]!r} k={k}: {type(error).__name__}: {error}")
                    continue
                seconds = time.perf_counter() - t0
                with lock:
                    if bad:
                        failures.append(f"{question[:30]!r} k={k}: answered, not refused")
                    else:
                        latencies.append(seconds)
                        differing += record != expected[question]

        measured = time.monotonic()
        rss_after_rounds = []
        for _ in range(args.rounds):
            with ThreadPoolExecutor(max_workers=args.clients) as threads:
                futures = [threads.submit(client, plan) for plan in plans]
                done, pending = wait(futures, timeout=max(1.0, args.deadline - (time.monotonic() - began)))
                if pending:
                    failures.append(f"{len(pending)} clients still running at the deadline")
                    server.kill()  # ends their requests
            rss_after_rounds.append(round(rss_mib(server.pid), 1) if server.poll() is None else float("nan"))
            if pending:
                break
        wall = time.monotonic() - measured
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    requests = args.clients * args.questions * len(rss_after_rounds)
    figures = {
        "clients": args.clients,
        "requests": requests,
        "answered": len(latencies),
        "refused_as_expected": refused,
        "failures": len(failures),
        "answers_differing_from_single_client": differing,
        "p50_s": round(percentile(latencies, 50), 3) if latencies else None,
        "p95_s": round(percentile(latencies, 95), 3) if latencies else None,
        "throughput_per_s": round(requests / wall, 2),
        "rss_at_ready_mib": round(rss_ready, 1),
        "rss_before_mib": round(rss_before, 1),
        "rss_after_each_round_mib": rss_after_rounds,
    }
    for key, value in figures.items():
        print(f"{key:38} {value}")
    for failure in failures[:10]:
        print(f"  failure: {failure}")
    if args.json:
        args.json.write_text(json.dumps({**figures, "failure_messages": failures}, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if failures or differing else 0


if __name__ == "__main__":
    sys.exit(main())
