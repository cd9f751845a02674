#!/usr/bin/env python3
"""Second half of corpus/build.sh: turns the unpacked Debian packages and rendered man
pages in the cache into OUT/docs/<collection>/... (the source documents, as the indexer
reads them), OUT/corpus.jsonl (one {"id","title","text"} record per document) and
OUT/meta.json (counts per collection). Python 3 standard library only."""

import argparse
import html.parser
import json
import os
import re
import shutil
import sys

# --- HTML -> plain text -----------------------------------------------------------

# Elements whose content is never text.
DROP_TAGS = {"script", "style", "noscript", "template", "head", "object", "svg"}
# Page chrome repeated on every page (navigation, LibreOffice's debug footer); dropped so
# that 2,500 copies of "上一页 / 下一页 / 搜索所有模块" do not dominate the text.
DROP_CHROME_TAGS = {"header", "nav", "aside", "footer"}
DROP_CLASSES = {"navheader", "navfooter", "docnav"}
DROP_IDS = {"banner"}
# Elements that start and end a paragraph.
BLOCK_TAGS = {
    "address", "article", "blockquote", "caption", "center", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "html", "body", "li", "main", "ol", "p", "pre", "section",
    "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "title",
}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
             "param", "source", "track", "wbr"}
HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


class TextExtractor(html.parser.HTMLParser):
    """Collects paragraphs (block elements -> paragraph breaks, <br> -> newline,
    <pre> kept verbatim, whitespace collapsed elsewhere) and the <title>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs = []
        self.current = []
        self.skip_tag = None     # name of the dropped element we are inside
        self.skip_depth = 0
        self.pre_depth = 0
        self.in_title = False
        self.title_parts = []
        self.first_heading = None
        self.heading_parts = None

    def _flush(self):
        if not self.current:
            return
        raw = "".join(self.current)
        self.current = []
        lines = [line.rstrip(" \t\r\f") for line in raw.split("\n")]
        if self.pre_depth == 0:
            lines = [line.strip(" \t\r\f") for line in lines]
            lines = [line for line in lines if line]
        # trim leading/trailing empty lines (pre blocks keep inner blank lines)
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            self.paragraphs.append("\n".join(lines))

    def _dropped(self, tag, attrs):
        if tag in DROP_TAGS or tag in DROP_CHROME_TAGS:
            return True
        for name, value in attrs:
            if name == "class" and value and DROP_CLASSES.intersection(value.split()):
                return True
            if name == "id" and value in DROP_IDS:
                return True
        return False

    def handle_starttag(self, tag, attrs):
        if tag == "title":          # inside <head>, which is otherwise dropped
            self.in_title = True
            return
        if self.skip_tag is not None:
            if tag == self.skip_tag and tag not in VOID_TAGS:
                self.skip_depth += 1
            return
        if self._dropped(tag, attrs) and tag not in VOID_TAGS:
            self.skip_tag, self.skip_depth = tag, 1
            return
        if tag == "br":
            self.current.append("\n")
            return
        if tag in BLOCK_TAGS:
            self._flush()
            if tag == "pre":
                self.pre_depth += 1
            if tag in ("h1", "h2", "h3") and self.first_heading is None:
                self.heading_parts = []

    def handle_startendtag(self, tag, attrs):
        # <br/>, <a id="x"/>: no content; only <br> and blocks matter.
        if self.skip_tag is None:
            if tag == "br":
                self.current.append("\n")
            elif tag in BLOCK_TAGS:
                self._flush()

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
            return
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip_tag = None
            return
        if tag in BLOCK_TAGS:
            self._flush()
            if tag == "pre" and self.pre_depth:
                self.pre_depth -= 1
            if tag in ("h1", "h2", "h3") and self.heading_parts is not None:
                heading = HTML_SPACE.sub(" ", "".join(self.heading_parts)).strip()
                self.heading_parts = None
                if heading:
                    self.first_heading = heading

    def handle_data(self, data):
        if self.in_title:
            self.title_parts.append(data)
            return
        if self.skip_tag is not None:
            return
        if self.pre_depth == 0:
            data = HTML_SPACE.sub(" ", data)
        self.current.append(data)
        if self.heading_parts is not None:
            self.heading_parts.append(data)

    def result(self):
        self._flush()
        title = HTML_SPACE.sub(" ", "".join(self.title_parts)).strip()
        return title or self.first_heading or "", "\n\n".join(self.paragraphs)


def html_to_text(data):
    parser = TextExtractor()
    parser.feed(data)
    parser.close()
    return parser.result()


# --- plain text -------------------------------------------------------------------

ANSI_SGR = re.compile(r"\x1b\[[0-9;]*m")
MANY_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def tidy_text(text):
    """Trailing spaces off, runs of blank lines -> one blank line, ends trimmed."""
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return MANY_BLANK_LINES.sub("\n\n", text).strip("\n")


MAN_NAME_HEADINGS = ("NAME", "名称", "名稱", "名字", "名 称", "名 稱")


def man_title(text, fallback):
    """The NAME section's first line ("chroot - 在特殊的根目錄下執行…"), else page(sec)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.strip() in MAN_NAME_HEADINGS and not line.startswith(" "):
            for nxt in lines[i + 1:i + 4]:
                if nxt.strip():
                    return HTML_SPACE.sub(" ", nxt).strip()[:200]
            break
    return fallback


# --- collections ------------------------------------------------------------------

def read_utf8(path, stats):
    data = open(path, "rb").read()
    stats["source_bytes"] += len(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        stats["invalid_utf8_files"] += 1
        text = data.decode("utf-8", errors="replace")
    return data, text


def html_collection(name, root, dest_root, docs, stats, subdirs=True):
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        if not subdirs:
            dirnames[:] = []
        for f in sorted(filenames):
            if f.endswith(".html"):
                paths.append(os.path.join(dirpath, f))
    for path in paths:
        rel = os.path.relpath(path, root)
        data, text = read_utf8(path, stats)
        title, body = html_to_text(text)
        if not body.strip():
            stats["skipped_empty"] += 1
            continue
        doc_id = f"{name}/{rel}"
        dst = os.path.join(dest_root, doc_id)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "wb") as f:
            f.write(data)
        docs.append((doc_id, title or rel, body))


def man_collection(name, lang_dir, dest_root, docs, stats):
    for dirpath, dirnames, filenames in os.walk(lang_dir):
        dirnames.sort()
        for f in sorted(filenames):
            if not f.endswith(".txt"):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, lang_dir)
            data, text = read_utf8(path, stats)
            body = tidy_text(text)
            if not body.strip():
                stats["skipped_empty"] += 1   # man -l failed on this page
                continue
            page = f[:-4]                       # "chroot.8"
            stem, _, section = page.rpartition(".")
            doc_id = f"{name}/{rel}"
            dst = os.path.join(dest_root, doc_id)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "w", encoding="utf-8") as out:
                out.write(body + "\n")
            docs.append((doc_id, man_title(body, f"{stem}({section})"), body))


def fortune_collection(name, fortune_dir, files, dest_root, docs, stats):
    for fname in files:
        data, text = read_utf8(os.path.join(fortune_dir, fname), stats)
        # Fortunes are separated by lines holding only "%"; colours are ANSI escapes.
        text = ANSI_SGR.sub("", text).replace("\x1b", "")
        number = 0
        for chunk in re.split(r"^%[ \t]*$", text, flags=re.M):
            body = tidy_text(chunk)
            if not body.strip():
                continue
            number += 1
            doc_id = f"{name}/{fname}/{number:05d}.txt"
            dst = os.path.join(dest_root, doc_id)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "w", encoding="utf-8") as out:
                out.write(body + "\n")
            first = next(line for line in body.split("\n") if line.strip())
            title = HTML_SPACE.sub(" ", first).strip()
            if len(title) > 60:
                title = title[:60] + "…"
            docs.append((doc_id, title, body))


# A handful of common characters whose Traditional and Simplified forms differ: counting
# both sides tells whether a collection really is Traditional (zh-tw) or Simplified.
TRAD_SIMP_PAIRS = ("這这 個个 們们 為为 來来 時时 說说 會会 對对 與与 檔档 設设 網网 統统 "
                   "開开 關关 進进 還还 現现 發发 實实 體体 點点 動动 從从 將将 無无 種种 "
                   "樣样 長长 間间 應应 認认 資资 據据 碼码 機机 電电 話话 號号 錯错 誤误 "
                   "顯显 務务 處处 當当 經经 論论 題题 記记 問问 變变 選选 單单").split()
TRAD_CHARS = {p[0] for p in TRAD_SIMP_PAIRS}
SIMP_CHARS = {p[1] for p in TRAD_SIMP_PAIRS}


def han_forms(texts):
    trad = simp = 0
    for t in texts:
        for ch in t:
            if ch in TRAD_CHARS:
                trad += 1
            elif ch in SIMP_CHARS:
                simp += 1
    return {"traditional_only_chars": trad, "simplified_only_chars": simp}


def package_version(cache, package):
    from_file = os.path.join(cache, "unpacked", package, ".from")
    deb = open(from_file).read().strip()
    version = deb[:-len(".deb")].split("_")[1].replace("%3a", ":")
    return deb, version


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--man-txt", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--final-out", help="where build.sh moves --out when done (for the summary)")
    ap.add_argument("--man-langs", default="zh_CN", help="space-separated: zh_CN zh_TW")
    args = ap.parse_args()

    u = os.path.join(args.cache, "unpacked")
    docs_root = os.path.join(args.out, "docs")
    os.makedirs(docs_root, exist_ok=True)
    handbook = os.path.join(u, "debian-handbook/usr/share/doc/debian-handbook/html")
    collections = [
        ("libreoffice-help-zh-cn", "libreoffice-help-zh-cn", lambda d, s: html_collection(
            "libreoffice-help-zh-cn",
            os.path.join(u, "libreoffice-help-zh-cn/usr/share/libreoffice/help/zh-CN/text"),
            docs_root, d, s)),
        ("debian-handbook-zh-cn", "debian-handbook", lambda d, s: html_collection(
            "debian-handbook-zh-cn", os.path.join(handbook, "zh-CN"), docs_root, d, s,
            subdirs=False)),
        ("debian-handbook-en-us", "debian-handbook", lambda d, s: html_collection(
            "debian-handbook-en-us", os.path.join(handbook, "en-US"), docs_root, d, s,
            subdirs=False)),
        ("debian-reference-zh-cn", "debian-reference-zh-cn", lambda d, s: html_collection(
            "debian-reference-zh-cn",
            os.path.join(u, "debian-reference-zh-cn/usr/share/debian-reference"),
            docs_root, d, s, subdirs=False)),
        ("debian-reference-zh-tw", "debian-reference-zh-tw", lambda d, s: html_collection(
            "debian-reference-zh-tw",
            os.path.join(u, "debian-reference-zh-tw/usr/share/debian-reference"),
            docs_root, d, s, subdirs=False)),
        ("manpages-zh-cn", "manpages-zh", lambda d, s: man_collection(
            "manpages-zh-cn", os.path.join(args.man_txt, "zh_CN"), docs_root, d, s)),
        ("fortunes-zh", "fortunes-zh", lambda d, s: fortune_collection(
            "fortunes-zh", os.path.join(u, "fortunes-zh/usr/share/games/fortunes"),
            ["chinese", "song100", "tang300"], docs_root, d, s)),
    ]
    if "zh_TW" in args.man_langs.split():
        collections.insert(-1, ("manpages-zh-tw", "manpages-zh", lambda d, s: man_collection(
            "manpages-zh-tw", os.path.join(args.man_txt, "zh_TW"), docs_root, d, s)))

    meta = {"built_by": "corpus/build.sh", "collections": {}}
    total_docs = total_bytes = 0
    with open(os.path.join(args.out, "corpus.jsonl"), "w", encoding="utf-8") as jsonl:
        for name, package, build in collections:
            docs = []
            stats = {"source_bytes": 0, "invalid_utf8_files": 0, "skipped_empty": 0}
            build(docs, stats)
            if not docs:
                sys.exit(f"extract.py: collection {name} produced no documents")
            text_bytes = 0
            for doc_id, title, text in docs:
                jsonl.write(json.dumps({"id": doc_id, "title": title, "text": text},
                                       ensure_ascii=False) + "\n")
                text_bytes += len(text.encode("utf-8"))
            deb, version = package_version(args.cache, package)
            entry = {"package": package, "version": version, "deb": deb,
                     "documents": len(docs), "text_bytes": text_bytes}
            entry.update(stats)
            if not name.endswith("en-us"):
                entry.update(han_forms(t for _, _, t in docs))
            meta["collections"][name] = entry
            total_docs += len(docs)
            total_bytes += text_bytes
    meta["documents"] = total_docs
    meta["text_bytes"] = total_bytes
    with open(os.path.join(args.out, "meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=2)
        f.write("\n")

    per = ", ".join(f"{n} {c['documents']}" for n, c in meta["collections"].items())
    print(f"corpus: {total_docs} documents, {total_bytes / 1e6:.1f} MB text in "
          f"{os.path.join(args.final_out or args.out, 'corpus.jsonl')} ({per})")


if __name__ == "__main__":
    main()
