// The quota half of the submit decision (enforcement steps 1-6): time
// limits, validity, limits, the budget check against a fake usage lookup, the
// cost of arrays and multi-partition jobs, and what the user is told.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cmocka.h"
#include "core/domain/decision.h"
#include "core/policy/policy_loader.h"

using grants::AwardUsageView;
using grants::day_number;
using grants::DayNumber;
using grants::decide_submit;
using grants::Decision;
using grants::JobRequest;
using grants::JobShape;
using grants::PartitionFacts;
using grants::Policy;
using grants::Ticks;
using grants::ticks_of;
using grants::UsageLookup;
using Verdict = grants::Decision::Verdict;

namespace {

// trn1 and trn2 are enforced; cpu is not (and not priced).
const char kPolicy[] = R"(version: 1
enforce:
  partitions: [trn1, trn2]
partitions:
  trn1: { chips_per_node: 16, cores_per_chip: 2, usd_per_chip_hour: 1.34 }
  trn2: { chips_per_node: 16, cores_per_chip: 8, usd_per_chip_hour: 2.10, gres: neuron }
awards:
  EXH:
    members: { users: [alice] }
    valid: { from: 2025-01-01, until: 2026-12-31 }
    budget: { chip_hours: 10 }
    partitions: [trn1]
  EIGHT:
    members: { users: [alice] }
    budget: { chip_hours: 8 }
    partitions: [trn1]
  TL:
    members: { users: [alice] }
    budget: { chip_hours: 100000 }
    limits: { max_walltime: "2:00:00" }
  BIG:
    members: { users: [alice, bob] }
    budget: { chip_hours: 1000000 }
  VAL:
    members: { users: [alice] }
    valid: { from: 2025-03-01, until: 2025-03-31 }
    budget: { chip_hours: 1000 }
  PERJOB:
    members: { users: [alice] }
    budget: { chip_hours: 1000000 }
    limits: { max_chips_per_job: 32 }
  JOBS:
    members: { users: [alice] }
    budget: { chip_hours: 1000000 }
    limits: { max_jobs: 5 }
  UJOBS:
    members: { users: [alice] }
    budget: { chip_hours: 1000000 }
    limits: { per_user: { max_jobs: 2 } }
  CHIPS:
    members: { users: [alice] }
    budget: { chip_hours: 1000000 }
    limits: { max_running_chips: 64 }
  UCHIPS:
    members: { users: [alice] }
    budget: { chip_hours: 1000000 }
    limits: { per_user: { max_running_chips: 48 } }
  USD:
    members: { users: [alice] }
    valid: { until: 2026-12-31 }
    budget: { usd: 100 }
  USDBIG:
    members: { users: [alice] }
    budget: { usd: 1000000 }
)";

// Award resolution without --award and without a default award.
const char kResolutionPolicy[] = R"(version: 1
enforce:
  partitions: [trn1, trn2]
partitions:
  trn1: { chips_per_node: 16 }
  trn2: { chips_per_node: 16, gres: neuron }
awards:
  R-OLD:
    members: { users: [carol, erin] }
    valid: { until: 2024-12-31 }
    budget: { chip_hours: 1000 }
  R-TRN2:
    members: { users: [carol] }
    budget: { chip_hours: 1000 }
    partitions: [trn2]
  R-GOOD:
    members: { users: [carol, dan] }
    budget: { chip_hours: 1000 }
    partitions: [trn1]
  R-GOOD2:
    members: { users: [dan] }
    budget: { chip_hours: 1000 }
  R-FUTURE:
    members: { users: [frank] }
    valid: { from: 2030-01-01 }
    budget: { chip_hours: 1000 }
  R-LAB:
    members: { groups: [lab] }
    budget: { chip_hours: 1000 }
)";

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

const char* verdict_name(Verdict v) {
    switch (v) {
        case Verdict::Untouched:
            return "Untouched";
        case Verdict::Accept:
            return "Accept";
        case Verdict::Reject:
            return "Reject";
        case Verdict::AcceptUntagged:
            return "AcceptUntagged";
    }
    return "?";
}

std::shared_ptr<const Policy> load(const char* text) {
    auto l = grants::load_policy_text(text, "grants.yaml");
    for (const auto& e : l.errors) print_error("%s\n", e.to_string().c_str());
    assert_non_null(l.policy.get());
    return l.policy;
}

const Policy& policy() {
    static std::shared_ptr<const Policy> p = load(kPolicy);
    return *p;
}

const Policy& resolution_policy() {
    static std::shared_ptr<const Policy> p = load(kResolutionPolicy);
    return *p;
}

const DayNumber kToday = day_number(2025, 6, 1);

// What one node (16 chips) for 10 minutes holds, exactly: 8/3 chip-h, $3.5733... at $1.34.
constexpr Ticks kTenMinutes = 16LL * 600 * 1'000'000;
constexpr Ticks kTenMinutesUsd = 16LL * 600 * 1'340'000;

// One node, 10 minutes: 16 chips x 1/6 h = 8/3 chip-h (kTenMinutes ticks).
JobShape shape(std::int64_t nodes = 1, std::optional<std::int64_t> minutes = 10) {
    JobShape s;
    s.min_nodes = nodes;
    s.time_limit_minutes = minutes;
    return s;
}

JobRequest job(const std::string& user, std::optional<std::string> award, JobShape s = shape(),
               std::vector<std::string> partitions = {"trn1"}) {
    JobRequest j;
    j.who.user = user;
    j.partitions = std::move(partitions);
    if (award) {
        j.requested.award = *award;
        j.requested.values = {*award};
    }
    j.shape = std::move(s);
    PartitionFacts facts;
    facts.total_nodes = 8;
    j.facts["trn1"] = facts;
    j.facts["trn2"] = facts;
    j.today = kToday;
    return j;
}

// A usage lookup that answers one view and records what it was asked.
struct FakeUsage {
    AwardUsageView view;
    std::vector<std::pair<std::string, std::string>> calls;

    UsageLookup lookup() {
        return [this](const std::string& award, const std::string& user) {
            calls.emplace_back(award, user);
            return view;
        };
    }
};

Decision decide(const Policy& p, const JobRequest& j, const AwardUsageView& view = {}) {
    FakeUsage usage;
    usage.view = view;
    return decide_submit(p, j, usage.lookup());
}

// Checks verdict (and that every fragment is in the message); prints the case on failure.
bool check(const char* name, const Decision& d, Verdict want, const std::vector<std::string>& fragments = {}) {
    bool ok = d.verdict == want;
    for (const auto& f : fragments) ok = ok && contains(d.message, f);
    if (!ok) {
        print_error("case '%s': got %s \"%s\", want %s with", name, verdict_name(d.verdict), d.message.c_str(),
                    verdict_name(want));
        for (const auto& f : fragments) print_error(" \"%s\"", f.c_str());
        print_error("\n");
    }
    return ok;
}

void expect(const char* name, const Decision& d, Verdict want, const std::vector<std::string>& fragments = {}) {
    if (!check(name, d, want, fragments)) fail();
}

AwardUsageView held(Ticks amount) {
    AwardUsageView v;
    v.held = amount;
    return v;
}

// ---------------------------------------------------------------- (a) budget exhaustion

void test_exhaustion_example(void** /*state*/) {
    // The documented example: budget 10 chip-h, 1 node x 10 min on trn1 (16 chips/node) holds 8/3 chip-h, exactly:
    // three such jobs leave 2.0 chip-h (not 1.999999), too little for a fourth.
    const Ticks hold = kTenMinutes;
    struct Case {
        int k;  // jobs already held
        Verdict want;
        const char* left;
    } cases[] = {
        {0, Verdict::Accept, "7.3 of 10 chip-h left"},
        {1, Verdict::Accept, "4.6 of 10 chip-h left"},
        {2, Verdict::Accept, "2.0 of 10 chip-h left"},
        {3, Verdict::Reject, "2.0 of 10 chip-h left"},
    };
    int failures = 0;
    for (const Case& c : cases) {
        FakeUsage usage;
        usage.view = held(c.k * hold);
        Decision d = decide_submit(policy(), job("alice", "EXH"), usage.lookup());
        std::string name = "k=" + std::to_string(c.k);
        std::vector<std::string> fragments = {c.left, "2.7 chip-h"};
        if (c.want == Verdict::Reject) fragments.push_back("16 chips");
        failures += !check(name.c_str(), d, c.want, fragments);
        // The lookup is asked about the award and the submitting user, once.
        failures += usage.calls.size() != 1 || usage.calls[0].first != "EXH" || usage.calls[0].second != "alice";
        if (c.want == Verdict::Accept) {
            failures += d.award != "EXH" || d.hold != hold || d.chips != 16 || d.time_limit_minutes != 10;
        } else {
            // A refusal after pricing still names the award and the job's cost (grantctl quote shows them).
            failures += d.award != "EXH" || d.hold != hold;
        }
    }
    assert_int_equal(failures, 0);
}

void test_exhaustion_message(void** /*state*/) {
    Decision d = decide(policy(), job("alice", "EXH"), held(3 * kTenMinutes));
    expect("k=3", d, Verdict::Reject);
    assert_string_equal(d.message.c_str(),
                        "award EXH has 2.0 of 10 chip-h left and this job needs up to 2.7 chip-h (16 chips x "
                        "00:10:00): lower --time or the node count, or ask your PI.");
}

void test_budget_boundary(void** /*state*/) {
    // charged + held + this job == budget is accepted; one tick more is not.
    AwardUsageView v;
    v.charged = ticks_of(5'000'000);
    v.held = ticks_of(10'000'000) - ticks_of(5'000'000) - kTenMinutes;
    Decision d = decide(policy(), job("alice", "EXH"), v);
    expect("exactly the budget", d, Verdict::Accept, {"0.0 of 10 chip-h left"});
    assert_int_equal(d.hold, kTenMinutes);
    v.held += 1;
    expect("one tick over", decide(policy(), job("alice", "EXH"), v), Verdict::Reject, {"2.6 of 10 chip-h left"});
    // Charges alone count (including adjustments that overdraw the award).
    v = AwardUsageView{};
    v.charged = ticks_of(10'000'000) - kTenMinutes;
    expect("charged exactly", decide(policy(), job("alice", "EXH"), v), Verdict::Accept, {"0.0 of 10 chip-h left"});
    v.charged += 1;
    expect("charged one tick over", decide(policy(), job("alice", "EXH"), v), Verdict::Reject,
           {"2.6 of 10 chip-h left"});
    v.charged = ticks_of(7'333'334);
    expect("charged", decide(policy(), job("alice", "EXH"), v), Verdict::Reject, {"2.6 of 10 chip-h left"});
    v.charged = ticks_of(11'000'000);
    expect("overdrawn", decide(policy(), job("alice", "EXH"), v), Verdict::Reject, {"0.0 of 10 chip-h left"});
    // Absurd requests are never cheap.
    expect("absurd nodes", decide(policy(), job("bob", "BIG", shape(1'000'000'000'000'000LL))), Verdict::Reject,
           {"unbounded chip-h"});
    expect("absurd time", decide(policy(), job("bob", "BIG", shape(8, 1'000'000'000'000LL))), Verdict::Reject);
    // A saturated usage never lets anything through, even with a huge budget.
    expect("saturated held", decide(policy(), job("bob", "BIG"), held(grants::kSaturatedTicks)), Verdict::Reject,
           {"0.0 of 1,000,000 chip-h left"});
    v = AwardUsageView{};
    v.charged = grants::kSaturatedTicks;
    v.held = grants::kSaturatedTicks;
    expect("saturated both", decide(policy(), job("bob", "BIG"), v), Verdict::Reject);
}

// An award with tranches or deposits is checked against what its active
// tranches hold and have spent (funding.h), not its policy budget.
void test_funded_award_uses_its_active_tranches(void** /*state*/) {
    auto funding = std::make_shared<grants::Funding>();
    funding->budget = ticks_of(3'000'000);  // 3 chip-h active, of the award's 10
    funding->charged = ticks_of(1'000'000);
    AwardUsageView v;
    v.funding = funding;
    v.charged = funding->charged;
    v.held = ticks_of(2'000'000) - kTenMinutes;
    Decision d = decide(policy(), job("alice", "EXH"), v);
    expect("exactly what the active tranches have", d, Verdict::Accept, {"0.0 of 3 chip-h left"});
    v.held += 1;
    expect("one tick over", decide(policy(), job("alice", "EXH"), v), Verdict::Reject,
           {"award EXH has 2.6 of 3 chip-h left"});
    // A deposit raises it.
    funding->budget = ticks_of(13'000'000);
    expect("after a deposit", decide(policy(), job("alice", "EXH"), v), Verdict::Accept, {"of 13 chip-h left"});
}

void test_three_thirds_fill_the_budget(void** /*state*/) {
    // Budget 8 chip-h, jobs of 16 chips x 10 min (8/3 chip-h each): with two
    // jobs' exact holds held, the third fits exactly and leaves 0.0; one tick
    // more and it does not (rounded-up millionths made it 8.000001 and refused it).
    Decision first = decide(policy(), job("alice", "EIGHT"));
    expect("first", first, Verdict::Accept, {"this job holds 2.7 chip-h", "5.3 of 8 chip-h left"});
    assert_int_equal(first.hold, kTenMinutes);
    assert_int_equal(3 * first.hold, ticks_of(8'000'000));

    Decision second = decide(policy(), job("alice", "EIGHT"), held(first.hold));
    expect("second", second, Verdict::Accept, {"2.6 of 8 chip-h left"});
    assert_int_equal(second.hold, kTenMinutes);

    Decision third = decide(policy(), job("alice", "EIGHT"), held(first.hold + second.hold));
    expect("third", third, Verdict::Accept);
    assert_string_equal(third.message.c_str(), "award EIGHT: this job holds 2.7 chip-h; 0.0 of 8 chip-h left.");
    assert_string_equal(third.award.c_str(), "EIGHT");
    assert_int_equal(third.hold, kTenMinutes);

    Decision over = decide(policy(), job("alice", "EIGHT"), held(first.hold + second.hold + 1));
    expect("one tick over", over, Verdict::Reject, {"2.6 of 8 chip-h left", "2.7 chip-h"});
    assert_int_equal(over.hold, kTenMinutes);  // what it would have held: quote shows it
    // The same when part of it is charged rather than held.
    AwardUsageView v;
    v.charged = first.hold;
    v.held = second.hold;
    expect("charged + held", decide(policy(), job("alice", "EIGHT"), v), Verdict::Accept, {"0.0 of 8 chip-h left"});
    v.charged += 1;
    expect("charged + held + 1", decide(policy(), job("alice", "EIGHT"), v), Verdict::Reject);
    // A fourth never fits; an array of three fits an empty award exactly.
    expect("fourth", decide(policy(), job("alice", "EIGHT"), held(3 * kTenMinutes)), Verdict::Reject,
           {"0.0 of 8 chip-h left"});
    JobShape three = shape();
    three.array_tasks = 3;
    Decision array = decide(policy(), job("alice", "EIGHT", three));
    expect("array of 3", array, Verdict::Accept, {"8.0 chip-h", "0.0 of 8 chip-h left"});
    assert_int_equal(array.hold, ticks_of(8'000'000));
}

// ---------------------------------------------------------------- (b) time limits

void test_time_limit(void** /*state*/) {
    struct Case {
        const char* name;
        const char* award;
        std::optional<std::int64_t> minutes;
        bool infinite;
        std::optional<std::int64_t> default_minutes;
        Verdict want;
        std::int64_t time_limit;                   // Accept
        std::optional<std::int64_t> set_time;      // Accept
        std::vector<std::string> fragments;
    } cases[] = {
        {"default", "TL", std::nullopt, false, 60, Verdict::Accept, 60, 60, {"16.0 chip-h"}},
        {"default capped by max_walltime", "TL", std::nullopt, false, 300, Verdict::Accept, 120, 120, {}},
        {"max_walltime without default", "TL", std::nullopt, false, std::nullopt, Verdict::Accept, 120, 120, {}},
        {"default without max_walltime", "BIG", std::nullopt, false, 45, Verdict::Accept, 45, 45, {}},
        {"given beats default", "TL", 30, false, 60, Verdict::Accept, 30, std::nullopt, {}},
        {"given at max_walltime", "TL", 120, false, std::nullopt, Verdict::Accept, 120, std::nullopt, {}},
        {"unbounded", "BIG", std::nullopt, false, std::nullopt, Verdict::Reject, 0, std::nullopt, {"--time"}},
        {"UNLIMITED", "BIG", std::nullopt, true, 60, Verdict::Reject, 0, std::nullopt, {"--time"}},
        {"UNLIMITED with max_walltime", "TL", std::nullopt, true, 60, Verdict::Reject, 0, std::nullopt,
         {"--time", "02:00:00"}},
        {"over max_walltime", "TL", 121, false, std::nullopt, Verdict::Reject, 0, std::nullopt,
         {"02:01:00", "02:00:00", "--time"}},
        {"far over max_walltime", "TL", 3 * 24 * 60, false, 60, Verdict::Reject, 0, std::nullopt,
         {"3-00:00:00", "02:00:00"}},
        {"zero", "BIG", 0, false, 60, Verdict::Reject, 0, std::nullopt, {"--time"}},
    };
    int failures = 0;
    for (const Case& c : cases) {
        JobShape s = shape(1, c.minutes);
        s.time_limit_infinite = c.infinite;
        JobRequest j = job("alice", c.award, s);
        j.facts["trn1"].default_time_minutes = c.default_minutes;
        Decision d = decide(policy(), j);
        bool ok = check(c.name, d, c.want, c.fragments);
        if (ok && c.want == Verdict::Accept) {
            ok = d.time_limit_minutes == c.time_limit && d.set_time_limit_minutes == c.set_time &&
                 d.hold == grants::cost_ticks(grants::Budget::Unit::ChipHours, *policy().find_partition("trn1"), 16,
                                               c.time_limit * 60);
            if (!ok) {
                print_error("case '%s': time limit %lld (set %lld), hold %lld\n", c.name,
                            static_cast<long long>(d.time_limit_minutes),
                            static_cast<long long>(d.set_time_limit_minutes.value_or(-1)),
                            static_cast<long long>(d.hold));
            }
        }
        failures += !ok;
    }
    assert_int_equal(failures, 0);
}

void test_time_limit_several_partitions(void** /*state*/) {
    // No --time on trn1 (DefaultTime 90) or trn2 (DefaultTime 30): the job gets
    // the shorter one, so it can never run longer than it holds on either.
    JobRequest j = job("bob", "BIG", shape(1, std::nullopt), {"trn1", "trn2"});
    j.facts["trn1"].default_time_minutes = 90;
    j.facts["trn2"].default_time_minutes = 30;
    Decision d = decide(policy(), j);
    expect("two defaults", d, Verdict::Accept);
    assert_int_equal(d.time_limit_minutes, 30);
    assert_true(d.set_time_limit_minutes == 30);
    // A partition outside enforcement does not lend its default.
    j = job("bob", "BIG", shape(1, std::nullopt), {"cpu", "trn1"});
    j.facts["cpu"].default_time_minutes = 5;
    expect("cpu default ignored", decide(policy(), j), Verdict::Reject, {"--time"});
}

// ---------------------------------------------------------------- (c) validity window

void test_validity_window(void** /*state*/) {
    struct Case {
        const char* name;
        DayNumber today;
        Verdict want;
        std::vector<std::string> fragments;
    } cases[] = {
        {"day before from", day_number(2025, 2, 28), Verdict::Reject, {"VAL", "2025-03-01"}},
        {"long before", day_number(2024, 1, 1), Verdict::Reject, {"2025-03-01"}},
        {"from (inclusive)", day_number(2025, 3, 1), Verdict::Accept, {}},
        {"inside", day_number(2025, 3, 15), Verdict::Accept, {}},
        {"until (inclusive)", day_number(2025, 3, 31), Verdict::Accept, {}},
        {"day after until", day_number(2025, 4, 1), Verdict::Reject, {"VAL", "2025-03-31", "expired"}},
        {"long after", day_number(2030, 1, 1), Verdict::Reject, {"2025-03-31"}},
    };
    int failures = 0;
    for (const Case& c : cases) {
        JobRequest j = job("alice", "VAL");
        j.today = c.today;
        failures += !check(c.name, decide(policy(), j), c.want, c.fragments);
    }
    assert_int_equal(failures, 0);
    // The accept message shows until; EXH is valid until 2026-12-31 and that day still works.
    JobRequest j = job("alice", "EXH");
    j.today = day_number(2026, 12, 31);
    expect("EXH last day", decide(policy(), j), Verdict::Accept, {"(until 2026-12-31)"});
    j.today = day_number(2027, 1, 1);
    expect("EXH expired", decide(policy(), j), Verdict::Reject, {"2026-12-31"});
}

// ---------------------------------------------------------------- (d) partitions of an award

void test_partition_not_allowed(void** /*state*/) {
    expect("trn2 on a trn1 award", decide(policy(), job("alice", "EXH", shape(), {"trn2"})), Verdict::Reject,
           {"EXH", "trn2", "-p trn1"});
    // Every in-scope partition of the job must be allowed.
    expect("trn1,trn2 on a trn1 award", decide(policy(), job("alice", "EXH", shape(), {"trn1", "trn2"})),
           Verdict::Reject, {"trn2"});
    // Partitions outside enforcement do not matter.
    expect("cpu,trn1 on a trn1 award", decide(policy(), job("alice", "EXH", shape(), {"cpu", "trn1"})),
           Verdict::Accept);
    // Not in scope at all: untouched, the lookup is never asked.
    FakeUsage usage;
    Decision d = decide_submit(policy(), job("alice", "EXH", shape(), {"cpu"}), usage.lookup());
    expect("cpu only", d, Verdict::Untouched);
    assert_true(usage.calls.empty());
    assert_true(d.message.empty());
}

// ---------------------------------------------------------------- (e) limits

struct LimitCase {
    const char* name;
    const char* award;
    JobShape shape;
    AwardUsageView usage;
    Verdict want;
    std::vector<std::string> fragments;
};

AwardUsageView live(std::int64_t jobs, std::int64_t chips, std::int64_t user_jobs, std::int64_t user_chips) {
    AwardUsageView v;
    v.live_jobs = jobs;
    v.live_chips = chips;
    v.user_live_jobs = user_jobs;
    v.user_live_chips = user_chips;
    return v;
}

JobShape array_shape(std::int64_t tasks, std::int64_t nodes = 1) {
    JobShape s = shape(nodes);
    s.array_tasks = tasks;
    return s;
}

void run_limit_cases(const std::vector<LimitCase>& cases) {
    int failures = 0;
    for (const LimitCase& c : cases) {
        FakeUsage usage;
        usage.view = c.usage;
        Decision d = decide_submit(policy(), job("alice", c.award, c.shape), usage.lookup());
        failures += !check(c.name, d, c.want, c.fragments);
    }
    assert_int_equal(failures, 0);
}

void test_max_chips_per_job(void** /*state*/) {
    JobShape gres8 = shape(8);
    gres8.tres_per_node = "gres:neuron:4";
    JobShape gres9 = shape(9);
    gres9.tres_per_node = "gres:neuron:4";
    JobShape capped = shape(1);
    capped.max_nodes = 3;
    JobShape gres_per_job = shape(1);
    gres_per_job.tres_per_job = "gres:neuron:33";
    run_limit_cases({
        {"2 nodes = 32 chips", "PERJOB", shape(2), {}, Verdict::Accept, {}},
        {"3 nodes = 48 chips", "PERJOB", shape(3), {}, Verdict::Reject, {"48 chips", "at most 32"}},
        {"max_nodes counts", "PERJOB", capped, {}, Verdict::Reject, {"48 chips"}},
        {"array tasks are separate jobs", "PERJOB", array_shape(4, 2), {}, Verdict::Accept, {}},
    });
    auto on_trn2 = [](JobShape s) {
        JobRequest j = job("alice", "PERJOB", std::move(s), {"trn2"});
        return decide(policy(), j);
    };
    expect("8 nodes x 4 neuron", on_trn2(gres8), Verdict::Accept);
    expect("9 nodes x 4 neuron", on_trn2(gres9), Verdict::Reject, {"36 chips"});
    expect("33 neuron per job", on_trn2(gres_per_job), Verdict::Reject, {"33 chips"});
    // The partition's size caps max_nodes.
    JobRequest small = job("alice", "PERJOB", capped);
    small.facts["trn1"].total_nodes = 2;
    expect("capped by partition size", decide(policy(), small), Verdict::Accept);
}

// Regression (test-attacks.sh, --gres=neuron:9223372036854775807): a GRES
// count the parser cannot read was priced as whole nodes (16 chips) and the
// job accepted. It is refused now, whichever TRES field carries it.
void test_unreadable_gres_count_refused(void** /*state*/) {
    for (const char* bad : {"gres:neuron:9223372036854775807", "gres:neuron:99999999999999", "gres:neuron:4,gres:neuron:x:y:z"}) {
        for (int field = 0; field < 3; ++field) {
            JobShape s = shape(1);
            (field == 0 ? s.tres_per_node : field == 1 ? s.tres_per_job : s.tres_per_task) = bad;
            JobRequest j = job("alice", "PERJOB", std::move(s), {"trn2"});
            expect(bad, decide(policy(), j), Verdict::Reject, {"has a count that cannot be read"});
        }
    }
    // On a partition without a GRES the field is not read at all.
    JobShape s = shape(1);
    s.tres_per_node = "gres:neuron:9223372036854775807";
    expect("trn1 counts whole nodes", decide(policy(), job("alice", "PERJOB", std::move(s))), Verdict::Accept);
}

void test_max_jobs(void** /*state*/) {
    run_limit_cases({
        {"4 live + 1", "JOBS", shape(), live(4, 0, 4, 0), Verdict::Accept, {}},
        {"5 live + 1", "JOBS", shape(), live(5, 0, 0, 0), Verdict::Reject, {"5 pending or running", "allows 5"}},
        {"3 live + array of 2", "JOBS", array_shape(2), live(3, 0, 0, 0), Verdict::Accept, {}},
        {"4 live + array of 2", "JOBS", array_shape(2), live(4, 0, 0, 0), Verdict::Reject, {"array adds 2"}},
        {"array of 6 alone", "JOBS", array_shape(6), {}, Verdict::Reject, {"array adds 6"}},
        {"others' jobs do not count per user", "UJOBS", shape(), live(100, 0, 1, 0), Verdict::Accept, {}},
        {"per user 2 + 1", "UJOBS", shape(), live(2, 0, 2, 0), Verdict::Reject, {"you have 2", "allows 2 per user"}},
        {"per user array of 2", "UJOBS", array_shape(2), {}, Verdict::Accept, {}},
        {"per user array of 3", "UJOBS", array_shape(3), {}, Verdict::Reject, {"allows 2 per user"}},
    });
}

void test_max_running_chips(void** /*state*/) {
    run_limit_cases({
        {"48 live + 16", "CHIPS", shape(), live(3, 48, 0, 0), Verdict::Accept, {}},
        {"49 live + 16", "CHIPS", shape(), live(3, 49, 0, 0), Verdict::Reject, {"49 chips", "64", "needs 16"}},
        {"array 4 x 16", "CHIPS", array_shape(4), {}, Verdict::Accept, {}},
        {"array 5 x 16", "CHIPS", array_shape(5), {}, Verdict::Reject, {"needs 80"}},
        {"2 nodes with 33 live", "CHIPS", shape(2), live(1, 33, 0, 0), Verdict::Reject, {"needs 32"}},
        {"others' chips do not count per user", "UCHIPS", shape(), live(9, 1000, 1, 32), Verdict::Accept, {}},
        {"per user 33 + 16", "UCHIPS", shape(), live(1, 33, 1, 33), Verdict::Reject, {"you have 33", "48 per user"}},
        {"per user array 3 x 16", "UCHIPS", array_shape(3), {}, Verdict::Accept, {}},
        {"per user array 4 x 16", "UCHIPS", array_shape(4), {}, Verdict::Reject, {"needs 64"}},
    });
}

// ---------------------------------------------------------------- (f) arrays

void test_array_costs_per_task(void** /*state*/) {
    Decision d = decide(policy(), job("bob", "BIG", array_shape(4)));
    expect("array of 4", d, Verdict::Accept);
    assert_int_equal(d.hold, 4 * kTenMinutes);  // 4 x 16 chips x 10 min, exactly
    assert_int_equal(d.chips, 16);         // per task
    expect("3 tasks fit in 10 chip-h", decide(policy(), job("alice", "EXH", array_shape(3))), Verdict::Accept,
           {"8.0 chip-h", "2.0 of 10 chip-h left"});
    expect("4 tasks do not", decide(policy(), job("alice", "EXH", array_shape(4))), Verdict::Reject,
           {"10.7 chip-h", "x 4 tasks"});
    // array_tasks 0 (unknown) counts as one job.
    Decision one = decide(policy(), job("bob", "BIG", array_shape(0)));
    expect("array_tasks 0", one, Verdict::Accept);
    assert_int_equal(one.hold, kTenMinutes);
}

// ---------------------------------------------------------------- (g) several partitions

void test_most_expensive_partition(void** /*state*/) {
    JobShape gres4 = shape(1, 60);
    gres4.tres_per_node = "gres:neuron:4";
    struct Case {
        const char* name;
        const char* award;
        JobShape shape;
        std::vector<std::string> partitions;
        Ticks hold;
        std::int64_t chips;
    } cases[] = {
        // trn1 counts whole nodes (16 chips), trn2 the 4 requested neuron chips.
        {"chip-h: trn1 whole node", "BIG", gres4, {"trn1", "trn2"}, ticks_of(16'000'000), 16},
        {"chip-h: order does not matter", "BIG", gres4, {"trn2", "trn1"}, ticks_of(16'000'000), 16},
        {"chip-h: trn2 alone", "BIG", gres4, {"trn2"}, ticks_of(4'000'000), 4},
        // Same chips, dollars differ: trn2's $2.10 beats trn1's $1.34.
        {"usd: trn2 rate", "USDBIG", shape(1, 60), {"trn1", "trn2"}, ticks_of(33'600'000), 16},
        {"usd: trn2 rate, reversed", "USDBIG", shape(1, 60), {"trn2", "trn1"}, ticks_of(33'600'000), 16},
        // 16 chips x $1.34 beats 4 chips x $2.10.
        {"usd: trn1 whole node", "USDBIG", gres4, {"trn2", "trn1"}, ticks_of(21'440'000), 16},
        {"outside enforcement ignored", "BIG", shape(1, 60), {"cpu", "trn1"}, ticks_of(16'000'000), 16},
    };
    int failures = 0;
    for (const Case& c : cases) {
        Decision d = decide(policy(), job("alice", c.award, c.shape, c.partitions));
        bool ok = check(c.name, d, Verdict::Accept) && d.hold == c.hold && d.chips == c.chips;
        if (!ok) {
            print_error("case '%s': hold %lld chips %lld, want %lld / %lld\n", c.name, static_cast<long long>(d.hold),
                        static_cast<long long>(d.chips), static_cast<long long>(c.hold),
                        static_cast<long long>(c.chips));
        }
        failures += !ok;
    }
    assert_int_equal(failures, 0);

    // Partition sizes differ: max_nodes 4 is 2 nodes on trn1 but 4 on trn2.
    JobShape s = shape(1, 60);
    s.max_nodes = 4;
    JobRequest j = job("bob", "BIG", s, {"trn1", "trn2"});
    j.facts["trn1"].total_nodes = 2;
    Decision d = decide(policy(), j);
    expect("sizes", d, Verdict::Accept);
    assert_int_equal(d.hold, ticks_of(64'000'000));
    assert_int_equal(d.chips, 64);
}

// ---------------------------------------------------------------- (h) dollar budgets

void test_usd_budget(void** /*state*/) {
    Decision d = decide(policy(), job("alice", "USD"));
    expect("usd", d, Verdict::Accept);
    assert_int_equal(d.hold, kTenMinutesUsd);  // 16 chips x 1/6 h x $1.34 = $3.5733..., exactly
    assert_string_equal(d.message.c_str(), "award USD: this job holds $3.58; $96.42 of $100 left (until 2026-12-31).");
    Decision d2 = decide(policy(), job("alice", "USD", shape(), {"trn2"}));
    expect("usd trn2", d2, Verdict::Accept);
    assert_int_equal(d2.hold, ticks_of(5'600'000));  // at $2.10
    AwardUsageView v;
    v.charged = ticks_of(95'000'000);
    v.held = ticks_of(2'000'000);
    expect("usd exhausted", decide(policy(), job("alice", "USD"), v), Verdict::Reject,
           {"$3.00 of $100 left", "$3.58"});
    v.held = ticks_of(100'000'000) - ticks_of(95'000'000) - kTenMinutesUsd;
    expect("usd exactly", decide(policy(), job("alice", "USD"), v), Verdict::Accept, {"$0.00 of $100 left"});
    v.held += 1;
    expect("usd one tick over", decide(policy(), job("alice", "USD"), v), Verdict::Reject,
           {"$3.57 of $100 left", "$3.58"});
}

// ---------------------------------------------------------------- (i) accept message

void test_accept_message(void** /*state*/) {
    Decision d = decide(policy(), job("alice", "EXH"));
    expect("EXH", d, Verdict::Accept);
    assert_string_equal(d.message.c_str(),
                        "award EXH: this job holds 2.7 chip-h; 7.3 of 10 chip-h left (until 2026-12-31).");
    // Without a validity end there is no "(until ...)".
    d = decide(policy(), job("bob", "BIG"));
    expect("BIG", d, Verdict::Accept);
    assert_string_equal(d.message.c_str(),
                        "award BIG: this job holds 2.7 chip-h; 999,997.3 of 1,000,000 chip-h left.");
    // The documented example numbers: 768.0 chip-h held (16 chips x 2 days), 12,345.6 left.
    AwardUsageView v;
    v.charged = ticks_of(1'000'000'000'000 - 768'000'000 - 12'345'650'000);
    d = decide(policy(), job("bob", "BIG", shape(1, 48 * 60)), v);
    expect("768", d, Verdict::Accept);
    assert_string_equal(d.message.c_str(),
                        "award BIG: this job holds 768.0 chip-h; 12,345.6 of 1,000,000 chip-h left.");
}

// ---------------------------------------------------------------- (j) award resolution

void test_resolution(void** /*state*/) {
    struct Case {
        const char* name;
        const char* user;
        std::vector<std::string> groups;
        std::vector<std::string> partitions;
        std::optional<std::string> award;
        Verdict want;
        const char* chosen;  // Accept
        std::vector<std::string> fragments;
    } cases[] = {
        // carol: R-OLD (expired), R-TRN2 (trn2 only), R-GOOD (trn1 only).
        {"only usable on trn1", "carol", {}, {"trn1"}, std::nullopt, Verdict::Accept, "R-GOOD", {}},
        {"only usable on trn2", "carol", {}, {"trn2"}, std::nullopt, Verdict::Accept, "R-TRN2", {}},
        {"cpu does not change it", "carol", {}, {"cpu", "trn1"}, std::nullopt, Verdict::Accept, "R-GOOD", {}},
        {"none usable on both", "carol", {}, {"trn1", "trn2"}, std::nullopt, Verdict::Reject, "",
         {"--award", "R-GOOD, R-OLD, R-TRN2"}},
        // dan: R-GOOD and R-GOOD2 both usable on trn1.
        {"several usable", "dan", {}, {"trn1"}, std::nullopt, Verdict::Reject, "",
         {"several", "--award", "R-GOOD, R-GOOD2"}},
        {"several, one named", "dan", {}, {"trn1"}, std::string("R-GOOD2"), Verdict::Accept, "R-GOOD2", {}},
        {"several, only one on trn2", "dan", {}, {"trn2"}, std::nullopt, Verdict::Accept, "R-GOOD2", {}},
        // erin: only an expired award; frank: only a future one.
        {"only expired", "erin", {}, {"trn1"}, std::nullopt, Verdict::Reject, "", {"--award", "R-OLD"}},
        {"only future", "frank", {}, {"trn1"}, std::nullopt, Verdict::Reject, "", {"--award", "R-FUTURE"}},
        {"expired named", "erin", {}, {"trn1"}, std::string("R-OLD"), Verdict::Reject, "",
         {"R-OLD", "expired on 2024-12-31"}},
        // By group.
        {"group member", "gina", {"users", "lab"}, {"trn1"}, std::nullopt, Verdict::Accept, "R-LAB", {}},
        {"no award at all", "zed", {"users"}, {"trn1"}, std::nullopt, Verdict::Reject, "",
         {"not a member of any award"}},
    };
    int failures = 0;
    for (const Case& c : cases) {
        JobRequest j = job(c.user, c.award, shape(), c.partitions);
        j.who.groups = c.groups;
        Decision d = decide(resolution_policy(), j);
        bool ok = check(c.name, d, c.want, c.fragments);
        if (ok && c.want == Verdict::Accept && d.award != c.chosen) {
            print_error("case '%s': chose %s, want %s\n", c.name, d.award.c_str(), c.chosen);
            ok = false;
        }
        failures += !ok;
    }
    assert_int_equal(failures, 0);
}

// ---------------------------------------------------------------- (k) nodes written back

void test_set_max_nodes(void** /*state*/) {
    JobShape s = shape(2);
    Decision d = decide(policy(), job("bob", "BIG", s));
    expect("min only", d, Verdict::Accept);
    assert_true(d.set_max_nodes == 2);
    assert_int_equal(d.chips, 32);

    s.max_nodes = 4;
    d = decide(policy(), job("bob", "BIG", s));
    expect("max given", d, Verdict::Accept);
    assert_false(d.set_max_nodes.has_value());
    assert_int_equal(d.chips, 64);

    // max_nodes larger than the partition: charged for the partition, not rewritten.
    JobRequest j = job("bob", "BIG", s);
    j.facts["trn1"].total_nodes = 3;
    d = decide(policy(), j);
    expect("max capped", d, Verdict::Accept);
    assert_false(d.set_max_nodes.has_value());
    assert_int_equal(d.chips, 48);

    // A gres job on trn2 without max_nodes: max_nodes is still pinned to what was charged.
    JobShape g = shape(3);
    g.tres_per_node = "gres:neuron:2";
    d = decide(policy(), job("bob", "BIG", g, {"trn2"}));
    expect("gres", d, Verdict::Accept);
    assert_true(d.set_max_nodes == 3);
    assert_int_equal(d.chips, 6);
}

// Allocated, not requested: on a GRES partition an --exclusive job, or any
// job on an OverSubscribe=EXCLUSIVE partition, holds whole nodes.
void test_exclusive_holds_whole_nodes(void** /*state*/) {
    JobShape s = shape(1, 60);
    s.tres_per_node = "gres:neuron:2";
    Decision d = decide(policy(), job("alice", "BIG", s, {"trn2"}));
    assert_int_equal(d.chips, 2);
    s.exclusive = true;
    d = decide(policy(), job("alice", "BIG", s, {"trn2"}));
    assert_int_equal(d.chips, 16);
    assert_int_equal(d.hold, ticks_of(16'000'000));
    s.exclusive = false;
    JobRequest j = job("alice", "BIG", s, {"trn2"});
    j.facts["trn2"].exclusive = true;
    d = decide(policy(), j);
    assert_int_equal(d.chips, 16);
}

// The award's end (valid.until): a job must be able to finish by it. It is
// refused when even starting now it could not, with the most that fits, and
// otherwise gets the end as its deadline (unless its own is earlier).
void test_jobs_never_run_past_the_award_end(void**) {
    FakeUsage usage;
    const DayNumber last = day_number(2026, 12, 31);  // USD's until
    const std::int64_t end = (static_cast<std::int64_t>(last) + 1) * 86400;  // UTC without day_end
    JobRequest j = job("alice", "USD");
    j.today = last;
    j.now = end - 3600;  // an hour left
    Decision d = decide_submit(policy(), j, usage.lookup());
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Verdict::Accept));
    assert_true(d.set_deadline.has_value());
    assert_int_equal(*d.set_deadline, end);
    // A later deadline of the user's own is pulled in; an earlier one is kept.
    j.shape.deadline = end + 86400;
    d = decide_submit(policy(), j, usage.lookup());
    assert_int_equal(*d.set_deadline, end);
    j.shape.deadline = end - 60;
    d = decide_submit(policy(), j, usage.lookup());
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Verdict::Accept));
    assert_false(d.set_deadline.has_value());
    j.shape.deadline = 0;
    // 61 minutes cannot finish before the end: refused, with the date and what fits.
    j.shape.time_limit_minutes = 61;
    d = decide_submit(policy(), j, usage.lookup());
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Verdict::Reject));
    print_message("%s\n", d.message.c_str());
    assert_true(contains(d.message, "award USD ends with 2026-12-31 (01:00:00 from now)"));
    assert_true(contains(d.message, "lower --time to at most 01:00:00."));
    // Exactly what is left fits.
    j.shape.time_limit_minutes = 60;
    assert_int_equal(static_cast<int>(decide_submit(policy(), j, usage.lookup()).verdict),
                     static_cast<int>(Verdict::Accept));
    // --begin counts: a job that may only begin 30 minutes from now has 30 left.
    j.shape.begin_time = end - 1800;
    d = decide_submit(policy(), j, usage.lookup());
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Verdict::Reject));
    assert_true(contains(d.message, "00:30:00 after the job's --begin"));
    j.shape.begin_time = end + 60;
    d = decide_submit(policy(), j, usage.lookup());
    assert_true(contains(d.message, "before this job may begin: no job can finish by then"));
    j.shape.begin_time = 0;
    // Half a minute left: nothing fits.
    j.now = end - 30;
    j.shape.time_limit_minutes = 1;
    d = decide_submit(policy(), j, usage.lookup());
    assert_true(contains(d.message, "in less than a minute: no job can finish by then"));
    // A running job (an update): counted from its start, not from now.
    j.now = end - 600;
    j.started_at = end - 7200;
    j.shape.time_limit_minutes = 120;  // ends exactly at the award's end
    assert_int_equal(static_cast<int>(decide_submit(policy(), j, usage.lookup()).verdict),
                     static_cast<int>(Verdict::Accept));
    j.shape.time_limit_minutes = 180;
    d = decide_submit(policy(), j, usage.lookup());
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Verdict::Reject));
    assert_true(contains(d.message, "running since 01:50:00 ago, would run past it with the time limit 03:00:00: at most "
                                    "02:00:00."));
    // Awards without an end set no deadline; a local day_end is used when given.
    JobRequest b = job("alice", "BIG");
    b.now = end - 3600;
    assert_false(decide_submit(policy(), b, usage.lookup()).set_deadline.has_value());
    j = job("alice", "USD");
    j.today = last;
    j.now = end - 7200;
    j.day_end = [](DayNumber) -> std::int64_t { return 42; };
    assert_int_equal(grants::award_end(j, last), 42);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exhaustion_example),
        cmocka_unit_test(test_jobs_never_run_past_the_award_end),
        cmocka_unit_test(test_exclusive_holds_whole_nodes),
        cmocka_unit_test(test_exhaustion_message),
        cmocka_unit_test(test_budget_boundary),
        cmocka_unit_test(test_funded_award_uses_its_active_tranches),
        cmocka_unit_test(test_three_thirds_fill_the_budget),
        cmocka_unit_test(test_time_limit),
        cmocka_unit_test(test_time_limit_several_partitions),
        cmocka_unit_test(test_validity_window),
        cmocka_unit_test(test_partition_not_allowed),
        cmocka_unit_test(test_max_chips_per_job),
        cmocka_unit_test(test_max_jobs),
        cmocka_unit_test(test_max_running_chips),
        cmocka_unit_test(test_array_costs_per_task),
        cmocka_unit_test(test_most_expensive_partition),
        cmocka_unit_test(test_usd_budget),
        cmocka_unit_test(test_accept_message),
        cmocka_unit_test(test_resolution),
        cmocka_unit_test(test_set_max_nodes),
        cmocka_unit_test(test_unreadable_gres_count_refused),
    };
    return cmocka_run_group_tests_name("quota_decision", tests, nullptr, nullptr);
}
