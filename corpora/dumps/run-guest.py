#!/usr/bin/python3
"""Boots one crash scenario in QEMU, waits for the guest's panic on the serial console, then dumps
guest memory over QMP in every format QEMU offers (ELF, kdump-*). Python stdlib only."""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PANIC_START = re.compile(rb"Kernel panic - not syncing")
PANIC_END = re.compile(rb"---\[ end Kernel panic - not syncing")
GUEST_FAILED = re.compile(rb"ktriage: FAILED[^\r\n]*")


class Failure(Exception):
    pass


class Qmp:
    """Minimal QMP client: one command at a time, events are collected on the side."""

    def __init__(self, path, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise Failure(f"cannot connect to QMP socket {path}")
                time.sleep(0.1)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.events = []
        greeting = self._read()
        if "QMP" not in greeting:
            raise Failure(f"unexpected QMP greeting: {greeting}")
        self.execute("qmp_capabilities")

    def _read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Failure("QMP connection closed by QEMU")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def execute(self, command, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._read()
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise Failure(f"QMP {command}: {reply['error'].get('desc', reply['error'])}")
            return reply.get("return")


def read_console(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def tail(data, lines=15):
    return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])


def wait_for_panic(proc, console, timeout):
    """Returns seconds until the end-of-panic line (or a start-of-panic line that did not finish)."""
    start = time.monotonic()
    panic_seen_at = None
    while True:
        now = time.monotonic()
        data = read_console(console)
        if PANIC_END.search(data):
            return now - start
        failed = GUEST_FAILED.search(data)
        if failed:
            raise Failure(f"guest reported {failed.group(0).decode(errors='replace')}")
        if panic_seen_at is None and PANIC_START.search(data):
            panic_seen_at = now
        if panic_seen_at is not None and now - panic_seen_at > 20:
            return now - start  # panic printed but its end line never came: dump anyway
        if proc.poll() is not None:
            raise Failure(f"QEMU exited (status {proc.returncode}) before a panic; "
                          f"console tail:\n{tail(data)}")
        if now - start > timeout:
            raise Failure(f"no kernel panic within {timeout} s; console tail:\n{tail(data)}")
        time.sleep(0.25)


def dump(qmp, fmt, path, timeout):
    start = time.monotonic()
    args = {"paging": False, "protocol": "file:" + path, "detach": True}
    if fmt != "elf":
        args["format"] = fmt
    qmp.execute("dump-guest-memory", **args)
    while True:
        status = qmp.execute("query-dump")
        if status["status"] == "completed":
            return time.monotonic() - start
        if status["status"] == "failed":
            raise Failure(f"dump-guest-memory format {fmt} failed")
        if time.monotonic() - start > timeout:
            raise Failure(f"dump-guest-memory format {fmt} took more than {timeout} s")
        time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--machine", default="-machine pc -cpu qemu64",
                    help="QEMU options that pick the machine and CPU (a later -cpu wins)")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--append", required=True)
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--memory", default="256M")
    ap.add_argument("--smp", default="2")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds until the panic")
    ap.add_argument("--formats", default="all",
                    help="comma-separated dump formats, or 'all' that QEMU offers (win-dmp excepted)")
    opts = ap.parse_args()

    os.makedirs(opts.outdir, exist_ok=True)
    console = os.path.join(opts.outdir, "console.log")
    sockdir = tempfile.mkdtemp(prefix="ktriage-qmp-")
    qmp_path = os.path.join(sockdir, "qmp.sock")
    argv = [opts.qemu, *opts.machine.split(), "-accel", "tcg,thread=multi",
            "-m", opts.memory, "-smp", opts.smp, "-nodefaults", "-display", "none",
            "-no-reboot", "-kernel", opts.kernel, "-initrd", opts.initrd,
            "-append", opts.append, "-device", "vmcoreinfo",
            "-qmp", f"unix:{qmp_path},server=on,wait=off", "-serial", f"file:{console}"]
    result = {"qemu_argv": argv, "dumps": {}}
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        qmp = Qmp(qmp_path, timeout=30)
        caps = qmp.execute("query-dump-guest-memory-capability")
        offered = [f for f in caps["formats"] if f != "win-dmp"]
        wanted = offered if opts.formats == "all" else opts.formats.split(",")
        result["formats_offered"] = caps["formats"]
        result["seconds_to_panic"] = round(wait_for_panic(proc, console, opts.timeout), 1)
        time.sleep(0.5)  # let the last console bytes reach the file
        qmp.execute("stop")
        for fmt in wanted:
            if fmt not in offered:
                raise Failure(f"QEMU does not offer dump format {fmt} (it offers {offered})")
            name = "vmcore.elf" if fmt == "elf" else f"vmcore.{fmt}.flat"
            seconds = dump(qmp, fmt, os.path.join(opts.outdir, name), timeout=300)
            result["dumps"][fmt] = {"file": name, "seconds": round(seconds, 1)}
        result["qmp_events"] = [e["event"] for e in qmp.events]
        try:
            qmp.execute("quit")
        except Failure:
            pass  # QEMU may close the socket before answering
        proc.wait(timeout=30)
    except (Failure, OSError, socket.timeout, subprocess.TimeoutExpired) as e:
        print(f"run-guest: {opts.outdir}: {e}", file=sys.stderr)
        return 1
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        qemu_output = proc.stdout.read().decode(errors="replace").strip()
        if qemu_output:
            print(f"run-guest: QEMU said: {qemu_output}", file=sys.stderr)
        shutil.rmtree(sockdir, ignore_errors=True)
    with open(os.path.join(opts.outdir, "run.json"), "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
