"""bench/common/passfile.py - the bench passage file in Python (format in
bench/peers/passfile.h): read it for the query mix and the oracle."""


class Passage:
    __slots__ = ("id", "ordinal", "source", "title", "text")

    def __init__(self, pid, ordinal, source, title, text):
        self.id, self.ordinal, self.source, self.title, self.text = pid, ordinal, source, title, text


def read(path):
    """All passages of a passage file, in id order (text decoded as UTF-8,
    invalid bytes replaced, as the engines see U+FFFD)."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    pos, n = 0, len(data)
    while pos < n:
        nl = data.index(b"\n", pos)
        head = data[pos:nl].split()
        if head[0] != b"P":
            raise ValueError(f"{path}: malformed record at byte {pos}")
        pid, ordinal, sl, tl, xl = (int(x) for x in head[1:6])
        p = nl + 1
        source = data[p:p + sl]; p += sl
        title = data[p:p + tl]; p += tl
        text = data[p:p + xl]; p += xl
        if data[p:p + 1] != b"\n":
            raise ValueError(f"{path}: malformed record {pid}")
        pos = p + 1
        out.append(Passage(pid, ordinal, source.decode("utf-8", "replace"),
                           title.decode("utf-8", "replace"), text.decode("utf-8", "replace")))
    return out


def write(path, passages):
    with open(path, "wb") as f:
        for p in passages:
            s, t, x = p.source.encode(), p.title.encode(), p.text.encode()
            f.write(b"P %d %d %d %d %d\n" % (p.id, p.ordinal, len(s), len(t), len(x)))
            f.write(s + t + x + b"\n")
