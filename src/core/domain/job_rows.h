// grantctl jobs: one row per run of a job on an award (docs/design.md
// "grantctl jobs"), answered by slurmctld from memory: live jobs (pending,
// running, and finished but not in the ledger yet) from the last accounting
// pass, charged runs from the charge book (every charge in the ledger).
//
// Who may see whose rows, and which rows a question selects, are decided
// here, so they are unit-tested without Slurm (tests/unit/test_job_rows.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/base/decimal.h"
#include "core/policy/policy.h"

namespace grants {

struct JobRow {
    enum class State { Pending, Running, Finished };
    std::uint32_t job_id = 0;
    std::string user, award, partition;
    State state = State::Pending;
    // Charged: the run is in the ledger and amount is its charge. Otherwise
    // amount is what the job holds of the award (its maximum cost; a finished
    // run not yet in the ledger holds its charge).
    bool charged = false;
    Ticks amount = 0;
    Budget::Unit unit = Budget::Unit::ChipHours;
    std::int64_t chips = 0;    // per task (the run's allocated chips once started)
    std::int64_t tasks = 1;    // a pending array's tasks not yet split off
    std::int64_t seconds = 0;  // run time: charged seconds, so far while running, 0 pending
    std::int64_t start = 0;    // epoch seconds; 0: not started
    std::int64_t end = 0;      // 0: not ended. Charged runs: start + charged seconds
};

std::string_view job_state_name(JobRow::State state);  // "pending", "running", "finished"
std::optional<JobRow::State> parse_job_state(std::string_view name);

// What grantctl jobs asks.
struct JobsQuestion {
    std::optional<std::string> user;    // -u: another user's jobs
    std::optional<std::string> award;   // --award
    std::vector<std::uint32_t> job_ids; // -j; empty: any
    std::optional<std::int64_t> since;  // -S: rows whose run (or wait) reaches since or later
    std::optional<std::int64_t> until;  // -E: rows that began before until
};

// Whose rows a question may read: refused non-empty says why not (one sentence).
struct JobsScope {
    std::string refused;
    std::optional<std::string> user;                 // only this user's rows
    std::optional<std::set<std::string>> awards;     // only rows of these awards; nullopt: any
};

// The rule (grantctl(1), JOBS):
//  - anyone: their own jobs, on any award (--award narrows them);
//  - an award's PI and managers: every member's jobs on that award
//    (--award ID, or -u USER for the awards they oversee);
//  - Slurm operators (root, SlurmUser, operators): anyone's.
// -u USER by someone who oversees no award is refused, and so is --award
// with -u for an award the asker does not oversee; the sentence is the same
// whether the award exists or not.
JobsScope jobs_scope(const Policy& policy, const std::string& asker, bool operator_asks, const JobsQuestion& question);

// Whether a row falls in the question's window: its interval [start, end]
// (a pending job's is [now, now], a running one's [start, now]) meets
// [since, until).
bool job_in_window(const JobRow& row, const JobsQuestion& question, std::int64_t now);

// The rows of scope and question among live and charged, sorted by job id
// then start. A live finished row whose run is also among the charged ones
// (the ledger took it between the pass and the question) is dropped.
std::vector<JobRow> select_job_rows(const std::vector<JobRow>& live, const std::vector<JobRow>& charged,
                                    const JobsScope& scope, const JobsQuestion& question, std::int64_t now);

// Whether a row passes scope and question (window, ids, award, user).
bool job_row_selected(const JobRow& row, const JobsScope& scope, const JobsQuestion& question, std::int64_t now);

}  // namespace grants
