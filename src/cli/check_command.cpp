#include "check_command.h"

#include <pwd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/options.h"
#include "cli/slurm_conf.h"
#include "core/base/date.h"
#include "core/base/decimal.h"
#include "core/base/duration.h"
#include "core/domain/alerts.h"
#include "core/domain/cost_model.h"
#include "core/domain/partition_overlap.h"
#include "core/policy/paths.h"
#include "core/policy/policy_file.h"
#include "grants_config.h"

namespace grants::cli {
namespace {

// "at 50, 80 % used and 30, 7 days before the end, to carol, dave" (alerts.h).
std::string alerts_text(const Policy& p, const Award& a) {
    const EffectiveAlertRules r = alert_rules(p, a);
    const auto to = alert_recipients(a, r.notify_members);
    if (to.empty()) return "none (no PI or manager to tell)";
    auto list = [](std::vector<int> v, bool descending) {
        if (descending) std::reverse(v.begin(), v.end());
        std::string out;
        for (int x : v) out += (out.empty() ? "" : ", ") + std::to_string(x);
        return out;
    };
    std::string out;
    if (!r.used.empty()) out += "at " + list(r.used, false) + " % used";
    if (!r.days_before_end.empty()) {
        out += (out.empty() ? "" : " and ") + list(r.days_before_end, true) + " days before the end";
    }
    if (out.empty()) return "none (every threshold list is empty)";
    std::string names;
    for (const auto& n : to) names += (names.empty() ? "" : ", ") + n;
    return out + ", to " + names;
}


const char kCheckUsage[] =
    "Usage: grantctl check [--json] [--strict] [FILE]\n"
    "\n"
    "Validate a grants.yaml policy. Prints a summary (awards, members, partitions,\n"
    "budgets, validity) and exits 0 when it is valid; prints every error as\n"
    "FILE:LINE:COLUMN: MESSAGE and exits 1 otherwise. The file's owner and mode are\n"
    "checked as slurmctld checks them.\n"
    "FILE defaults to grants.yaml next to slurm.conf ($SLURM_CONF or " GRANTS_DEFAULT_SLURM_CONF ").\n"
    "\n"
    "A valid policy is also checked against slurm.conf (and the files it includes):\n"
    "a partition that is not enforced but has nodes of an enforced partition runs\n"
    "jobs there untagged and unbudgeted, and is warned about on stderr.\n"
    "\n"
    "Options:\n"
    "  --json       print the result as JSON (warnings under \"warnings\")\n"
    "  --strict     exit 1 when there is any warning\n"
    "  -h, --help   show this help\n";

// What check warns about in a valid policy (partition_overlap.h): partitions
// over enforced nodes, and what of slurm.conf could not be read.
struct Warning {
    std::string message;
    std::optional<PartitionOverlap> overlap;
};

std::vector<Warning> slurm_conf_warnings(const Policy& policy, const std::string& slurm_conf) {
    std::vector<Warning> out;
    std::string error;
    auto conf = read_slurm_conf_partitions(slurm_conf, &error);
    if (!conf) {
        out.push_back({"partitions not checked for enforced nodes: " + error + " (set SLURM_CONF)", std::nullopt});
        return out;
    }
    for (const auto& p : conf->problems) out.push_back({p, std::nullopt});
    for (auto& o : unenforced_overlaps(conf->partitions, policy)) out.push_back({overlap_warning(o), std::move(o)});
    return out;
}

std::string json_list(const std::vector<std::string>& names) {
    std::string out = "[";
    for (const auto& n : names) out += (out.size() > 1 ? "," : "") + json_string(n);
    return out + "]";
}

std::string json_warnings(const std::vector<Warning>& warnings) {
    std::string out = "[";
    for (const auto& w : warnings) {
        out += out.size() > 1 ? "," : "";
        if (w.overlap) {
            out += "{\"kind\":\"partition_overlap\",\"partition\":" + json_string(w.overlap->partition) +
                   ",\"enforced\":" + json_list(w.overlap->enforced) +
                   ",\"shared_nodes\":" + json_list(w.overlap->shared_nodes) + ",";
        } else {
            out += "{\"kind\":\"slurm_conf\",";
        }
        out += "\"message\":" + json_string(w.message) + "}";
    }
    return out + "]";
}

std::string join(const NameSet& names, const char* sep = ", ") {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : sep) + n;
    return out;
}

std::string validity_text(const Validity& v) {
    if (!v.from && !v.until) return "always";
    return (v.from ? format_date(*v.from) : std::string("...")) + " to " +
           (v.until ? format_date(*v.until) : std::string("..."));
}

std::string limits_text(const Limits& l) {
    std::ostringstream out;
    auto add = [&](const char* name, const std::optional<std::int64_t>& v) {
        if (v) out << (out.tellp() > 0 ? ", " : "") << name << ' ' << *v;
    };
    add("max_chips_per_job", l.max_chips_per_job);
    if (l.max_walltime_seconds) {
        out << (out.tellp() > 0 ? ", " : "") << "max_walltime " << format_duration(*l.max_walltime_seconds);
    }
    add("max_running_chips", l.max_running_chips);
    add("max_jobs", l.max_jobs);
    add("per_user.max_running_chips", l.per_user.max_running_chips);
    add("per_user.max_jobs", l.per_user.max_jobs);
    return out.tellp() > 0 ? out.str() : "none";
}

std::string members_text(const Members& m) {
    std::string out;
    auto add = [&](const char* what, const NameSet& names) {
        if (!names.empty()) out += std::string(out.empty() ? "" : "; ") + what + " " + join(names);
    };
    add("users", m.users);
    add("groups", m.groups);
    add("accounts", m.accounts);
    return out.empty() ? "nobody" : out;
}

// "$1.34 per instance-hour" / "$2 per chip-hour": a rate as the policy gave it
// (a partition of a named type carries the type's price per instance-hour,
// spread over its chips by rate_divisor).
std::string rate_text(const PartitionCost& c) {
    if (!c.usd_per_chip_hour) return {};
    return ", $" + format_decimal(*c.usd_per_chip_hour) + (c.rate_divisor > 1 ? " per instance-hour" : " per chip-hour");
}

bool uses_instance_types(const Policy& p) {
    for (const auto& [name, c] : p.partitions) {
        if (c.types_from_features || !c.instance_type.empty()) return true;
    }
    return false;
}

void print_summary(const std::string& file, const Policy& p, const std::string& awards_dir) {
    std::cout << file << ": valid (policy version " << p.version << ")\n";
    std::cout << "enforced partitions:\n";
    for (const auto& name : p.enforced_partitions) {
        const PartitionCost* c = p.find_partition(name);
        std::cout << "  " << name << ": ";
        if (c->types_from_features) {
            std::cout << "each node priced by the instance type its Features name";
            if (c->chips_per_node > 0) std::cout << "; nodes of no known type " << c->chips_per_node << " chips";
        } else {
            if (!c->instance_type.empty()) std::cout << c->instance_type << " nodes, ";
            std::cout << c->chips_per_node << " chips per node";
        }
        if (!c->gres.empty()) std::cout << ", counted by gres " << gres_spec(*c);
        std::cout << rate_text(*c) << "\n";
    }
    if (uses_instance_types(p)) {
        std::cout << "instance types:\n";
        for (const auto& [name, t] : p.instance_types) {
            std::cout << "  " << name << ": " << t.chips << (t.chips == 1 ? " chip" : " chips");
            if (t.cores_per_chip > 0) std::cout << ", " << t.cores_per_chip << " NeuronCores per chip";
            if (t.usd_per_instance_hour) {
                std::cout << ", $" << format_decimal(*t.usd_per_instance_hour) << " per instance-hour";
            } else if (t.usd_per_chip_hour) {
                std::cout << ", $" << format_decimal(*t.usd_per_chip_hour) << " per chip-hour";
            } else {
                std::cout << ", no price";
            }
            std::cout << "\n";
        }
    }
    if (!p.exempt_partitions.empty()) {
        std::cout << "exempt partitions (may share enforced nodes; their jobs are not budgeted): "
                  << join(p.exempt_partitions) << "\n";
    }
    std::cout << "on error: " << (p.on_error == OnError::Closed ? "closed (in-scope jobs refused)" : "open (in-scope jobs accepted untagged)")
              << "\n";
    std::cout << "awards: " << p.awards.size();
    if (!awards_dir.empty()) std::cout << " (with the award files in " << awards_dir << ")";
    std::cout << "\n";
    for (const auto& [id, a] : p.awards) {
        std::cout << "  " << id;
        if (!a.title.empty()) std::cout << "  " << a.title;
        if (!a.pi.empty()) std::cout << "  (PI " << a.pi << ")";
        std::cout << "\n    budget:     " << format_budget(a.budget);
        for (std::size_t i = 0; i < a.tranches.size(); ++i) {
            const Tranche& t = a.tranches[i];
            const auto from = t.from ? t.from : a.valid.from;
            const auto until = t.until ? t.until : a.valid.until;
            std::cout << "\n      tranche " << (i + 1) << ": " << format_budget(Budget{a.budget.unit, t.amount}) << ", "
                      << (from ? format_date(*from) : std::string("always")) << " to "
                      << (until ? format_date(*until) : std::string("no end"));
        }
        if (!a.tranches.empty()) {
            std::cout << "\n      rollover:  " << (a.rollover ? "yes (unspent moves to the next tranche)" : "no (unspent lapses)");
        }
        std::cout << "\n    valid:      " << validity_text(a.valid)
                  << "\n    partitions: " << (a.partitions.empty() ? join(p.enforced_partitions) : join(a.partitions))
                  << "\n    members:    " << members_text(a.members);
        if (!a.managers.empty()) std::cout << "\n    managers:   " << join(a.managers);
        std::cout << "\n    limits:     " << limits_text(a.limits) << "\n    alerts:     " << alerts_text(p, a) << "\n";
    }
    if (!p.users.empty()) {
        std::cout << "default awards:";
        for (const auto& [user, settings] : p.users) {
            if (!settings.default_award.empty()) std::cout << ' ' << user << "=" << settings.default_award;
        }
        std::cout << "\n";
    }
}

std::string json_ints(const std::vector<int>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
    return out + "]";
}

std::string json_names(const NameSet& names) {
    std::string out = "[";
    for (const auto& n : names) out += (out.size() > 1 ? "," : "") + json_string(n);
    return out + "]";
}

std::string json_optional(const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : "null"; }

void print_json(const std::string& file, const Policy& p, const std::vector<Warning>& warnings) {
    std::cout << "{\"file\":" << json_string(file) << ",\"valid\":true,\"version\":" << p.version
              << ",\"enforced_partitions\":" << json_names(p.enforced_partitions)
              << ",\"exempt_partitions\":" << json_names(p.exempt_partitions) << ",\"on_error\":\""
              << (p.on_error == OnError::Closed ? "closed" : "open") << "\",\"partitions\":{";
    bool first = true;
    for (const auto& [name, c] : p.partitions) {
        const bool per_instance = c.usd_per_chip_hour && c.rate_divisor > 1;
        std::cout << (first ? "" : ",") << json_string(name) << ":{\"chips_per_node\":" << c.chips_per_node
                  << ",\"cores_per_chip\":" << c.cores_per_chip << ",\"usd_per_chip_hour\":"
                  << (c.usd_per_chip_hour && !per_instance ? format_decimal(*c.usd_per_chip_hour) : "null")
                  << ",\"usd_per_instance_hour\":" << (per_instance ? format_decimal(*c.usd_per_chip_hour) : "null")
                  << ",\"gres\":" << (c.gres.empty() ? "null" : json_string(gres_spec(c))) << ",\"instance_type\":"
                  << (c.types_from_features ? "\"features\""
                                            : c.instance_type.empty() ? "null" : json_string(c.instance_type))
                  << "}";
        first = false;
    }
    std::cout << "},\"instance_types\":{";
    first = true;
    for (const auto& [name, t] : p.instance_types) {
        std::cout << (first ? "" : ",") << json_string(name) << ":{\"chips\":" << t.chips
                  << ",\"cores_per_chip\":" << t.cores_per_chip << ",\"usd_per_chip_hour\":"
                  << (t.usd_per_chip_hour ? format_decimal(*t.usd_per_chip_hour) : "null")
                  << ",\"usd_per_instance_hour\":"
                  << (t.usd_per_instance_hour ? format_decimal(*t.usd_per_instance_hour) : "null") << "}";
        first = false;
    }
    std::cout << "},\"awards\":[";
    first = true;
    for (const auto& [id, a] : p.awards) {
        std::cout << (first ? "" : ",") << "{\"id\":" << json_string(id) << ",\"title\":" << json_string(a.title)
                  << ",\"pi\":" << json_string(a.pi) << ",\"budget\":{\"unit\":\""
                  << (a.budget.unit == Budget::Unit::Usd ? "usd" : "chip_hours")
                  << "\",\"amount\":" << format_decimal(a.budget.amount) << "},\"tranches\":[";
        for (std::size_t i = 0; i < a.tranches.size(); ++i) {
            const Tranche& t = a.tranches[i];
            std::cout << (i ? "," : "") << "{\"amount\":" << format_decimal(t.amount)
                      << ",\"from\":" << (t.from ? json_string(format_date(*t.from)) : "null")
                      << ",\"until\":" << (t.until ? json_string(format_date(*t.until)) : "null") << "}";
        }
        std::cout << "],\"rollover\":" << (a.rollover ? "true" : "false") << ",\"valid\":{\"from\":"
                  << (a.valid.from ? json_string(format_date(*a.valid.from)) : "null")
                  << ",\"until\":" << (a.valid.until ? json_string(format_date(*a.valid.until)) : "null")
                  << "},\"partitions\":" << json_names(a.partitions.empty() ? p.enforced_partitions : a.partitions)
                  << ",\"members\":{\"users\":" << json_names(a.members.users)
                  << ",\"groups\":" << json_names(a.members.groups)
                  << ",\"accounts\":" << json_names(a.members.accounts) << "},\"limits\":{"
                  << "\"max_chips_per_job\":" << json_optional(a.limits.max_chips_per_job)
                  << ",\"max_walltime_seconds\":" << json_optional(a.limits.max_walltime_seconds)
                  << ",\"max_running_chips\":" << json_optional(a.limits.max_running_chips)
                  << ",\"max_jobs\":" << json_optional(a.limits.max_jobs)
                  << ",\"per_user\":{\"max_running_chips\":" << json_optional(a.limits.per_user.max_running_chips)
                  << ",\"max_jobs\":" << json_optional(a.limits.per_user.max_jobs) << "}}";
        const EffectiveAlertRules rules = alert_rules(p, a);
        const auto to = alert_recipients(a, rules.notify_members);
        std::cout << ",\"managers\":" << json_names(a.managers) << ",\"alerts\":{\"used\":" << json_ints(rules.used)
                  << ",\"days_before_end\":" << json_ints(rules.days_before_end)
                  << ",\"notify_members\":" << (rules.notify_members ? "true" : "false")
                  << ",\"recipients\":" << json_names(NameSet(to.begin(), to.end())) << "}}";
        first = false;
    }
    std::cout << "],\"users\":{";
    first = true;
    for (const auto& [user, s] : p.users) {
        std::cout << (first ? "" : ",") << json_string(user) << ":{\"default_award\":" << json_string(s.default_award)
                  << "}";
        first = false;
    }
    std::cout << "},\"warnings\":" << json_warnings(warnings) << "}\n";
}

}  // namespace

// Not parse_command: check reads its words itself, and its answers to them
// ("unknown option '-' for check.", "--" and "-5" refused, --help only
// before a mistake) differ from parse_options'; byte for byte as they were.
int run_check(const std::vector<std::string>& args) {
    bool json = false, strict = false;
    std::string file;
    for (const auto& a : args) {
        if (a == "-h" || a == "--help") {
            std::cout << kCheckUsage;
            return kExitOk;
        } else if (a == "--json") {
            json = true;
        } else if (a == "--strict") {
            strict = true;
        } else if (!a.empty() && a[0] == '-') {
            return usage_error("check", "unknown option '" + a + "' for check.");
        } else if (file.empty()) {
            file = a;
        } else {
            return usage_error("check", "check takes at most one FILE.");
        }
    }
    const std::string slurm_conf = slurm_conf_path();
    if (file.empty()) file = policy_path_next_to(slurm_conf);
    PolicyFileLoad load = load_trusted_policy_file(file, trusted_owners(slurm_conf));
    if (!load.policy) {
        if (json) {
            std::cout << "{\"file\":" << json_string(file) << ",\"valid\":false,\"errors\":[";
            for (std::size_t i = 0; i < load.errors.size(); ++i) {
                const auto& e = load.errors[i];
                std::cout << (i ? "," : "") << "{\"file\":" << json_string(e.file) << ",\"line\":" << e.mark.line << ",\"column\":" << e.mark.column
                          << ",\"message\":" << json_string(e.message) << "}";
            }
            std::cout << "]}\n";
        } else {
            for (const auto& e : load.errors) std::cerr << e.to_string() << "\n";
            std::cerr << "grantctl: " << file << ": " << load.errors.size() << " error"
                      << (load.errors.size() == 1 ? "" : "s") << "; the policy is not valid.\n";
        }
        return kExitRefused;
    }
    const std::vector<Warning> warnings = slurm_conf_warnings(*load.policy, slurm_conf);
    if (json) {
        print_json(file, *load.policy, warnings);
    } else {
        print_summary(file, *load.policy, load.awards_dir);
        for (const auto& w : warnings) std::cerr << "grantctl: warning: " << w.message << "\n";
    }
    if (strict && !warnings.empty()) {
        if (!json) {
            std::cerr << "grantctl: " << warnings.size() << " warning" << (warnings.size() == 1 ? "" : "s")
                      << " and --strict: check fails.\n";
        }
        return kExitRefused;
    }
    return kExitOk;
}

}  // namespace grants::cli
