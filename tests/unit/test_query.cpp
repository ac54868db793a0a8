// grantctl's questions and slurmctld's answers (core/wire/query.h): the marker in
// the spank environment, the line format with percent-encoded values, exact
// amounts, detection of truncated or malformed answers, and rounding.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cmocka.h"
#include "core/base/date.h"
#include "core/base/decimal.h"
#include "core/domain/cost_model.h"
#include "core/wire/query.h"
#include "statement_expect.h"

using namespace grants;

namespace {

AwardStatus sample_status() {
    AwardStatus s;
    s.id = "BOT-2025-0117";
    s.title = "Sparse MoE pretraining: 50% of \"budget\"\nline two\ttab";
    s.pi = "alice";
    s.unit = Budget::Unit::ChipHours;
    s.budget = ticks_of(50'000LL * kMicrosPerUnit);
    s.charged = 123'456'789'012LL;  // not a whole number of micros
    s.held = 7;
    s.running_jobs = 2;
    s.pending_jobs = 5;
    s.valid_from = *parse_date("2025-01-01");
    s.valid_until = *parse_date("2026-12-31");
    s.state = "active";
    return s;
}

void test_query_in_env(void**) {
    std::vector<std::string_view> none{"A=1", "SLURM_GRANTS_QUERYX=1"};
    assert_false(query_in_env(none).has_value());
    std::vector<std::string_view> one{"A=1", "SLURM_GRANTS_QUERY=balance"};
    assert_string_equal(query_in_env(one)->c_str(), "balance");
    std::vector<std::string_view> twice{"SLURM_GRANTS_QUERY=balance", "SLURM_GRANTS_QUERY=metrics"};
    assert_string_equal(query_in_env(twice)->c_str(), "");  // present but ambiguous: not a known kind
    assert_false(parse_query_kind("").has_value());
    assert_true(parse_query_kind("quote") == QueryKind::Quote);
    assert_false(parse_query_kind("Balance").has_value());
}

void test_round_trip(void**) {
    Answer a;
    a.kind = QueryKind::Balance;
    a.user = "alice smith";
    a.awards.push_back(sample_status());
    AwardStatus usd = sample_status();
    usd.id = "DOL-1";
    usd.unit = Budget::Unit::Usd;
    usd.valid_from.reset();
    usd.valid_until.reset();
    usd.charged = -ticks_of(5 * kMicrosPerUnit);  // credits can make it negative
    usd.title = "";
    usd.node_prices.push_back({"mix", "trn1.2xlarge", 1, ticks_of(1'340'000)});
    usd.node_prices.push_back({"mix", "trn1.32xlarge", 16, std::nullopt});
    grants::TrancheState ended;
    ended.source = "tranche 1";
    ended.phase = grants::TrancheState::Phase::Ended;
    ended.until = grants::parse_date("2026-06-30");
    ended.amount = ticks_of(100);
    ended.spent = ticks_of(130);
    ended.passed_on = -ticks_of(30);
    grants::TrancheState deposit;
    deposit.source = "deposit 4";
    deposit.phase = grants::TrancheState::Phase::Active;
    deposit.from = grants::parse_date("2026-07-01");
    deposit.amount = ticks_of(50);
    deposit.rolled_in = -ticks_of(30);
    deposit.spent = 7;
    usd.tranches = {ended, deposit};
    usd.lease = ticks_of(42 * kMicrosPerUnit);  // several clusters: this one's lease
    a.awards.push_back(usd);
    const std::string text = encode_answer(a);
    // Plain ASCII lines, nothing that a logger could mangle.
    for (unsigned char c : text) assert_true(c == '\n' || (c >= 0x20 && c < 0x7f));

    std::string error;
    auto back = decode_answer(text, &error);
    assert_true(back.has_value());
    assert_true(back->kind == QueryKind::Balance);
    assert_string_equal(back->user.c_str(), "alice smith");
    assert_int_equal(back->awards.size(), 2);
    const AwardStatus& s = back->awards[0];
    assert_string_equal(s.title.c_str(), sample_status().title.c_str());
    assert_int_equal(s.charged, 123'456'789'012LL);
    assert_int_equal(s.held, 7);
    assert_int_equal(s.budget, ticks_of(50'000LL * kMicrosPerUnit));
    assert_int_equal(s.running_jobs, 2);
    assert_int_equal(s.pending_jobs, 5);
    assert_string_equal(format_date(*s.valid_until).c_str(), "2026-12-31");
    assert_string_equal(s.state.c_str(), "active");
    assert_true(back->awards[1].unit == Budget::Unit::Usd);
    assert_false(back->awards[1].valid_until.has_value());
    assert_int_equal(back->awards[1].charged, -ticks_of(5 * kMicrosPerUnit));
    assert_false(back->awards[0].lease.has_value());  // one cluster: none
    assert_int_equal(*back->awards[1].lease, ticks_of(42 * kMicrosPerUnit));
    // Node prices travel with their award, a missing price stays missing.
    assert_int_equal(back->awards[0].node_prices.size(), 0);
    const auto& prices = back->awards[1].node_prices;
    assert_int_equal(prices.size(), 2);
    assert_string_equal(prices[0].partition.c_str(), "mix");
    assert_string_equal(prices[0].instance_type.c_str(), "trn1.2xlarge");
    assert_int_equal(prices[0].chips, 1);
    assert_int_equal(*prices[0].per_node_hour, ticks_of(1'340'000));
    assert_string_equal(prices[1].instance_type.c_str(), "trn1.32xlarge");
    assert_int_equal(prices[1].chips, 16);
    assert_false(prices[1].per_node_hour.has_value());
    // Tranches too: dates, phases and signed amounts.
    assert_int_equal(back->awards[0].tranches.size(), 0);
    const auto& tranches = back->awards[1].tranches;
    assert_int_equal(tranches.size(), 2);
    assert_string_equal(tranches[0].source.c_str(), "tranche 1");
    assert_true(tranches[0].phase == grants::TrancheState::Phase::Ended);
    assert_false(tranches[0].from.has_value());
    assert_string_equal(format_date(*tranches[0].until).c_str(), "2026-06-30");
    assert_int_equal(tranches[0].spent, ticks_of(130));
    assert_int_equal(tranches[0].passed_on, -ticks_of(30));
    assert_true(tranches[1].phase == grants::TrancheState::Phase::Active);
    assert_string_equal(format_date(*tranches[1].from).c_str(), "2026-07-01");
    assert_int_equal(tranches[1].rolled_in, -ticks_of(30));
    assert_int_equal(tranches[1].spent, 7);
    assert_int_equal(tranches[1].left(), ticks_of(20) - 7);
    assert_false(back->quote.has_value());
}

void test_quote_round_trip(void**) {
    Answer a;
    a.kind = QueryKind::Quote;
    a.user = "bob";
    QuoteResult q;
    q.verdict = "reject";
    q.award = "G-SMALL";
    q.message = "award G-SMALL has 1.0 of 1 chip-h left and this job needs up to 16.0 chip-h (16 chips x 01:00:00): "
                "lower --time or the node count, or ask your PI.";
    q.cost = ticks_of(16 * kMicrosPerUnit);
    q.unit = Budget::Unit::Usd;
    q.chips = 16;
    q.time_limit_minutes = 60;
    a.quote = q;
    std::string error;
    auto back = decode_answer(encode_answer(a), &error);
    assert_true(back.has_value());
    assert_true(back->kind == QueryKind::Quote);
    assert_string_equal(back->quote->message.c_str(), q.message.c_str());
    assert_int_equal(*back->quote->cost, *q.cost);
    assert_true(back->quote->unit == Budget::Unit::Usd);
    assert_int_equal(back->quote->chips, 16);
    assert_int_equal(back->quote->time_limit_minutes, 60);
    assert_string_equal(back->quote->instance_type.c_str(), "");
    a.quote->instance_type = "trn1.32xlarge";
    back = decode_answer(encode_answer(a), &error);
    assert_true(back.has_value());
    assert_string_equal(back->quote->instance_type.c_str(), "trn1.32xlarge");
    // No cost (the award was never resolved).
    a.quote->cost.reset();
    back = decode_answer(encode_answer(a), &error);
    assert_true(back.has_value());
    assert_false(back->quote->cost.has_value());
}

void test_refused_answer(void**) {
    Answer a;
    a.kind = QueryKind::Metrics;
    a.user = "alice";
    a.refused = "grantctl metrics shows every award: only root, SlurmUser and Slurm operators may run it.";
    std::string error;
    auto back = decode_answer(encode_answer(a), &error);
    assert_true(back.has_value());
    assert_string_equal(back->refused.c_str(), a.refused.c_str());
}

// Metrics carry the accounting thread's pass counters; other answers none.
void test_pass_counters_round_trip(void**) {
    Answer a;
    a.kind = QueryKind::Metrics;
    a.user = "root";
    std::string error;
    auto back = decode_answer(encode_answer(a), &error);
    assert_true(back.has_value());
    assert_false(back->passes.has_value());
    a.passes = grants::PassCounters{1234567, 4321, 17};
    const std::string text = encode_answer(a);
    assert_non_null(std::strstr(text.c_str(), "@slurm-grants passes all=1234567 full=4321 update_requests=17\n"));
    back = decode_answer(text, &error);
    assert_true(back.has_value());
    assert_true(back->passes.has_value());
    assert_int_equal(back->passes->passes, 1234567);
    assert_int_equal(back->passes->full_passes, 4321);
    assert_int_equal(back->passes->update_requests, 17);
    assert_false(decode_answer("@slurm-grants answer v=1 kind=metrics user=root\n@slurm-grants passes all=1 full=1\n"
                               "@slurm-grants end awards=0 reports=0\n",
                               &error)
                     .has_value());
}

void test_prefixes_and_noise(void**) {
    Answer a;
    a.user = "carol";
    a.awards.push_back(sample_status());
    // libslurm prints each line with its own prefix, among other messages.
    std::string text = "grantctl: error: slurm_persist_conn_open_without_init: noise\n";
    std::string encoded = encode_answer(a);
    std::size_t pos = 0;
    while (pos < encoded.size()) {
        std::size_t nl = encoded.find('\n', pos);
        text += "grantctl: error: " + encoded.substr(pos, nl - pos) + "\r\n";
        pos = nl + 1;
    }
    text += "grantctl: error: Job violates accounting/QOS policy\n";
    std::string error;
    auto back = decode_answer(text, &error);
    assert_true(back.has_value());
    assert_string_equal(back->user.c_str(), "carol");
    assert_int_equal(back->awards.size(), 1);
}

void expect_bad(const std::string& text, const char* why) {
    std::string error;
    auto back = decode_answer(text, &error);
    assert_false(back.has_value());
    if (error.find(why) == std::string::npos) fail_msg("expected '%s', got '%s'", why, error.c_str());
}

void test_incomplete_and_malformed(void**) {
    Answer a;
    a.user = "alice";
    a.awards.push_back(sample_status());
    a.awards.push_back(sample_status());
    const std::string full = encode_answer(a);
    // Truncated: the end line is missing, or an award line was lost.
    expect_bad(full.substr(0, full.rfind("@slurm-grants end")), "incomplete");
    std::string lost = full;
    auto second = lost.find("@slurm-grants award", lost.find("@slurm-grants award") + 1);
    lost.erase(second, lost.find('\n', second) + 1 - second);
    expect_bad(lost, "incomplete");
    expect_bad("", "no answer from job_submit/grants");
    expect_bad("sbatch: error: Batch job submission failed\n", "no answer from job_submit/grants");
    expect_bad("@slurm-grants answer v=2 kind=balance user=x\n@slurm-grants end awards=0\n", "format version");
    expect_bad("@slurm-grants answer v=1 kind=bogus user=x\n@slurm-grants end awards=0\n", "unknown kind");
    expect_bad("@slurm-grants answer v=1 kind=balance user=%4\n@slurm-grants end awards=0\n", "malformed");
    expect_bad("@slurm-grants answer v=1 kind=balance user=%zz\n@slurm-grants end awards=0\n", "malformed");
    expect_bad("@slurm-grants answer v=1 kind=balance novalue\n@slurm-grants end awards=0\n", "malformed");
    expect_bad("@slurm-grants answer v=1 kind=balance user=x\n@slurm-grants award id=A unit=usd budget=1\n"
               "@slurm-grants end awards=1\n",
               "lacks a field");
    expect_bad("@slurm-grants answer v=1 kind=balance user=x\n@slurm-grants award id=A unit=usd budget=1x charged=0 "
               "held=0 running=0 pending=0\n@slurm-grants end awards=1\n",
               "lacks a field");
    expect_bad("@slurm-grants answer v=1 kind=balance user=x\n@slurm-grants award id=A unit=usd budget=1 charged=0 "
               "held=0 running=0 pending=0 until=2026-02-30\n@slurm-grants end awards=1\n",
               "bad date");
    expect_bad("@slurm-grants answer v=1 kind=balance user=x\n@slurm-grants price award=A partition=p chips=1\n"
               "@slurm-grants end awards=0\n",
               "follows no award line");
    expect_bad("@slurm-grants answer v=1 kind=balance user=x\n@slurm-grants award id=A unit=usd budget=1 charged=0 "
               "held=0 running=0 pending=0\n@slurm-grants price award=A partition=p chips=x\n"
               "@slurm-grants end awards=1\n",
               "lacks a field");
    expect_bad("@slurm-grants answer v=1 kind=balance user=x\n@slurm-grants award id=A unit=usd budget=1 charged=0 "
               "held=0 running=0 pending=0\n@slurm-grants price award=A partition=p chips=1 per_hour=1.5\n"
               "@slurm-grants end awards=1\n",
               "bad price");
    // Unknown records and keys from a newer plugin are ignored.
    std::string error;
    auto ok = decode_answer("@slurm-grants answer v=1 kind=balance user=x extra=1\n@slurm-grants future a=b\n"
                            "@slurm-grants end awards=0\n",
                            &error);
    assert_true(ok.has_value());
}

// What a PI sees: members, the forecast, and one award's report, exactly.
void test_pi_views_round_trip(void**) {
    grants::Answer a;
    a.kind = grants::QueryKind::Report;
    a.user = "pat";
    grants::AwardStatus s;
    s.id = "NLP-1";
    s.unit = grants::Budget::Unit::Usd;
    s.budget = 500;
    s.members = {{"alice", 3, 120, 40, 2}, {"bob b", 1, 7, 0, 0}};
    grants::Forecast f;
    f.window = 30;
    f.days = 12;
    f.burned = 1200;
    f.per_day = 100;
    f.left = 333;
    f.runs_out = grants::day_number(2027, 3, 2);
    f.award_end = grants::day_number(2027, 7, 1);
    s.forecast = f;
    a.awards.push_back(s);
    grants::AwardReport r;
    r.award = "NLP-1";
    r.unit = grants::Budget::Unit::Usd;
    r.rows = {{"2027-01", 2, 3600, 10, 20}, {"2027-02", 1, 60, 1, 2}};
    r.charges = {"", 3, 3660, 11, 22};
    r.adjustments = {{"NLP-1", "usd", -5'000'000, "fault, refund", "root", 1'800'000'000}};
    r.adjusted_usd = -18'000'000'000;
    r.total = 4;
    a.reports.push_back(r);
    std::string error;
    auto back = grants::decode_answer(grants::encode_answer(a), &error);
    assert_true(back.has_value());
    assert_true(back->kind == grants::QueryKind::Report);
    const auto& bs = back->awards.at(0);
    assert_int_equal(bs.members.size(), 2);
    assert_string_equal(bs.members[1].user.c_str(), "bob b");
    assert_int_equal(bs.members[0].charged, 120);
    assert_int_equal(bs.members[0].held, 40);
    assert_int_equal(bs.members[0].live_jobs, 2);
    assert_true(bs.forecast.has_value());
    assert_int_equal(bs.forecast->per_day, 100);
    assert_int_equal(bs.forecast->window, 30);
    assert_true(*bs.forecast->runs_out == grants::day_number(2027, 3, 2));
    assert_int_equal(*bs.forecast->days_before_end(), 121);
    const auto& br = back->reports.at(0);
    assert_int_equal(br.rows.size(), 2);
    assert_string_equal(br.rows[0].key.c_str(), "2027-01");
    assert_int_equal(br.rows[0].chip_seconds, 3600);
    assert_int_equal(br.charges.usd, 22);
    assert_int_equal(br.adjusted_usd, -18'000'000'000);
    assert_int_equal(br.total, 4);
    assert_string_equal(br.adjustments.at(0).reason.c_str(), "fault, refund");
    assert_int_equal(br.adjustments.at(0).amount, -5'000'000);
    // A report that lost a row is incomplete, not shorter.
    std::string text = grants::encode_answer(a);
    const auto row = text.find("@slurm-grants row ");
    text.erase(row, text.find('\n', row) - row + 1);
    assert_false(grants::decode_answer(text, &error).has_value());
    assert_string_equal(error.c_str(), "the controller's answer arrived incomplete");
}

void test_query_args(void**) {
    grants::QueryArgs q;
    q.window = 30;
    q.award = "NLP 1";
    q.by = grants::ReportGroup::Month;
    q.since = 1'700'000'000;
    q.user = "alice";
    std::string error;
    auto back = grants::parse_query_args(grants::encode_query_args(q), &error);
    assert_true(back.has_value());
    assert_int_equal(back->window, 30);
    assert_string_equal(back->award->c_str(), "NLP 1");
    assert_true(back->by == grants::ReportGroup::Month);
    assert_int_equal(*back->since, 1'700'000'000);
    assert_false(back->until.has_value());
    assert_string_equal(back->user->c_str(), "alice");
    // Bad words are refused with a reason; unknown ones are ignored.
    assert_false(grants::parse_query_args("window=0", &error).has_value());
    assert_string_equal(error.c_str(), "the window must be 1 to 3660 days");
    assert_false(grants::parse_query_args("by=week", &error).has_value());
    assert_false(grants::parse_query_args("since=yesterday", &error).has_value());
    assert_false(grants::parse_query_args("window", &error).has_value());
    assert_true(grants::parse_query_args("colour=blue", &error).has_value());
    assert_true(grants::env_value({"A=1", "SLURM_GRANTS_QUERY_ARGS=window=3"}, grants::kQueryArgsVariable) ==
                std::optional<std::string>("window=3"));
}

// A statement's answer (grantctl statement from a login node): one lost
// line, or an answer without its statement, is an incomplete answer; an
// entry before the statement line or of an unknown kind is refused.
void test_statement_answers(void**) {
    Award award;
    award.id = "S-1";
    award.budget.unit = Budget::Unit::ChipHours;
    award.budget.amount = 100 * kMicrosPerUnit;
    StatementInput in;
    in.award = &award;
    in.month = *parse_month("2026-06");
    in.start = static_cast<std::int64_t>(in.month.first_day()) * 86400;
    in.end = static_cast<std::int64_t>(in.month.last_day() + 1) * 86400;
    in.day_of = [](std::int64_t t) { return static_cast<DayNumber>(t / 86400); };
    ChargeRecord c;
    c.award = "S-1";
    c.cluster = "alpha";
    c.job_id = 7;
    c.run_start = in.start + 100;
    c.user = "alice";
    c.account = "nlp lab";  // a space: percent-encoded on the wire
    c.partition = "trn1";
    c.chips = 16;
    c.seconds = 60;
    c.chip_hours = 16 * 60 * 1'000'000LL;
    c.usd = -1;
    in.charges = {c};
    Adjustment adj{"S-1", "usd", 5 * kMicrosPerUnit, "other unit = listed", "root", in.start + 50};
    in.adjustments = {adj};
    Deposit d;
    d.id = 3;
    d.award = "S-1";
    d.unit = "chip_hours";
    d.amount = 10 * kMicrosPerUnit;
    d.from = in.month.first_day();
    d.at = in.start + 10;
    in.deposits = {d};
    Answer a;
    a.kind = QueryKind::Statement;
    a.user = "carol";
    a.statement = month_report(in, build_statement(in));
    assert_int_equal(a.statement->statement.lines.size(), 3);
    assert_false(a.statement->statement.tranches.empty());  // a deposit makes tranches
    const std::string full = encode_answer(a);
    std::string error;
    auto back = decode_answer(full, &error);
    assert_true(back.has_value());
    statement_expect::same_report(*a.statement, *back->statement);
    assert_string_equal(back->statement->charges[0].account.c_str(), "nlp lab");

    std::string lost = full;
    auto line = lost.find("@slurm-grants statement_line");
    lost.erase(line, lost.find('\n', line) + 1 - line);
    expect_bad(lost, "incomplete");
    expect_bad("@slurm-grants answer v=1 kind=statement user=x\n@slurm-grants end awards=0 reports=0\n", "incomplete");
    expect_bad("@slurm-grants answer v=1 kind=statement user=x\n@slurm-grants statement_line kind=charge at=1 amount=1 "
               "counted=1 balance=1\n@slurm-grants end awards=0 reports=0 statement_lines=1\n",
               "follows no statement line");
    std::string odd = full;
    odd.replace(odd.find("kind=deposit"), 12, "kind=invoice");
    expect_bad(odd, "unknown kind");
    // A refusal needs no statement.
    Answer no;
    no.kind = QueryKind::Statement;
    no.user = "alice";
    no.refused = "only the PI and managers of award 'S-1' (and Slurm operators) may see its statement, and alice is neither.";
    back = decode_answer(encode_answer(no), &error);
    assert_true(back.has_value());
    assert_false(back->statement.has_value());
    assert_string_equal(back->refused.c_str(), no.refused.c_str());
    // The month travels in the question's parameters.
    QueryArgs q;
    q.award = "S-1";
    q.month = "2026-06";
    auto args = parse_query_args(encode_query_args(q), &error);
    assert_true(args.has_value());
    assert_string_equal(args->month->c_str(), "2026-06");
}

void test_award_status_and_left(void**) {
    Award award;
    award.id = "A";
    award.title = "T";
    award.budget = Budget{Budget::Unit::ChipHours, 10 * kMicrosPerUnit};
    award.valid.from = *parse_date("2025-01-01");
    award.valid.until = *parse_date("2025-12-31");
    AwardUsageView u;
    u.charged = ticks_of(3 * kMicrosPerUnit);
    u.held = ticks_of(8 * kMicrosPerUnit);
    u.running_jobs = 1;
    u.pending_jobs = 4;
    AwardStatus s = award_status(award, u, *parse_date("2025-06-01"));
    assert_string_equal(s.state.c_str(), "active");
    assert_int_equal(s.left(), -ticks_of(1 * kMicrosPerUnit));  // over-committed after a debit
    assert_int_equal(s.pending_jobs, 4);
    assert_string_equal(award_status(award, u, *parse_date("2024-12-31")).state.c_str(), "not yet valid");
    assert_string_equal(award_status(award, u, *parse_date("2025-12-31")).state.c_str(), "active");  // inclusive
    assert_string_equal(award_status(award, u, *parse_date("2026-01-01")).state.c_str(), "expired");
    // Saturated holds do not wrap.
    u.held = kSaturatedTicks;
    u.charged = kSaturatedTicks;
    assert_true(award_status(award, u, 0).left() == -kSaturatedTicks);
}

void test_rounding_to_millionths(void**) {
    assert_int_equal(micros_of_ticks(0), 0);
    assert_int_equal(micros_of_ticks(1799), 0);
    assert_int_equal(micros_of_ticks(1800), 1);  // halves away from zero
    assert_int_equal(micros_of_ticks(-1800), -1);
    assert_int_equal(micros_of_ticks(-1799), 0);
    assert_string_equal(format_ticks(ticks_of(16 * kMicrosPerUnit) / 6).c_str(), "2.666667");
    assert_string_equal(format_ticks(-ticks_of(5 * kMicrosPerUnit)).c_str(), "-5");
    assert_string_equal(format_ticks(ticks_of(2'144'000)).c_str(), "2.144");
    assert_string_equal(format_ticks(INT64_MIN).c_str(), "-2562047788.015216");  // no overflow
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_in_env),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_quote_round_trip),
        cmocka_unit_test(test_refused_answer),
        cmocka_unit_test(test_pass_counters_round_trip),
        cmocka_unit_test(test_prefixes_and_noise),
        cmocka_unit_test(test_incomplete_and_malformed),
        cmocka_unit_test(test_award_status_and_left),
        cmocka_unit_test(test_rounding_to_millionths),
        cmocka_unit_test(test_pi_views_round_trip),
        cmocka_unit_test(test_query_args),
        cmocka_unit_test(test_statement_answers),
    };
    return cmocka_run_group_tests_name("query", tests, nullptr, nullptr);
}
