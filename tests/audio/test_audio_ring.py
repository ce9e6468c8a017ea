"""The playback ring buffer: order preserved, flush drops queued audio, safe across two threads."""

from __future__ import annotations

import threading

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.audio.ring import RingBuffer


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=60))
def test_frames_come_out_in_order_without_loss(ops: list[tuple[int, int]]) -> None:
    ring = RingBuffer(32, 2)
    sent = received = 0
    for write_n, read_n in ops:
        data = np.arange(sent, sent + write_n, dtype=np.float32)[:, None].repeat(2, axis=1)
        sent += ring.write(data)
        out = np.full((read_n, 2), -1.0, np.float32)
        got = ring.read_into(out)
        assert out[:got, 0].tolist() == list(range(received, received + got))
        assert (out[got:] == -1.0).all()
        received += got
        assert 0 <= ring.available() <= ring.capacity
    assert sent - received == ring.available()


def test_flush_drops_what_was_queued() -> None:
    ring = RingBuffer(16, 2)
    ring.write(np.ones((10, 2), np.float32))
    ring.flush()
    assert ring.available() == 0 and ring.free() == 16
    ring.write(np.full((4, 2), 7.0, np.float32))
    out = np.zeros((8, 2), np.float32)
    assert ring.read_into(out) == 4
    assert out[:4, 0].tolist() == [7.0] * 4


def test_producer_and_consumer_threads() -> None:
    ring = RingBuffer(1024, 2)
    total = 300_000
    received: list[np.ndarray] = []

    def produce() -> None:
        sent = 0
        while sent < total:
            n = min(700, total - sent)
            block = np.arange(sent, sent + n, dtype=np.float32)[:, None].repeat(2, axis=1)
            k = ring.write(block)
            sent += k
            if k == 0:
                threading.Event().wait(0.0005)

    producer = threading.Thread(target=produce)
    producer.start()
    count = 0
    buf = np.zeros((512, 2), np.float32)
    while count < total:
        n = ring.read_into(buf)
        if n:
            received.append(buf[:n, 0].copy())
            count += n
    producer.join()
    assert np.array_equal(np.concatenate(received), np.arange(total, dtype=np.float32))
