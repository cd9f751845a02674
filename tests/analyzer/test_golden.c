/* test_golden.c - golden analyzer outputs for real corpus lines (UN sample
 * page, LibreOffice help zh-CN, Debian reference zh-CN/zh-TW, Debian
 * handbook zh-TW), each expected value worked out by hand from the rules in
 * sou/analyzer.h, not copied from the program.
 *
 * Table 1 shows the POSITIONAL terms by position: positions are separated
 * by " | ", "-" is a position with no positional term (the last character
 * of a CJK run: its unigram only adds weight). Table 2 checks complete term
 * lists (kinds, flags, offsets, stems, dictionary words, limits). */
#include "testutil.h"

enum { T2S_OFF = 1, WORDS_OFF = 2, BIGRAMS_OFF = 4, STEM_OFF = 8 };

static const struct {
    const char *text;
    unsigned opts;
    const char *expect;
} positional[] = {
    /* UN page (corpus/sample), Simplified Chinese and English */
    {"缅北禁地", 0, "缅北 | 北禁 | 禁地 | -"},
    {"网络安全", 0, "网络 | 络安 | 安全 | -"},
    {"网络安全授权", 0, "网络 | 络安 | 安全 | 全授 | 授权 | -"},
    {"滥用技术发展", 0, "滥用 | 用技 | 技术 | 术发 | 发展 | -"},
    {"马德里指导原则", 0, "马德 | 德里 | 里指 | 指导 | 导原 | 原则 | -"},
    {"——《全球反恐战略》的第六次审查", 0,
     "全球 | 球反 | 反恐 | 恐战 | 战略 | - | 的第 | 第六 | 六次 | 次审 | 审查 | -"},
    {"  “指导原则25:会员国应考虑审查本国立法", 0,
     "指导 | 导原 | 原则 | 则25 | 25 | 会员 | 员国 | 国应 | 应考 | 考虑 | 虑审 | 审查 | 查本 | "
     "本国 | 国立 | 立法 | -"},
    {"在网络挑战赛上, 15支年轻创新者团队在开发创意", 0,
     "在网 | 网络 | 络挑 | 挑战 | 战赛 | 赛上 | - | 15 15支 | 支年 | 年轻 | 轻创 | 创新 | 新者 | "
     "者团 | 团队 | 队在 | 在开 | 开发 | 发创 | 创意 | -"},
    {"  安全理事会案文(马德里指导原则)通过了一套指导原则,用于阻止外国恐怖主义作战人员的流动:", 0,
     "安全 | 全理 | 理事 | 事会 | 会案 | 案文 | - | 马德 | 德里 | 里指 | 指导 | 导原 | 原则 | - | "
     "通过 | 过了 | 了一 | 一套 | 套指 | 指导 | 导原 | 原则 | - | 用于 | 于阻 | 阻止 | 止外 | 外国 | "
     "国恐 | 恐怖 | 怖主 | 主义 | 义作 | 作战 | 战人 | 人员 | 员的 | 的流 | 流动 | -"},
    {"Cyberchallenge", 0, "cyberchallenge"},
    {"Cybersecurity mandate", 0, "cybersecurity | mandate"},
    {"Madrid guiding principles", 0, "madrid | guiding | principles"},
    {"Security Council text S/2015/939 (Madrid guiding principles) adopts a set of guiding "
     "principles to stem the flow of foreign terrorist fighters (FTFs):", 0,
     "security | council | text | s | 2015 | 939 | madrid | guiding | principles | adopts | a | "
     "set | of | guiding | principles | to | stem | the | flow | of | foreign | terrorist | "
     "fighters | ftfs"},
    {"During the sixth review of the Global Counter-Terrorism Strategy (A/RES/72/284), Member "
     "States expressed concern", 0,
     "during | the | sixth | review | of | the | global | counter | terrorism | strategy | a | "
     "res | 72 | 284 | member | states | expressed | concern"},
    {"In resolution 2341 (2017), the Security Council Calls upon Member States", 0,
     "in | resolution | 2341 | 2017 | the | security | council | calls | upon | member | states"},
    /* Debian reference / handbook, zh-CN */
    {"C++ ABI 的兼容性", 0, "c | abi | 的兼 | 兼容 | 容性 | -"},
    {"分发软件包的缓存代理（C++ 编译的程序）", 0,
     "分发 | 发软 | 软件 | 件包 | 包的 | 的缓 | 缓存 | 存代 | 代理 | - | c | 编译 | 译的 | 的程 | "
     "程序 | -"},
    {"不要打开基于 rhost 的认证( /etc/ssh/sshd_config 中的", 0,
     "不要 | 要打 | 打开 | 开基 | 基于 | - | rhost | 的认 | 认证 | - | etc | ssh | sshd_config | "
     "中的 | -"},
    {"SSH 服务端默认, 参见 sshd_config (5)", 0,
     "ssh | 服务 | 务端 | 端默 | 默认 | - | 参见 | - | sshd_config | 5"},
    {"IPv6和其他高级网络配置： ip (8), tc (8)等等", 0,
     "ipv6 ipv6和 | 和其 | 其他 | 他高 | 高级 | 级网 | 网络 | 络配 | 配置 | - | ip | 8 | tc | 8 | "
     "等等 | -"},
    {"REM 五年后的残余价值为 $1,000。", 0,
     "rem | 五年 | 年后 | 后的 | 的残 | 残余 | 余价 | 价值 | 值为 | - | 1,000"},
    {"mDNS IPv4 本地连接组播地址 \" 224.0.0.251 \" 或它相应的 IPv6 地址", 0,
     "mdns | ipv4 | 本地 | 地连 | 连接 | 接组 | 组播 | 播地 | 地址 | - | 224.0.0.251 | 或它 | "
     "它相 | 相应 | 应的 | - | ipv6 | 地址 | -"},
    /* Debian reference / handbook, zh-TW: folded to Simplified */
    {"11.7.3.3.2. 設定客戶端", 0, "11.7.3.3.2 | 设定 | 定客 | 客户 | 户端 | -"},
    {"字彙 控制臺與終端機", 0, "字汇 | - | 控制 | 制台 | 台与 | 与终 | 终端 | 端机 | -"},
    {"前一頁 9.11. 熱插拔：hotplug 上一層 起始頁 下一頁 章 10. 網路架構", 0,
     "前一 | 一页 | - | 9.11 | 热插 | 插拔 | - | hotplug | 上一 | 一层 | - | 起始 | 始页 | - | "
     "下一 | 一页 | - | 章 | 10 | 网路 | 路架 | 架构 | -"},
    {"後臺背景程式（daemon）, sshd (8)組成.SSH 使用埠轉發特性，可以給 POP 和 X", 0,
     "后台 | 台背 | 背景 | 景程 | 程式 | - | daemon | sshd | 8 | 组成 | - | ssh | 使用 | 用埠 | "
     "埠转 | 转发 | 发特 | 特性 | - | 可以 | 以给 | - | pop | 和 | x"},
    {"介紹這麼多 Unix 系統的基本服務後，接著將關注管理機器的環境：網路。", 0,
     "介绍 | 绍这 | 这么 | 么多 | - | unix | 系统 | 统的 | 的基 | 基本 | 本服 | 服务 | 务后 | - | "
     "接着 | 着将 | 将关 | 关注 | 注管 | 管理 | 理机 | 机器 | 器的 | 的环 | 环境 | - | 网路 | -"},
    /* LibreOffice help zh-CN: mixed script, URLs, identifiers, full width */
    {"LibreOffice 7.4 帮助", 0, "libreoffice | 7.4 | 帮助 | -"},
    {"This page is: /text/shared/find_toolbar.xhp", 0,
     "this | page | is | text | shared | find_toolbar.xhp"},
    {"通过选择 LibreOffice - 偏好设置 工具 - 选项 - LibreOffice - 高级 来启用Java平台支持。", 0,
     "通过 | 过选 | 选择 | - | libreoffice | 偏好 | 好设 | 设置 | - | 工具 | - | 选项 | - | "
     "libreoffice | 高级 | - | 来启 | 启用 | 用java | java java平 | 平台 | 台支 | 支持 | -"},
    {"指定HTML页面的各种设置选项。", 0,
     "指定 | 定html | html html页 | 页面 | 面的 | 的各 | 各种 | 种设 | 设置 | 置选 | 选项 | -"},
    {"不拆分 (不在HTML中)", 0, "不拆 | 拆分 | - | 不在 | 在html | html html中 | 中"},
    {"输入不含协议前缀的服务器名称。例如，请输入 \"www.example.com\" 而不是 "
     "\"http://www.example.com\"。", 0,
     "输入 | 入不 | 不含 | 含协 | 协议 | 议前 | 前缀 | 缀的 | 的服 | 服务 | 务器 | 器名 | 名称 | - | "
     "例如 | - | 请输 | 输入 | - | www.example.com | 而不 | 不是 | - | http | www.example.com"},
    {"有关 OpenDocument XML 格式的详细信息，请访问 https://www.openoffice.org/xml/ 。", 0,
     "有关 | - | opendocument | xml | 格式 | 式的 | 的详 | 详细 | 细信 | 信息 | - | 请访 | 访问 | - | "
     "https | www.openoffice.org | xml"},
    {"The QR code below was generated for the text www.libreoffice.org :", 0,
     "the | qr | code | below | was | generated | for | the | text | www.libreoffice.org"},
    {"Print StrConv(\"ＡＢＣＤ＠＄％２３＇？ＥＧ\", vbNarrow) ' = \"ABCD@$%23'?EG\"", 0,
     "print | strconv | abcd@ | 23 | eg | vbnarrow | abcd@ | 23 | eg"},
    {"Print StrConv(\"かたかな\", vbKatakana) ' = \"カタカナ\"", 0,
     "print | strconv | かた | たか | かな | - | vbkatakana | カタ | タカ | カナ | -"},
    {"0, False: not checked 1, True: checked 2: grayed, don't know", 0,
     "0 | false | not | checked | 1 | true | checked | 2 | grayed | don't | know"},
    {"' The statement below is necessary only if the form hasn't been opened yet", 0,
     "the | statement | below | is | necessary | only | if | the | form | hasn't | been | opened | "
     "yet"},
    {"TOOL 開発者データベース", T2S_OFF,
     "tool | 開発 | 発者 | 者デ | デー | ータ | タベ | ベー | ース | -"},
    /* the same line with bigrams off: every CJK unigram is positional */
    {"不拆分 (不在HTML中)", BIGRAMS_OFF, "不 | 拆 | 分 | 不 | 在 | html | 中"},
};

static void options_for(unsigned o, sou_analyzer_options *opts)
{
    sou_analyzer_options_default(opts);
    if (o & T2S_OFF) opts->fold_traditional = 0;
    if (o & WORDS_OFF) opts->cjk_words = 0;
    if (o & BIGRAMS_OFF) opts->cjk_bigrams = 0;
    if (o & STEM_OFF) opts->stem = 0;
}

static void positional_view(const tlist *l, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = 0;
    uint32_t maxpos = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].pos > maxpos) maxpos = l->v[i].pos;
    for (uint32_t p = 0; l->n && p <= maxpos; p++) {
        if (p) k += (size_t)snprintf(out + k, cap - k, " | ");
        int any = 0;
        for (size_t i = 0; i < l->n; i++) {
            if (l->v[i].pos != p || !(l->v[i].flags & SOU_TERM_POSITIONAL)) continue;
            k += (size_t)snprintf(out + k, cap - k, "%s%.*s", any ? " " : "", (int)l->v[i].len,
                                  l->v[i].term);
            any = 1;
        }
        if (!any) k += (size_t)snprintf(out + k, cap - k, "-");
        if (k >= cap) return;
    }
}

/* full term lists: "term kind pos start end P|-" separated by "; " */
static const struct {
    const char *text;
    size_t len; /* 0: strlen */
    unsigned opts;
    const char *expect;
} full[] = {
    {"ＵＳＢ", 0, 0, "usb word 0 0 9 P; Zusb stem 0 0 9 -"},
    {"Ｌｉｂｒｅ", 0, STEM_OFF, "libre word 0 0 15 P"},
    {"重跑gen-itgc后", 0, 0,
     "重 cjk_unigram 0 0 3 -; 重跑 cjk_bigram 0 0 6 P; 跑 cjk_unigram 1 3 6 -; "
     "跑gen cjk_join 1 3 9 P; gen word 2 6 9 P; Zgen stem 2 6 9 -; itgc word 3 10 14 P; "
     "Zitgc stem 3 10 14 -; itgc后 cjk_join 3 10 17 P; 后 cjk_unigram 4 14 17 P"},
    {"running tests", 0, 0,
     "running word 0 0 7 P; Zrun stem 0 0 7 -; tests word 1 8 13 P; Ztest stem 1 8 13 -"},
    /* ICU's dictionary splits 联合国 as 联合|国 (no 3+ word) but keeps
     * 无人驾驶 (from the UN page's 无人驾驶航空系统) whole */
    {"联合国", 0, 0,
     "联 cjk_unigram 0 0 3 -; 联合 cjk_bigram 0 0 6 P; 合 cjk_unigram 1 3 6 -; "
     "合国 cjk_bigram 1 3 9 P; 国 cjk_unigram 2 6 9 -"},
    {"无人驾驶", 0, 0,
     "无 cjk_unigram 0 0 3 -; 无人 cjk_bigram 0 0 6 P; 无人驾驶 cjk_word 0 0 12 -; "
     "人 cjk_unigram 1 3 6 -; 人驾 cjk_bigram 1 3 9 P; 驾 cjk_unigram 2 6 9 -; "
     "驾驶 cjk_bigram 2 6 12 P; 驶 cjk_unigram 3 9 12 -"},
    {"无人驾驶", 0, WORDS_OFF,
     "无 cjk_unigram 0 0 3 -; 无人 cjk_bigram 0 0 6 P; 人 cjk_unigram 1 3 6 -; "
     "人驾 cjk_bigram 1 3 9 P; 驾 cjk_unigram 2 6 9 -; 驾驶 cjk_bigram 2 6 12 P; "
     "驶 cjk_unigram 3 9 12 -"},
    {"網絡", 0, BIGRAMS_OFF, "网 cjk_unigram 0 0 3 P; 络 cjk_unigram 1 3 6 P"},
    {"網絡", 0, T2S_OFF | BIGRAMS_OFF, "網 cjk_unigram 0 0 3 P; 絡 cjk_unigram 1 3 6 P"},
    {"1,000 3.14 ①", 0, 0,
     "1,000 number 0 0 5 P; 3.14 number 1 6 10 P; 1 number 2 11 14 P"},
    {"a\0b", 3, STEM_OFF, "a word 0 0 1 P; b word 1 2 3 P"},
    {"\xff" "abc \xe4\xbd" "def", 0, STEM_OFF, "abc word 0 1 4 P; def word 1 7 10 P"},
    {"ﬁne ß", 0, STEM_OFF, "fine word 0 0 5 P; ss word 1 6 8 P"},
    {"cafe\xcc\x81 Σ", 0, STEM_OFF, "café word 0 0 6 P; σ word 1 7 9 P"},
};

static void full_view(const tlist *l, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = 0;
    for (size_t i = 0; i < l->n && k < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%s%.*s %s %u %zu %zu %s", i ? "; " : "",
                              (int)l->v[i].len, l->v[i].term, sou_term_kind_name(l->v[i].kind),
                              l->v[i].pos, l->v[i].start, l->v[i].end,
                              l->v[i].flags & SOU_TERM_POSITIONAL ? "P" : "-");
}

int main(void)
{
    tlist l = {0};
    static char got[16384];
    size_t npos = sizeof positional / sizeof *positional, nfull = sizeof full / sizeof *full;
    for (size_t i = 0; i < npos; i++) {
        sou_analyzer_options o;
        options_for(positional[i].opts, &o);
        sou_analyzer *a;
        if (sou_analyzer_new(&o, &a)) return 1;
        analyze(a, positional[i].text, strlen(positional[i].text), &l);
        positional_view(&l, got, sizeof got);
        CHECK(strcmp(got, positional[i].expect) == 0, "line %zu: %s\n  expected: %s\n  got:      %s",
              i, positional[i].text, positional[i].expect, got);
        sou_analyzer_free(a);
    }
    for (size_t i = 0; i < nfull; i++) {
        sou_analyzer_options o;
        options_for(full[i].opts, &o);
        sou_analyzer *a;
        if (sou_analyzer_new(&o, &a)) return 1;
        size_t n = full[i].len ? full[i].len : strlen(full[i].text);
        analyze(a, full[i].text, n, &l);
        full_view(&l, got, sizeof got);
        CHECK(strcmp(got, full[i].expect) == 0, "row %zu\n  expected: %s\n  got:      %s", i,
              full[i].expect, got);
        sou_analyzer_free(a);
    }
    /* an over-long word: truncated to SOU_MAX_TERM_BYTES, offsets cover it
     * all, no stem, the text after it is still analyzed */
    {
        sou_analyzer *a;
        if (sou_analyzer_new(NULL, &a)) return 1;
        char buf[200];
        memset(buf, 'a', 100);
        memcpy(buf + 100, " 网络", 7);
        analyze(a, buf, 107, &l);
        /* word (not stemmed), 网, 网络, 络 */
        CHECK(l.n == 4, "long word: %zu terms", l.n);
        CHECK(l.n > 0 && l.v[0].len == SOU_MAX_TERM_BYTES && l.v[0].start == 0 &&
                  l.v[0].end == 100 && l.v[0].kind == SOU_TERM_WORD,
              "long word truncated");
        CHECK(l.n == 4 && l.v[1].kind == SOU_TERM_CJK_UNIGRAM && l.v[1].pos == 1,
              "text after long word");
        sou_analyzer_free(a);
    }
    /* the check: 網絡設定 and 网络设定 give the same terms */
    {
        sou_analyzer *a;
        if (sou_analyzer_new(NULL, &a)) return 1;
        tlist t = {0};
        analyze(a, "網絡設定", strlen("網絡設定"), &t);
        analyze(a, "网络设定", strlen("网络设定"), &l);
        full_view(&t, got, sizeof got);
        static char got2[16384];
        full_view(&l, got2, sizeof got2);
        CHECK(strcmp(got, got2) == 0, "T2S: %s vs %s", got, got2);
        free(t.v);
        sou_analyzer_free(a);
    }
    printf("%zu positional rows, %zu full rows, %d failures\n", npos, nfull, tl_failures);
    free(l.v);
    return tl_failures ? 1 : 0;
}
