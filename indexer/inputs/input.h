/* indexer/inputs/input.h - reading source files into decoded UTF-8 documents.
 *
 * An input is a file (or stdin, or a buffer) in one of four formats: plain
 * text, Markdown, HTML, JSON Lines. The reader detects the charset (BOM,
 * then valid UTF-8, then ICU's detector checked by strict conversion of
 * the likely CJK charsets), decodes to UTF-8, extracts paragraphs and a
 * title, and calls back once per source document (once per file, or once
 * per JSON Lines record). Everything handed to the callback is owned by the
 * reader and valid only during the callback.
 *
 * Text handed out is always (pointer, length): NUL bytes are data. The
 * reader never prints; a per-record problem (a broken JSON Lines line) goes
 * to the warn callback and the rest of the file goes on; a whole-file
 * problem (unreadable, binary, undecodable) is the return code + err.
 */
#ifndef SOU_INDEXER_INPUT_H
#define SOU_INDEXER_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "sou/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SOU_FORMAT_AUTO,     /* by file extension (sou_format_from_path) */
    SOU_FORMAT_TEXT,
    SOU_FORMAT_MARKDOWN,
    SOU_FORMAT_HTML,
    SOU_FORMAT_JSONL
} sou_format;

/* "text", "markdown", "html", "jsonl" (also "txt", "md", "htm", "json",
 * "auto"), case-insensitive. Returns 0 or SOU_EINVAL. */
int sou_format_parse(const char *name, sou_format *out);

/* By extension (.txt .md .markdown .html .htm .xhtml .jsonl .ndjson ...);
 * unknown or none -> SOU_FORMAT_TEXT. */
sou_format sou_format_from_path(const char *path);

/* Default limit for one decoded document (a file, or a JSONL record). */
#define SOU_MAX_DOC_BYTES_DEFAULT ((size_t)256 << 20)   /* 256 MiB */

typedef struct sou_input_options {
    sou_format format;        /* SOU_FORMAT_AUTO: by extension */
    const char *encoding;     /* NULL: detect; else an ICU converter name
                                 ("GB18030", "Big5", "UTF-16LE", ...) */
    const char *id_field;     /* JSONL field names; NULL: "id"  */
    const char *title_field;  /*                          "title" */
    const char *text_field;   /*                          "text"  */
    size_t max_doc_bytes;     /* a file or record larger than this (raw or
                                 decoded) -> SOU_ETOOBIG (for a JSONL record:
                                 a warning, the file goes on); 0: default */
} sou_input_options;

void sou_input_options_default(sou_input_options *o);

typedef struct sou_source_doc {
    const char *id; size_t id_len;        /* the path as given ("-" for stdin),
                                             or the JSONL id (fallback
                                             "path#lineN" when missing) */
    const char *title; size_t title_len;  /* <title> / first <h1>/<h2> / first
                                             Markdown heading / JSONL title;
                                             may be empty */
    const char *text; size_t text_len;    /* decoded UTF-8 text; passage byte
                                             ranges refer to this. Paragraphs
                                             are separated by blank lines (HTML
                                             block elements end paragraphs,
                                             emitted as "\n\n") */
    uint64_t line;                        /* JSONL line number (1-based), else 0 */
} sou_source_doc;   /* all valid only during the callback */

/* Nonzero return stops reading: the read call returns SOU_ESTOPPED. */
typedef int (*sou_source_doc_cb)(void *ctx, const sou_source_doc *doc);

/* Report a problem that does not stop the file: a broken or oversized JSON
 * Lines record (line = its 1-based number, the record is skipped, code
 * SOU_EDECODE / SOU_ETOOBIG), or a note about a file that is still read
 * (line 0, code SOU_EDECODE): invalid or truncated byte sequences replaced
 * with U+FFFD (e.g. a truncated GB18030 file: everything before the cut is
 * kept), an unclosed HTML <script>/comment whose rest was dropped as a
 * browser would. msg is a NUL-terminated English sentence (no path: the
 * path argument carries it). */
typedef void (*sou_input_warn_cb)(void *ctx, const char *path, uint64_t line,
                                  int code, const char *msg);

/* Read a file ("-" = stdin). o may be NULL (defaults); warn may be NULL.
 * Returns 0, SOU_ENOTFOUND / SOU_EIO / -errno (unreadable), SOU_EDECODE
 * (binary or undecodable), SOU_ETOOBIG, SOU_ENOMEM, SOU_ESTOPPED.
 * An empty file gives zero documents and returns 0. JSON Lines are UTF-8
 * by definition: no charset detection (a UTF-16 BOM or --encoding still
 * converts), invalid bytes in a line become U+FFFD; a JSON Lines file
 * streams in 1 MiB chunks, so its size is not limited, only its records. */
int sou_input_read_path(const char *path, const sou_input_options *o,
                        sou_source_doc_cb cb, sou_input_warn_cb warn,
                        void *ctx, sou_error *err);

/* Same, over bytes in memory; name is used as the id and for format
 * detection by extension (may be NULL: "-" and TEXT). */
int sou_input_read_buffer(const char *name, const char *bytes, size_t len,
                          const sou_input_options *o, sou_source_doc_cb cb,
                          sou_input_warn_cb warn, void *ctx, sou_error *err);

#ifdef __cplusplus
}
#endif
#endif
