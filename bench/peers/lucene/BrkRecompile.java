// bench/peers/lucene/BrkRecompile.java - build step of the Lucene peer (not part of sou).
//
// Debian's lucene-analyzers-icu jar (Lucene 8.8) ships ICUTokenizer's break rules,
// org/apache/lucene/analysis/icu/segmentation/{Default,MyanmarSyllable}.brk, compiled
// in ICU's RBBI data format 5; Debian's ICU4J 72 reads only format 6 and refuses them
// ("Header authentication failed"), so ICUTokenizer cannot even be constructed.
// A compiled .brk embeds its rule source (the RBBI header's fRuleSource/fRuleSourceLen,
// UTF-16 in the data's byte order). This program takes that source out of each .brk
// in the jar, compiles it again with the installed ICU4J and writes the result under
// the same resource path in OUTDIR; OUTDIR goes first on the peer's classpath, so
// Lucene's own ICUTokenizer loads rules it can read, unchanged otherwise.
//
// usage: java -cp icu4j.jar:. BrkRecompile LUCENE_ANALYZERS_ICU_JAR OUTDIR
import com.ibm.icu.text.RuleBasedBreakIterator;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

public final class BrkRecompile {
    static final String DIR = "org/apache/lucene/analysis/icu/segmentation/";
    static final String[] FILES = {"Default.brk", "MyanmarSyllable.brk"};

    /** The rule source embedded in a compiled RBBI data file. */
    static String ruleSource(byte[] brk, String name) throws IOException {
        // ICU data header: uint16 headerSize, magic 0xda 0x27, then UDataInfo
        // (uint16 size, uint16 reserved, uint8 isBigEndian, ...).
        ByteBuffer b = ByteBuffer.wrap(brk);
        if ((brk[2] & 0xff) != 0xda || (brk[3] & 0xff) != 0x27)
            throw new IOException(name + ": not an ICU data file");
        boolean bigEndian = brk[8] != 0;
        b.order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        int headerSize = b.getShort(0) & 0xffff;
        // RBBIDataHeader (format 5): fMagic, fFormatVersion, fLength, fCatCount,
        // fFTable, fFTableLen, fRTable, fRTableLen, fTrie, fTrieLen,
        // fRuleSource, fRuleSourceLen, ... (uint32 each; offsets from its start)
        if (b.getInt(headerSize) != 0xb1a0 || brk[headerSize + 4] != 5)
            throw new IOException(name + ": not RBBI data format 5");
        int src = headerSize + b.getInt(headerSize + 40);
        int len = b.getInt(headerSize + 44);
        String rules = new String(brk, src, len,
                bigEndian ? StandardCharsets.UTF_16BE : StandardCharsets.UTF_16LE);
        int end = rules.length();
        while (end > 0 && rules.charAt(end - 1) == 0) end--;
        return rules.substring(0, end);
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: BrkRecompile LUCENE_ANALYZERS_ICU_JAR OUTDIR");
            System.exit(2);
        }
        try (ZipFile jar = new ZipFile(args[0])) {
            Path out = Paths.get(args[1], DIR);
            Files.createDirectories(out);
            for (String f : FILES) {
                ZipEntry e = jar.getEntry(DIR + f);
                if (e == null) throw new IOException(args[0] + ": no " + DIR + f);
                byte[] brk = jar.getInputStream(e).readAllBytes();
                String rules = ruleSource(brk, f);
                ByteArrayOutputStream compiled = new ByteArrayOutputStream();
                RuleBasedBreakIterator.compileRules(rules, compiled);
                // check that ICU4J loads what it wrote before Lucene depends on it
                RuleBasedBreakIterator.getInstanceFromCompiledRules(
                        new ByteArrayInputStream(compiled.toByteArray()));
                Files.write(out.resolve(f), compiled.toByteArray());
            }
        }
    }
}
