// bench/peers/lucene/BenchLucene.java - the Lucene peer (not part of sou).
//
// Lucene 8.8 (Debian's liblucene8-java) with ICU4J 72, configured the way an
// Elasticsearch user deploys it for mixed Chinese/English text:
//   analyzer   ICUTokenizer (Lucene's default config, as ES's icu_tokenizer: Han and
//              kana by ICU's dictionary word break, other scripts by Lucene's
//              Default.brk rules)
//              -> ICUNormalizer2Filter (nfkc_cf: NFKC + case fold, full-width -> ASCII)
//              -> CJKBigramFilter (default flags: Han, Hiragana, Katakana, Hangul;
//                 outputUnigrams=false, the ES cjk_bigram default: a CJK run of 2+
//                 characters becomes its overlapping bigrams, a lone character a unigram)
//              -> EnglishPossessiveFilter -> PorterStemFilter.
//              No Traditional -> Simplified folding (ES has none by default).
//   fields     id (stored only: the passage id of the passage file), text (TextField,
//              stored, postings with offsets: DOCS_AND_FREQS_AND_POSITIONS_AND_OFFSETS),
//              title (stored only; queries search text, as in sou).
//   scoring    BM25, k1 1.2, b 0.75; no query cache (ES caches filters, not scoring
//              queries).
//   indexing   two threads adding documents to one IndexWriter (RAM buffer 256 MB,
//              default codec and merge policy), commit; then forceMerge(1) + commit,
//              timed apart.
//   snippets   UnifiedHighlighter on the text field, offsets from the postings,
//              Lucene's defaults (sentence passages, <b>...</b>), one passage per hit.
//
// Query text -> Lucene query: whitespace (space, tab) separates words, "..." keeps a
// phrase (an unclosed quote runs to the end). Each word goes through the analyzer
// the way an ES `match` query with operator AND does (QueryBuilder.createBooleanQuery,
// Occur.MUST): every token it yields is required, in any position, so a Chinese word
// needs all of its bigrams, not the bigrams in order. A quoted part is a phrase of its
// tokens (QueryBuilder.createPhraseQuery, slop 0: ES match_phrase), so a quoted Chinese
// string matches as an exact substring. Parts are ANDed; an upper-case OR between two
// parts makes them alternatives (a OR b c = (a | b) & c). A part that yields no token
// (punctuation only) is dropped; a query with no part left matches nothing.
//
// usage:
//   bench-lucene index PASSAGES INDEXDIR
//       reads the passage file (bench/peers/passfile.h) and prints one JSON line:
//       {"engine":"lucene","passages":N,"bytes":TEXT_BYTES,"seconds":S,"merge_seconds":M}
//       seconds = reading + adding (2 threads) + commit; merge_seconds = forceMerge(1)
//       + commit.
//   bench-lucene query [--limit N] [--warmup] [--warmup-passes K] [--passes P] INDEXDIR QUERIES
//       one query per line; output one line per query: qid \t nanoseconds \t matches
//       \t id,id,... Each query is timed alone, from building the query to its last
//       snippet: top N by score, the stored id of each hit and, with N > 0, one
//       snippet per hit. matches = TopDocs.totalHits counted as ES counts by default
//       (track_total_hits 10,000: exact below 10,000, otherwise a lower bound of at
//       least 10,000); -1 when the query cannot be built (more than 1024 clauses).
//       --limit 0: every match, exact count, ids only, no snippets (quality mode).
//       --warmup is --warmup-passes 1: untimed passes over all queries first.
//       --passes P: each query's time is the median of P timed passes.
//   bench-lucene query --throughput T [--limit N] [--passes P] INDEXDIR QUERIES
//       one untimed warm-up pass, then T threads sharing one IndexSearcher, each
//       running every query P times (default 1) from query i*len/T on, top N
//       (default 10) with snippets; prints one JSON line:
//       {"engine":"lucene","threads":T,"queries":Q,"seconds":WALL,"qps":Q/WALL,"errors":E}
//       (E: runs whose query could not be built, as bench-fts5 reports them)
//
// Ranking ties are broken by Lucene's docid, and two indexing threads make the docid
// order depend on timing: equal scores can come out in a different order after
// another indexing run (as in Elasticsearch).
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.cjk.CJKBigramFilter;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.icu.ICUNormalizer2Filter;
import org.apache.lucene.analysis.icu.segmentation.ICUTokenizer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TopScoreDocCollector;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.search.uhighlight.UnifiedHighlighter;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.QueryBuilder;

import com.ibm.icu.text.Normalizer2;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;

public final class BenchLucene {
    static final String ID = "id", TEXT = "text", TITLE = "title";
    static final Set<String> ID_ONLY = Set.of(ID);
    static final int INDEX_THREADS = 2;
    static final int ES_TRACK_TOTAL_HITS = 10_000;

    static BM25Similarity similarity() {
        return new BM25Similarity(1.2f, 0.75f);
    }

    static Analyzer analyzer() {
        return new Analyzer() {
            @Override
            protected TokenStreamComponents createComponents(String field) {
                Tokenizer source = new ICUTokenizer();
                TokenStream ts = new ICUNormalizer2Filter(source,
                        Normalizer2.getInstance(null, "nfkc_cf", Normalizer2.Mode.COMPOSE));
                ts = new CJKBigramFilter(ts);
                ts = new EnglishPossessiveFilter(ts);
                ts = new PorterStemFilter(ts);
                return new TokenStreamComponents(source, ts);
            }
        };
    }

    static int usage() {
        System.err.println("usage: bench-lucene index PASSAGES INDEXDIR\n"
            + "       bench-lucene query [--limit N] [--warmup] [--warmup-passes K] [--passes P] INDEXDIR QUERIES\n"
            + "       bench-lucene query --throughput T [--limit N] [--passes P] INDEXDIR QUERIES");
        return 2;
    }

    // ---- index ----------------------------------------------------------------

    /** One record of the passage file (bench/peers/passfile.h); lengths in bytes. */
    static final class Passage {
        long id;
        String title, text;
        int textBytes;
    }

    /** Reads passage records; lengths count UTF-8 bytes, so it reads bytes. */
    static final class PassageReader {
        private final InputStream in;
        private final String path;

        PassageReader(String path) throws IOException {
            this.in = new BufferedInputStream(new FileInputStream(path), 1 << 20);
            this.path = path;
        }

        /** The next record, or null at end of file. */
        synchronized Passage next() throws IOException {
            int c = in.read();
            if (c < 0) return null;
            if (c != 'P' || in.read() != ' ') throw malformed();
            long id = number(' '), ordinal = number(' ');
            long sl = number(' '), tl = number(' '), xl = number('\n');
            if (ordinal < 0 || sl + tl + xl > Integer.MAX_VALUE - 1) throw malformed();
            byte[] buf = in.readNBytes((int) (sl + tl + xl + 1));
            if (buf.length != sl + tl + xl + 1 || buf[buf.length - 1] != '\n') throw malformed();
            Passage p = new Passage();
            p.id = id;
            p.title = new String(buf, (int) sl, (int) tl, StandardCharsets.UTF_8);
            p.text = new String(buf, (int) (sl + tl), (int) xl, StandardCharsets.UTF_8);
            p.textBytes = (int) xl;
            return p;
        }

        private long number(int end) throws IOException {
            long v = 0;
            int c, digits = 0;
            while ((c = in.read()) >= '0' && c <= '9' && digits < 18) {
                v = v * 10 + (c - '0');
                digits++;
            }
            if (c != end || digits == 0) throw malformed();
            return v;
        }

        private IOException malformed() {
            return new IOException("malformed passage file " + path);
        }

        void close() throws IOException {
            in.close();
        }
    }

    static int index(String passages, String indexDir) throws Exception {
        FieldType textType = new FieldType(TextField.TYPE_STORED);
        textType.setIndexOptions(IndexOptions.DOCS_AND_FREQS_AND_POSITIONS_AND_OFFSETS);
        textType.freeze();
        IndexWriterConfig cfg = new IndexWriterConfig(analyzer())
                .setSimilarity(similarity())
                .setRAMBufferSizeMB(256)
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE);
        long t0 = System.nanoTime();
        PassageReader reader = new PassageReader(passages);
        long[] count = new long[INDEX_THREADS], bytes = new long[INDEX_THREADS];
        Exception[] failure = new Exception[INDEX_THREADS];
        try (FSDirectory dir = FSDirectory.open(Paths.get(indexDir));
             IndexWriter writer = new IndexWriter(dir, cfg)) {
            Thread[] threads = new Thread[INDEX_THREADS];
            for (int t = 0; t < INDEX_THREADS; t++) {
                final int me = t;
                threads[t] = new Thread(() -> {
                    try {
                        Passage p;
                        while ((p = reader.next()) != null) {
                            Document doc = new Document();
                            doc.add(new StoredField(ID, p.id));
                            doc.add(new Field(TEXT, p.text, textType));
                            doc.add(new StoredField(TITLE, p.title));
                            writer.addDocument(doc);
                            count[me]++;
                            bytes[me] += p.textBytes;
                        }
                    } catch (Exception e) {
                        failure[me] = e;
                    }
                });
                threads[t].start();
            }
            for (Thread t : threads) t.join();
            reader.close();
            for (Exception e : failure)
                if (e != null) throw e;
            writer.commit();
            long t1 = System.nanoTime();
            writer.forceMerge(1);
            writer.commit();
            long t2 = System.nanoTime();
            System.out.printf(Locale.ROOT,
                    "{\"engine\":\"lucene\",\"passages\":%d,\"bytes\":%d,\"seconds\":%.3f,\"merge_seconds\":%.3f}%n",
                    Arrays.stream(count).sum(), Arrays.stream(bytes).sum(),
                    (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        }
        return 0;
    }

    // ---- query ----------------------------------------------------------------

    /** Builds queries from query text (see the file comment); one per thread. */
    static final class Mapper {
        private final QueryBuilder builder;

        Mapper(Analyzer analyzer) {
            builder = new QueryBuilder(analyzer);
        }

        Query map(String text) {
            List<List<Query>> groups = new ArrayList<>();   // ANDed groups of ORed parts
            boolean or = false;
            int i = 0, n = text.length();
            while (i < n) {
                char c = text.charAt(i);
                if (c == ' ' || c == '\t') {
                    i++;
                    continue;
                }
                int b, e;
                boolean phrase = c == '"';
                if (phrase) {
                    b = ++i;
                    while (i < n && text.charAt(i) != '"') i++;
                    e = i;
                    if (i < n) i++;
                } else {
                    b = i;
                    while (i < n && text.charAt(i) != ' ' && text.charAt(i) != '\t') i++;
                    e = i;
                }
                String part = text.substring(b, e);
                if (!phrase && part.equals("OR") && !groups.isEmpty() && hasPartAfter(text, i)) {
                    or = true;
                    continue;
                }
                Query q = phrase ? builder.createPhraseQuery(TEXT, part)
                                 : builder.createBooleanQuery(TEXT, part, Occur.MUST);
                if (q == null) continue;
                if (or) groups.get(groups.size() - 1).add(q);
                else groups.add(new ArrayList<>(List.of(q)));
                or = false;
            }
            if (groups.isEmpty()) return new MatchNoDocsQuery();
            BooleanQuery.Builder all = new BooleanQuery.Builder();
            for (List<Query> g : groups) {
                if (g.size() == 1) {
                    all.add(g.get(0), Occur.MUST);
                    continue;
                }
                BooleanQuery.Builder any = new BooleanQuery.Builder();
                for (Query q : g) any.add(q, Occur.SHOULD);
                all.add(any.build(), Occur.MUST);
            }
            return all.build();
        }

        private static boolean hasPartAfter(String text, int i) {
            for (; i < text.length(); i++)
                if (text.charAt(i) != ' ' && text.charAt(i) != '\t') return true;
            return false;
        }
    }

    /** One query's answer: total hits (-1: rejected) and passage ids in rank order. */
    static final class Answer {
        long matches = -1;
        long[] ids = new long[0];
    }

    /** Runs queries on a shared IndexSearcher; one per thread. */
    static final class Runner {
        private final IndexSearcher searcher;
        private final Mapper mapper;
        private final UnifiedHighlighter highlighter;
        private final int limit;

        Runner(IndexSearcher searcher, Analyzer analyzer, int limit) {
            this.searcher = searcher;
            this.mapper = new Mapper(analyzer);
            this.highlighter = new UnifiedHighlighter(searcher, analyzer);
            this.limit = limit;
        }

        Answer run(String text) throws IOException {
            Answer a = new Answer();
            try {
                Query q = mapper.map(text);
                TopDocs top;
                if (limit > 0) {
                    TopScoreDocCollector c = TopScoreDocCollector.create(limit, ES_TRACK_TOTAL_HITS);
                    searcher.search(q, c);
                    top = c.topDocs();
                    a.matches = top.totalHits.value;
                } else {
                    a.matches = searcher.count(q);
                    top = searcher.search(q, (int) Math.max(1, a.matches));
                }
                a.ids = new long[top.scoreDocs.length];
                for (int i = 0; i < top.scoreDocs.length; i++) {
                    ScoreDoc sd = top.scoreDocs[i];
                    a.ids[i] = searcher.doc(sd.doc, ID_ONLY).getField(ID).numericValue().longValue();
                }
                if (limit > 0 && top.scoreDocs.length > 0)
                    highlighter.highlight(TEXT, q, top, 1);
            } catch (BooleanQuery.TooManyClauses e) {
                return new Answer();
            }
            return a;
        }
    }

    static List<String> readQueries(String path) throws IOException {
        String all = new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>(Arrays.asList(all.split("\n", -1)));
        if (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) out.remove(out.size() - 1);
        return out;
    }

    static int query(String[] args) throws Exception {
        int limit = 10, warmups = 0, passes = 1, throughput = 0, i = 1;
        for (; i < args.length && args[i].startsWith("--"); i++) {
            boolean hasValue = i + 1 < args.length;
            if (args[i].equals("--limit") && hasValue) limit = Integer.parseInt(args[++i]);
            else if (args[i].equals("--warmup")) warmups = Math.max(warmups, 1);
            else if (args[i].equals("--warmup-passes") && hasValue) warmups = Integer.parseInt(args[++i]);
            else if (args[i].equals("--passes") && hasValue) passes = Math.max(1, Integer.parseInt(args[++i]));
            else if (args[i].equals("--throughput") && hasValue) throughput = Integer.parseInt(args[++i]);
            else return usage();
        }
        if (args.length - i != 2 || limit < 0) return usage();
        List<String> queries = readQueries(args[i + 1]);
        Analyzer analyzer = analyzer();
        try (FSDirectory dir = FSDirectory.open(Paths.get(args[i]));
             DirectoryReader reader = DirectoryReader.open(dir)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            searcher.setSimilarity(similarity());
            searcher.setQueryCache(null);
            if (throughput > 0) return throughput(searcher, analyzer, limit, queries, throughput, passes);
            Runner runner = new Runner(searcher, analyzer, limit);
            int nq = queries.size();
            long[] times = new long[passes];
            long[][] all = new long[nq][passes];
            Answer[] answers = new Answer[nq];
            for (int pass = -warmups; pass < passes; pass++) {
                for (int q = 0; q < nq; q++) {
                    long t0 = System.nanoTime();
                    Answer a = runner.run(queries.get(q));
                    long ns = System.nanoTime() - t0;
                    if (pass >= 0) all[q][pass] = ns;
                    answers[q] = a;
                }
            }
            StringBuilder out = new StringBuilder();
            for (int q = 0; q < nq; q++) {
                System.arraycopy(all[q], 0, times, 0, passes);
                Arrays.sort(times);
                Answer a = answers[q];
                out.append(q + 1).append('\t').append(times[passes / 2]).append('\t')
                   .append(a.matches).append('\t');
                for (int k = 0; k < a.ids.length; k++) {
                    if (k > 0) out.append(',');
                    out.append(a.ids[k]);
                }
                out.append('\n');
            }
            PrintStream ps = new PrintStream(new BufferedOutputStream(System.out), false, "UTF-8");
            ps.print(out);
            ps.flush();
        }
        return 0;
    }

    static int throughput(IndexSearcher searcher, Analyzer analyzer, int limit, List<String> queries,
                          int threads, int passes) throws Exception {
        int nq = queries.size();
        Runner warm = new Runner(searcher, analyzer, limit);
        for (String q : queries) warm.run(q);
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        Exception[] failure = new Exception[threads];
        long[] errors = new long[threads];
        Thread[] pool = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            final int me = t;
            final Runner runner = new Runner(searcher, analyzer, limit);
            pool[t] = new Thread(() -> {
                try {
                    start.await();
                    int from = (int) ((long) me * nq / threads);
                    for (int pass = 0; pass < passes; pass++)
                        for (int k = 0; k < nq; k++)
                            if (runner.run(queries.get((from + k) % nq)).matches < 0) errors[me]++;
                } catch (Exception e) {
                    failure[me] = e;
                }
            });
            pool[t].start();
        }
        start.await();
        long t0 = System.nanoTime();
        for (Thread t : pool) t.join();
        double secs = (System.nanoTime() - t0) / 1e9;
        for (Exception e : failure)
            if (e != null) throw e;
        long total = (long) threads * passes * nq;
        System.out.printf(Locale.ROOT,
                "{\"engine\":\"lucene\",\"threads\":%d,\"queries\":%d,\"seconds\":%.6f,\"qps\":%.3f,\"errors\":%d}%n",
                threads, total, secs, total / secs, Arrays.stream(errors).sum());
        return 0;
    }

    public static void main(String[] args) {
        int rc;
        try {
            if (args.length == 3 && args[0].equals("index")) rc = index(args[1], args[2]);
            else if (args.length >= 1 && args[0].equals("query")) rc = query(args);
            else rc = usage();
        } catch (Exception e) {
            System.err.println("bench-lucene: " + e);
            rc = 1;
        }
        System.exit(rc);
    }
}
