// xapian_termgen.cc - the stock peer for bench-analyzer: Xapian 1.4's own
// TermGenerator with FLAG_CJK_NGRAM and the english stemmer (STEM_SOME, its
// default), indexing each text into a fresh Xapian::Document, as a Xapian
// application would. C++ is allowed here (bench/peers is not part of sou).
#include "xapian_termgen.h"

#include <xapian.h>

extern "C" int peer_xapian_termgen(const char *const *texts, const size_t *lens, size_t n,
                                   uint64_t *terms)
{
    try {
        Xapian::TermGenerator tg;
        tg.set_stemmer(Xapian::Stem("english"));
        tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
        uint64_t count = 0;
        for (size_t i = 0; i < n; i++) {
            Xapian::Document doc;
            tg.set_document(doc);
            tg.index_text(std::string(texts[i], lens[i]));
            count += doc.termlist_count();
        }
        *terms = count;
        return 0;
    } catch (const Xapian::Error &) {
        return -1;
    }
}
