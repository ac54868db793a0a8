// The submit decision: scope, award resolution order, existence and membership.
#include <optional>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cmocka.h"
#include "core/base/name_table.h"
#include "core/domain/award_request.h"
#include "core/domain/decision.h"

using grants::Award;
using grants::AwardRequest;
using grants::decide_submit;
using grants::Decision;
using grants::EnforceScope;
using grants::Identity;
using grants::JobRequest;
using grants::OnError;
using grants::Policy;
using Verdict = grants::Decision::Verdict;

namespace {

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

// trn1 and trn2 are enforced (and priced), cpu is not. Every award has a
// budget far larger than any job here, no validity window and no limits, so
// only scope, award resolution and membership decide.
//   BOT-A: users alice, bob; group nlp-lab
//   BOT-B: user alice; account bio
//   BOT-C: user carol
// alice has default_award BOT-A; dave's default is BOT-C, which he does not belong to.
Policy make_policy() {
    Policy p;
    p.enforced_partitions = {"trn1", "trn2"};
    p.partitions["trn1"].chips_per_node = 16;
    p.partitions["trn2"].chips_per_node = 16;
    Award a;
    a.id = "BOT-A";
    a.members.users = {"alice", "bob"};
    a.members.groups = {"nlp-lab"};
    Award b;
    b.id = "BOT-B";
    b.members.users = {"alice"};
    b.members.accounts = {"bio"};
    Award c;
    c.id = "BOT-C";
    c.members.users = {"carol"};
    for (Award* award : {&a, &b, &c}) {
        award->budget.unit = grants::Budget::Unit::ChipHours;
        award->budget.amount = 1'000'000 * grants::kMicrosPerUnit;
    }
    p.awards.emplace(a.id, a);
    p.awards.emplace(b.id, b);
    p.awards.emplace(c.id, c);
    p.users["alice"].default_award = "BOT-A";
    p.users["dave"].default_award = "BOT-C";
    p.users["erin"];  // listed without a default
    return p;
}

// Nothing charged, held or running yet.
const grants::UsageLookup no_usage;

AwardRequest asked(std::vector<std::string> values) {
    AwardRequest r;
    if (!values.empty()) r.award = values.front();
    r.conflicting = values.size() > 1;
    r.values = std::move(values);
    return r;
}

JobRequest job(Identity who, std::vector<std::string> partitions, AwardRequest requested = {}) {
    JobRequest j;
    j.who = std::move(who);
    j.partitions = std::move(partitions);
    j.requested = std::move(requested);
    j.shape.time_limit_minutes = 60;  // one node for an hour: 16 chip-hours
    j.today = grants::day_number(2025, 6, 1);
    return j;
}

Identity user(std::string name, std::vector<std::string> groups = {}, std::string account = "") {
    return Identity{std::move(name), std::move(groups), std::move(account)};
}

struct DecisionCase {
    const char* name;
    JobRequest job;
    Verdict verdict;
    const char* award;                 // Accept: the approved award
    std::vector<const char*> message;  // substrings the message must contain
    std::vector<const char*> absent;   // substrings it must not contain
};

// The same policy with the loader's derived indexes (award and member names
// interned to numbers): every case must decide byte-for-byte as without them.
Policy make_indexed_policy() {
    Policy p = make_policy();
    grants::index_members(p);
    return p;
}

void check_same_decision(const char* name, const Decision& d, const Decision& e) {
    if (d.verdict != e.verdict || d.award != e.award || d.message != e.message || d.hold != e.hold ||
        d.chips != e.chips || d.time_limit_minutes != e.time_limit_minutes ||
        d.set_time_limit_minutes != e.set_time_limit_minutes || d.set_max_nodes != e.set_max_nodes) {
        print_error("case '%s': scanned \"%s\" / \"%s\", indexed \"%s\" / \"%s\"\n", name, d.award.c_str(),
                    d.message.c_str(), e.award.c_str(), e.message.c_str());
        fail();
    }
}

void run_cases(const std::vector<DecisionCase>& cases) {
    const Policy policy = make_policy();
    const Policy indexed = make_indexed_policy();
    for (const DecisionCase& c : cases) {
        Decision d = decide_submit(policy, c.job, no_usage);
        check_same_decision(c.name, d, decide_submit(indexed, c.job, no_usage));
        bool ok = d.verdict == c.verdict;
        if (ok && c.verdict == Verdict::Accept) ok = d.award == c.award;
        if (ok && c.verdict == Verdict::Untouched) ok = d.award.empty() && d.message.empty();
        if (ok && c.verdict == Verdict::Reject) ok = d.award.empty();
        for (const char* m : c.message) ok = ok && contains(d.message, m);
        for (const char* m : c.absent) ok = ok && !contains(d.message, m);
        if (!ok) {
            print_error("case '%s': verdict %s award \"%s\" message \"%s\"\n", c.name, verdict_name(d.verdict),
                        d.award.c_str(), d.message.c_str());
            fail();
        }
    }
}

void test_scope(void** /*state*/) {
    const Policy policy = make_policy();
    assert_true(grants::in_scope(policy, job(user("alice"), {"trn1"})));
    assert_true(grants::in_scope(policy, job(user("alice"), {"cpu", "trn2"})));
    assert_true(grants::in_scope(policy, job(user("alice"), {"trn2", "cpu"})));
    assert_false(grants::in_scope(policy, job(user("alice"), {"cpu"})));
    assert_false(grants::in_scope(policy, job(user("alice"), {"cpu", "gpu"})));
    assert_false(grants::in_scope(policy, job(user("alice"), {})));
    // Partition names are exact.
    assert_false(grants::in_scope(policy, job(user("alice"), {"TRN1"})));
    assert_false(grants::in_scope(policy, job(user("alice"), {"trn1 "})));
    assert_false(grants::in_scope(policy, job(user("alice"), {"trn"})));
}

void test_out_of_scope_untouched(void** /*state*/) {
    run_cases({
        {"cpu job, no award", job(user("alice"), {"cpu"}), Verdict::Untouched, "", {}, {}},
        {"cpu job, non-member", job(user("mallory"), {"cpu"}), Verdict::Untouched, "", {}, {}},
        {"no partitions", job(user("alice"), {}), Verdict::Untouched, "", {}, {}},
        {"bogus award syntax", job(user("alice"), {"cpu"}, asked({"bad id;rm -rf"})), Verdict::Untouched, "", {}, {}},
        {"unknown award", job(user("alice"), {"cpu"}, asked({"NOPE"})), Verdict::Untouched, "", {}, {}},
        {"award of somebody else", job(user("alice"), {"cpu"}, asked({"BOT-C"})), Verdict::Untouched, "", {}, {}},
        {"conflicting requests",
         job(user("alice"), {"cpu", "gpu"}, asked({"BOT-A", "BOT-B"})),
         Verdict::Untouched,
         "",
         {},
         {}},
        {"empty request", job(user("alice"), {"cpu"}, asked({""})), Verdict::Untouched, "", {}, {}},
    });
}

void test_resolution_order(void** /*state*/) {
    run_cases({
        // 1. --award wins over the default.
        {"--award over default_award",
         job(user("alice"), {"trn1"}, asked({"BOT-B"})),
         Verdict::Accept,
         "BOT-B",
         {"BOT-B"},
         {}},
        {"--award equal to default", job(user("alice"), {"trn1"}, asked({"BOT-A"})), Verdict::Accept, "BOT-A", {}, {}},
        // 2. users.<name>.default_award, even though alice has two awards.
        {"default_award", job(user("alice"), {"trn1"}), Verdict::Accept, "BOT-A", {"award BOT-A"}, {}},
        // 3. The only award the user belongs to.
        {"only award", job(user("carol"), {"trn2"}), Verdict::Accept, "BOT-C", {"BOT-C"}, {}},
        {"only award, listed user without default",
         job(user("erin", {"nlp-lab"}), {"trn1"}),
         Verdict::Accept,
         "BOT-A",
         {},
         {}},
        // 4. Several awards and no default: reject, listing them.
        {"several awards, no default",
         job(user("frank", {"nlp-lab"}, "bio"), {"trn2"}),
         Verdict::Reject,
         "",
         {"partition trn2", "--award=ID", "your awards: BOT-A, BOT-B"},
         {"BOT-C"}},
        // No award at all: reject, saying who can help.
        {"no awards",
         job(user("mallory"), {"trn1"}),
         Verdict::Reject,
         "",
         {"partition trn1", "--award=ID", "not a member of any award"},
         {"BOT-"}},
        // A default the user no longer belongs to is still checked.
        {"default_award without membership",
         job(user("dave"), {"trn1"}),
         Verdict::Reject,
         "",
         {"user dave is not a member of award BOT-C, or it does not exist", "not a member of any award"},
         {}},
    });
}

void test_award_checks(void** /*state*/) {
    run_cases({
        {"unknown award",
         job(user("carol"), {"trn1"}, asked({"BOT-Z"})),
         Verdict::Reject,
         "",
         {"user carol is not a member of award BOT-Z, or it does not exist (your awards: BOT-C).", "your awards: BOT-C"},
         {}},
        {"unknown award, no memberships",
         job(user("mallory"), {"trn1"}, asked({"BOT-Z"})),
         Verdict::Reject,
         "",
         {"BOT-Z, or it does not exist", "not a member of any award"},
         {}},
        {"non-member",
         job(user("carol"), {"trn1"}, asked({"BOT-A"})),
         Verdict::Reject,
         "",
         {"user carol is not a member of award BOT-A, or it does not exist (your awards: BOT-C)."},
         {}},
        {"non-member with several awards",
         job(user("bob", {}, "bio"), {"trn1"}, asked({"BOT-C"})),
         Verdict::Reject,
         "",
         {"user bob", "BOT-C", "your awards: BOT-A, BOT-B"},
         {}},
        {"non-member with no awards",
         job(user("mallory"), {"trn1"}, asked({"BOT-A"})),
         Verdict::Reject,
         "",
         {"user mallory is not a member of award BOT-A", "not a member of any award"},
         {}},
        {"member by user name", job(user("bob"), {"trn1"}, asked({"BOT-A"})), Verdict::Accept, "BOT-A", {}, {}},
        {"member by group",
         job(user("gina", {"gina", "nlp-lab"}), {"trn1"}, asked({"BOT-A"})),
         Verdict::Accept,
         "BOT-A",
         {},
         {}},
        {"member by primary group only", job(user("gina", {"nlp-lab"}), {"trn1"}), Verdict::Accept, "BOT-A", {}, {}},
        {"member by account",
         job(user("hank", {"hank"}, "bio"), {"trn1"}, asked({"BOT-B"})),
         Verdict::Accept,
         "BOT-B",
         {},
         {}},
        {"member by account, resolved as only award",
         job(user("hank", {}, "bio"), {"trn1"}),
         Verdict::Accept,
         "BOT-B",
         {},
         {}},
        {"other account is not membership",
         job(user("hank", {}, "physics"), {"trn1"}, asked({"BOT-B"})),
         Verdict::Reject,
         "",
         {"user hank is not a member of award BOT-B"},
         {}},
        {"group named like the account is not membership",
         job(user("hank", {"bio"}), {"trn1"}, asked({"BOT-B"})),
         Verdict::Reject,
         "",
         {"not a member"},
         {}},
        {"award IDs are case sensitive",
         job(user("carol"), {"trn1"}, asked({"bot-c"})),
         Verdict::Reject,
         "",
         {"bot-c, or it does not exist"},
         {}},
    });
}

// No award-ID oracle: naming an award that does not exist and naming one
// the user is not a member of give the same sentence (only the named ID
// differs), for every user; an update (the job's own award, or an
// operator's choice) keeps the precise reason.
void test_unknown_and_foreign_awards_look_alike(void** /*state*/) {
    const Policy policies[] = {make_policy(), make_indexed_policy()};
    for (const Policy& policy : policies) {
        for (const char* name : {"mallory", "bob", "dave", "alice"}) {
            const Decision nonexistent = decide_submit(policy, job(user(name), {"trn1"}, asked({"BOT-Q"})), no_usage);
            const Decision foreign = decide_submit(policy, job(user(name), {"trn1"}, asked({"BOT-C"})), no_usage);
            assert_int_equal(static_cast<int>(nonexistent.verdict), static_cast<int>(Verdict::Reject));
            assert_int_equal(static_cast<int>(foreign.verdict), static_cast<int>(Verdict::Reject));
            std::string renamed = foreign.message;
            renamed.replace(renamed.find("BOT-C"), 5, "BOT-Q");
            if (renamed != nonexistent.message) {
                print_error("%s: '%s' and '%s' tell the awards apart\n", name, nonexistent.message.c_str(),
                            foreign.message.c_str());
                fail();
            }
            assert_true(nonexistent.award.empty() && foreign.award.empty());
            assert_int_equal(nonexistent.hold, foreign.hold);
        }
        JobRequest precise = job(user("mallory"), {"trn1"}, asked({"BOT-Q"}));
        precise.precise_award_refusals = true;
        assert_true(contains(decide_submit(policy, precise, no_usage).message, "award BOT-Q does not exist ("));
        precise.requested = asked({"BOT-C"});
        assert_true(contains(decide_submit(policy, precise, no_usage).message,
                             "user mallory is not a member of award BOT-C (you are not a member of any award"));
    }
}

void test_bad_requests(void** /*state*/) {
    run_cases({
        {"conflicting requests",
         job(user("alice"), {"trn1"}, asked({"BOT-A", "BOT-B"})),
         Verdict::Reject,
         "",
         {"conflicting award requests", "BOT-A", "BOT-B", "only once"},
         {}},
        // Conflicts are refused before anything else, even for a non-member.
        {"conflicting requests, non-member",
         job(user("mallory"), {"trn1"}, asked({"BOT-C", "NOPE"})),
         Verdict::Reject,
         "",
         {"conflicting award requests"},
         {}},
        {"malformed ID",
         job(user("alice"), {"trn1"}, asked({"BOT A"})),
         Verdict::Reject,
         "",
         {"award ID \"BOT A\" is not valid"},
         {}},
        {"malformed ID with separator",
         job(user("alice"), {"trn1"}, asked({"BOT-A;x"})),
         Verdict::Reject,
         "",
         {"is not valid"},
         {}},
        {"empty ID", job(user("alice"), {"trn1"}, asked({""})), Verdict::Reject, "", {"award ID is empty"}, {}},
        {"too long ID",
         job(user("alice"), {"trn1"}, asked({std::string(65, 'A')})),
         Verdict::Reject,
         "",
         {"longer than 64"},
         {}},
        {"control bytes escaped",
         job(user("alice"), {"trn1"}, asked({"A\nB"})),
         Verdict::Reject,
         "",
         {"A\\x0aB"},
         {"\n"}},
        {"conflicting control bytes escaped",
         job(user("alice"), {"trn1"}, asked({"A\nB", "C\x1b"})),
         Verdict::Reject,
         "",
         {"A\\x0aB", "C\\x1b"},
         {"\n", "\x1b"}},
    });
}

void test_multi_partition(void** /*state*/) {
    run_cases({
        {"enforced second", job(user("alice"), {"cpu", "trn1"}), Verdict::Accept, "BOT-A", {}, {}},
        {"enforced first", job(user("carol"), {"trn2", "cpu"}), Verdict::Accept, "BOT-C", {}, {}},
        {"non-member on mixed job", job(user("mallory"), {"cpu", "trn2"}), Verdict::Reject, "", {"partition trn2"}, {}},
        {"bad request on mixed job",
         job(user("alice"), {"gpu", "trn1"}, asked({"bad id"})),
         Verdict::Reject,
         "",
         {"is not valid"},
         {}},
    });
}

// A job that asks for no devices of a GRES partition that shares nodes is
// held for whole nodes and given them (set_exclusive); one that asks for
// devices, says --exclusive, or may also run elsewhere keeps its sharing.
void test_whole_nodes_without_devices(void** /*state*/) {
    Policy policy = make_policy();
    policy.partitions["trn2"].gres = "gpu";
    policy.partitions["trn2"].gres_type = "trainium2";
    auto decided = [&](JobRequest j) { return decide_submit(policy, j, no_usage); };

    Decision d = decided(job(user("carol"), {"trn2"}));
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Verdict::Accept));
    assert_true(d.set_exclusive);
    assert_int_equal(d.chips, 16);
    assert_non_null(strstr(d.message.c_str(), "it asks for no gpu devices, so it has whole nodes"));

    JobRequest with_devices = job(user("carol"), {"trn2"});
    with_devices.shape.tres_per_node = "gres/gpu:trainium2:4";
    d = decided(with_devices);
    assert_false(d.set_exclusive);
    assert_int_equal(d.chips, 4);
    assert_null(strstr(d.message.c_str(), "whole nodes"));

    JobRequest zero = job(user("carol"), {"trn2"});
    zero.shape.tres_per_node = "gres/gpu:0";
    assert_true(decided(zero).set_exclusive);

    JobRequest exclusive = job(user("carol"), {"trn2"});
    exclusive.shape.exclusive = true;
    assert_false(decided(exclusive).set_exclusive);

    JobRequest partition_exclusive = job(user("carol"), {"trn2"});
    partition_exclusive.facts["trn2"].exclusive = true;
    assert_false(decided(partition_exclusive).set_exclusive);

    assert_false(decided(job(user("carol"), {"trn2", "cpu"})).set_exclusive);  // cpu shares
    assert_false(decided(job(user("alice"), {"trn1"})).set_exclusive);          // priced whole nodes already
}

void test_request_from_environment(void** /*state*/) {
    // The adapter path: the spank environment goes through award_request_from_env.
    const Policy policy = make_policy();
    std::vector<std::string_view> env = {"_SLURM_SPANK_OPTION_grants_award=BOT-B",
                                         "_SLURM_SPANK_OPTION_grants_award=BOT-A"};
    Decision d = decide_submit(policy, job(user("alice"), {"trn1"}, grants::award_request_from_env(env)), no_usage);
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Verdict::Reject));
    assert_true(contains(d.message, "conflicting"));

    env = {"_SLURM_SPANK_OPTION_grants_award=BOT-B", "_SLURM_SPANK_OPTION_grants_award=BOT-B"};
    d = decide_submit(policy, job(user("alice"), {"trn1"}, grants::award_request_from_env(env)), no_usage);
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Verdict::Accept));
    assert_string_equal(d.award.c_str(), "BOT-B");

    // A forged look-alike is no request: alice falls back to her default.
    env = {"_SLURM_SPANK_OPTION_grants_awardX=BOT-C"};
    d = decide_submit(policy, job(user("alice"), {"trn1"}, grants::award_request_from_env(env)), no_usage);
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Verdict::Accept));
    assert_string_equal(d.award.c_str(), "BOT-A");
}

void check_without_policy(const char* name, const std::optional<EnforceScope>& scope, const JobRequest& j,
                          Verdict verdict, std::vector<const char*> message) {
    Decision d = grants::decide_without_policy(scope, j);
    bool ok = d.verdict == verdict && d.award.empty();
    if (ok && verdict == Verdict::Untouched) ok = d.message.empty();
    for (const char* m : message) ok = ok && contains(d.message, m);
    if (!ok) {
        print_error("case '%s': verdict %s award \"%s\" message \"%s\"\n", name, verdict_name(d.verdict),
                    d.award.c_str(), d.message.c_str());
        fail();
    }
}

EnforceScope scope(grants::NameSet partitions, OnError on_error) {
    EnforceScope s;
    s.partitions = std::move(partitions);
    s.on_error = on_error;
    return s;
}

void test_without_policy(void** /*state*/) {
    // Nothing known about enforce: no partition is known to be enforced, every job passes untouched.
    check_without_policy("no scope", std::nullopt, job(user("alice"), {"trn1"}, asked({"BOT-A"})), Verdict::Untouched,
                         {});
    check_without_policy("no scope, bad request", std::nullopt, job(user("alice"), {"trn1"}, asked({"bad id"})),
                         Verdict::Untouched, {});

    const EnforceScope closed = scope({"trn1", "trn2"}, OnError::Closed);
    check_without_policy("closed", closed, job(user("alice"), {"trn1"}), Verdict::Reject,
                         {"partition trn1", "grant policy is unavailable", "try again later"});
    check_without_policy("closed, with an award", closed, job(user("alice"), {"trn2"}, asked({"BOT-A"})),
                         Verdict::Reject, {"partition trn2"});
    check_without_policy("closed, enforced second", closed, job(user("alice"), {"cpu", "trn2"}), Verdict::Reject,
                         {"partition trn2"});
    check_without_policy("closed, out of scope", closed, job(user("alice"), {"cpu"}, asked({"BOT-A"})),
                         Verdict::Untouched, {});
    check_without_policy("closed, no partitions", closed, job(user("alice"), {}), Verdict::Untouched, {});
    check_without_policy("closed, names are exact", closed, job(user("alice"), {"TRN1", "trn"}), Verdict::Untouched,
                         {});

    const EnforceScope open = scope({"trn1"}, OnError::Open);
    check_without_policy("open", open, job(user("alice"), {"trn1"}), Verdict::AcceptUntagged,
                         {"partition trn1", "without an award check"});
    check_without_policy("open, mixed job", open, job(user("mallory"), {"gpu", "trn1"}, asked({"X"})),
                         Verdict::AcceptUntagged, {"partition trn1"});
    check_without_policy("open, out of scope", open, job(user("alice"), {"trn2"}), Verdict::Untouched, {});

    // An empty scope (enforce.partitions: []) touches nothing, closed or not.
    check_without_policy("empty scope", scope({}, OnError::Closed), job(user("alice"), {"trn1"}), Verdict::Untouched,
                         {});
}

void test_empty_policy(void** /*state*/) {
    // No enforced partitions: nothing is in scope.
    const Policy empty;
    Decision d = decide_submit(empty, job(user("alice"), {"trn1"}, asked({"bad id"})), no_usage);
    assert_int_equal(static_cast<int>(d.verdict), static_cast<int>(Verdict::Untouched));
}

}  // namespace

// The member index (built by the loader) finds exactly the awards a scan of
// every award finds, for names, groups, accounts and combinations of them.
void test_member_index_matches_scan(void** /*state*/) {
    Policy scanned = make_policy();
    Policy indexed = make_policy();
    grants::index_members(indexed);
    assert_true(indexed.member_index.built);
    assert_false(scanned.member_index.built);
    const std::vector<Identity> people = {
        {"alice", {}, ""},       {"bob", {}, ""},          {"carol", {"nlp-lab"}, "bio"}, {"erin", {"nlp-lab"}, ""},
        {"zoe", {}, "bio"},      {"", {"nlp-lab"}, ""},    {"", {}, ""},                  {"alice", {"nlp-lab", "x"}, "bio"},
        {"mallory", {"other"}, "other"}};
    for (const auto& who : people) {
        auto a = grants::awards_of(scanned, who);
        auto b = grants::awards_of(indexed, who);
        assert_true(a == b);
    }
    assert_true((grants::awards_of(indexed, {"carol", {"nlp-lab"}, "bio"}) ==
                 std::vector<std::string>{"BOT-A", "BOT-B", "BOT-C"}));
}

// The interned names: every name finds its number, whatever its length
// (inline in the slot or not) and however the probes collide; absent names,
// prefixes and the empty string find nothing.
void test_name_table(void** /*state*/) {
    grants::NameTable empty;
    assert_int_equal(empty.find("x"), grants::NameTable::kNone);
    std::vector<std::string> names;
    for (int i = 0; i < 3000; ++i) names.push_back("BOT-2025-" + std::to_string(i));
    names.push_back("a-name-longer-than-sixteen-characters");
    names.push_back("a-name-longer-than-sixteen-characterz");
    names.push_back("sixteen-chars-xx");
    names.push_back("x");
    std::vector<std::string_view> views(names.begin(), names.end());
    views.push_back("x");  // a duplicate keeps its first number
    grants::NameTable table;
    table.build(views);
    for (std::size_t i = 0; i < names.size(); ++i) {
        assert_int_equal(table.find(names[i]), i);
        assert_string_equal(table.name(static_cast<std::uint32_t>(i)).c_str(), names[i].c_str());
    }
    // Filled one name at a time from empty (the table grows), with duplicates.
    grants::NameTable grown;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::uint32_t n = grown.insert(names[i]);
        assert_int_equal(n, i);
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
        assert_int_equal(grown.insert(names[i]), i);
        assert_int_equal(grown.find(names[i]), i);
    }
    assert_int_equal(grown.size(), names.size());
    assert_int_equal(grown.find("BOT-2025-3000"), grants::NameTable::kNone);
    assert_int_equal(table.find("BOT-2025-3000"), grants::NameTable::kNone);
    assert_int_equal(table.find("BOT-2025-"), grants::NameTable::kNone);
    assert_int_equal(table.find("a-name-longer-than-sixteen-character"), grants::NameTable::kNone);
    assert_int_equal(table.find(""), grants::NameTable::kNone);
}

// The interned member index answers membership by number as the award's own
// member sets do, and numbers awards in the order of their IDs.
void test_interned_membership_matches_sets(void** /*state*/) {
    const Policy p = make_indexed_policy();
    assert_true(p.name_index.built);
    std::uint32_t n = 0;
    for (const auto& [id, award] : p.awards) {
        assert_int_equal(p.member_index.awards.find(id), n);
        assert_ptr_equal(p.find_award(id), &award);
        for (const auto& who : {user("alice"), user("bob"), user("carol"), user("erin", {"nlp-lab"}),
                                user("zoe", {}, "bio"), user("", {"nlp-lab"}), user(""), user("mallory", {"x"}, "y"),
                                user("dave", {"other", "nlp-lab"}, "bio")}) {
            assert_int_equal(grants::is_member(p, n, who), grants::is_member(award, who));
        }
        ++n;
    }
    assert_null(p.find_award("BOT-D"));
    assert_non_null(p.find_user("erin"));  // settings without membership
    assert_true(p.find_user("erin")->default_award.empty());
    assert_string_equal(p.find_user("dave")->default_award.c_str(), "BOT-C");
    assert_null(p.find_user("bob"));  // a member without settings
    assert_null(p.find_user("nobody"));
    // A copy keeps the member index and drops the pointers, and decides the same.
    const Policy copy = p;
    assert_true(copy.member_index.built);
    assert_false(copy.name_index.built);
    assert_ptr_equal(copy.find_award("BOT-B"), &copy.awards.at("BOT-B"));
    assert_true((grants::awards_of(copy, user("carol", {"nlp-lab"}, "bio")) ==
                 std::vector<std::string>{"BOT-A", "BOT-B", "BOT-C"}));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_whole_nodes_without_devices),
        cmocka_unit_test(test_out_of_scope_untouched),
        cmocka_unit_test(test_resolution_order),
        cmocka_unit_test(test_award_checks),
        cmocka_unit_test(test_unknown_and_foreign_awards_look_alike),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_multi_partition),
        cmocka_unit_test(test_request_from_environment),
        cmocka_unit_test(test_without_policy),
        cmocka_unit_test(test_empty_policy),
        cmocka_unit_test(test_member_index_matches_scan),
        cmocka_unit_test(test_name_table),
        cmocka_unit_test(test_interned_membership_matches_sets),
    };
    return cmocka_run_group_tests_name("decision", tests, nullptr, nullptr);
}
