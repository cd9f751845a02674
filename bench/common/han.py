"""bench/common/han.py - Han text helpers shared by the query mix and the
quality oracle: the Han code point ranges and seeded substring sampling."""
import re

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_RUN = re.compile(f"[{HAN}]+")


def han_sub(rng, text, lo, hi):
    """A random substring of lo..hi characters of a Han run of text (a run
    of at least lo characters), or None when text has no such run."""
    runs = [m.group() for m in HAN_RUN.finditer(text) if len(m.group()) >= lo]
    if not runs:
        return None
    run = rng.choice(runs)
    n = rng.randint(lo, min(hi, len(run)))
    s = rng.randrange(0, len(run) - n + 1)
    return run[s:s + n]
