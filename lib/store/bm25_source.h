/* bm25_source.h - BM25 over in-memory document lengths (C++, the store's
 * private half; sou/store.h is the public C side).
 *
 * Why: with Xapian's own BM25Weight, every candidate document's length is
 * read from the shard's document-length list, a chunked varint stream that
 * Xapian scans forward entry by entry (GlassPostList::jump_to). perf on the
 * full bench (1.05M passages, compacted, 330 queries) put 37% of all query
 * time there. Lucene keeps one "norm" per document in memory instead; so do
 * we: sou_norms holds every local shard's document lengths (2 bytes each,
 * loaded once per reader generation), and Bm25Source is a leaf that walks a
 * term's posting list and scores each posting with exactly Xapian's
 * BM25Weight formula (weight/bm25weight.cc in xapian-core 1.4: the same
 * operations in the same order, so scores are bit-identical).
 *
 * A posting source cannot be a phrase's subquery (it has no positions) and
 * xapian-tcpsrv cannot rebuild it, so the query builder uses it only for
 * weighted term leaves on local shards; everything else keeps Xapian's
 * leaves (fast_query in xapian_shim.cc).
 */
#ifndef SOU_BM25_SOURCE_H
#define SOU_BM25_SOURCE_H

#include <xapian.h>

#include <cstdint>
#include <utility>
#include <memory>
#include <string>
#include <vector>

#include "record_file.h"
#include "sou/store.h"

namespace sou_store {

/* Document lengths of one shard, indexed by docid; 0xffff means "look it
 * up" (a length of 65535 or more, or a docid past the end). */
struct shard_norms {
    const Xapian::Database::Internal *key = nullptr;   /* the shard's database */
    Xapian::Database db;
    std::vector<uint16_t> len;
};

/* Every shard of a reader. Built only when each open shard is one local
 * database; otherwise usable is false and searches use Xapian's leaves. */
struct sou_norms {
    bool built = false;
    bool usable = false;
    std::vector<shard_norms> shards;
    /* Load the lengths of every shard in dbs (each must be a single local
     * database); throws Xapian errors. */
    void build(const std::vector<Xapian::Database> &dbs);
    void clear() { built = usable = false; shards.clear(); }
    /* The entry for db, or NULL; *index gets its position in shards. */
    const shard_norms *find(const Xapian::Database &db, size_t *index) const;
};

/* Posting lists opened while their B-tree entry was the table's current
 * one, for the first leaf of the term on each shard to take. */
struct opened_postings {
    std::vector<Xapian::PostingIterator> it;
    std::vector<char> ready;   /* it[k] not taken yet */
};

/* A term's statistics, read once per search so that a leaf's init() needs
 * no B-tree lookup of its own: per shard of sou_norms (same order) its
 * termfreq and wdf upper bound, and tf, their sum: the reader's termfreq. */
struct term_stats {
    Xapian::doccount tf = 0;
    std::vector<Xapian::doccount> shard_tf;
    std::vector<Xapian::termcount> shard_wdf_max;
    std::shared_ptr<opened_postings> postings;
};

/* One B-tree lookup per shard: the wdf bound reads the same entry, and the
 * posting list opened right after it starts from the table's cursor, which
 * is already there (a list opened later, after other terms' lookups, reads
 * its path again: 12% of a median query's block reads). */
term_stats term_stats_read(const sou_norms &norms, const std::string &term);

/* What a leaf needs to score one term like Xapian::BM25Weight(k1, 0, 1, b,
 * min_normlen) with the collection statistics of the whole reader. */
struct bm25_term {
    std::string term;
    term_stats stats;
    double termweight;   /* log(idf) * factor * wqf part * (k1 + 1), as Xapian */
    double k1, b, min_normlen, len_factor;
};

/* termweight and len_factor exactly as BM25Weight::init(factor) computes
 * them (no relevance set; k2 = 0, k3 = 1). */
bm25_term bm25_term_make(const std::string &term, const term_stats &stats,
                         Xapian::doccount collection_size, double average_length,
                         Xapian::termcount wqf, double factor, double k1,
                         double b, double min_normlen);

/* One term on one shard: its posting list, its BM25 maximum and parts. */
struct bm25_leg {
    const bm25_term *t = nullptr;
    Xapian::Database db;
    Xapian::PostingIterator it;   /* at its first posting after open() */
    const uint16_t *len = nullptr;
    size_t nlen = 0;
    Xapian::doccount tf = 0;      /* on this shard; 0: it is at end */
    double maxweight = 0;         /* BM25Weight::get_maxpart() */
    /* Take the list term_stats_read opened, or open one. */
    void open(const bm25_term &term, const sou_norms *norms, const Xapian::Database &db);
    bool at_end() const { return it == Xapian::PostingIterator(); }
    /* BM25Weight::get_sumpart(wdf, len) for the current posting. */
    double part() const;
};

class Bm25Source : public Xapian::PostingSource {
  public:
    Bm25Source(const sou_norms *norms, const bm25_term &t) : norms_(norms), t_(t) {}
    Xapian::doccount get_termfreq_min() const override { return leg_.tf; }
    Xapian::doccount get_termfreq_est() const override { return leg_.tf; }
    Xapian::doccount get_termfreq_max() const override { return leg_.tf; }
    double get_weight() const override;
    Xapian::docid get_docid() const override { return *leg_.it; }
    /* min_wt is the weight this leaf must reach for the document to enter
     * the result (Xapian's hint: the top-k threshold less the other
     * branches' maximum). Postings below it are passed over here, so they
     * never climb the operator tree. */
    void next(double min_wt) override;
    void skip_to(Xapian::docid did, double min_wt) override;
    bool check(Xapian::docid did, double min_wt) override;
    bool at_end() const override { return started_ && leg_.at_end(); }
    Bm25Source *clone() const override { return new Bm25Source(norms_, t_); }
    void init(const Xapian::Database &db) override;
    std::string get_description() const override;

  private:
    const sou_norms *norms_;
    bm25_term t_;
    bm25_leg leg_;
    bool started_ = false;
    mutable bool weight_known_ = false;
    mutable double weight_ = 0;
    void settle(double min_wt);
};

/* How a phrase leaf checks a document on an index without positions
 * (sou/terms.h): the searcher's callback gets the document's passage
 * record, from the shard's mapped record file where one covers it, else
 * from the value slot. */
struct phrase_checker {
    sou_phrase_check_cb cb = nullptr;
    void *ctx = nullptr;
    /* per local database of the reader: its mapped record file */
    std::vector<std::pair<const Xapian::Database::Internal *, const sou_recmap *>> maps;
};

/* The terms of an exact phrase (Xapian's OP_PHRASE with a window of as
 * many positions as terms) as one weighted leaf: it walks the terms'
 * posting lists together and scores a document with the sum of its terms'
 * BM25 parts, in the order Xapian's AND of term leaves sums them (terms by
 * ascending frequency), passing over documents whose sum cannot reach the
 * threshold. It does not check positions: the query builder puts it under
 * FILTER with Xapian's own phrase, whose position lists each keep a B-tree
 * cursor of their own. Positions read through the public API
 * (PostingIterator::positionlist_begin) open a fresh cursor per document:
 * tried, 8x the block reads of the whole query mix (23,721 -> 193,883).
 * Against FILTER(AND(term leaves), PHRASE), the bound is the sum over the
 * phrase, not each term's share, so fewer candidates reach the position
 * check, and one leaf replaces an AND of many.
 *
 * On an index without positions, a leaf without norms and with a checker
 * checks the phrase (any window) in each candidate's record: weight 0, in
 * an AND with the phrase's weight (a weighted leaf, or Xapian's leaves for
 * its terms, which weigh it as Xapian's phrase did). Its estimate is the
 * shard's document count, so that Xapian's AND, which walks its parts by
 * ascending estimate, asks it last (check()), for documents that match
 * everything else: Xapian checks positions after the whole AND too, and
 * checking every candidate of 数字符 before Calc was 4x the query's time.
 * An estimate of N leaves the AND's own estimate as it was (the product
 * of its parts' estimates over N for each). */
class Bm25PhraseSource : public Xapian::PostingSource {
  public:
    /* terms in phrase order; norms NULL: unweighted; check NULL: positions
     * are checked elsewhere (window unused) */
    Bm25PhraseSource(const sou_norms *norms, const std::vector<bm25_term> &terms,
                     Xapian::doccount collection_size,
                     const phrase_checker *check = nullptr, uint32_t window = 0);
    Xapian::doccount get_termfreq_min() const override { return 0; }
    Xapian::doccount get_termfreq_est() const override { return est_; }
    Xapian::doccount get_termfreq_max() const override { return max_; }
    double get_weight() const override { return weight_; }
    Xapian::docid get_docid() const override { return did_; }
    void next(double min_wt) override;
    void skip_to(Xapian::docid did, double min_wt) override;
    bool check(Xapian::docid did, double min_wt) override;
    bool at_end() const override { return at_end_; }
    Bm25PhraseSource *clone() const override;
    void init(const Xapian::Database &db) override;
    std::string get_description() const override;

  private:
    const sou_norms *norms_;
    std::vector<bm25_term> terms_;
    Xapian::doccount collection_size_;
    std::vector<bm25_leg> legs_;     /* phrase order */
    std::vector<size_t> order_;      /* legs by ascending tf: walk and sum order */
    double rest_max_ = 0;            /* what the legs after the lead add at most */
    Xapian::doccount est_ = 0, max_ = 0;
    Xapian::docid did_ = 0;
    bool on_ = false;                /* at did_, a match */
    double weight_ = 0;
    bool at_end_ = false;
    const phrase_checker *check_;
    uint32_t window_;
    std::vector<const char *> names_;   /* terms_ for sou_phrase */
    std::vector<size_t> lens_;
    Xapian::Database db_;               /* the shard being matched */
    const sou_recmap *map_ = nullptr;   /* its record file, if mapped */
    void settle(double min_wt);
    bool holds(Xapian::docid did);
};

} // namespace sou_store

#endif
