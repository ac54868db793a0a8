#include "core/wire/query.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "core/domain/cost_model.h"

namespace grants {

namespace {

constexpr std::string_view kTag = "@slurm-grants ";
constexpr int kWireVersion = 1;

bool plain_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || c == ':' || c == ',' || c == '/' || c == '+';
}

std::string encode_value(std::string_view v) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(v.size());
    for (unsigned char c : v) {
        if (plain_byte(c)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::optional<std::string> decode_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] != '%') {
            out += v[i];
            continue;
        }
        if (i + 2 >= v.size()) return std::nullopt;
        int hi = hex_digit(v[i + 1]), lo = hex_digit(v[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

using Fields = std::map<std::string, std::string, std::less<>>;

struct Record {
    std::string type;
    Fields fields;
};

std::optional<Record> parse_record(std::string_view line) {
    Record r;
    std::size_t pos = 0;
    bool first = true;
    while (pos <= line.size()) {
        std::size_t end = line.find(' ', pos);
        if (end == std::string_view::npos) end = line.size();
        std::string_view token = line.substr(pos, end - pos);
        pos = end + 1;
        if (token.empty()) {
            if (end == line.size()) break;
            continue;
        }
        if (first) {
            r.type = std::string(token);
            first = false;
            continue;
        }
        auto eq = token.find('=');
        if (eq == std::string_view::npos || eq == 0) return std::nullopt;
        auto value = decode_value(token.substr(eq + 1));
        if (!value) return std::nullopt;
        r.fields.emplace(std::string(token.substr(0, eq)), std::move(*value));
    }
    if (r.type.empty()) return std::nullopt;
    return r;
}

std::optional<std::int64_t> to_int(const Fields& f, std::string_view key) {
    auto it = f.find(key);
    if (it == f.end() || it->second.empty()) return std::nullopt;
    std::int64_t v = 0;
    const char* b = it->second.data();
    const char* e = b + it->second.size();
    auto [p, ec] = std::from_chars(b, e, v);
    if (ec != std::errc() || p != e) return std::nullopt;
    return v;
}

std::string get(const Fields& f, std::string_view key) {
    auto it = f.find(key);
    return it == f.end() ? std::string() : it->second;
}

// An optional date field into *out: false when present but not a date.
bool optional_date(const Fields& f, std::string_view key, std::optional<DayNumber>* out) {
    auto it = f.find(key);
    if (it == f.end()) return true;
    *out = parse_date(it->second);
    return out->has_value();
}

class Line {
public:
    explicit Line(std::string_view type) : text_(std::string(kTag) + std::string(type)) {}
    Line& add(std::string_view key, std::string_view value) {
        text_ += ' ';
        text_ += key;
        text_ += '=';
        text_ += encode_value(value);
        return *this;
    }
    Line& add(std::string_view key, std::int64_t value) { return add(key, std::to_string(value)); }
    std::string done() const { return text_ + "\n"; }

private:
    std::string text_;
};

}  // namespace

std::string_view query_kind_name(QueryKind kind) {
    switch (kind) {
        case QueryKind::Balance: return "balance";
        case QueryKind::Quote: return "quote";
        case QueryKind::Metrics: return "metrics";
        case QueryKind::Report: return "report";
        case QueryKind::Jobs: return "jobs";
        case QueryKind::Statement: return "statement";
    }
    return "balance";
}

std::optional<QueryKind> parse_query_kind(std::string_view name) {
    for (QueryKind k : {QueryKind::Balance, QueryKind::Quote, QueryKind::Metrics, QueryKind::Report, QueryKind::Jobs,
                        QueryKind::Statement}) {
        if (query_kind_name(k) == name) return k;
    }
    return std::nullopt;
}

std::optional<std::string> query_in_env(const std::vector<std::string_view>& env) {
    return env_value(env, kQueryVariable);
}

std::optional<std::string> env_value(const std::vector<std::string_view>& env, std::string_view name) {
    const std::string prefix = std::string(name) + "=";
    std::optional<std::string> found;
    for (std::string_view e : env) {
        if (e.substr(0, prefix.size()) != prefix) continue;
        if (found) return std::string();
        found = std::string(e.substr(prefix.size()));
    }
    return found;
}

std::string_view report_group_name(ReportGroup group) {
    switch (group) {
        case ReportGroup::User: return "user";
        case ReportGroup::Job: return "job";
        case ReportGroup::Day: return "day";
        case ReportGroup::Month: return "month";
        case ReportGroup::Cluster: return "cluster";
    }
    return "user";
}

std::string encode_query_args(const QueryArgs& a) {
    std::string out = "window=" + std::to_string(a.window) + " by=" + std::string(report_group_name(a.by));
    if (a.award) out += " award=" + encode_value(*a.award);
    if (a.user) out += " user=" + encode_value(*a.user);
    if (a.since) out += " since=" + std::to_string(*a.since);
    if (a.until) out += " until=" + std::to_string(*a.until);
    if (a.month) out += " month=" + encode_value(*a.month);
    if (!a.job_ids.empty()) {
        out += " jobs=";
        for (std::size_t i = 0; i < a.job_ids.size(); ++i) out += (i ? "," : "") + std::to_string(a.job_ids[i]);
    }
    return out;
}

std::optional<QueryArgs> parse_query_args(std::string_view text, std::string* error) {
    auto fail = [error](std::string why) -> std::optional<QueryArgs> {
        if (error) *error = std::move(why);
        return std::nullopt;
    };
    auto rec = parse_record("args " + std::string(text));
    if (!rec) return fail("the question's parameters are malformed");
    QueryArgs a;
    const Fields& f = rec->fields;
    for (const auto& [key, value] : f) {
        if (key == "window") {
            auto w = to_int(f, key);
            if (!w || *w < 1 || *w > kMaxForecastWindow) {
                return fail("the window must be 1 to " + std::to_string(kMaxForecastWindow) + " days");
            }
            a.window = static_cast<int>(*w);
        } else if (key == "by") {
            auto g = parse_report_group(value);
            if (!g) return fail("a report is grouped by user, job, day, month or cluster");
            a.by = *g;
        } else if (key == "award") {
            a.award = value;
        } else if (key == "user") {
            a.user = value;
        } else if (key == "month") {
            a.month = value;
        } else if (key == "since" || key == "until") {
            auto t = to_int(f, key);
            if (!t) return fail("the report's " + key + " is not a time");
            (key == "since" ? a.since : a.until) = *t;
        } else if (key == "jobs") {
            std::size_t pos = 0;
            while (pos <= value.size()) {
                std::size_t comma = value.find(',', pos);
                if (comma == std::string::npos) comma = value.size();
                const std::string word = value.substr(pos, comma - pos);
                std::uint32_t id = 0;
                auto [p, ec] = std::from_chars(word.data(), word.data() + word.size(), id);
                if (word.empty() || ec != std::errc() || p != word.data() + word.size() || id == 0) {
                    return fail("the job ids are not numbers");
                }
                a.job_ids.push_back(id);
                pos = comma + 1;
            }
        }
        // Other words: from a newer grantctl; ignored.
    }
    return a;
}

namespace {

// A statement (grantctl statement from a login node): one "statement" line,
// one line per statement line in order, carrying the entry it prints, then
// one per tranche with its opening and closing states.
void add_tranche(Line& l, const std::string& p, const TrancheState& t) {
    l.add(p + "source", t.source).add(p + "phase", phase_name(t.phase));
    if (t.from) l.add(p + "from", format_date(*t.from));
    if (t.until) l.add(p + "until", format_date(*t.until));
    l.add(p + "amount", t.amount).add(p + "rolled_in", t.rolled_in).add(p + "spent", t.spent);
    l.add(p + "passed_on", t.passed_on).add(p + "lapsed", t.lapsed);
}

bool read_tranche(const Fields& f, const std::string& p, TrancheState* t) {
    t->source = get(f, p + "source");
    const std::string phase = get(f, p + "phase");
    if (phase == "future") {
        t->phase = TrancheState::Phase::Future;
    } else if (phase == "active") {
        t->phase = TrancheState::Phase::Active;
    } else if (phase == "ended") {
        t->phase = TrancheState::Phase::Ended;
    } else {
        return false;
    }
    if (!optional_date(f, p + "from", &t->from) || !optional_date(f, p + "until", &t->until)) return false;
    auto amount = to_int(f, p + "amount"), rolled_in = to_int(f, p + "rolled_in"), spent = to_int(f, p + "spent");
    auto passed_on = to_int(f, p + "passed_on"), lapsed = to_int(f, p + "lapsed");
    if (t->source.empty() || !amount || !rolled_in || !spent || !passed_on || !lapsed) return false;
    t->amount = *amount;
    t->rolled_in = *rolled_in;
    t->spent = *spent;
    t->passed_on = *passed_on;
    t->lapsed = *lapsed;
    return true;
}

std::string encode_statement(const StatementReport& r) {
    const Statement& s = r.statement;
    std::string out = Line("statement")
                          .add("award", r.award)
                          .add("month", r.month.text())
                          .add("start", r.start)
                          .add("end", r.end)
                          .add("unit", unit_name(s.unit))
                          .add("opening", s.opening)
                          .add("closing", s.closing)
                          .add("charged", s.charged)
                          .add("adjusted", s.adjusted)
                          .add("deposited", s.deposited)
                          .add("in", s.transferred_in)
                          .add("out", s.transferred_out)
                          .add("runs", s.runs)
                          .add("chip_hours", s.chip_hours)
                          .add("usd", s.usd)
                          .done();
    for (const StatementLine& l : s.lines) {
        Line n("statement_line");
        n.add("kind", statement_kind_name(l.kind)).add("at", l.at).add("amount", l.amount);
        n.add("counted", l.counted ? 1 : 0).add("balance", l.balance);
        if (l.kind == StatementLine::Kind::Charge) {
            const ChargeRecord& c = r.charges.at(l.index);
            n.add("cluster", c.cluster).add("job", static_cast<std::int64_t>(c.job_id)).add("run_start", c.run_start);
            n.add("user", c.user).add("account", c.account).add("partition", c.partition).add("chips", c.chips);
            n.add("seconds", c.seconds).add("chip_hours", c.chip_hours).add("usd", c.usd).add("recorded_at", c.recorded_at);
        } else if (l.kind == StatementLine::Kind::Deposit) {
            const Deposit& d = r.deposits.at(l.index);
            n.add("id", d.id).add("unit", d.unit).add("micros", d.amount).add("from", format_date(d.from));
            if (d.until) n.add("until", format_date(*d.until));
            n.add("reason", d.reason).add("who", d.who).add("made", d.at);
        } else {
            const Adjustment& a = r.adjustments.at(l.index);
            n.add("unit", a.unit).add("micros", a.amount).add("reason", a.reason).add("who", a.who).add("made", a.at);
            n.add("transfer", a.transfer).add("counterpart", a.counterpart);
        }
        out += n.done();
    }
    for (const StatementTranche& t : s.tranches) {
        Line n("statement_tranche");
        add_tranche(n, "o_", t.opening);
        add_tranche(n, "c_", t.closing);
        out += n.done();
    }
    return out;
}

bool read_statement_line(const Fields& f, StatementReport* r, std::string* why) {
    StatementLine l;
    const std::string kind = get(f, "kind");
    auto at = to_int(f, "at"), amount = to_int(f, "amount"), counted = to_int(f, "counted"), balance = to_int(f, "balance");
    if (!at || !amount || !counted || !balance) {
        *why = "a statement line of the controller's answer lacks a field";
        return false;
    }
    l.at = *at;
    l.amount = *amount;
    l.counted = *counted != 0;
    l.balance = *balance;
    if (kind == "charge") {
        ChargeRecord c;
        auto job = to_int(f, "job"), run_start = to_int(f, "run_start"), chips = to_int(f, "chips");
        auto seconds = to_int(f, "seconds"), ch = to_int(f, "chip_hours"), usd = to_int(f, "usd");
        auto recorded_at = to_int(f, "recorded_at");
        if (!job || *job < 0 || *job > UINT32_MAX || !run_start || !chips || !seconds || !ch || !usd || !recorded_at) {
            *why = "a charge line of the controller's statement lacks a field";
            return false;
        }
        c.award = r->award;
        c.cluster = get(f, "cluster");
        c.job_id = static_cast<std::uint32_t>(*job);
        c.run_start = *run_start;
        c.user = get(f, "user");
        c.account = get(f, "account");
        c.partition = get(f, "partition");
        c.chips = *chips;
        c.seconds = *seconds;
        c.chip_hours = *ch;
        c.usd = *usd;
        c.recorded_at = *recorded_at;
        l.kind = StatementLine::Kind::Charge;
        l.index = r->charges.size();
        r->charges.push_back(std::move(c));
    } else if (kind == "deposit") {
        Deposit d;
        auto id = to_int(f, "id"), micros = to_int(f, "micros"), made = to_int(f, "made");
        auto from = parse_date(get(f, "from"));
        if (!id || !micros || !made || !from || !optional_date(f, "until", &d.until)) {
            *why = "a deposit line of the controller's statement lacks a field";
            return false;
        }
        d.id = *id;
        d.award = r->award;
        d.unit = get(f, "unit");
        d.amount = *micros;
        d.from = *from;
        d.reason = get(f, "reason");
        d.who = get(f, "who");
        d.at = *made;
        l.kind = StatementLine::Kind::Deposit;
        l.index = r->deposits.size();
        r->deposits.push_back(std::move(d));
    } else if (kind == "adjustment" || kind == "transfer") {
        Adjustment a;
        auto micros = to_int(f, "micros"), made = to_int(f, "made"), transfer = to_int(f, "transfer");
        if (!micros || !made || !transfer) {
            *why = "an adjustment line of the controller's statement lacks a field";
            return false;
        }
        a.award = r->award;
        a.unit = get(f, "unit");
        a.amount = *micros;
        a.reason = get(f, "reason");
        a.who = get(f, "who");
        a.at = *made;
        a.transfer = *transfer;
        a.counterpart = get(f, "counterpart");
        l.kind = kind == "transfer" ? StatementLine::Kind::Transfer : StatementLine::Kind::Adjustment;
        l.index = r->adjustments.size();
        r->adjustments.push_back(std::move(a));
    } else {
        *why = "a statement line of the controller's answer has an unknown kind";
        return false;
    }
    r->statement.lines.push_back(l);
    return true;
}

// One statement record of an answer into a->statement (false with *why).
bool decode_statement_record(const std::string& type, const Fields& f, Answer* a, std::string* why) {
    if (type == "statement") {
        StatementReport r;
        r.award = get(f, "award");
        auto month = parse_month(get(f, "month"));
        auto unit = parse_unit_name(get(f, "unit"));
        const char* keys[] = {"start", "end", "opening", "closing", "charged", "adjusted", "deposited",
                              "in", "out", "runs", "chip_hours", "usd"};
        std::int64_t v[12] = {};
        for (int i = 0; i < 12; ++i) {
            auto x = to_int(f, keys[i]);
            if (!x) {
                *why = "the statement line of the controller's answer lacks a field";
                return false;
            }
            v[i] = *x;
        }
        if (r.award.empty() || !month || !unit) {
            *why = "the statement line of the controller's answer lacks a field";
            return false;
        }
        r.month = *month;
        r.start = v[0];
        r.end = v[1];
        Statement& s = r.statement;
        s.unit = *unit;
        s.opening = v[2];
        s.closing = v[3];
        s.charged = v[4];
        s.adjusted = v[5];
        s.deposited = v[6];
        s.transferred_in = v[7];
        s.transferred_out = v[8];
        s.runs = v[9];
        s.chip_hours = v[10];
        s.usd = v[11];
        a->statement = std::move(r);
        return true;
    }
    if (!a->statement) {
        *why = "a statement entry of the controller's answer follows no statement line";
        return false;
    }
    if (type == "statement_line") return read_statement_line(f, &*a->statement, why);
    if (type == "statement_tranche") {
        StatementTranche t;
        if (!read_tranche(f, "o_", &t.opening) || !read_tranche(f, "c_", &t.closing)) {
            *why = "a tranche of the controller's statement lacks a field";
            return false;
        }
        a->statement->statement.tranches.push_back(std::move(t));
        return true;
    }
    return true;  // another statement record, from a newer plugin: ignored
}

}  // namespace

std::string encode_answer(const Answer& a) {
    std::string out = Line("answer")
                          .add("v", kWireVersion)
                          .add("kind", query_kind_name(a.kind))
                          .add("user", a.user)
                          .done();
    if (!a.refused.empty()) out += Line("refused").add("message", a.refused).done();
    for (const auto& s : a.awards) {
        Line l("award");
        l.add("id", s.id).add("title", s.title).add("pi", s.pi).add("unit", unit_name(s.unit));
        l.add("budget", s.budget).add("charged", s.charged).add("held", s.held);
        l.add("running", s.running_jobs).add("pending", s.pending_jobs);
        if (s.valid_from) l.add("from", format_date(*s.valid_from));
        if (s.valid_until) l.add("until", format_date(*s.valid_until));
        l.add("state", s.state);
        if (s.lease) l.add("lease", *s.lease);
        out += l.done();
        for (const NodePrice& p : s.node_prices) {
            Line n("price");
            n.add("award", s.id).add("partition", p.partition).add("type", p.instance_type).add("chips", p.chips);
            if (p.per_node_hour) n.add("per_hour", *p.per_node_hour);
            out += n.done();
        }
        for (const MemberStatus& m : s.members) {
            Line n("member");
            n.add("award", s.id).add("user", m.user).add("runs", m.runs).add("charged", m.charged);
            n.add("held", m.held).add("jobs", m.live_jobs);
            out += n.done();
        }
        if (s.forecast) {
            const Forecast& f = *s.forecast;
            Line n("forecast");
            n.add("award", s.id).add("window", f.window).add("days", f.days).add("burned", f.burned);
            n.add("per_day", f.per_day).add("left", f.left);
            if (f.runs_out) n.add("runs_out", format_date(*f.runs_out));
            if (f.award_end) n.add("end", format_date(*f.award_end));
            out += n.done();
        }
        for (const TrancheState& t : s.tranches) {
            Line n("tranche");
            n.add("award", s.id);
            add_tranche(n, "", t);
            out += n.done();
        }
    }
    for (const auto& r : a.reports) {
        Line l("report");
        l.add("award", r.award);
        if (r.unit) l.add("unit", unit_name(*r.unit));
        l.add("runs", r.charges.runs).add("chip_seconds", r.charges.chip_seconds);
        l.add("chip_hours", r.charges.chip_hours).add("usd", r.charges.usd);
        l.add("adjusted_chip_hours", r.adjusted_chip_hours).add("adjusted_usd", r.adjusted_usd).add("total", r.total);
        l.add("rows", static_cast<std::int64_t>(r.rows.size()));
        out += l.done();
        for (const ReportRow& row : r.rows) {
            out += Line("row")
                       .add("key", row.key)
                       .add("runs", row.runs)
                       .add("chip_seconds", row.chip_seconds)
                       .add("chip_hours", row.chip_hours)
                       .add("usd", row.usd)
                       .done();
        }
        for (const Adjustment& adj : r.adjustments) {
            out += Line("adjustment")
                       .add("unit", adj.unit)
                       .add("amount", adj.amount)
                       .add("reason", adj.reason)
                       .add("who", adj.who)
                       .add("at", adj.at)
                       .done();
        }
    }
    if (a.quote) {
        const QuoteResult& q = *a.quote;
        Line l("quote");
        l.add("verdict", q.verdict).add("award", q.award).add("message", q.message);
        if (q.cost) l.add("cost", *q.cost);
        l.add("unit", unit_name(q.unit)).add("chips", q.chips).add("minutes", q.time_limit_minutes);
        if (!q.instance_type.empty()) l.add("type", q.instance_type);
        out += l.done();
    }
    if (a.passes) {
        out += Line("passes")
                   .add("all", a.passes->passes)
                   .add("full", a.passes->full_passes)
                   .add("update_requests", a.passes->update_requests)
                   .done();
    }
    for (const JobRow& j : a.jobs) {
        out += Line("job")
                   .add("id", static_cast<std::int64_t>(j.job_id))
                   .add("user", j.user)
                   .add("award", j.award)
                   .add("partition", j.partition)
                   .add("state", job_state_name(j.state))
                   .add("charged", j.charged ? 1 : 0)
                   .add("amount", j.amount)
                   .add("unit", unit_name(j.unit))
                   .add("chips", j.chips)
                   .add("tasks", j.tasks)
                   .add("seconds", j.seconds)
                   .add("start", j.start)
                   .add("end", j.end)
                   .done();
    }
    if (a.statement) out += encode_statement(*a.statement);
    Line end("end");
    end.add("awards", static_cast<std::int64_t>(a.awards.size())).add("reports", static_cast<std::int64_t>(a.reports.size()));
    if (a.kind == QueryKind::Jobs) end.add("jobs", static_cast<std::int64_t>(a.jobs.size()));
    if (a.statement) end.add("statement_lines", static_cast<std::int64_t>(a.statement->statement.lines.size()));
    out += end.done();
    return out;
}

namespace {

// The answer's records, one reader per type (decode_answer): each fills a
// or says in why what is wrong with its line.
struct AnswerReader {
    Answer a;
    std::vector<std::int64_t> report_rows;  // rows each report line announced
    bool started = false, ended = false;
    std::string why;

    bool no(const char* sentence) {
        why = sentence;
        return false;
    }
    // The last award line, when it is the one named by f's "award".
    AwardStatus* award_named(const Fields& f) {
        return a.awards.empty() || a.awards.back().id != get(f, "award") ? nullptr : &a.awards.back();
    }

    bool answer(const Fields& f) {
        auto v = to_int(f, "v");
        if (!v || *v != kWireVersion) return no("the controller answered in another format version");
        auto kind = parse_query_kind(get(f, "kind"));
        if (!kind) return no("the controller's answer names an unknown kind");
        a = Answer{};
        report_rows.clear();
        a.kind = *kind;
        a.user = get(f, "user");
        started = true;
        return true;
    }

    bool refused(const Fields& f) {
        a.refused = get(f, "message");
        if (a.refused.empty()) a.refused = "the controller refused the request";
        return true;
    }

    bool award(const Fields& f) {
        AwardStatus s;
        s.id = get(f, "id");
        s.title = get(f, "title");
        s.pi = get(f, "pi");
        auto unit = parse_unit_name(get(f, "unit"));
        auto budget = to_int(f, "budget"), charged = to_int(f, "charged"), held = to_int(f, "held");
        auto running = to_int(f, "running"), pending = to_int(f, "pending");
        if (s.id.empty() || !unit || !budget || !charged || !held || !running || !pending) {
            return no("an award line of the controller's answer lacks a field");
        }
        s.unit = *unit;
        s.budget = *budget;
        s.charged = *charged;
        s.held = *held;
        s.running_jobs = *running;
        s.pending_jobs = *pending;
        if (!optional_date(f, "from", &s.valid_from) || !optional_date(f, "until", &s.valid_until)) {
            return no("an award line of the controller's answer has a bad date");
        }
        s.state = get(f, "state");
        if (f.count("lease")) {
            auto lease = to_int(f, "lease");
            if (!lease) return no("an award line of the controller's answer has a bad lease");
            s.lease = *lease;
        }
        a.awards.push_back(std::move(s));
        return true;
    }

    bool price(const Fields& f) {
        AwardStatus* s = award_named(f);
        if (!s) return no("a price line of the controller's answer follows no award line");
        NodePrice p;
        p.partition = get(f, "partition");
        p.instance_type = get(f, "type");
        auto chips = to_int(f, "chips");
        if (p.partition.empty() || !chips) return no("a price line of the controller's answer lacks a field");
        p.chips = *chips;
        if (f.count("per_hour")) {
            p.per_node_hour = to_int(f, "per_hour");
            if (!p.per_node_hour) return no("a price line of the controller's answer has a bad price");
        }
        s->node_prices.push_back(std::move(p));
        return true;
    }

    bool tranche(const Fields& f) {
        AwardStatus* s = award_named(f);
        if (!s) return no("a tranche line of the controller's answer follows no award line");
        TrancheState t;
        if (!read_tranche(f, "", &t)) return no("a tranche line of the controller's answer is malformed");
        s->tranches.push_back(std::move(t));
        return true;
    }

    bool member(const Fields& f) {
        AwardStatus* s = award_named(f);
        if (!s) return no("a member line of the controller's answer follows no award line");
        MemberStatus m;
        m.user = get(f, "user");
        auto runs = to_int(f, "runs"), charged = to_int(f, "charged"), held = to_int(f, "held");
        auto jobs = to_int(f, "jobs");
        if (m.user.empty() || !runs || !charged || !held || !jobs) {
            return no("a member line of the controller's answer lacks a field");
        }
        m.runs = *runs;
        m.charged = *charged;
        m.held = *held;
        m.live_jobs = *jobs;
        s->members.push_back(std::move(m));
        return true;
    }

    bool forecast(const Fields& f) {
        AwardStatus* s = award_named(f);
        if (!s) return no("a forecast line of the controller's answer follows no award line");
        Forecast fc;
        auto window = to_int(f, "window"), days = to_int(f, "days"), burned = to_int(f, "burned");
        auto per_day = to_int(f, "per_day"), left = to_int(f, "left");
        if (!window || !days || !burned || !per_day || !left) {
            return no("a forecast line of the controller's answer lacks a field");
        }
        fc.window = static_cast<int>(*window);
        fc.days = static_cast<int>(*days);
        fc.burned = *burned;
        fc.per_day = *per_day;
        fc.left = *left;
        if (!optional_date(f, "runs_out", &fc.runs_out) || !optional_date(f, "end", &fc.award_end)) {
            return no("a forecast line of the controller's answer has a bad date");
        }
        s->forecast = fc;
        return true;
    }

    bool report(const Fields& f) {
        AwardReport r;
        r.award = get(f, "award");
        if (f.count("unit")) {
            r.unit = parse_unit_name(get(f, "unit"));
            if (!r.unit) return no("a report line of the controller's answer has an unknown unit");
        }
        auto runs = to_int(f, "runs"), chip_seconds = to_int(f, "chip_seconds"), ch = to_int(f, "chip_hours");
        auto usd = to_int(f, "usd"), adj_ch = to_int(f, "adjusted_chip_hours"), adj_usd = to_int(f, "adjusted_usd");
        auto total = to_int(f, "total"), rows = to_int(f, "rows");
        if (r.award.empty() || !runs || !chip_seconds || !ch || !usd || !adj_ch || !adj_usd || !total || !rows) {
            return no("a report line of the controller's answer lacks a field");
        }
        r.charges.runs = *runs;
        r.charges.chip_seconds = *chip_seconds;
        r.charges.chip_hours = *ch;
        r.charges.usd = *usd;
        r.adjusted_chip_hours = *adj_ch;
        r.adjusted_usd = *adj_usd;
        r.total = *total;
        r.rows.reserve(static_cast<std::size_t>(std::max<std::int64_t>(0, std::min<std::int64_t>(*rows, 1 << 20))));
        report_rows.push_back(*rows);
        a.reports.push_back(std::move(r));
        return true;
    }

    bool row(const Fields& f) {
        if (a.reports.empty()) return no("a row line of the controller's answer follows no report line");
        ReportRow row;
        row.key = get(f, "key");
        auto runs = to_int(f, "runs"), chip_seconds = to_int(f, "chip_seconds"), ch = to_int(f, "chip_hours");
        auto usd = to_int(f, "usd");
        if (!runs || !chip_seconds || !ch || !usd) return no("a row line of the controller's answer lacks a field");
        row.runs = *runs;
        row.chip_seconds = *chip_seconds;
        row.chip_hours = *ch;
        row.usd = *usd;
        a.reports.back().rows.push_back(std::move(row));
        return true;
    }

    bool adjustment(const Fields& f) {
        if (a.reports.empty()) return no("an adjustment line of the controller's answer follows no report line");
        Adjustment adj;
        adj.award = a.reports.back().award;
        adj.unit = get(f, "unit");
        adj.reason = get(f, "reason");
        adj.who = get(f, "who");
        auto amount = to_int(f, "amount"), made = to_int(f, "at");
        if (adj.unit.empty() || !amount || !made) return no("an adjustment line of the controller's answer lacks a field");
        adj.amount = *amount;
        adj.at = *made;
        a.reports.back().adjustments.push_back(std::move(adj));
        return true;
    }

    bool quote(const Fields& f) {
        QuoteResult q;
        q.verdict = get(f, "verdict");
        q.award = get(f, "award");
        q.message = get(f, "message");
        if (f.count("cost")) {
            q.cost = to_int(f, "cost");
            if (!q.cost) return no("the quote line of the controller's answer has a bad cost");
        }
        auto unit = parse_unit_name(get(f, "unit"));
        auto chips = to_int(f, "chips"), minutes = to_int(f, "minutes");
        if (q.verdict.empty() || !unit || !chips || !minutes) return no("the quote line of the controller's answer lacks a field");
        q.unit = *unit;
        q.chips = *chips;
        q.time_limit_minutes = *minutes;
        q.instance_type = get(f, "type");
        a.quote = std::move(q);
        return true;
    }

    bool passes(const Fields& f) {
        auto all = to_int(f, "all"), full = to_int(f, "full"), update_requests = to_int(f, "update_requests");
        if (!all || !full || !update_requests) return no("the passes line of the controller's answer lacks a field");
        a.passes = PassCounters{*all, *full, *update_requests};
        return true;
    }

    bool job(const Fields& f) {
        JobRow j;
        auto id = to_int(f, "id"), charged = to_int(f, "charged"), amount = to_int(f, "amount");
        auto chips = to_int(f, "chips"), tasks = to_int(f, "tasks"), seconds = to_int(f, "seconds");
        auto start = to_int(f, "start"), end = to_int(f, "end");
        auto state = parse_job_state(get(f, "state"));
        auto unit = parse_unit_name(get(f, "unit"));
        if (!id || *id <= 0 || *id > UINT32_MAX || !charged || !amount || !chips || !tasks || !seconds || !start ||
            !end || !state || !unit) {
            return no("a job line of the controller's answer lacks a field");
        }
        j.job_id = static_cast<std::uint32_t>(*id);
        j.user = get(f, "user");
        j.award = get(f, "award");
        j.partition = get(f, "partition");
        j.state = *state;
        j.charged = *charged != 0;
        j.amount = *amount;
        j.unit = *unit;
        j.chips = *chips;
        j.tasks = *tasks;
        j.seconds = *seconds;
        j.start = *start;
        j.end = *end;
        a.jobs.push_back(std::move(j));
        return true;
    }

    // The end line counts what came before it: anything lost in between
    // makes the answer incomplete.
    bool end(const Fields& f) {
        const char* incomplete = "the controller's answer arrived incomplete";
        auto count = to_int(f, "awards");
        if (!count || *count != static_cast<std::int64_t>(a.awards.size())) return no(incomplete);
        // "reports" is absent in answers from a plugin older than report.
        auto reports = to_int(f, "reports");
        if ((reports && *reports != static_cast<std::int64_t>(a.reports.size())) || (!reports && !a.reports.empty())) {
            return no(incomplete);
        }
        auto jobs = to_int(f, "jobs");
        if ((jobs && *jobs != static_cast<std::int64_t>(a.jobs.size())) || (!jobs && a.kind == QueryKind::Jobs)) {
            return no(incomplete);
        }
        auto statement_lines = to_int(f, "statement_lines");
        if ((a.kind == QueryKind::Statement && a.refused.empty() && (!a.statement || !statement_lines)) ||
            (a.statement && (!statement_lines ||
                             *statement_lines != static_cast<std::int64_t>(a.statement->statement.lines.size())))) {
            return no(incomplete);
        }
        for (std::size_t i = 0; i < a.reports.size(); ++i) {
            if (static_cast<std::int64_t>(a.reports[i].rows.size()) != report_rows[i]) return no(incomplete);
        }
        ended = true;
        return true;
    }

    // One record; other record types, from a newer plugin, are ignored.
    bool record(const Record& rec) {
        const Fields& f = rec.fields;
        if (rec.type == "answer") return answer(f);
        if (!started) return true;
        using Reader = bool (AnswerReader::*)(const Fields&);
        static const std::pair<const char*, Reader> kReaders[] = {
            {"refused", &AnswerReader::refused}, {"award", &AnswerReader::award},   {"price", &AnswerReader::price},
            {"tranche", &AnswerReader::tranche}, {"member", &AnswerReader::member}, {"forecast", &AnswerReader::forecast},
            {"report", &AnswerReader::report},   {"row", &AnswerReader::row},       {"adjustment", &AnswerReader::adjustment},
            {"quote", &AnswerReader::quote},     {"passes", &AnswerReader::passes}, {"job", &AnswerReader::job},
            {"end", &AnswerReader::end},
        };
        for (const auto& [type, read] : kReaders) {
            if (rec.type == type) return (this->*read)(f);
        }
        if (rec.type.rfind("statement", 0) == 0) return decode_statement_record(rec.type, f, &a, &why);
        return true;
    }
};

}  // namespace

std::optional<Answer> decode_answer(std::string_view text, std::string* error) {
    auto fail = [error](std::string why) -> std::optional<Answer> {
        if (error) *error = std::move(why);
        return std::nullopt;
    };
    AnswerReader reader;
    std::size_t pos = 0;
    while (pos < text.size() && !reader.ended) {
        std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        auto at = line.find(kTag);
        if (at == std::string_view::npos) continue;
        auto rec = parse_record(line.substr(at + kTag.size()));
        if (!rec) return fail("a malformed line in the controller's answer");
        if (!reader.record(*rec)) return fail(reader.why);
    }
    if (!reader.started) return fail("no answer from job_submit/grants in the controller's reply");
    if (!reader.ended) return fail("the controller's answer arrived incomplete");
    return std::move(reader.a);
}

}  // namespace grants
