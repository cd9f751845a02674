/* bm25_source.cc - BM25 over in-memory document lengths (bm25_source.h). */
#include "bm25_source.h"

#include <algorithm>
#include <cmath>

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

void Bm25Source::init(const Xapian::Database &db)
{
    db_ = db;
    size_t k = 0;
    const shard_norms *s = norms_ ? norms_->find(db, &k) : nullptr;
    len_ = s ? s->len.data() : nullptr;
    nlen_ = s ? s->len.size() : 0;
    started_ = false;
    bool have_stats = s && k < t_.stats.shard_tf.size();
    tf_ = have_stats ? t_.stats.shard_tf[k] : db.get_termfreq(t_.term);
    if (tf_ == 0) {
        it_ = Xapian::PostingIterator();   /* at end after the first next() */
        set_maxweight(0);
        return;
    }
    opened_postings *op = have_stats ? t_.stats.postings.get() : nullptr;
    if (op && k < op->ready.size() && op->ready[k]) {
        it_ = std::move(op->it[k]);
        op->ready[k] = 0;
    } else {
        it_ = db.postlist_begin(t_.term);
    }
    /* BM25Weight::get_maxpart(). */
    double denom = t_.k1;
    Xapian::termcount wdf_max =
        have_stats ? t_.stats.shard_wdf_max[k] : db.get_wdf_upper_bound(t_.term);
    if (t_.k1 != 0.0 && t_.b != 0.0) {
        double normlen_lb = std::max(std::max(wdf_max, db.get_doclength_lower_bound()) *
                                         t_.len_factor,
                                     t_.min_normlen);
        denom *= (normlen_lb * t_.b + (1 - t_.b));
    }
    denom += wdf_max;
    set_maxweight(denom > 0 ? t_.termweight * (wdf_max / denom) : 0);
}

double Bm25Source::weight_here() const
{
    /* BM25Weight::get_sumpart(wdf, len). */
    Xapian::docid did = *it_;
    Xapian::termcount len = did < nlen_ ? len_[did] : 0xffff;
    if (len == 0xffff) len = db_.get_doclength(did);
    Xapian::termcount wdf = it_.get_wdf();
    double normlen = std::max(len * t_.len_factor, t_.min_normlen);
    double wdf_double = wdf;
    double denom = t_.k1 * (normlen * t_.b + (1 - t_.b)) + wdf_double;
    return t_.termweight * (wdf_double / denom);
}

double Bm25Source::get_weight() const
{
    if (!weight_known_) {
        weight_ = weight_here();
        weight_known_ = true;
    }
    return weight_;
}

/* Pass over postings that cannot reach min_wt. The margin keeps a posting
 * whose weight is within rounding of the threshold: Xapian compares sums
 * (this leaf plus other branches), and a sum may round up to the threshold
 * where the difference rounded down. */
void Bm25Source::settle(double min_wt)
{
    if (min_wt <= 0) return;
    const double floor = min_wt - 1e-9 * min_wt;
    while (it_ != Xapian::PostingIterator()) {
        if (get_weight() >= floor) return;
        ++it_;
        weight_known_ = false;
    }
}

void Bm25Source::next(double min_wt)
{
    if (started_ && it_ != Xapian::PostingIterator()) ++it_;
    started_ = true;
    weight_known_ = false;
    settle(min_wt);
}

void Bm25Source::skip_to(Xapian::docid did, double min_wt)
{
    started_ = true;
    if (it_ == Xapian::PostingIterator()) return;
    if (*it_ < did) {
        it_.skip_to(did);
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

} // namespace sou_store
