// grantctl quote: what a job would cost and whether slurmctld would accept it
// now. The controller runs the very decision sbatch gets, without side effects.
#include <charconv>
#include <iostream>

#include "cli/award_status_json.h"
#include "cli/commands.h"
#include "cli/controller_query.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/options.h"
#include "cli/tranche_table.h"
#include "core/base/award_id.h"
#include "core/base/duration.h"
#include "core/domain/cost_model.h"

namespace grants::cli {

namespace {

const char kQuoteUsage[] =
    "Usage: grantctl quote [-p PARTITION] [-N NODES] [-t TIME] [--gres GRES] [--array SPEC]\n"
    "                      [-C FEATURES] [--award ID] [-A ACCOUNT] [-n TASKS] [--json]\n"
    "\n"
    "Ask slurmctld what a job with these options would cost and whether it would be\n"
    "accepted right now; prints the sentence sbatch would print. Options mean what\n"
    "they mean to sbatch; like sbatch, a missing -p uses the default partition and a\n"
    "missing -t the partition's DefaultTime.\n"
    "\n"
    "Options:\n"
    "  -p, --partition PART   partition (or a comma list)\n"
    "  -N, --nodes N[-M]      node count, or a range\n"
    "  -t, --time TIME        time limit: MM, HH:MM:SS, D-HH[:MM[:SS]]\n"
    "  --gres GRES            e.g. neuron:4 (per node)\n"
    "  -a, --array SPEC       job array, e.g. 0-99%4\n"
    "  -C, --constraint EXPR  node features, as sbatch -C, e.g. trn1.2xlarge (on a partition of\n"
    "                         several types: priced at the dearest type of the nodes it admits)\n"
    "  --award ID             the award to charge\n"
    "  -A, --account NAME     Slurm account\n"
    "  -n, --ntasks N         number of tasks\n"
    "  --user NAME            quote for another user (root and SlurmUser only)\n"
    "  --json                 print JSON\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 the job would be accepted, 1 it would be rejected (or the\n"
    "question was refused), 2 usage error.\n";

std::optional<std::uint32_t> count(const std::string& text) {
    std::uint32_t v = 0;
    const char* b = text.data();
    const char* e = b + text.size();
    auto [p, ec] = std::from_chars(b, e, v);
    if (ec != std::errc() || p != e || v == 0 || v >= 0xfffffffe) return std::nullopt;
    return v;
}

}  // namespace

int run_quote(const std::vector<std::string>& args) {
    ParsedArgs a;
    if (auto stop = parse_command(args,
                                  {{"partition", 'p', true},
                                   {"nodes", 'N', true},
                                   {"time", 't', true},
                                   {"gres", 0, true},
                                   {"array", 'a', true},
                                   {"constraint", 'C', true},
                                   {"award", 0, true},
                                   {"account", 'A', true},
                                   {"ntasks", 'n', true},
                                   {"user", 0, true},
                                   {"json", 0, false}},
                                  kQuoteUsage, "quote", &a))
        return *stop;

    QueryJob job;
    if (auto v = a.value("partition")) {
        if (v->empty()) return usage_error("quote", "--partition needs a partition name.");
        job.partition = *v;
    }
    if (auto v = a.value("nodes")) {
        auto dash = v->find('-');
        auto lo = count(v->substr(0, dash));
        std::optional<std::uint32_t> hi = lo;
        if (dash != std::string::npos) hi = count(v->substr(dash + 1));
        if (!lo || !hi || *hi < *lo) {
            return usage_error("quote", "--nodes wants a positive count or a range like 2-4, not '" + *v + "'.");
        }
        job.min_nodes = *lo;
        if (dash != std::string::npos) job.max_nodes = *hi;
    }
    if (auto v = a.value("time")) {
        if (*v == "infinite" || *v == "unlimited" || *v == "UNLIMITED" || *v == "INFINITE") {
            job.time_limit_minutes = 0xffffffffU;  // Slurm's INFINITE
        } else {
            auto seconds = parse_slurm_duration(*v);
            if (!seconds) {
                return usage_error("quote", "--time wants a Slurm time limit such as 90, 4:00:00 or 2-00:00:00, not '" +
                                                *v + "'.");
            }
            job.time_limit_minutes = static_cast<std::uint32_t>((*seconds + 59) / 60);
        }
    }
    if (auto v = a.value("gres")) {
        if (v->empty()) return usage_error("quote", "--gres needs a value such as neuron:4.");
        job.gres = *v;
    }
    if (auto v = a.value("array")) {
        if (v->empty()) return usage_error("quote", "--array needs a value such as 0-99.");
        job.array = *v;
    }
    if (auto v = a.value("constraint")) {
        if (v->empty()) return usage_error("quote", "--constraint needs a feature expression such as trn1.2xlarge.");
        job.constraint = *v;
    }
    if (auto v = a.value("award")) {
        if (!is_valid_award_id(*v)) return usage_error("quote", award_id_problem(*v));
        job.award = *v;
    }
    if (auto v = a.value("account")) job.account = *v;
    if (auto v = a.value("ntasks")) {
        auto n = count(*v);
        if (!n) return usage_error("quote", "--ntasks wants a positive count, not '" + *v + "'.");
        job.ntasks = *n;
    }
    if (auto v = a.value("user")) job.user = *v;

    std::string error;
    auto answer = ask_controller(QueryKind::Quote, job, &error);
    if (!answer) return refused(error);
    if (!answer->refused.empty()) return refused(answer->refused);
    if (!answer->quote) return refused("slurmctld's answer holds no quote.");
    const QuoteResult& q = *answer->quote;
    const int status = q.verdict == "reject" ? kExitRefused : kExitOk;
    if (a.has("json")) {
        std::cout << "{\"user\":" << json_string(answer->user) << ",\"verdict\":" << json_string(q.verdict)
                  << ",\"award\":" << (q.award.empty() ? "null" : json_string(q.award))
                  << ",\"message\":" << json_string(q.message) << ",\"cost\":"
                  << (q.cost ? format_ticks(*q.cost) : "null") << ",\"unit\":"
                  << (q.cost ? json_string(unit_name(q.unit)) : "null") << ",\"chips_per_task\":" << q.chips
                  << ",\"time_limit_minutes\":" << q.time_limit_minutes << ",\"instance_type\":"
                  << (q.instance_type.empty() ? "null" : json_string(q.instance_type)) << ",\"tranches\":"
                  << tranches_json(answer->awards.empty() ? std::vector<TrancheState>{} : answer->awards[0].tranches)
                  << "}\n";
        return status;
    }
    if (q.verdict == "untouched") {
        std::cout << "not enforced: no partition of this job is under grant enforcement; it needs no award.\n";
        return status;
    }
    std::cout << (q.verdict == "reject" ? "would be rejected: " : "would be accepted: ") << q.message << "\n";
    if (q.cost) {
        std::cout << "maximum cost: " << format_amount(q.unit, *q.cost, true) << " (" << q.chips << (q.chips == 1 ? " chip x " : " chips x ")
                  << format_duration(q.time_limit_minutes * 60)
                  << (q.instance_type.empty() ? std::string() : " on " + q.instance_type + " nodes") << ")\n";
    }
    print_tranches(answer->awards, std::cout);
    return status;
}

}  // namespace grants::cli
