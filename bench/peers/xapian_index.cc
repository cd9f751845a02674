// bench/peers/xapian_index.cc - the stock-Xapian indexer peer (not part of sou).
//
// Indexes a bench passage file the way a C++ programmer would with Xapian's
// own tools, close to omindex: TermGenerator with FLAG_CJK_NGRAM, positions,
// English Snowball stemmer with STEM_SOME, the title indexed with the "S"
// prefix only (as sou does: plain queries search passage text, title:
// searches titles), the passage text as document data (for
// MSet::snippet), one WritableDatabase, one commit at the end (Xapian's own
// autoflush every XAPIAN_FLUSH_THRESHOLD documents in between).
// Docid = passage id. Prints one JSON line with passages, bytes, seconds.
//
// usage: bench-xapian-index PASSAGES DBDIR
#include <xapian.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "passfile.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        std::cerr << "usage: bench-xapian-index PASSAGES DBDIR\n";
        return 2;
    }
    FILE *f = std::fopen(argv[1], "rb");
    if (!f) {
        std::perror(argv[1]);
        return 1;
    }
    try {
        auto t0 = std::chrono::steady_clock::now();
        Xapian::WritableDatabase db(argv[2], Xapian::DB_CREATE_OR_OVERWRITE);
        Xapian::TermGenerator tg;
        tg.set_stemmer(Xapian::Stem("english"));
        tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
        tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
        bench_passage p = {};
        unsigned long n = 0;
        unsigned long long bytes = 0;
        int rc;
        while ((rc = bench_passage_read(f, &p)) == 1) {
            Xapian::Document doc;
            tg.set_document(doc);
            std::string title(p.title, p.title_len), text(p.text, p.text_len);
            tg.index_text(title, 1, "S");
            tg.increase_termpos();
            tg.index_text(text);
            doc.set_data(text);
            doc.add_boolean_term("Q" + std::to_string(p.id));
            db.replace_document(static_cast<Xapian::docid>(p.id), doc);
            n++;
            bytes += p.text_len + p.title_len;
        }
        bench_passage_free(&p);
        std::fclose(f);
        if (rc < 0) {
            std::cerr << "bench-xapian-index: malformed passage file " << argv[1] << "\n";
            return 1;
        }
        db.commit();
        db.close();
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("{\"engine\":\"xapian\",\"passages\":%lu,\"bytes\":%llu,\"seconds\":%.3f}\n",
                    n, bytes, secs);
    } catch (const Xapian::Error &e) {
        std::cerr << "bench-xapian-index: " << e.get_description() << "\n";
        return 1;
    }
    return 0;
}
