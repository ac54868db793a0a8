#include "core/domain/run_tracker.h"

#include <algorithm>

namespace grants {

void Run::see_limit(std::int64_t limit_seconds) {
    cap_seconds = std::max(cap_seconds, limit_seconds);
    limit_lowered = limit_seconds < cap_seconds;
}

void Run::see_chips(std::int64_t allocated) {
    shrunk = allocated < chips;
    chips = std::max(chips, allocated);
}

std::int64_t Run::charged_seconds(std::int64_t end) const {
    // Charged boot time (boot_start) counts within the cap: the hold covered
    // the time limit, and a run never costs more than it held.
    const std::int64_t from = boot_start > 0 && boot_start < start ? boot_start : start;
    return std::min(std::max<std::int64_t>(0, end - from - suspended), cap_seconds);
}

Run* RunTracker::find(std::uint32_t job_id, std::int64_t start) {
    auto it = runs_.find(job_id);
    return it != runs_.end() && it->second.start == start ? &it->second : nullptr;
}

Run& RunTracker::begin(std::uint32_t job_id, std::int64_t start) {
    Run& run = runs_[job_id];
    run = Run{};
    run.start = start;
    const RunKey key{job_id, start};
    if (auto r = restored_chips_.find(key); r != restored_chips_.end()) {
        run.chips = r->second;  // shrunk before a controller restart
        restored_chips_.erase(r);
    }
    if (auto r = restored_caps_.find(key); r != restored_caps_.end()) {
        run.cap_seconds = r->second;  // its limit was lowered before a controller restart
        restored_caps_.erase(r);
    }
    return run;
}

std::optional<Run> RunTracker::take_replaced(std::uint32_t job_id, std::int64_t start) {
    auto it = runs_.find(job_id);
    if (it == runs_.end() || it->second.start == start) return std::nullopt;
    std::optional<Run> old(std::move(it->second));
    runs_.erase(it);
    return old;
}

AttemptGate RunTracker::gate(std::uint32_t job_id, std::uint32_t attempt, bool held) const {
    if (attempt == 0) return AttemptGate::Counted;
    if (held) return AttemptGate::Held;
    auto it = admitted_.find(job_id);
    return it != admitted_.end() && it->second == attempt ? AttemptGate::Counted : AttemptGate::Waiting;
}

void RunTracker::admit(std::uint32_t job_id, std::uint32_t attempt) { admitted_[job_id] = attempt; }

std::vector<ShrunkRun> RunTracker::shrunk_runs() const {
    std::vector<ShrunkRun> out;
    for (const auto& [id, run] : runs_) {
        if (run.shrunk && !run.ended) out.push_back({id, run.start, run.chips});
    }
    for (const auto& [key, chips] : restored_chips_) out.push_back({key.first, key.second, chips});
    std::sort(out.begin(), out.end(), [](const ShrunkRun& a, const ShrunkRun& b) {
        return a.job_id != b.job_id ? a.job_id < b.job_id : a.run_start < b.run_start;
    });
    return out;
}

std::vector<RunCap> RunTracker::capped_runs() const {
    std::vector<RunCap> out;
    for (const auto& [id, run] : runs_) {
        if (run.limit_lowered && !run.ended) out.push_back({id, run.start, run.cap_seconds});
    }
    for (const auto& [key, seconds] : restored_caps_) out.push_back({key.first, key.second, seconds});
    std::sort(out.begin(), out.end(), [](const RunCap& a, const RunCap& b) {
        return a.job_id != b.job_id ? a.job_id < b.job_id : a.run_start < b.run_start;
    });
    return out;
}

void RunTracker::restore(const std::vector<ShrunkRun>& shrunk, const std::vector<RunCap>& caps) {
    for (const auto& r : shrunk) restored_chips_[{r.job_id, r.run_start}] = r.chips;
    for (const auto& r : caps) {
        std::int64_t& seconds = restored_caps_[{r.job_id, r.run_start}];
        seconds = std::max(seconds, r.seconds);
    }
}

void RunTracker::forget_absent(const std::function<bool(std::uint32_t)>& present) {
    for (auto it = runs_.begin(); it != runs_.end();) it = present(it->first) ? std::next(it) : runs_.erase(it);
    for (auto it = admitted_.begin(); it != admitted_.end();) {
        it = present(it->first) ? std::next(it) : admitted_.erase(it);
    }
    for (auto* restored : {&restored_chips_, &restored_caps_}) {
        for (auto it = restored->begin(); it != restored->end();) {
            it = present(it->first.first) ? std::next(it) : restored->erase(it);
        }
    }
}

}  // namespace grants
