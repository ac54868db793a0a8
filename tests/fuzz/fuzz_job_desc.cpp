// libFuzzer target for the submit path without slurmctld: a job_desc_msg_t
// with arbitrary strings and numbers in every field job_submit/grants reads
// (partition, account, user_id, spank_job_env, min/max_nodes, time_limit,
// num_tasks, tres_per_node/job/task, array_inx, admin_comment, features) goes through
// the adapter's translation (src/slurm/job_submit/job_desc_request.cpp) and the
// core decision against a fixed policy and arbitrary usage.
//
// Invariants: no crash or sanitizer report, no exception; an accepted job
// names an existing award its user is a member of, allowed on its partitions,
// with a finite time limit and a hold that fits the budget (the award is
// never overspent); on the features partition (mix) it is held at least at
// the price of every node its --constraint admits, and an unreadable
// constraint at the partition's dearest type; every message is one line of
// printable text.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

extern "C" {
#include <slurm/slurm.h>
}

#include "core/base/award_id.h"
#include "core/domain/admin_comment.h"
#include "core/domain/decision.h"
#include "core/domain/instance_types.h"
#include "core/domain/job_shape.h"
#include "core/domain/node_constraint.h"
#include "core/policy/policy_loader.h"
#include "slurm/job_submit/job_desc_request.h"

namespace {
// What slurmctld would answer, set per input (the translation takes plain function pointers).
int g_default_part = 0;
std::int64_t g_default_time = -1;
std::int64_t g_total_nodes = 0;
// 2025-06-01 12:00 UTC: fill_request derives the day from it; the decision uses request.today.
constexpr std::time_t kToday = 1748779200;

std::string fuzz_default_partition() { return g_default_part == 0 ? "" : g_default_part == 1 ? "cpu" : "trn1"; }

grants::PartitionFacts fuzz_partition_facts(const std::string&) {
    grants::PartitionFacts f;
    if (g_default_time >= 0) f.default_time_minutes = g_default_time;
    f.total_nodes = g_total_nodes;
    return f;
}
}  // namespace


namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_job_desc: invariant broken: %s\n", what);
        std::abort();
    }
}

const char kPolicy[] = R"(version: 1
enforce: { partitions: [trn1, trn2, mix], on_error: closed }
partitions:
  trn1: { chips_per_node: 16, usd_per_chip_hour: 1.34 }
  trn2: { chips_per_node: 16, usd_per_chip_hour: 2.10, gres: neuron }
  mix: { instance_type: features }
awards:
  A-1:
    members: { users: [alice, bob], groups: [nlp], accounts: [acct] }
    budget: { chip_hours: 50000 }
    limits: { max_chips_per_job: 256, max_walltime: 2-00:00:00, max_jobs: 20, max_running_chips: 512,
              per_user: { max_jobs: 5, max_running_chips: 128 } }
  A-2:
    members: { users: [carol] }
    budget: { usd: 10 }
    partitions: [trn2]
  A-OLD:
    members: { users: [alice] }
    budget: { chip_hours: 1 }
    valid: { from: 2020-01-01, until: 2020-12-31 }
users:
  alice: { default_award: A-1 }
)";

const grants::Policy& policy() {
    static const grants::PolicyLoad load = grants::load_policy_text(kPolicy, "fuzz.yaml");
    if (!load.policy) {
        for (const auto& e : load.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
        std::abort();
    }
    return *load.policy;
}

// The nodes of mix, as slurmctld's node table would list them.
const std::shared_ptr<const grants::NodeTypes>& node_types() {
    static const std::shared_ptr<const grants::NodeTypes> types =
        std::make_shared<const grants::NodeTypes>(grants::build_node_types(
            policy(), {{"s1", "trn1.2xlarge", "mix"},
                       {"b1", "trn1.32xlarge,efa", "mix"},
                       {"b2", "dynamic,trn1.32xlarge,queue-b", "mix"}}));
    return types;
}

// What the job would hold on mix with another constraint (the decision's own pricing).
grants::Ticks hold_with(const grants::Policy& p, const grants::Award& award, grants::JobRequest request,
                        const std::string& constraint, std::int64_t minutes) {
    request.shape.constraint = constraint;
    auto cost = grants::max_job_cost(p, award, request, minutes);
    return cost ? cost->amount : 0;
}

void check_message(const std::string& m) {
    for (char c : m) {
        auto b = static_cast<unsigned char>(c);
        check(b >= 0x20 && b != 0x7f, "message has a control byte (log/terminal injection)");
    }
}

std::uint32_t number(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange<int>(0, 5)) {
        case 0: return NO_VAL;
        case 1: return INFINITE;
        case 2: return 0;
        case 3: return in.ConsumeIntegralInRange<std::uint32_t>(0, 64);
        case 4: return NO_VAL - 1;
        default: return in.ConsumeIntegral<std::uint32_t>();
    }
}

// A string field: absent, or arbitrary bytes up to the first NUL (as C sees it).
char* field(FuzzedDataProvider& in, std::vector<std::string>* keep) {
    if (in.ConsumeBool()) return nullptr;
    keep->push_back(in.ConsumeRandomLengthString(512));
    return keep->back().data();
}

void run(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    std::vector<std::string> keep;
    keep.reserve(64);  // field() hands out pointers into it
    job_desc_msg_t d{};
    d.partition = field(in, &keep);
    d.account = field(in, &keep);
    d.array_inx = field(in, &keep);
    d.tres_per_node = field(in, &keep);
    d.tres_per_job = field(in, &keep);
    d.tres_per_task = field(in, &keep);
    d.admin_comment = field(in, &keep);
    d.user_id = number(in);
    d.min_nodes = number(in);
    d.max_nodes = number(in);
    d.time_limit = number(in);
    d.num_tasks = number(in);
    std::vector<char*> env;
    const int entries = in.ConsumeIntegralInRange<int>(0, 6);
    for (int i = 0; i < entries; ++i) {
        std::string value = in.ConsumeRandomLengthString(128);
        if (in.ConsumeBool()) value = std::string(grants::kSpankOptionVariable) + "=" + value;
        keep.push_back(value);
        env.push_back(in.ConsumeBool() ? keep.back().data() : nullptr);
    }
    d.spank_job_env = env.empty() ? nullptr : env.data();
    d.spank_job_env_size = static_cast<std::uint32_t>(env.size());

    const std::int64_t default_time = in.ConsumeIntegralInRange<std::int64_t>(-1, 100000);
    const std::int64_t total_nodes = in.ConsumeIntegralInRange<std::int64_t>(0, 4096);
    const int default_part = in.ConsumeIntegralInRange<int>(0, 2);
    grants::AwardUsageView usage;
    usage.charged = in.ConsumeIntegralInRange<grants::Ticks>(0, grants::kSaturatedTicks);
    usage.held = in.ConsumeIntegralInRange<grants::Ticks>(0, grants::kSaturatedTicks);
    usage.live_jobs = in.ConsumeIntegralInRange<std::int64_t>(0, 100);
    usage.live_chips = in.ConsumeIntegralInRange<std::int64_t>(0, 100000);
    usage.user_live_jobs = in.ConsumeIntegralInRange<std::int64_t>(0, usage.live_jobs);
    usage.user_live_chips = in.ConsumeIntegralInRange<std::int64_t>(0, usage.live_chips);
    const std::uint32_t submit_uid = in.ConsumeIntegralInRange<std::uint32_t>(0, 5);
    d.features = field(in, &keep);  // last: older corpus entries decode as before

    // The adapter's translation takes slurmctld's answers as plain functions.
    g_default_part = default_part;
    g_default_time = default_time;
    g_total_nodes = total_nodes;
    static grants::IdentityCache identities([](std::uint32_t uid) -> std::optional<grants::UnixIdentity> {
        static const char* const kUsers[] = {"root", "alice", "bob", "carol", "dave"};
        grants::UnixIdentity who;
        who.user = uid < 5 ? kUsers[uid] : "uid " + std::to_string(uid);
        if (uid == 4) who.groups.push_back("nlp");
        return who;
    });

    const grants::Policy& p = policy();
    grants::JobRequest request;
    request.partitions = grants::slurmctld::job_partitions(d.partition, fuzz_default_partition);
    for (const auto& part : request.partitions) check(!part.empty(), "empty partition name");
    if (!grants::in_scope(p, request)) return;
    std::string problem;
    if (!grants::slurmctld::fill_request(&d, submit_uid, identities, fuzz_partition_facts, kToday, &request, &problem)) {
        check_message(problem);
        return;
    }
    request.today = grants::day_number(2025, 6, 1);
    request.node_types = node_types();
    grants::Decision dec = grants::decide_submit(p, request, [&](const std::string&, const std::string&) { return usage; });
    check_message(dec.message);
    switch (dec.verdict) {
        case grants::Decision::Verdict::Reject:
            check(!dec.message.empty(), "rejected without a reason");
            break;
        case grants::Decision::Verdict::Accept: {
            const grants::Award* award = p.find_award(dec.award);
            check(award != nullptr, "accepted with an award that does not exist");
            check(grants::is_member(*award, request.who), "accepted for a non-member");
            check(grants::validity_problem(*award, request.today).empty(), "accepted outside the validity window");
            for (const auto& part : request.partitions) {
                if (p.enforces(part)) check(award->allows_partition(part), "accepted on a partition the award excludes");
            }
            check(dec.hold >= 0, "negative hold");
            check(dec.time_limit_minutes > 0, "accepted without a finite time limit");
            const grants::Ticks budget = grants::ticks_of(award->budget.amount);
            check(usage.charged <= budget && usage.held <= budget - usage.charged &&
                      dec.hold <= budget - usage.charged - usage.held,
                  "accepted a job that overspends the award");
            // A chip count we cannot read is never priced (as whole nodes or otherwise).
            for (const auto& part : request.partitions) {
                const grants::PartitionCost* cost = p.find_partition(part);
                if (!p.enforces(part) || !cost || cost->gres.empty()) continue;
                for (const std::string* tres : {&request.shape.tres_per_node, &request.shape.tres_per_job,
                                                &request.shape.tres_per_task}) {
                    bool malformed = false;
                    grants::gres_count(*tres, cost->gres, &malformed);
                    check(!malformed, "accepted a job whose GRES count cannot be read");
                }
            }
            if (request.requested.award) check(*request.requested.award == dec.award, "approved another award than requested");
            // On mix: never cheaper than a node the constraint admits; unreadable: the dearest.
            if (std::find(request.partitions.begin(), request.partitions.end(), "mix") != request.partitions.end() &&
                !request.shape.constraint.empty()) {
                const auto constraint = grants::NodeConstraint::parse(request.shape.constraint);
                for (const auto& kind : node_types()->kinds_by_partition.at("mix")) {
                    if (constraint && !constraint->admits(kind.features)) continue;
                    check(dec.hold >= hold_with(p, *award, request, kind.type, dec.time_limit_minutes),
                          "held below the price of a node the constraint admits");
                }
            }
            std::string tagged = grants::with_award_tag(d.admin_comment ? d.admin_comment : "", dec.award);
            auto back = grants::award_in_admin_comment(tagged);
            check(back && *back == dec.award, "the tag does not carry the approved award");
            break;
        }
        default:
            break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        run(data, size);
    } catch (...) {
        std::fprintf(stderr, "fuzz_job_desc: exception escaped\n");
        std::abort();
    }
    return 0;
}
