// grantctl metrics: every award's numbers in Prometheus text format, for
// node_exporter's textfile collector (--output writes the file atomically).
#include <cstdint>
#include <iostream>
#include <string>
#include <sstream>

#include "cli/atomic_file.h"
#include "cli/award_status_json.h"
#include "cli/commands.h"
#include "cli/controller_query.h"
#include "cli/exit_codes.h"
#include "cli/local_time.h"
#include "cli/options.h"
#include "cli/slurm_conf.h"
#include "core/domain/instance_time.h"
#include "core/storage/ledger.h"

#include <unistd.h>

#include <ctime>
#include <map>
#include <tuple>

namespace grants::cli {

namespace {

const char kMetricsUsage[] =
    "Usage: grantctl metrics [--output FILE] [--json]\n"
    "\n"
    "Print every award's budget, charged, held and left amounts and its running and\n"
    "pending jobs in Prometheus text format, as slurmctld enforces them now. For\n"
    "node_exporter's textfile collector, run it from cron with\n"
    "--output /var/lib/prometheus/node-exporter/slurm_grants.prom.\n"
    "Where the ledger can be read (the controller host), the text output adds the\n"
    "enforced partitions' instance time (slurm_grants_instance_*).\n"
    "Only root, SlurmUser and Slurm operators may run it.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE   write FILE atomically (a temporary file, then rename)\n"
    "  --json              print JSON instead\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 success, 1 refused, 2 usage error.\n";

// Prometheus label values escape backslash, double quote and newline.
std::string label(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string exposition(const std::vector<AwardStatus>& awards) {
    std::ostringstream out;
    struct Gauge {
        const char* name;
        const char* help;
        Ticks (*value)(const AwardStatus&);
    };
    const Gauge gauges[] = {
        {"slurm_grants_budget", "Budget of the award, in its unit (label unit).",
         [](const AwardStatus& s) { return s.budget; }},
        {"slurm_grants_charged", "Charged to the award: ledger charges and adjustments, in its unit.",
         [](const AwardStatus& s) { return s.charged; }},
        {"slurm_grants_held", "Maximum cost of the award's pending, running and not yet charged jobs.",
         [](const AwardStatus& s) { return s.held; }},
        {"slurm_grants_left", "Budget minus charged minus held: what new jobs may still hold.",
         [](const AwardStatus& s) { return s.left(); }},
    };
    for (const auto& g : gauges) {
        out << "# HELP " << g.name << " " << g.help << "\n# TYPE " << g.name << " gauge\n";
        for (const auto& s : awards) {
            out << g.name << "{award=\"" << label(s.id) << "\",unit=\"" << label(unit_name(s.unit)) << "\"} "
                << format_ticks(g.value(s)) << "\n";
        }
    }
    out << "# HELP slurm_grants_jobs Jobs of the award by state (pending includes approved jobs not yet created).\n"
        << "# TYPE slurm_grants_jobs gauge\n";
    for (const auto& s : awards) {
        out << "slurm_grants_jobs{award=\"" << label(s.id) << "\",state=\"running\"} " << s.running_jobs << "\n";
        out << "slurm_grants_jobs{award=\"" << label(s.id) << "\",state=\"pending\"} " << s.pending_jobs << "\n";
    }
    out << "# HELP slurm_grants_tranche_left What a tranche (or deposit) of the award has left, in its unit; "
           "0 once ended.\n"
        << "# TYPE slurm_grants_tranche_left gauge\n";
    for (const auto& s : awards) {
        for (const TrancheState& t : s.tranches) {
            out << "slurm_grants_tranche_left{award=\"" << label(s.id) << "\",tranche=\"" << label(t.source)
                << "\",state=\"" << phase_name(t.phase) << "\"} "
                << format_ticks(t.phase == TrancheState::Phase::Ended ? 0 : t.left()) << "\n";
        }
    }
    out << "# HELP slurm_grants_tranche_spent Charged to a tranche (or deposit) of the award, in its unit.\n"
        << "# TYPE slurm_grants_tranche_spent gauge\n";
    for (const auto& s : awards) {
        for (const TrancheState& t : s.tranches) {
            out << "slurm_grants_tranche_spent{award=\"" << label(s.id) << "\",tranche=\"" << label(t.source)
                << "\",state=\"" << phase_name(t.phase) << "\"} " << format_ticks(t.spent) << "\n";
        }
    }
    out << "# HELP slurm_grants_burn_rate What the ledger charged the award per day over the last 14 days "
           "(or since it started), in its unit per day.\n"
        << "# TYPE slurm_grants_burn_rate gauge\n";
    for (const auto& s : awards) {
        if (!s.forecast) continue;
        out << "slurm_grants_burn_rate{award=\"" << label(s.id) << "\",unit=\"" << label(unit_name(s.unit)) << "\"} "
            << format_ticks(s.forecast->per_day) << "\n";
    }
    out << "# HELP slurm_grants_runout_timestamp_seconds When the award's money runs out at that rate "
           "(start of the local day, Unix time); absent when nothing is burning.\n"
        << "# TYPE slurm_grants_runout_timestamp_seconds gauge\n";
    for (const auto& s : awards) {
        if (!s.forecast || !s.forecast->runs_out) continue;
        out << "slurm_grants_runout_timestamp_seconds{award=\"" << label(s.id) << "\"} "
            << local_midnight(*s.forecast->runs_out) << "\n";
    }
    out << "# HELP slurm_grants_end_timestamp_seconds When the award ends (end of its last valid local day, Unix "
           "time); absent for awards without an end.\n"
        << "# TYPE slurm_grants_end_timestamp_seconds gauge\n";
    for (const auto& s : awards) {
        if (!s.valid_until) continue;
        out << "slurm_grants_end_timestamp_seconds{award=\"" << label(s.id) << "\"} "
            << local_midnight(*s.valid_until + 1) << "\n";
    }
    out << "# HELP slurm_grants_active 1 when the award is inside its validity window today.\n"
        << "# TYPE slurm_grants_active gauge\n";
    for (const auto& s : awards) {
        out << "slurm_grants_active{award=\"" << label(s.id) << "\"} " << (s.state == "active" ? 1 : 0) << "\n";
    }
    return out.str();
}

// How often slurmctld's accounting thread copied the job list, and why
// (docs/design.md "Holds"): counters since the plugin was loaded.
std::string pass_exposition(const PassCounters& p) {
    std::ostringstream out;
    const struct {
        const char* name;
        const char* help;
        std::int64_t value;
    } counters[] = {
        {"slurm_grants_accounting_passes_total", "Accounting passes of slurmctld's grants_acct thread since it started.",
         p.passes},
        {"slurm_grants_full_passes_total", "Accounting passes that copied slurmctld's job list (under its job read lock).",
         p.full_passes},
        {"slurm_grants_update_pass_requests_total",
         "Full passes asked for by accepted job updates (at most one per 5 s; only updates that can change a hold).",
         p.update_requests},
    };
    for (const auto& c : counters) {
        out << "# HELP " << c.name << " " << c.help << "\n# TYPE " << c.name << " counter\n"
            << c.name << " " << c.value << "\n";
    }
    return out.str();
}

// Instance time of the enforced partitions (instance_time.h), from the
// ledger: only where it can be read (the controller host, as root or
// SlurmUser); elsewhere these metrics are left out. Open segments count up
// to now, so the counters grow while a node is up.
std::string instance_exposition() {
    std::string why, error;
    std::unique_ptr<Ledger> ledger;
    auto configured = read_ledger_config(nullptr, &why);
    if (configured && configured->backend == LedgerBackend::Mysql) {
        ledger = open_ledger(*configured, "", ledger_owners(), true, &error);
    } else {
        const std::string* given = configured && !configured->path.empty() ? &configured->path : nullptr;
        auto path = ledger_path_or_default(given, &why);
        if (!path || ::access(path->c_str(), R_OK) != 0) return "";
        ledger = Ledger::open(*path, &error, true);
    }
    if (!ledger) return "";
    std::vector<InstanceSegment> closed, open;
    if (!ledger->instance_segments(std::nullopt, std::nullopt, std::nullopt, &closed, &open, &error)) return "";
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    std::map<std::tuple<std::string, std::string, int>, int> nodes;  // open segments: partition, type, kind
    for (InstanceSegment& s : open) {
        ++nodes[{s.partition, s.instance_type, static_cast<int>(s.kind)}];
        s.seconds = now > s.start ? now - s.start : 0;
        closed.push_back(std::move(s));
    }
    const auto usage = sum_instance_time(closed, std::nullopt, std::nullopt);
    std::ostringstream out;
    auto labels = [](const std::string& partition, const std::string& type) {
        return "partition=\"" + label(partition) + "\",instance_type=\"" + label(type) + "\"";
    };
    out << "# HELP slurm_grants_instance_seconds_total Instance time of the enforced partitions' nodes by kind "
           "(boot, busy, idle, failed launch), from the ledger.\n"
        << "# TYPE slurm_grants_instance_seconds_total counter\n";
    for (const auto& u : usage) {
        for (int k = 0; k < 4; ++k) {
            out << "slurm_grants_instance_seconds_total{" << labels(u.partition, u.instance_type) << ",kind=\""
                << instance_kind_name(static_cast<InstanceKind>(k)) << "\"} " << u.seconds[k] << "\n";
        }
    }
    out << "# HELP slurm_grants_instance_usd_total What that instance time costs at the policy's instance prices.\n"
        << "# TYPE slurm_grants_instance_usd_total counter\n";
    for (const auto& u : usage) {
        if (u.priced) out << "slurm_grants_instance_usd_total{" << labels(u.partition, u.instance_type) << "} " << format_ticks(u.usd) << "\n";
    }
    out << "# HELP slurm_grants_instances Nodes of the enforced partitions that are instances now, by kind.\n"
        << "# TYPE slurm_grants_instances gauge\n";
    for (const auto& [key, n] : nodes) {
        out << "slurm_grants_instances{" << labels(std::get<0>(key), std::get<1>(key)) << ",kind=\""
            << instance_kind_name(static_cast<InstanceKind>(std::get<2>(key))) << "\"} " << n << "\n";
    }
    return out.str();
}

}  // namespace

int run_metrics(const std::vector<std::string>& args) {
    ParsedArgs a;
    if (auto stop = parse_command(args, {{"output", 'o', true}, {"json", 0, false}}, kMetricsUsage, "metrics", &a))
        return *stop;
    if (auto v = a.value("output"); v && v->empty()) return usage_error("metrics", "--output needs a file name.");

    std::string error;
    auto answer = ask_controller(QueryKind::Metrics, QueryJob{}, &error);
    if (!answer) return refused(error);
    if (!answer->refused.empty()) return refused(answer->refused);

    std::string text;
    if (a.has("json")) {
        text = "{\"awards\":[";
        for (std::size_t i = 0; i < answer->awards.size(); ++i) {
            text += (i ? "," : "") + award_status_json(answer->awards[i]);
        }
        text += "]";
        if (const auto& p = answer->passes) {
            text += ",\"passes\":{\"all\":" + std::to_string(p->passes) + ",\"full\":" + std::to_string(p->full_passes) +
                    ",\"update_requests\":" + std::to_string(p->update_requests) + "}";
        }
        text += "}\n";
    } else {
        text = exposition(answer->awards);
        if (answer->passes) text += pass_exposition(*answer->passes);
        text += instance_exposition();
    }
    const std::string* output = a.value("output");
    if (!output) {
        std::cout << text;
        return kExitOk;
    }
    std::string tmp;
    switch (write_atomically(*output, text, &tmp)) {
        case AtomicWrite::Ok: return kExitOk;
        case AtomicWrite::WriteFailed: return refused("cannot write " + tmp + ".");
        case AtomicWrite::RenameFailed: return refused("cannot rename " + tmp + " to " + *output + ".");
    }
    return kExitOk;
}

}  // namespace grants::cli
