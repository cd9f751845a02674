/* sou/terms.h - the term scheme of a sou index (the on-disk vocabulary).
 *
 * Unprefixed terms come from the analyzer (sou/analyzer.h): lower-case
 * folded words and numbers, CJK unigrams/bigrams/joins/words. Xapian-style
 * upper-case prefixes mark everything else; analyzer output never starts
 * with an ASCII upper-case letter because it is case folded.
 *
 *   Z<stem>     Snowball stem of a body word (no positions)
 *   S<term>     a title term: the analyzer's output over the title, prefixed
 *   Q<source>   unique source id term: every passage of a source carries it;
 *               delete_document(Q<source>) removes a source's passages
 *   XP<prefix>  every '/'-bounded prefix of the source id ("a/", "a/b/",
 *               ... and the full id): source:a/b filters a folder
 *   XC<comp>    each lower-cased path component and basename without
 *               extension of the source id: source:handbook
 *
 * Value slots:
 *   SOU_SLOT_SOURCE   collapse key: FNV-1a 64 of the source id, 8 bytes
 *                     big-endian (the id itself was 43 bytes a passage on
 *                     the bench corpus; two sources share a key with
 *                     probability ~n^2/2^65: 3e-8 for a million sources)
 *   (slot 1 held the passage ordinal until format 3; the record has it)
 *   SOU_SLOT_RECORD   the passage record (sou/record.h): source, ordinal,
 *                     byte range, title and text; only in an index with
 *                     positions (SOU_META_RECORDS "slot"): an index without
 *                     them is searched by sou alone and keeps its records
 *                     in the record file only ("file"; 20% of its bytes
 *                     were the slot's copy)
 *
 * Xapian's document data is left empty. With a remote shard open, searches
 * sort by relevance, then by the record, so Xapian hands every hit's record
 * back as its sort key with the match itself: a hit on a remote shard
 * (xapian-tcpsrv) then costs no round trip of its own (Xapian 1.4 fetches a
 * remote document with one blocking round trip and does not pipeline them:
 * 10 hits were 10 round trips). Local searches read each hit's record from
 * a copy beside the shard, sou-records.data and sou-records.index (written
 * by sou's writer, mapped by readers; lib/store/record_file.h), and from
 * the slot where that copy does not cover the hit. The copy is derived: a
 * writer rebuilds it from the slot, so an index without it is still
 * format "3". Format "2" always had positions; format "1" kept the record
 * in document data.
 *
 * Positions: an index is built with or without them (SOU_META_POSITIONS;
 * sou-index --positions, and by default for the parts of a shard set,
 * --shard K/N, which are made to be served by xapian-tcpsrv). Without
 * them every term is stored with its wdf only, and a phrase (a CJK string's
 * bigrams and joins, quoted words, title phrases) is the AND of its terms
 * checked against the passage record's text or title (sou/store.h,
 * sou_phrase_check_cb): the positions are the analyzer's, so a match is
 * what a positional phrase would match, and the weights, which come from
 * wdf and lengths, are the same. Positions were 28% of the compacted
 * index. Xapian's own matcher (xapian-tcpsrv) can only check phrases from
 * positions, so a search with a remote shard needs every shard to have
 * them.
 *
 * Metadata keys: see SOU_META_* below.
 */
#ifndef SOU_TERMS_H
#define SOU_TERMS_H

#define SOU_PREFIX_STEM "Z"
#define SOU_PREFIX_TITLE "S"
#define SOU_PREFIX_SOURCE "Q"
#define SOU_PREFIX_SOURCE_PATH "XP"
#define SOU_PREFIX_SOURCE_COMPONENT "XC"

#define SOU_SLOT_SOURCE 0
#define SOU_SLOT_RECORD 2

#define SOU_META_IDENTITY "sou:identity"   /* sou_analyzer_identity() */
#define SOU_META_FORMAT "sou:format"       /* SOU_INDEX_FORMAT */
#define SOU_INDEX_FORMAT "3"                /* the layout described here */
#define SOU_META_POSITIONS "sou:positions" /* "1": terms have positions; "0" */
#define SOU_META_RECORDS "sou:records"     /* "file": records only in the record file */
#define SOU_META_STATS "sou:stats"         /* JSON: files, passages, bytes */

#endif
