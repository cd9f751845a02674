/* bm25_source.cc - BM25 over in-memory document lengths (bm25_source.h). */
#include "bm25_source.h"

#include <algorithm>
#include <cmath>
#include <new>
#include <string>

#include "sou/terms.h"

namespace sou_store {

void sou_norms::build(const std::vector<Xapian::Database> &dbs)
{
    clear();
    built = true;
    for (const Xapian::Database &db : dbs) {
        if (db.internal.size() != 1) return;   /* not one database: unusable */
        shard_norms s;
        s.key = db.internal[0].get();
        s.db = db;
        s.len.assign(static_cast<size_t>(db.get_lastdocid()) + 1, 0xffff);
        /* The all-documents list of a glass shard is its length list: one
         * sequential pass, no per-document lookups. */
        for (Xapian::PostingIterator it = db.postlist_begin(std::string());
             it != db.postlist_end(std::string()); ++it) {
            Xapian::docid did = *it;
            if (did >= s.len.size()) continue;
            Xapian::termcount l = it.get_doclength();
            s.len[did] = static_cast<uint16_t>(l < 0xffff ? l : 0xffff);
        }
        shards.push_back(std::move(s));
    }
    usable = true;
}

const shard_norms *sou_norms::find(const Xapian::Database &db, size_t *index) const
{
    if (!usable || db.internal.size() != 1) return nullptr;
    for (size_t i = 0; i < shards.size(); i++)
        if (shards[i].key == db.internal[0].get()) {
            *index = i;
            return &shards[i];
        }
    return nullptr;
}

term_stats term_stats_read(const sou_norms &norms, const std::string &term)
{
    term_stats st;
    const size_t n = norms.shards.size();
    st.shard_tf.resize(n);
    st.shard_wdf_max.resize(n);
    st.postings = std::make_shared<opened_postings>();
    st.postings->it.resize(n);
    st.postings->ready.assign(n, 0);
    for (size_t i = 0; i < n; i++) {
        const Xapian::Database &db = norms.shards[i].db;
        st.shard_tf[i] = db.get_termfreq(term);
        if (st.shard_tf[i] == 0) continue;
        st.shard_wdf_max[i] = db.get_wdf_upper_bound(term);
        st.postings->it[i] = db.postlist_begin(term);
        st.postings->ready[i] = 1;
        st.tf += st.shard_tf[i];
    }
    return st;
}

bm25_term bm25_term_make(const std::string &term, const term_stats &stats,
                         Xapian::doccount collection_size, double average_length,
                         Xapian::termcount wqf, double factor, double k1,
                         double b, double min_normlen)
{
    const Xapian::doccount tf = stats.tf;
    /* BM25Weight::init(factor), no relevance set, k2 = 0, k3 = 1. */
    const double k3 = 1;
    double tw = (collection_size - tf + 0.5) / (tf + 0.5);
    if (tw < 2) tw = tw * 0.5 + 1;
    double termweight = std::log(tw) * factor;
    double wqf_double = wqf;
    termweight *= (k3 + 1) * wqf_double / (k3 + wqf_double);
    termweight *= (k1 + 1);
    double len_factor = 0;
    if (!(b == 0 || k1 == 0)) {
        len_factor = average_length;
        if (len_factor != 0) len_factor = 1 / len_factor;
    }
    return bm25_term{term, stats, termweight, k1, b, min_normlen, len_factor};
}

void bm25_leg::open(const bm25_term &term, const sou_norms *norms,
                    const Xapian::Database &shard)
{
    t = &term;
    db = shard;
    size_t k = 0;
    const shard_norms *s = norms ? norms->find(shard, &k) : nullptr;
    len = s ? s->len.data() : nullptr;
    nlen = s ? s->len.size() : 0;
    bool have_stats = s && k < term.stats.shard_tf.size();
    tf = have_stats ? term.stats.shard_tf[k] : shard.get_termfreq(term.term);
    if (tf == 0) {
        it = Xapian::PostingIterator();   /* at end */
        maxweight = 0;
        return;
    }
    opened_postings *op = have_stats ? term.stats.postings.get() : nullptr;
    if (op && k < op->ready.size() && op->ready[k]) {
        it = std::move(op->it[k]);
        op->ready[k] = 0;
    } else {
        it = shard.postlist_begin(term.term);
    }
    /* BM25Weight::get_maxpart(). */
    double denom = term.k1;
    Xapian::termcount wdf_max =
        have_stats ? term.stats.shard_wdf_max[k] : shard.get_wdf_upper_bound(term.term);
    if (term.k1 != 0.0 && term.b != 0.0) {
        double normlen_lb = std::max(std::max(wdf_max, shard.get_doclength_lower_bound()) *
                                         term.len_factor,
                                     term.min_normlen);
        denom *= (normlen_lb * term.b + (1 - term.b));
    }
    denom += wdf_max;
    maxweight = denom > 0 ? term.termweight * (wdf_max / denom) : 0;
}

double bm25_leg::part() const
{
    /* BM25Weight::get_sumpart(wdf, len), operation for operation. */
    Xapian::docid did = *it;
    Xapian::termcount l = did < nlen ? len[did] : 0xffff;
    if (l == 0xffff) l = db.get_doclength(did);
    Xapian::termcount wdf = it.get_wdf();
    double normlen = std::max(l * t->len_factor, t->min_normlen);
    double wdf_double = wdf;
    double denom = t->k1 * (normlen * t->b + (1 - t->b)) + wdf_double;
    return t->termweight * (wdf_double / denom);
}

/* A weight this close below min_wt is kept: Xapian compares sums (this
 * leaf plus other branches), and a sum may round up to the threshold where
 * the difference rounded down. */
static double weight_floor(double min_wt)
{
    return min_wt - 1e-9 * min_wt;
}

/* ---- Bm25Source ---------------------------------------------------------- */

void Bm25Source::init(const Xapian::Database &db)
{
    leg_.open(t_, norms_, db);
    started_ = false;
    weight_known_ = false;
    set_maxweight(leg_.maxweight);
}

double Bm25Source::get_weight() const
{
    if (!weight_known_) {
        weight_ = leg_.part();
        weight_known_ = true;
    }
    return weight_;
}

/* Pass over postings that cannot reach min_wt. */
void Bm25Source::settle(double min_wt)
{
    if (min_wt <= 0) return;
    const double floor = weight_floor(min_wt);
    while (!leg_.at_end()) {
        if (get_weight() >= floor) return;
        ++leg_.it;
        weight_known_ = false;
    }
}

void Bm25Source::next(double min_wt)
{
    if (started_ && !leg_.at_end()) ++leg_.it;
    started_ = true;
    weight_known_ = false;
    settle(min_wt);
}

void Bm25Source::skip_to(Xapian::docid did, double min_wt)
{
    started_ = true;
    if (leg_.at_end()) return;
    if (*leg_.it < did) {
        leg_.it.skip_to(did);
        weight_known_ = false;
    }
    settle(min_wt);
}

bool Bm25Source::check(Xapian::docid did, double min_wt)
{
    skip_to(did, min_wt);
    return true;
}

std::string Bm25Source::get_description() const
{
    return "sou::Bm25Source(" + t_.term + ")";
}

/* ---- Bm25PhraseSource ---------------------------------------------------- */

Bm25PhraseSource::Bm25PhraseSource(const sou_norms *norms,
                                   const std::vector<bm25_term> &terms,
                                   Xapian::doccount collection_size,
                                   const phrase_checker *check, uint32_t window)
    : norms_(norms), terms_(terms), collection_size_(collection_size),
      check_(check), window_(window)
{
    for (const bm25_term &t : terms_) {
        names_.push_back(t.term.data());
        lens_.push_back(t.term.size());
    }
}

Bm25PhraseSource *Bm25PhraseSource::clone() const
{
    return new Bm25PhraseSource(norms_, terms_, collection_size_, check_, window_);
}

void Bm25PhraseSource::init(const Xapian::Database &db)
{
    const size_t n = terms_.size();
    db_ = db;
    map_ = nullptr;
    if (check_ && db.internal.size() == 1)
        for (const auto &m : check_->maps)
            if (m.first == db.internal[0].get()) map_ = m.second;
    legs_.assign(n, bm25_leg());
    order_.resize(n);
    did_ = 0;
    on_ = false;
    weight_ = 0;
    at_end_ = false;
    double maxw = 0;
    max_ = 0;
    if (n == 0) at_end_ = true;
    for (size_t i = 0; i < n; i++) {
        legs_[i].open(terms_[i], norms_, db);
        order_[i] = i;
        if (legs_[i].tf == 0) at_end_ = true;
        if (i == 0 || legs_[i].tf < max_) max_ = legs_[i].tf;
    }
    /* Xapian's AND sorts its subqueries by ascending frequency with a
     * stable sort for so few (insertion sort) and sums their weights in
     * that order; so do we, for the same last bit. */
    std::stable_sort(order_.begin(), order_.end(),
                     [&](size_t a, size_t b) { return legs_[a].tf < legs_[b].tf; });
    for (size_t i : order_) maxw += legs_[i].maxweight;
    rest_max_ = 0;
    for (size_t i = 1; i < n; i++) rest_max_ += legs_[order_[i]].maxweight;
    /* As Xapian estimates an AND: independent terms. */
    double est = n ? legs_[order_[0]].tf : 0;
    for (size_t i = 1; i < n && collection_size_; i++)
        est = est * legs_[order_[i]].tf / collection_size_;
    est_ = static_cast<Xapian::doccount>(est + 0.5);
    if (at_end_) {
        max_ = est_ = 0;
        maxw = 0;
    } else if (!norms_ && check_) {
        /* a checking filter: asked last (see the header) */
        max_ = est_ = db.get_doccount();
    }
    set_maxweight(maxw);
}

void Bm25PhraseSource::next(double min_wt)
{
    if (at_end_) return;
    bm25_leg &lead = legs_[order_[0]];
    if (on_) ++lead.it;
    settle(min_wt);
}

void Bm25PhraseSource::skip_to(Xapian::docid did, double min_wt)
{
    if (at_end_ || (on_ && did <= did_)) return;
    bm25_leg &lead = legs_[order_[0]];
    lead.it.skip_to(did);
    settle(min_wt);
}

bool Bm25PhraseSource::check(Xapian::docid did, double min_wt)
{
    if (norms_ || !check_) {
        skip_to(did, min_wt);
        return true;
    }
    /* the checking filter: did alone, which the AND's other parts match */
    if (at_end_ || (on_ && did <= did_)) return true;
    bool all = true;
    for (bm25_leg &g : legs_) {
        if (*g.it < did) g.it.skip_to(did);
        if (g.at_end()) {
            at_end_ = true;
            return true;
        }
        all = all && *g.it == did;
    }
    if (all && holds(did)) {
        did_ = did;
        on_ = true;
        weight_ = 0;
        return true;
    }
    /* no match at did: next() goes on from the first posting after it */
    bm25_leg &lead = legs_[order_[0]];
    if (*lead.it == did) ++lead.it;
    on_ = false;
    return false;
}

/* Does document did hold the phrase? (only with a checker) */
bool Bm25PhraseSource::holds(Xapian::docid did)
{
    sou_record rec;
    std::string slot;
    if (!map_ || !sou_recmap_record(map_, did, &rec)) {
        slot = db_.get_document(did, Xapian::DOC_ASSUME_VALID).get_value(SOU_SLOT_RECORD);
        if (sou_record_decode(slot.data(), slot.size(), &rec) != 0)
            throw Xapian::DatabaseCorruptError("the passage record of document " +
                                               std::to_string(did) + " is missing or damaged");
    }
    sou_phrase ph = {names_.data(), lens_.data(), names_.size(), window_};
    int rc = check_->cb(check_->ctx, &ph, &rec);
    if (rc == SOU_ENOMEM) throw std::bad_alloc();
    if (rc < 0)
        throw Xapian::InternalError(std::string("checking a phrase against a passage: ") +
                                    sou_strerror(rc));
    return rc > 0;
}

/* The first document at or after the lead's posting that has every term,
 * whose weight reaches min_wt and, with a checker, holds the phrase. */
void Bm25PhraseSource::settle(double min_wt)
{
    const bool weighted = norms_ != nullptr;
    if (!weighted) min_wt = 0;   /* a filter: Xapian's leaves weigh it */
    const double floor = min_wt > 0 ? weight_floor(min_wt) : 0;
    const size_t n = order_.size();
    bm25_leg &lead = legs_[order_[0]];
    while (!lead.at_end()) {
        Xapian::docid d = *lead.it;
        /* the lead's part, when the bound needs it before the others' */
        const double lead_w = min_wt > 0 ? lead.part() : 0;
        if (min_wt > 0 && lead_w + rest_max_ < floor) {
            ++lead.it;
            continue;
        }
        /* Bring every other list to d; one past it restarts from there. */
        Xapian::docid ahead = d;
        for (size_t i = 1; i < n; i++) {
            bm25_leg &g = legs_[order_[i]];
            if (*g.it < d) g.it.skip_to(d);
            if (g.at_end()) {
                at_end_ = true;
                return;
            }
            if (*g.it > d) {
                ahead = *g.it;
                break;
            }
        }
        if (ahead != d) {
            lead.it.skip_to(ahead);
            continue;
        }
        double w = 0;   /* in order_, lead first, as Xapian's AND sums */
        if (weighted) {
            w += min_wt > 0 ? lead_w : lead.part();
            for (size_t i = 1; i < n; i++) w += legs_[order_[i]].part();
        }
        if ((min_wt <= 0 || w >= floor) && (!check_ || holds(d))) {
            did_ = d;
            on_ = true;
            weight_ = w;
            return;
        }
        ++lead.it;
    }
    at_end_ = true;
}

std::string Bm25PhraseSource::get_description() const
{
    std::string d = "sou::Bm25PhraseSource(";
    for (size_t i = 0; i < terms_.size(); i++) d += (i ? " " : "") + terms_[i].term;
    return d + ")";
}

} // namespace sou_store
