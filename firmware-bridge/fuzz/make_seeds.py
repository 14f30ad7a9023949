#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (fuzz/corpus/decoder, fuzz/corpus/handler) from the golden frames.

Run from anywhere: python3 firmware-bridge/fuzz/make_seeds.py. The output is committed; rerun it when
golden_frames.txt changes. Handler seeds are records [length][control][bytes] (see fuzz_handler.c).
"""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
GOLDEN = HERE.parent / "protocol" / "tests" / "golden_frames.txt"


def golden():
    frames = {}
    for line in GOLDEN.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, hexbytes = line.split()
        frames[name] = bytes.fromhex(hexbytes)
    return frames


def record(payload, ms=0, estop=False, tx_full=False):
    control = min(ms, 63) | (0x40 if estop else 0) | (0x80 if tx_full else 0)
    return bytes([len(payload), control]) + payload


def main():
    g = golden()
    decoder = HERE / "corpus" / "decoder"
    handler = HERE / "corpus" / "handler"
    for d in (decoder, handler):
        d.mkdir(parents=True, exist_ok=True)
        for old in d.iterdir():
            old.unlink()

    for name, frame in g.items():
        (decoder / name).write_bytes(frame)
    (decoder / "all_frames").write_bytes(b"".join(g.values()))
    (decoder / "garbage_then_frame").write_bytes(bytes([0x13, 0x37, 0xFF, 0x00]) + g["arm"])
    (decoder / "truncated").write_bytes(g["actuate"][:5] + b"\x00" + g["heartbeat"])

    hello, arm, actuate, heartbeat, disarm = (g[n] for n in ("hello", "arm", "actuate", "heartbeat", "disarm"))
    sessions = {
        "handshake": record(hello, 30),
        "arm_actuate_hold": record(hello, 5) + record(arm, 1) + record(actuate, 20) + record(actuate, 20)
        + record(heartbeat, 40) + record(disarm, 5),
        "watchdog_fault_rearm": record(hello) + record(arm) + record(actuate, 63) + record(arm, 10)
        + record(actuate, 10),
        "estop_while_armed": record(hello) + record(arm) + record(actuate, 5) + record(b"", 5, estop=True)
        + record(arm, 5) + record(b"", 5, estop=True) + record(arm) + record(actuate, 5),
        "host_not_reading": record(hello) + record(arm) + record(actuate, 2, tx_full=True) + record(b"", 63)
        + record(b"", 1, tx_full=True),
        "garbage_between": record(hello) + record(bytes([0x13, 0x37, 0x00])) + record(arm)
        + record(actuate[:6] + b"\x00") + record(actuate, 10),
        "link_stats": record(g["get_link_stats"]) + record(hello) + record(bytes([0x05, 0x01, 0x00]))
        + record(g["get_link_stats"], 10) + record(arm) + record(actuate, 5) + record(g["get_link_stats"], 1, tx_full=True),
    }
    for name, data in sessions.items():
        (handler / name).write_bytes(data)


if __name__ == "__main__":
    main()
