"""bench/query/mix.py - the seeded query mix for the speed section.

Drawn from the passages every engine indexed, with a fixed seed, so the
same corpus always gives the same queries. Categories (issue 4): single Han
words, Han phrases, English words, 2- and 3-word mixes, quoted phrases,
rare and common terms. Every query is plain words (no operators), so each
engine parses it the same way; phrases are the only syntax ("a b").
"""
import collections
import random
import re

from common.han import HAN_RUN, han_sub as _han_sub

EN_WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z]{3,15}(?![A-Za-z0-9_])")
OPERATORS = {"and", "or", "not", "xor", "near", "adj"}

# (category, how many)
PLAN = [("han_word", 60), ("han_phrase", 50), ("en_word", 60), ("mix2", 40),
        ("mix3", 30), ("en_phrase", 30), ("rare", 30), ("common", 30)]


def _en_words(text):
    return [w for w in EN_WORD.findall(text) if w.lower() not in OPERATORS]


def build(passages, seed, total_min=300):
    rng = random.Random(seed)
    han_ps = [p for p in passages if HAN_RUN.search(p.text)]
    en_ps = [p for p in passages if len(_en_words(p.text)) >= 3]
    # document frequencies for rare/common picks (lower-cased English words,
    # Han bigrams), counted once per passage
    df_en, df_han = collections.Counter(), collections.Counter()
    for p in passages:
        df_en.update({w.lower() for w in _en_words(p.text)})
        grams = set()
        for run in HAN_RUN.findall(p.text):
            grams.update(run[i:i + 2] for i in range(len(run) - 1))
        df_han.update(grams)
    en_common = [w for w, _ in df_en.most_common(60)]
    han_common = [w for w, _ in df_han.most_common(60)]
    en_rare = sorted(w for w, c in df_en.items() if c <= 2 and len(w) >= 5)
    han_rare = sorted(w for w, c in df_han.items() if c <= 2)

    out, seen = [], set()

    def add(cat, text):
        text = " ".join(text.split())
        if text and text not in seen:
            seen.add(text)
            out.append({"category": cat, "text": text})
            return True
        return False

    for cat, want in PLAN:
        got, tries = 0, 0
        while got < want and tries < want * 200:
            tries += 1
            q = None
            if cat == "han_word" and han_ps:
                q = _han_sub(rng, rng.choice(han_ps).text, 2, 3)
            elif cat == "han_phrase" and han_ps:
                q = _han_sub(rng, rng.choice(han_ps).text, 4, 8)
            elif cat == "en_word" and en_ps:
                ws = [w for w in _en_words(rng.choice(en_ps).text) if len(w) >= 4]
                q = rng.choice(ws) if ws else None
            elif cat in ("mix2", "mix3"):
                # words from one passage, so the AND of them has answers
                p = rng.choice(han_ps if rng.random() < 0.7 else en_ps)
                k = 2 if cat == "mix2" else 3
                parts = []
                for _ in range(k):
                    if rng.random() < 0.5:
                        ws = _en_words(p.text)
                        if ws:
                            parts.append(rng.choice(ws))
                            continue
                    h = _han_sub(rng, p.text, 2, 3)
                    if h:
                        parts.append(h)
                q = " ".join(parts) if len(parts) == k else None
            elif cat == "en_phrase" and en_ps:
                text = rng.choice(en_ps).text
                seqs = re.findall(r"(?<![A-Za-z0-9_])[A-Za-z]{2,15}(?: [A-Za-z]{2,15}){1,2}(?![A-Za-z0-9_])", text)
                seqs = [s for s in seqs if not (set(s.lower().split()) & OPERATORS)]
                q = f'"{rng.choice(seqs)}"' if seqs else None
            elif cat == "rare":
                pool = en_rare if rng.random() < 0.5 else han_rare
                q = rng.choice(pool) if pool else None
            elif cat == "common":
                r = rng.random()
                if r < 0.4:
                    q = rng.choice(en_common)
                elif r < 0.8:
                    q = rng.choice(han_common)
                else:  # single common Han characters: the 1-character case
                    q = rng.choice(han_common)[0]
            if q and add(cat, q):
                got += 1
    assert len(out) >= total_min or len(passages) < 1000, f"query mix has only {len(out)} queries"
    for i, q in enumerate(out, 1):
        q["qid"] = i
    return out
