// grantctl jobs: the caller's recent jobs on awards and what each holds or
// was charged, in sacct's manner, asked of slurmctld (controller_query.h).
// Who may see whose jobs and which rows a window selects: core/domain/job_rows.h.
#include <charconv>
#include <ctime>
#include <iostream>

#include "cli/commands.h"
#include "cli/controller_query.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/local_time.h"
#include "cli/options.h"
#include "cli/row_output.h"
#include "core/base/award_id.h"
#include "core/domain/cost_model.h"
#include "core/domain/job_rows.h"
#include "core/wire/query.h"

namespace grants::cli {

namespace {

const char kJobsUsage[] =
    "Usage: grantctl jobs [-S WHEN] [-E WHEN] [-j JOBID[,JOBID...]] [--award ID] [-u NAME]\n"
    "                     [-o FIELDS] [--parsable2] [-n|--noheader] [--json]\n"
    "\n"
    "Your jobs on awards, one line per run: the award, the state (pending,\n"
    "running, finished), whether the amount is held (the job's maximum cost,\n"
    "while it waits or runs, and a finished run until the ledger has it) or\n"
    "charged (in the ledger), in the award's unit, the chips, the run's seconds,\n"
    "start and end. Asked of slurmctld, so it works on any node with slurm.conf\n"
    "and munge; finished runs go back as far as the ledger does. An award's PI\n"
    "and managers may see its members' jobs (--award ID, or -u NAME), Slurm\n"
    "operators anyone's.\n"
    "\n"
    "Options:\n"
    "  -S, --starttime WHEN  runs that ended (or go on) at WHEN or later; default\n"
    "                        today 00:00, or any time with -j (as sacct). Slurm's\n"
    "                        time syntax: YYYY-MM-DD[THH:MM[:SS]], MM/DD[/YY], HH:MM,\n"
    "                        now[-N{minutes,hours,days,weeks}], today, midnight...\n"
    "  -E, --endtime WHEN    runs that began before WHEN (default: now); a bare day\n"
    "                        includes that day\n"
    "  -j, --jobs IDS        only these job ids, comma-separated\n"
    "  --award ID            only this award (its PI and managers: every member's)\n"
    "  -u, --user NAME       another user's jobs (PIs and managers: on their awards;\n"
    "                        Slurm operators: any)\n"
    "  -o, --format FIELDS   the fields to print, comma-separated, any case: jobid,\n"
    "                        user, award, partition, state, charge, amount, unit,\n"
    "                        chips, tasks, seconds, start, end\n"
    "  --parsable2           fields separated by '|', none after the last (sacct's)\n"
    "  -n, --noheader        no header line\n"
    "  --json                print JSON\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 success, 1 refused (e.g. another user's jobs), 2 usage error.\n";

const std::vector<std::string> kJobFields = {"jobid", "user",  "award", "partition", "state", "charge", "amount",
                                             "unit",  "chips", "tasks", "seconds",   "start", "end"};
const std::vector<bool> kJobRight = {true, false, false, false, false, false, true, false, true, true, true, false, false};

std::string when(std::int64_t t) { return t > 0 ? local_timestamp(t) : "Unknown"; }

std::vector<std::string> cells(const JobRow& j, bool pretty) {
    return {std::to_string(j.job_id),
            j.user,
            j.award,
            j.partition,
            std::string(job_state_name(j.state)),
            j.charged ? "charged" : "held",
            pretty ? format_amount(j.unit, j.amount, !j.charged) : format_ticks(j.amount),
            unit_name(j.unit),
            std::to_string(j.chips),
            std::to_string(j.tasks),
            std::to_string(j.seconds),
            when(j.start),
            when(j.end)};
}

std::string json_time(std::int64_t t) { return t > 0 ? json_string(local_timestamp(t)) : "null"; }

// -j 12,13: positive job ids.
std::optional<std::vector<std::uint32_t>> parse_job_ids(const std::string& text) {
    std::vector<std::uint32_t> ids;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t comma = text.find(',', pos);
        if (comma == std::string::npos) comma = text.size();
        const std::string word = text.substr(pos, comma - pos);
        std::uint32_t id = 0;
        auto [p, ec] = std::from_chars(word.data(), word.data() + word.size(), id);
        if (word.empty() || ec != std::errc() || p != word.data() + word.size() || id == 0) return std::nullopt;
        ids.push_back(id);
        pos = comma + 1;
    }
    return ids;
}

}  // namespace

int run_jobs(const std::vector<std::string>& args) {
    ParsedArgs a;
    if (auto stop = parse_command(args,
                                  {{"starttime", 'S', true},
                                   {"endtime", 'E', true},
                                   {"jobs", 'j', true},
                                   {"award", 0, true},
                                   {"user", 'u', true},
                                   {"format", 'o', true},
                                   {"parsable2", 0, false},
                                   {"noheader", 'n', false},
                                   {"json", 0, false}},
                                  kJobsUsage, "jobs", &a))
        return *stop;
    QueryArgs q;
    if (auto v = a.value("award")) {
        if (!is_valid_award_id(*v)) return usage_error("jobs", award_id_problem(*v));
        q.award = *v;
    }
    if (auto v = a.value("user")) {
        if (v->empty()) return usage_error("jobs", "--user needs a user name.");
        q.user = *v;
    }
    if (auto v = a.value("jobs")) {
        auto ids = parse_job_ids(*v);
        if (!ids) return usage_error("jobs", "--jobs wants job ids separated by commas (e.g. 12,15), not '" + *v + "'.");
        q.job_ids = *ids;
    }
    for (const char* bound : {"starttime", "endtime"}) {
        if (auto v = a.value(bound)) {
            std::string why;
            auto t = parse_bound(*v, std::string(bound) == "endtime", &why);
            if (!t) return usage_error("jobs", std::string("--") + bound + ": " + why);
            (std::string(bound) == "starttime" ? q.since : q.until) = *t;
        }
    }
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    // sacct's default: today's midnight, unless jobs are named.
    if (!q.since && q.job_ids.empty()) q.since = local_midnight(local_day_of(now));
    if (q.since && q.until && *q.until <= *q.since) {
        return usage_error("jobs", "--endtime must be later than --starttime.");
    }
    RowOutput output;
    if (auto stop = parse_row_output(a, "jobs", kJobFields, &output)) return *stop;
    if (output.format == "csv") return usage_error("jobs", "jobs prints a table, --parsable2 rows or --json; not csv.");

    QueryJob job;
    job.args = encode_query_args(q);
    std::string error;
    auto answer = ask_controller(QueryKind::Jobs, job, &error);
    if (!answer) return refused(error);
    if (!answer->refused.empty()) return refused(answer->refused);

    if (output.format == "json") {
        std::cout << "{\"user\":" << json_string(answer->user) << ",\"since\":" << json_time(q.since ? *q.since : 0)
                  << ",\"until\":" << json_time(q.until ? *q.until : 0) << ",\"jobs\":[";
        for (std::size_t i = 0; i < answer->jobs.size(); ++i) {
            const JobRow& j = answer->jobs[i];
            std::cout << (i ? "," : "") << "{\"jobid\":" << j.job_id << ",\"user\":" << json_string(j.user)
                      << ",\"award\":" << json_string(j.award) << ",\"partition\":" << json_string(j.partition)
                      << ",\"state\":" << json_string(std::string(job_state_name(j.state)))
                      << ",\"charge\":" << json_string(j.charged ? "charged" : "held")
                      << ",\"amount\":" << format_ticks(j.amount) << ",\"unit\":" << json_string(unit_name(j.unit))
                      << ",\"chips\":" << j.chips << ",\"tasks\":" << j.tasks << ",\"seconds\":" << j.seconds
                      << ",\"start\":" << json_time(j.start) << ",\"end\":" << json_time(j.end) << "}";
        }
        std::cout << "]}\n";
        return kExitOk;
    }
    const bool pretty = output.style.kind == RowStyle::Kind::Table;
    if (pretty && answer->jobs.empty() && output.style.header) {
        std::cout << "No jobs of yours (or of whom you asked) on awards in that period.\n";
        return kExitOk;
    }
    std::vector<std::vector<std::string>> rows;
    rows.reserve(answer->jobs.size());
    for (const JobRow& j : answer->jobs) rows.push_back(cells(j, pretty));
    // The table leaves out tasks (1 but for pending arrays) unless asked.
    const std::vector<std::size_t> table_default = {0, 1, 2, 3, 4, 5, 6, 8, 10, 11, 12};
    print_rows(std::cout, kJobFields, kJobRight, rows, output.style, pretty ? table_default : std::vector<std::size_t>{});
    return kExitOk;
}

}  // namespace grants::cli
