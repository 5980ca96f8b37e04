"""Benchmark floor: ``python -m pyfleet.echo`` writes every frame it reads back, unchanged.

No msgpack, no dispatch: what a pipe round trip costs in Python at all.
"""
import os

__all__ = ["main"]


def main() -> None:
    buf = b""
    while True:
        data = os.read(0, 262144)
        if not data:
            return
        buf += data
        end = 0  # end of the last complete frame in buf
        while len(buf) - end >= 4 and len(buf) - end - 4 >= int.from_bytes(buf[end:end + 4], "big"):
            end += 4 + int.from_bytes(buf[end:end + 4], "big")
        if end:
            view = memoryview(buf)[:end]
            while view:
                view = view[os.write(1, view):]
            buf = buf[end:]


if __name__ == "__main__":
    main()
